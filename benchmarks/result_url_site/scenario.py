"""Set-up and measurements that need Django, run by ``benchmarks/result_url.py`` in its site:

    python -m benchmarks.result_url_site.scenario configure
    python -m benchmarks.result_url_site.scenario round-trips FIRST_INV_ID

``configure`` saves the shop in Settings → ROBOKASSA for the default Site (as an editor would)
when the scenario keeps it out of Django settings. ``round-trips`` posts a few deliveries to
each view through Django's test client and prints, as JSON, the SQL round trips per delivery:
statements, plus BEGIN and COMMIT for each transaction.
"""

from __future__ import annotations

import json
import os
import sys

import django


def configure() -> None:
    from django.conf import settings
    from wagtail.models import Site

    from wagtail_robokassa.models import RobokassaSettings

    if settings.SCENARIO == "settings":
        return
    row = RobokassaSettings.for_site(Site.objects.get(is_default_site=True))
    row.login = "bench"
    row.password1 = settings.BENCH_PASSWORD1
    row.password2 = settings.BENCH_PASSWORD2
    row.test_password1 = "bench-test-password-1"
    row.test_password2 = "bench-test-password-2"
    row.save()


def round_trips(first_inv_id: int, views: dict[str, str], per_view: int = 20) -> dict[str, float]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from benchmarks.result_url import body_for, prepare_deliveries

    client = Client(HTTP_HOST="127.0.0.1")
    counts = {"statements": 0, "transactions": 0}

    def count_statement(execute, sql, params, many, context):
        counts["statements"] += 1
        return execute(sql, params, many, context)

    commit, rollback = connection._commit, connection._rollback

    def counted(end):
        def end_transaction():
            counts["transactions"] += 1
            return end()

        return end_transaction

    connection._commit, connection._rollback = counted(commit), counted(rollback)
    trips = {}
    inv_id = first_inv_id
    for view, url in views.items():
        bodies = []
        for _ in range(per_view + 1):  # the first one warms up (prepares, fills the caches)
            bodies.append(body_for(view, inv_id))
            inv_id += 1
        prepare_deliveries(os.environ["DATABASE_URL"], settings.SCENARIO, inv_id - len(bodies),
                           len(bodies))  # fmt: skip
        client.post(url, bodies[0], content_type="application/x-www-form-urlencoded")
        counts.update(statements=0, transactions=0)
        with connection.execute_wrapper(count_statement):
            for body in bodies[1:]:
                answer = client.post(url, body, content_type="application/x-www-form-urlencoded")
                if answer.status_code != 200:
                    raise SystemExit(f"{view}: {answer.status_code} {answer.content!r}")
        trips[view] = (counts["statements"] + 2 * counts["transactions"]) / per_view
    return trips


if __name__ == "__main__":
    django.setup()
    if sys.argv[1] == "configure":
        configure()
    else:
        views = json.loads(sys.argv[3])
        print(json.dumps(round_trips(int(sys.argv[2]), views)))
