"""Result URL throughput under a real WSGI server, against two baselines measured in the same run.

    python benchmarks/result_url.py [--scenario all|settings|panel|shop] [--rounds 3] [--duration 8]

(A) wagtail-robokassa's Result URL; (B) a bare view that parses the same parameters, checks an MD5
and does one raw INSERT (the limit of this stack); (C) the predecessor, django-robokassa3 1.4,
unpacked from PyPI into a temporary folder and patched for Django 5.

Scenarios (the default runs all three, each in its own server and database):

- ``settings``: the merchant in Django settings (``ROBOKASSA_*``), no invoice, no receiver;
- ``panel``: the merchant only in Settings → ROBOKASSA, no invoice, no receiver;
- ``shop``: as ``panel``, with an ``Invoice`` for every InvId and a ``result_received`` receiver
  that marks the shop's own order row paid. django-robokassa3 gets the same receiver on its
  signal; the bare view does the same UPDATE in one transaction with its INSERT. This scenario
  also measures (R2) ResultUrl2: ROBOKASSA's RS256-signed ``OK`` notification of each payment,
  verified against the certificate and recorded through the same write; R2/A is printed.

All three views run behind the same middleware in one gunicorn (2 sync workers) on 127.0.0.1,
against PostgreSQL (``DATABASE_URL``, default the local ``test`` database: the benchmark creates
and drops its own ``robokassa_bench`` database there). ``wrk`` (Debian package ``wrk``) drives
them with distinct pre-signed deliveries, every InvId new, alternating A B C over the rounds.
After the rounds, each view's SQL round trips per delivery are counted through Django.
Targets (docs/design.md §8): see ``TARGETS``; no errors.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.result_url_site.views import CREATE_TABLES  # noqa: E402

PASSWORD2 = "bench-password-2"
BENCH_DB = "robokassa_bench"
VIEWS = {"A": "/robokassa/result/", "B": "/baseline/result/", "C": "/legacy/result/"}
#: Measured in the shop scenario only (it needs the invoices): ResultUrl2's signed notifications.
RESULT2 = {"R2": "/robokassa/result2/"}
SCENARIOS = ("settings", "panel", "shop")
#: scenario → (A/C, A/B) targets
TARGETS = {"settings": (0.85, 0.75), "panel": (0.85, 0.70), "shop": (0.85, 0.70)}
LEGACY_PATCHES = {
    "conf.py": [
        ("settings.ROBOKASSA_", "settings.LEGACY_ROBOKASSA_"),
        ("'ROBOKASSA_", "'LEGACY_ROBOKASSA_"),
    ],
    "signals.py": [('Signal(providing_args=["InvId", "OutSum"])', "Signal()")],
    "models.py": [
        (
            "from django.utils.six import python_2_unicode_compatible",
            "def python_2_unicode_compatible(cls):\n    return cls",
        )
    ],
    "forms.py": [
        (
            "from six.moves.urllib.parse import urlencode\n\nimport six",
            "from urllib.parse import urlencode\n\n\nclass six:\n    text_type = str",
        )
    ],
    "urls.py": [("from django.conf.urls import url", "from django.urls import re_path as url")],
}


def legacy_app(folder: Path) -> Path:
    """Download django-robokassa3 1.4, unpack it and patch it to import on Django 5."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(folder),
         "django-robokassa3==1.4"],
        check=True,
    )  # fmt: skip
    wheel = next(folder.glob("django_robokassa3-1.4-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(folder / "legacy")
    for name, replacements in LEGACY_PATCHES.items():
        path = folder / "legacy" / "robokassa" / name
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            if old not in text:
                raise SystemExit(f"django-robokassa3 changed: cannot patch {name}")
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return folder / "legacy"


def delivery(inv_id: int) -> str:
    """A production-shaped Result URL body (upper-case signature, legacy duplicates)."""
    out_sum = "100.000000"
    signature = hashlib.md5(f"{out_sum}:{inv_id}:{PASSWORD2}".encode()).hexdigest().upper()  # noqa: S324
    return urlencode(
        [("out_summ", out_sum), ("OutSum", out_sum), ("inv_id", inv_id), ("InvId", inv_id),
         ("crc", signature), ("SignatureValue", signature), ("PaymentMethod", "BankCard"),
         ("IncSum", out_sum), ("IncCurrLabel", "BankCardPSR"), ("EMail", "buyer@example.com"),
         ("Fee", "2.690000")]
    )  # fmt: skip


def signed_state(inv_id: int) -> str:
    """A ResultUrl2 ``OK`` notification as ROBOKASSA sends it (a compact RS256 JWS), signed with
    the emulator's key, which the benchmark site trusts as ROBOKASSA's certificate."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from wagtail_robokassa.contrib.emulator.jws import signed_notification

    return signed_notification(
        shop="bench",
        inv_id=inv_id,
        op_key=f"BENCH-{inv_id}",
        state="OK",
        inc_sum=Decimal("100.00"),
        sent_at=datetime.now(UTC),
    )


def body_for(view: str, inv_id: int) -> str:
    return signed_state(inv_id) if view in RESULT2 else delivery(inv_id)


def views_of(scenario: str) -> dict[str, str]:
    return {**VIEWS, **RESULT2} if scenario == "shop" else dict(VIEWS)


def database_urls(base_url: str) -> tuple[str, str]:
    parts = urlsplit(base_url)
    bench = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    return base_url, bench


def recreate_database(admin_url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {BENCH_DB}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited early")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - a local URL we built
        except urllib.error.HTTPError:
            return  # the server answers (400 for an empty GET): it is up
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def run_wrk(url: str, bodies: Path, duration: int, connections: int) -> dict:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "-s",
         str(ROOT / "benchmarks" / "post_bodies.lua"), url],
        env={**os.environ, "BODIES": str(bodies)}, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if "out of pre-signed bodies" in output:
        raise SystemExit("wrk ran out of pre-signed bodies: raise --bodies")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def prepare_deliveries(bench_url: str, scenario: str, first: int, count: int) -> None:
    """In the shop scenario, an invoice of the default Site and an order row for every InvId."""
    if scenario != "shop":
        return
    with psycopg.connect(bench_url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO wagtail_robokassa_invoice (id, merchant_login, is_test, amount, "
            "description, email, receipt, shp, reference, status, site_id, block_id, created_at, "
            "updated_at, last_check, last_check_detail, checks, refund_reserved, refunded, hold) "
            "SELECT n, 'bench', false, 100.00, '', '', NULL, '{}', '', 'pending', "
            "(SELECT id FROM wagtailcore_site WHERE is_default_site), '', now(), now(), '', '', 0, "
            "0, 0, false "
            "FROM generate_series(%s::int, %s::int) AS n",
            [first, first + count - 1],
        )
        connection.execute(
            "INSERT INTO bench_shop_order (id, paid) "
            "SELECT n, false FROM generate_series(%s::int, %s::int) AS n",
            [first, first + count - 1],
        )


def count_rows(bench_url: str) -> dict:
    tables = {
        "A": "wagtail_robokassa_successnotification",
        "B": "bench_baseline_payment",
        "C": "robokassa_successnotification",
    }
    with psycopg.connect(bench_url) as connection:
        counts = {key: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                  for key, table in tables.items()}  # fmt: skip
        counts["R2"] = connection.execute(
            "SELECT count(*) FROM wagtail_robokassa_statenotification"
        ).fetchone()[0]
        counts["paid"] = connection.execute(
            "SELECT count(*) FROM wagtail_robokassa_invoice WHERE status = 'paid'"
        ).fetchone()[0]
        counts["orders paid"] = connection.execute(
            "SELECT count(*) FROM bench_shop_order WHERE paid"
        ).fetchone()[0]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=["all", *SCENARIOS], default="all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds per run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--bodies", type=int, default=40_000, help="pre-signed bodies per run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    admin_url, bench_url = database_urls(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    )
    scenarios = SCENARIOS if args.scenario == "all" else (args.scenario,)
    with tempfile.TemporaryDirectory(prefix="robokassa-bench-") as tmp:
        folder = Path(tmp)
        legacy = legacy_app(folder)
        reports = []
        for scenario in scenarios:
            print(f"\n== scenario {scenario}", flush=True)
            reports.append(run_scenario(scenario, args, folder, legacy, admin_url, bench_url))
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    print("\nscenario   A/C (target)    A/B (target)    round trips A / B / C   errors")
    for line in reports:
        print(line)


def run_scenario(
    scenario: str, args: argparse.Namespace, folder: Path, legacy: Path, admin_url: str,
    bench_url: str,
) -> str:  # fmt: skip
    recreate_database(admin_url)
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "benchmarks.result_url_site.settings",
        "BENCH_LEGACY_APP": "1",
        "BENCH_SCENARIO": scenario,
        "PYTHONPATH": os.pathsep.join([str(legacy), str(ROOT)]),
    }

    def django_command(*command: str) -> str:
        done = subprocess.run([sys.executable, *command], env=env, cwd=ROOT,
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
        return done.stdout

    django_command("-m", "django", "migrate", "--noinput", "-v0")
    with psycopg.connect(bench_url, autocommit=True) as connection:
        for statement in CREATE_TABLES:
            connection.execute(statement)
    django_command("-m", "benchmarks.result_url_site.scenario", "configure")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "benchmarks.result_url_site.wsgi:application",
         "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    views = views_of(scenario)
    results: dict[str, list[dict]] = {view: [] for view in views}
    next_inv_id = 1
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base + VIEWS["B"], server)
        for round_number in range(args.rounds + 1):  # round 0 warms up and is discarded
            for view, path in views.items():
                bodies = folder / f"bodies-{scenario}-{view}-{round_number}.txt"
                ids = range(next_inv_id, next_inv_id + args.bodies)
                next_inv_id += args.bodies
                bodies.write_text("\n".join(body_for(view, i) for i in ids) + "\n")
                prepare_deliveries(bench_url, scenario, ids.start, args.bodies)
                duration = 2 if round_number == 0 else args.duration
                result = run_wrk(base + path, bodies, duration, args.connections)
                if round_number:
                    results[view].append(result)
                    print(
                        f"round {round_number} {view} {result['rps']:8.1f} req/s, "
                        f"non-2xx {result['non_2xx']}, errors {result['socket_errors']}",
                        flush=True,
                    )
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = count_rows(bench_url)
    trips = json.loads(django_command(
        "-m", "benchmarks.result_url_site.scenario", "round-trips", str(next_inv_id),
        json.dumps(views),
    ))  # fmt: skip
    return report(scenario, results, rows, trips)


def report(scenario: str, results: dict[str, list[dict]], rows: dict, trips: dict) -> str:
    def ratio(a: str, b: str) -> float:
        return statistics.median(
            x["rps"] / y["rps"] for x, y in zip(results[a], results[b], strict=True)
        )

    medians = {view: statistics.median(r["rps"] for r in runs) for view, runs in results.items()}
    print("median requests/s: " + ", ".join(f"{v} {rps:.1f}" for v, rps in medians.items()))
    print(f"rows written: ours {rows['A']} (invoices paid {rows['paid']}), baseline {rows['B']}, "
          f"django-robokassa3 {rows['C']}; shop orders paid {rows['orders paid']}")  # fmt: skip
    failures = sum(r["non_2xx"] + r["socket_errors"] for runs in results.values() for r in runs)
    to_peer, to_bare = TARGETS[scenario]
    if "R2" in results:
        print(f"ResultUrl2 (R2): R2/A {ratio('R2', 'A'):.3f}, round trips {trips['R2']:.1f}; "
              f"notifications recorded {rows['R2']}")  # fmt: skip
    return (
        f"{scenario:9}  {ratio('A', 'C'):.3f} (>= {to_peer})  {ratio('A', 'B'):.3f} (>= {to_bare})"
        f"  {trips['A']:.1f} / {trips['B']:.1f} / {trips['C']:.1f}"
        f"{'':14}{failures}"
    )


if __name__ == "__main__":
    main()
