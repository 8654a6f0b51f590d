"""The reference deployment, run: three app server processes (gunicorn), PostgreSQL, Django's
Redis cache, and two workers of the database task backend.

Requests are spread over the processes; what must be global (the exactly-once record, the rate
limit, the storage caps, a settings save, the tasks' claims) is checked across them.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from tests.helpers import LOGIN, forget_settings, free_port, make_invoice, result_params
from tests.task_backends import REDIS, need_redis

ROOT = Path(__file__).resolve().parents[2]
APP_SERVERS = 3
PASSWORD2 = "several-servers-2"
PASSWORD3 = "several-servers-3"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

pytestmark = pytest.mark.postgres


class Deployment:
    """App servers and workers as processes of their own, on the test database."""

    def __init__(self, database: str, log_dir: Path) -> None:
        self.ports = [free_port() for _ in range(APP_SERVERS)]
        self.log_dir = log_dir
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.deployment.settings",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'sandbox'}",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
            "REDIS_URL": REDIS,
            "CACHE_KEY_PREFIX": f"several-{uuid.uuid4().hex[:8]}",
            "EMULATOR_URL": f"http://127.0.0.1:{self.ports[0]}/emulator",
        }
        self.servers: list[subprocess.Popen] = []

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def manage(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 - Django's own commands
            [sys.executable, "-m", "django", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    def start(self) -> None:
        for index, port in enumerate(self.ports):
            log = (self.log_dir / f"app-{index}.log").open("w")
            self.servers.append(
                subprocess.Popen(  # noqa: S603 - gunicorn, in this virtualenv
                    [
                        *(sys.executable, "-m", "gunicorn", "tests.deployment.wsgi:application"),
                        *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"),
                        *("--worker-class", "gthread", "--timeout", "120"),
                    ],
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        for server, port in zip(self.servers, self.ports, strict=True):
            self._wait_for(server, port)

    def _wait_for(self, server: subprocess.Popen, port: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, self.logs()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        pytest.fail("an app server did not start:\n" + self.logs())

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.log_dir.glob("*.log")))

    def stop(self) -> None:
        for server in self.servers:
            server.terminate()
        for server in self.servers:
            server.wait(timeout=30)

    def workers(self, count: int) -> list[str]:
        """``count`` workers of the database backend at once, each until the queue is empty."""
        command = [sys.executable, "-m", "django", "db_worker", "--batch", "--no-startup-delay"]
        running = [
            subprocess.Popen(  # noqa: S603 - django-tasks-db's worker
                [*command, "--no-reload", "--worker-id", f"worker-{index}"],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for index in range(count)
        ]
        outputs = [worker.communicate(timeout=300)[0] for worker in running]
        assert [worker.returncode for worker in running] == [0] * count, outputs
        return outputs


@pytest.fixture(scope="module")
def deployment(django_db_setup, django_db_blocker, tmp_path_factory):
    need_redis()
    with django_db_blocker.unblock():
        database = connection.settings_dict["NAME"]
    running = Deployment(database, tmp_path_factory.mktemp("deployment"))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def shop(deployment, settings, transactional_db, default_site):
    """The shop configured in the panel, in test mode, its Site served by the first server."""
    import redis

    from wagtail_robokassa.models import RobokassaSettings

    counters = redis.Redis.from_url(REDIS)  # what earlier tests counted
    for key in counters.scan_iter(deployment.env["CACHE_KEY_PREFIX"] + ":*"):
        counters.delete(key)
    names = ("LOGIN", "PASSWORD1", "PASSWORD2", "TEST_PASSWORD1", "TEST_PASSWORD2")
    forget_settings(settings, *(f"ROBOKASSA_{name}" for name in names))
    settings.ROBOKASSA_REFUND_URL = deployment.env["EMULATOR_URL"] + "/RefundService"
    default_site.hostname, default_site.port = "127.0.0.1", deployment.ports[0]
    default_site.save()
    row = RobokassaSettings.objects.create(
        site=default_site,
        login=LOGIN,
        password1="several-live-1",
        password2="several-live-2",
        test_password1="several-servers-1",
        test_password2=PASSWORD2,
        password3=PASSWORD3,
        test_mode=True,
    )
    return {"site": default_site, "settings": row}


def post(url: str, data: dict[str, str]) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - local servers
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def at_once(calls: list) -> list:
    """Run the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def spread(deployment: Deployment, count: int, path: str, data_for) -> list[tuple[int, str]]:
    """``count`` POSTs of ``path`` at once, server by server in turn."""
    urls = deployment.urls
    return at_once(
        [
            (lambda i=i: post(urls[i % len(urls)] + path, data_for(i)))  # type: ignore[misc]
            for i in range(count)
        ]
    )


def test_the_reference_deployment_passes_the_system_checks(deployment):
    """No warning about a per-process cache or a backend without workers (``--deploy``'s own
    advice about HTTPS is the site's business, not this deployment's)."""
    out = deployment.manage("check", "--tag", "wagtail_robokassa")
    assert "System check identified no issues" in out


def test_concurrent_deliveries_over_the_processes_record_one_payment(deployment, shop):
    from wagtail_robokassa.models import Invoice, SuccessNotification

    invoice = make_invoice("100.00", is_test=True, site=shop["site"])
    params = result_params(invoice.pk, password=PASSWORD2, is_test=True)
    answers = spread(deployment, 24, "/robokassa/result/", lambda _: params)
    assert answers == [(200, f"OK{invoice.pk}")] * 24
    notification = SuccessNotification.objects.get()
    assert (notification.inv_id, notification.deliveries) == (invoice.pk, 24)
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def pay_token(deployment: Deployment, home_url: str) -> str:
    with urllib.request.urlopen(deployment.urls[1] + home_url, timeout=30) as response:  # noqa: S310
        html = response.read().decode()
    return re.search(r'name="token" value="([^"]+)"', html)[1]


