"""The admin at scale: 1,000,000 notifications (and their invoices) on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/admin_scale.py

Fills its own ``robokassa_admin_bench`` database with bulk inserts, then measures through the
Django test client (a real request through the admin views): the median time of the first
listing page, a date-range-filtered page and an InvId search (target <= 300 ms each), and a full
CSV export: peak RSS growth (target < 100 MB) and rows/s against a raw ``csv.writer`` over
``values_list().iterator()`` of the same columns, in the same run (target >= 0.5). The export and
its baseline each run in a fresh process, so that one's memory peak cannot hide the other's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "robokassa_admin_bench"
PYTHONPATH = os.pathsep.join([str(ROOT), str(ROOT / "sandbox")])


def bench_url(base: str) -> str:
    return urlunsplit(urlsplit(base)._replace(path=f"/{BENCH_DB}"))


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    sys.path[:0] = [str(ROOT), str(ROOT / "sandbox")]
    import django

    django.setup()


FILL = [
    # Invoices: one per InvId, paid, spread over two years (one a minute, newest first).
    """
    INSERT INTO wagtail_robokassa_invoice (id, merchant_login, is_test, amount, description,
        email, shp, reference, status, block_id, created_at, updated_at, paid_at)
    SELECT n, 'bench', n %% 10 = 0, 100 + (n %% 900), 'Заказ ' || n, 'buyer' || n || '@example.com',
        '{}', '', 'paid', '', now() - n * interval '1 minute', now() - n * interval '1 minute',
        now() - n * interval '1 minute'
    FROM generate_series(1, %(rows)s) AS n
    """,
    """
    INSERT INTO wagtail_robokassa_successnotification (merchant_login, is_test, inv_id, out_sum,
        fee, email, payment_method, inc_curr_label, params, invoice_id, client_ip, deliveries,
        created_at, last_delivery_at)
    SELECT 'bench', n %% 10 = 0, n, 100 + (n %% 900), 2.5, 'buyer' || n || '@example.com',
        'BankCard', 'BankCardPSR',
        jsonb_build_object('OutSum', (100 + (n %% 900))::text || '.000000', 'InvId', n::text),
        n, '185.59.216.65', 1, now() - n * interval '1 minute', NULL
    FROM generate_series(1, %(rows)s) AS n
    """,
    "SELECT setval(pg_get_serial_sequence('wagtail_robokassa_invoice', 'id'), %(rows)s)",
    "ANALYZE",
]


def prepare(base_url: str, rows: int) -> None:
    with psycopg.connect(base_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {BENCH_DB}")
    env = {**os.environ, "DATABASE_URL": bench_url(base_url), "PYTHONPATH": PYTHONPATH,
           "DJANGO_SETTINGS_MODULE": "tests.settings"}  # fmt: skip
    subprocess.run([sys.executable, "-m", "django", "migrate", "--noinput", "-v0"],
                   env=env, cwd=ROOT, check=True)  # fmt: skip
    started = time.perf_counter()
    with psycopg.connect(bench_url(base_url), autocommit=True) as connection:
        for statement in FILL:
            connection.execute(statement, {"rows": rows})
    print(f"filled {rows:,} invoices and notifications in {time.perf_counter() - started:.0f} s")


def listing_timings(database_url: str, repeats: int) -> dict[str, float]:
    setup_django(database_url)
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    month_ago = timezone.localdate() - timezone.timedelta(days=400)
    cases = {
        "notifications, first page": ("/admin/robokassa_notifications/", {}),
        "notifications, one month": (
            "/admin/robokassa_notifications/",
            {"created_from": month_ago.isoformat(),
             "created_to": (month_ago + timezone.timedelta(days=30)).isoformat()},
        ),
        "notifications, InvId search": ("/admin/robokassa_notifications/", {"q": "654321"}),
        "payments, first page": ("/admin/robokassa_payments/", {}),
        "payments, InvId search": ("/admin/robokassa_payments/", {"q": "654321"}),
    }  # fmt: skip
    results = {}
    for name, (url, params) in cases.items():
        client.get(url, params)  # warm caches
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get(url, params)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        results[name] = statistics.median(times)
    return results


def export_run(database_url: str, mode: str) -> dict:
    """Runs in a fresh process: ours (through the admin export view) or the raw baseline."""
    setup_django(database_url)
    import csv

    from django.contrib.auth import get_user_model
    from django.test import Client

    from wagtail_robokassa.admin.exporting import Exporter
    from wagtail_robokassa.admin.resources import NotificationResource
    from wagtail_robokassa.models import SuccessNotification

    queryset = SuccessNotification.objects.order_by("-created_at")
    columns = Exporter(NotificationResource()).columns
    user = get_user_model().objects.filter(is_superuser=True).first()
    client = Client()
    client.force_login(user)
    list(queryset.values_list(*columns)[:10])  # connect and warm up
    baseline_rss = _reset_peak_rss()
    started = time.perf_counter()
    rows = size = 0
    if mode == "ours":
        response = client.get("/admin/robokassa_notifications/export/csv/")
        for chunk in response.streaming_content:
            size += len(chunk)
            rows += chunk.count(b"\n")
        rows -= 1  # the heading
    else:

        class Sink:
            def write(self, text: str) -> int:
                return len(text)

        writer = csv.writer(Sink())
        for values in queryset.values_list(*columns).iterator(chunk_size=2000):
            size += writer.writerow(values)
            rows += 1
    elapsed = time.perf_counter() - started
    peak = _status_kb("VmHWM")
    return {"rows": rows, "seconds": elapsed, "rss_growth_mb": (peak - baseline_rss) / 1024,
            "bytes": size}  # fmt: skip


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak_rss() -> int:
    """Reset the process's peak RSS (Linux: clear_refs 5) and return the current RSS in kB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def run_export(database_url: str, mode: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--export-only", mode],
        env={**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": PYTHONPATH},
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="reuse an already filled database")
    parser.add_argument("--export-only", choices=["ours", "raw"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    if args.export_only:
        print(json.dumps(export_run(base, args.export_only)))
        return
    if not args.keep:
        prepare(base, args.rows)
    database = bench_url(base)
    print("median time per listing request (target <= 300 ms):")
    for name, ms in listing_timings(database, args.repeats).items():
        print(f"  {name:30} {ms:7.1f} ms")
    raw = run_export(database, "raw")
    ours = run_export(database, "ours")
    ours_rate = ours["rows"] / ours["seconds"]
    raw_rate = raw["rows"] / raw["seconds"]
    print(f"CSV export of {ours['rows']:,} rows: {ours['seconds']:.1f} s, {ours_rate:,.0f} rows/s, "
          f"peak RSS growth {ours['rss_growth_mb']:.1f} MB (target < 100 MB)")  # fmt: skip
    print(f"raw csv.writer over values_list().iterator(): {raw['seconds']:.1f} s, "
          f"{raw_rate:,.0f} rows/s, peak RSS growth {raw['rss_growth_mb']:.1f} MB")  # fmt: skip
    print(f"export speed ratio ours/raw = {ours_rate / raw_rate:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
