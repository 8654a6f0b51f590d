"""Result URL throughput under a real WSGI server, against two baselines measured in the same run.

    python benchmarks/result_url.py [--rounds 3] [--duration 8]

(A) wagtail-robokassa's Result URL; (B) a bare view that parses the same parameters, checks an MD5
and does one raw INSERT (the limit of this stack); (C) the predecessor, django-robokassa3 1.4,
unpacked from PyPI into a temporary folder and patched for Django 5. Optionally (A+inv), our view
for deliveries whose invoices exist (one more statement: the transition to paid).

All three views run behind the same middleware in one gunicorn (2 sync workers) on 127.0.0.1,
against PostgreSQL (``DATABASE_URL``, default the local ``test`` database: the benchmark creates
and drops its own ``robokassa_bench`` database there). ``wrk`` (Debian package ``wrk``) drives
them with distinct pre-signed deliveries, every InvId new, alternating A B C over the rounds.
Targets (docs/design.md §8): A/C ≥ 0.75, A/B ≥ 0.55, no errors.
"""

from __future__ import annotations

import argparse
import hashlib
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
from benchmarks.result_url_site.views import CREATE_TABLE  # noqa: E402

PASSWORD2 = "bench-password-2"
BENCH_DB = "robokassa_bench"
VIEWS = {
    "A": "/robokassa/result/",
    "A+inv": "/robokassa/result/",
    "B": "/baseline/result/",
    "C": "/legacy/result/",
}
LEGACY_PATCHES = {
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


def create_invoices(bench_url: str, first: int, count: int) -> None:
    with psycopg.connect(bench_url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO wagtail_robokassa_invoice (id, merchant_login, is_test, amount, "
            "description, email, shp, reference, status, block_id, created_at, updated_at) "
            "SELECT n, 'bench', false, 100.00, '', '', '{}', '', 'pending', '', now(), now() "
            "FROM generate_series(%s::int, %s::int) AS n",
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
        counts["paid"] = connection.execute(
            "SELECT count(*) FROM wagtail_robokassa_invoice WHERE status = 'paid'"
        ).fetchone()[0]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds per run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--bodies", type=int, default=40_000, help="pre-signed bodies per run")
    parser.add_argument("--no-invoices", action="store_true", help="skip the A+inv runs")
    parser.add_argument(
        "--receiver", action="store_true", help="connect a result_received receiver (as shops do)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    admin_url, bench_url = database_urls(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    )
    views = [v for v in VIEWS if not (args.no_invoices and v == "A+inv")]
    with tempfile.TemporaryDirectory(prefix="robokassa-bench-") as tmp:
        folder = Path(tmp)
        legacy = legacy_app(folder)
        recreate_database(admin_url)
        env = {
            **os.environ,
            "DATABASE_URL": bench_url,
            "DJANGO_SETTINGS_MODULE": "benchmarks.result_url_site.settings",
            "BENCH_LEGACY_APP": "1",
            **({"BENCH_RECEIVER": "1"} if args.receiver else {}),
            "PYTHONPATH": os.pathsep.join([str(legacy), str(ROOT)]),
        }
        subprocess.run([sys.executable, "-m", "django", "migrate", "--noinput", "-v0"],
                       env=env, cwd=ROOT, check=True)  # fmt: skip
        with psycopg.connect(bench_url, autocommit=True) as connection:
            connection.execute(CREATE_TABLE)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "benchmarks.result_url_site.wsgi:application",
             "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            env=env, cwd=ROOT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_serving(base + VIEWS["B"], server)
            results: dict[str, list[dict]] = {view: [] for view in views}
            next_inv_id = 1
            for round_number in range(args.rounds + 1):  # round 0 warms up and is discarded
                for view in views:
                    bodies = folder / f"bodies-{view}-{round_number}.txt"
                    ids = range(next_inv_id, next_inv_id + args.bodies)
                    next_inv_id += args.bodies
                    bodies.write_text("\n".join(delivery(i) for i in ids) + "\n")
                    if view == "A+inv":
                        create_invoices(bench_url, ids.start, args.bodies)
                    duration = 2 if round_number == 0 else args.duration
                    result = run_wrk(base + VIEWS[view], bodies, duration, args.connections)
                    if round_number:
                        results[view].append(result)
                        print(
                            f"round {round_number} {view:6} {result['rps']:8.1f} req/s, "
                            f"non-2xx {result['non_2xx']}, errors {result['socket_errors']}",
                            flush=True,
                        )
        finally:
            server.terminate()
            server.wait(timeout=30)
        report(results, count_rows(bench_url))
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def report(results: dict[str, list[dict]], rows: dict) -> None:
    print("\nmedian requests/s:")
    for view, runs in results.items():
        print(f"  {view:6} {statistics.median(r['rps'] for r in runs):8.1f}")

    def ratio(a: str, b: str) -> float:
        return statistics.median(
            x["rps"] / y["rps"] for x, y in zip(results[a], results[b], strict=True)
        )

    print(f"median ratio A/B = {ratio('A', 'B'):.3f}  (target >= 0.55)")
    print(f"median ratio A/C = {ratio('A', 'C'):.3f}  (target >= 0.75)")
    if "A+inv" in results:
        print(f"median ratio (A+inv)/B = {ratio('A+inv', 'B'):.3f}, "
              f"(A+inv)/C = {ratio('A+inv', 'C'):.3f}")  # fmt: skip
    failures = sum(r["non_2xx"] + r["socket_errors"] for runs in results.values() for r in runs)
    print(f"non-2xx responses and socket errors: {failures}")
    print(f"rows written: ours {rows['A']} (invoices paid {rows['paid']}), "
          f"baseline {rows['B']}, django-robokassa3 {rows['C']}")  # fmt: skip


if __name__ == "__main__":
    main()