def test_the_rate_limit_on_pay_clicks_is_one_for_every_process(deployment, shop):
    from demo.home.models import HomePage

    from wagtail_robokassa.models import Invoice

    root = shop["site"].root_page
    page = HomePage(
        title="Tickets",
        slug="tickets",
        body=[("payment", {"description": "A ticket", "amount": Decimal("500.00")})],
    )
    root.add_child(instance=page)
    page.save_revision().publish()
    token = pay_token(deployment, page.url)
    limit = 10  # ROBOKASSA_PAY_RATE_LIMIT's default: 10 invoices per client per minute

    answers = spread(deployment, 3 * limit, "/robokassa/pay/", lambda _: {"token": token})
    statuses = Counter(status for status, _ in answers)
    assert statuses == {200: limit, 429: 2 * limit}
    assert Invoice.objects.count() == limit


def test_the_storage_caps_are_one_for_every_process(deployment, shop):
    from wagtail_robokassa.models import RejectedRequest, RejectionOverflow

    forged = result_params(1, password="not-the-password", is_test=True)
    answers = spread(deployment, 30, "/robokassa/result/", lambda _: forged)
    assert {status for status, _ in answers} == {400}
    per_address = 10  # ROBOKASSA_REJECTED_REQUESTS_PER_ADDRESS_PER_MINUTE's default
    assert RejectedRequest.objects.count() == per_address
    assert sum(RejectionOverflow.objects.values_list("count", flat=True)) == 30 - per_address


def test_a_settings_save_applies_in_every_process(deployment, shop):
    """Every process has read the shop's settings (and keeps them); a save in the panel
    changes Password #2: at once, every process refuses the old one and takes the new."""
    invoices = [
        make_invoice("10.00", is_test=True, site=shop["site"]) for _ in range(2 * APP_SERVERS)
    ]
    for index, url in enumerate(deployment.urls):
        params = result_params(invoices[index].pk, "10.000000", password=PASSWORD2, is_test=True)
        assert post(url + "/robokassa/result/", params)[0] == 200

    row = shop["settings"]
    row.test_password2 = "rotated-password-2"
    row.save()

    for index, url in enumerate(deployment.urls):
        invoice = invoices[APP_SERVERS + index]
        old = result_params(invoice.pk, "10.000000", password=PASSWORD2, is_test=True)
        new = result_params(invoice.pk, "10.000000", password="rotated-password-2", is_test=True)
        assert post(url + "/robokassa/result/", old)[0] == 400
        assert post(url + "/robokassa/result/", new) == (200, f"OK{invoice.pk}")


def test_two_workers_share_the_tasks_without_doing_anything_twice(deployment, shop):
    """Reconciliation and refunds, enqueued several times over, on two workers at once: each
    lost payment credited once, each refund sent to ROBOKASSA once."""
    from django_tasks_db.models import DBTaskResult

    from wagtail_robokassa.contrib.emulator.models import EmulatedOperation, EmulatedRefund
    from wagtail_robokassa.models import (
        Invoice,
        InvoiceStatus,
        Refund,
        RefundState,
        SuccessNotification,
    )
    from wagtail_robokassa.services.refunds import request_refund
    from wagtail_robokassa.tasks import follow_refunds, reconcile_payments

    def at_robokassa(invoice):
        EmulatedOperation.objects.create(
            merchant_login=LOGIN,
            inv_id=invoice.pk,
            out_sum=invoice.amount,
            state=100,
            op_key=f"op-{invoice.pk}",
        )

    lost = [make_invoice("990.00", is_test=True, site=shop["site"]) for _ in range(12)]
    Invoice.objects.filter(pk__in=[i.pk for i in lost]).update(
        created_at=timezone.now() - timedelta(minutes=20)
    )
    for invoice in lost:
        at_robokassa(invoice)
    sold = [
        make_invoice("300.00", is_test=True, status=InvoiceStatus.PAID, site=shop["site"])
        for _ in range(6)
    ]
    for invoice in sold:
        at_robokassa(invoice)
        request_refund(invoice, Decimal("100.00"))
    Refund.objects.update(created_at=timezone.now() - timedelta(hours=1))  # left unsent

    with override_settings(TASKS=DATABASE_TASKS):
        for _ in range(4):
            reconcile_payments.enqueue()
            follow_refunds.enqueue()
    deployment.workers(2)

    tasks = list(DBTaskResult.objects.all())
    assert [task.status for task in tasks] == ["SUCCESSFUL"] * 8, [
        task.exception_class_path for task in tasks
    ]
    done = Counter()
    for task in tasks:
        for name, count in task.return_value.items():
            done[task.task_path.rsplit(".", 1)[1], name] += count
    assert done["reconcile_payments", "credited"] == len(lost)
    assert done["follow_refunds", "sent"] == len(sold)
    credited = Invoice.objects.filter(pk__in=[invoice.pk for invoice in lost])
    assert set(credited.values_list("status", flat=True)) == {"paid"}
    assert Counter(SuccessNotification.objects.values_list("inv_id", flat=True)) == {
        invoice.pk: 1 for invoice in lost
    }
    assert EmulatedRefund.objects.count() == len(sold)
    assert set(Refund.objects.values_list("state", flat=True)) <= {
        RefundState.PROCESSING,
        RefundState.FINISHED,
    }
