"""Sweeps of pending payments: which are due, back-off, claims shared by workers, the
``robokassa_reconcile`` command and the ``reconcile_payments`` task run by django-tasks-db's real
worker."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.helpers import LOGIN, make_invoice
from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
from wagtail_robokassa.models import CheckOutcome, Invoice, InvoiceStatus, SuccessNotification
from wagtail_robokassa.protocol import OperationState
from wagtail_robokassa.services.sweeps import (
    claim,
    due_invoices,
    parse_duration,
    reconcile_window,
    sweep_due,
)


def aged(invoice, age):
    Invoice.objects.filter(pk=invoice.pk).update(created_at=timezone.now() - age)
    invoice.refresh_from_db()
    return invoice


def pending(age, amount="990.00"):
    return aged(make_invoice(amount, is_test=True), age)


def paid_at_robokassa(invoice, state=OperationState.PAID):
    EmulatedOperation.objects.create(
        merchant_login=LOGIN,
        inv_id=invoice.pk,
        out_sum=invoice.amount,
        state=state.value,
        op_key="k",
    )


@pytest.mark.django_db
def test_due_are_the_pending_invoices_in_the_window_past_their_back_off():
    young = pending(timedelta(minutes=2))
    due = pending(timedelta(minutes=30))
    old = pending(timedelta(days=4))
    paid = pending(timedelta(hours=1))
    Invoice.objects.filter(pk=paid.pk).update(status=InvoiceStatus.PAID)
    waiting = pending(timedelta(hours=2))
    Invoice.objects.filter(pk=waiting.pk).update(next_check_at=timezone.now() + timedelta(1))
    passed = pending(timedelta(hours=3))
    Invoice.objects.filter(pk=passed.pk).update(next_check_at=timezone.now() - timedelta(1))

    assert list(due_invoices()) == [passed, due]  # oldest first
    assert set(due_invoices(after=timedelta(0))) == {young, due, passed}
    assert set(due_invoices(within=timedelta(days=5))) == {old, due, passed}


@pytest.mark.django_db
def test_a_claim_is_taken_by_one_worker_only():
    invoice = pending(timedelta(hours=1))
    other_worker_copy = Invoice.objects.get(pk=invoice.pk)
    now = timezone.now()
    assert claim(invoice, now) is True
    assert claim(other_worker_copy, now) is False
    assert invoice not in due_invoices()  # claimed: its next check is ahead


def test_a_sweep_credits_reports_and_backs_off(emulator, results_log):
    paid = pending(timedelta(minutes=20))
    paid_at_robokassa(paid)
    unpaid = pending(timedelta(minutes=40))
    paid_at_robokassa(unpaid, OperationState.INITIATED)
    unknown = pending(timedelta(hours=1))

    sweep = sweep_due()

    assert sweep.summary() == {
        "initiated": 1,
        "not_found": 1,
        "paid": 1,
        "checked": 3,
        "credited": 1,
        "unreachable": 0,
        "refused": 0,
        "skipped": 0,
    }
    assert Invoice.objects.get(pk=paid.pk).status == InvoiceStatus.PAID
    assert [call["InvId"] for call in results_log.calls] == [paid.pk]
    for invoice in (unpaid, unknown):
        invoice.refresh_from_db()
        assert invoice.checks == 1
        wait = invoice.next_check_at - invoice.last_checked_at
        assert wait == timedelta(minutes=5)
    assert sweep_due().results == []  # nothing is due again before its back-off


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (600, timedelta(minutes=10)),
        ("10m", timedelta(minutes=10)),
        ("15", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("45s", timedelta(seconds=45)),
        (timedelta(hours=1), timedelta(hours=1)),
    ],
)
def test_durations(value, expected):
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["ten minutes", "-5m", -1, True, None, "5w", [10]])
def test_what_is_not_a_duration(value):
    with pytest.raises(ValueError, match=r"is not a duration|is negative"):
        parse_duration(value)


@pytest.mark.django_db  # some system checks read the database on newer Django
def test_the_window_must_be_a_window(settings):
    from django.core import checks

    settings.ROBOKASSA_RECONCILE_AFTER = "3d"
    settings.ROBOKASSA_RECONCILE_WITHIN = "1d"
    with pytest.raises(ValueError, match="longer than"):
        reconcile_window()
    found = [message.id for message in checks.run_checks(tags=["wagtail_robokassa"])]
    assert "robokassa.E013" in found
    settings.ROBOKASSA_RECONCILE_WITHIN = "many days"
    assert "robokassa.E013" in [
        message.id for message in checks.run_checks(tags=["wagtail_robokassa"])
    ]
    settings.ROBOKASSA_RECONCILE_AFTER, settings.ROBOKASSA_RECONCILE_WITHIN = "1h", "2d"
    assert reconcile_window() == (timedelta(hours=1), timedelta(days=2))
    assert "robokassa.E013" not in [m.id for m in checks.run_checks(tags=["wagtail_robokassa"])]


# The command.


def run(*args):
    out = io.StringIO()
    call_command("robokassa_reconcile", *args, stdout=out)
    return out.getvalue()


def test_the_command_sweeps_and_summarises(emulator):
    paid = pending(timedelta(minutes=20))
    paid_at_robokassa(paid)
    pending(timedelta(minutes=40))

    output = run()

    assert "Paid" in output
    assert "Not found at ROBOKASSA" in output
    assert "credited now" in output
    assert Invoice.objects.get(pk=paid.pk).status == InvoiceStatus.PAID
    assert "\r" not in output  # no progress bar when the output is not a terminal


def test_the_command_dry_run_asks_nobody(emulator):
    invoice = pending(timedelta(minutes=20))
    paid_at_robokassa(invoice)
    output = run("--dry-run")
    assert f"{invoice.pk}\t990.00\ttest" in output
    assert "1 payments would be checked." in output
    invoice.refresh_from_db()
    assert (invoice.status, invoice.checks, invoice.last_check) == ("pending", 0, "")


def test_the_command_checks_named_payments_whatever_their_age(emulator):
    young = make_invoice("990.00", is_test=True)
    paid_at_robokassa(young)
    run("--inv-id", str(young.pk))
    young.refresh_from_db()
    assert young.status == InvoiceStatus.PAID
    assert young.next_check_at is None  # a check by hand does not move the schedule


def test_the_command_window_options(emulator, default_site):
    invoice = pending(timedelta(hours=5))
    assert "0 payments" in run("--dry-run", "--older-than", "6h")
    assert "1 payments" in run("--dry-run", "--older-than", "1h")
    assert "0 payments" in run("--dry-run", "--younger-than", "2h", "--older-than", "1m")
    assert "0 payments" in run("--dry-run", "--site", default_site.hostname)
    Invoice.objects.filter(pk=invoice.pk).update(site=default_site)
    assert str(invoice.pk) in run("--dry-run", "--site", default_site.hostname)
    assert str(invoice.pk) in run("--dry-run", "--site", str(default_site.pk))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--inv-id", "424242"], "No such payment: 424242"),
        (["--site", "nowhere.example"], "names no Site"),
        (["--older-than", "soon"], "is not a duration"),
    ],
)
def test_the_command_refuses_what_it_cannot_do(args, said):
    with pytest.raises(CommandError, match=said):
        run(*args)


@pytest.mark.django_db
def test_the_command_exits_non_zero_when_robokassa_cannot_be_reached(settings):
    from tests.status_servers import closed_port

    settings.ROBOKASSA_STATUS_URL = f"http://127.0.0.1:{closed_port()}/OpStateExt"
    invoice = pending(timedelta(minutes=20))
    with pytest.raises(CommandError, match="could not be reached for 1 of 1") as caught:
        run()
    assert caught.value.returncode == 3
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert invoice.last_check == CheckOutcome.FAILED


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["cut-off", "corrupt-gzip", "drip", "redirect", "nested"])
def test_a_hostile_status_interface_never_stops_the_sweep(settings, hostile, fault):
    """Each payment gets its last check and the command its distinct exit status; nothing
    escapes as a traceback, and the sweep ends within the deadline of each call."""
    from tests import hostile as faults

    behaviour = {
        "cut-off": faults.cut_off(),
        "corrupt-gzip": faults.corrupt_gzip(),
        "drip": faults.drip(),
        "redirect": faults.redirect(302, "http://127.0.0.1:9/"),
        "nested": faults.nested_json(),
    }[fault]
    settings.ROBOKASSA_BACKGROUND_DEADLINE = 0.5
    settings.ROBOKASSA_STATUS_URL = hostile(behaviour).url + "/OpStateExt"
    invoices = [pending(timedelta(minutes=20 + n)) for n in range(3)]
    with pytest.raises(CommandError, match="could not be reached for 3 of 3") as caught:
        run()
    assert caught.value.returncode == 3
    for invoice in invoices:
        invoice.refresh_from_db()
        assert (invoice.status, invoice.last_check, invoice.checks) == ("pending", "failed", 1)
        assert invoice.next_check_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("code", [1, 2], ids=["bad-signature", "unknown-shop"])
def test_a_refused_login_is_its_own_exit_status(misbehaving, code):
    body = f"<OperationStateResponse><Result><Code>{code}</Code></Result></OperationStateResponse>"
    misbehaving((200, body.encode()))
    invoice = pending(timedelta(minutes=20))
    with pytest.raises(CommandError, match="refused the login or Password #2 for 1 of 1") as caught:
        run()
    assert caught.value.returncode == 4
    invoice.refresh_from_db()
    assert invoice.last_check == CheckOutcome.REFUSED


def test_a_missing_password_is_a_refusal_cron_notices(emulator, settings):
    settings.ROBOKASSA_TEST_PASSWORD2 = ""
    pending(timedelta(minutes=20))
    with pytest.raises(CommandError) as caught:
        run()
    assert caught.value.returncode == 4


def test_the_summary_names_what_was_credited_and_what_was_not(emulator, settings):
    credited = pending(timedelta(minutes=20))
    paid_at_robokassa(credited)
    other_amount = pending(timedelta(minutes=21), amount="10.00")
    EmulatedOperation.objects.create(
        merchant_login=LOGIN, inv_id=other_amount.pk, out_sum="99.00", state=100, op_key="k2"
    )
    output = run()
    assert f"Credited now: {credited.pk}" in output
    assert (
        f"Paid at ROBOKASSA, not credited: {other_amount.pk} (Paid, but another amount)" in output
    )
    assert Invoice.objects.get(pk=other_amount.pk).last_check == CheckOutcome.MISMATCH


def test_a_test_payment_in_a_live_shop_is_its_own_outcome(emulator, settings):
    invoice = pending(timedelta(minutes=20))
    paid_at_robokassa(invoice)
    settings.ROBOKASSA_TEST_MODE = False
    output = run("--inv-id", str(invoice.pk))
    assert f"{invoice.pk} (Test payment in a live shop)" in output
    invoice.refresh_from_db()
    assert (invoice.status, invoice.last_check) == ("pending", CheckOutcome.TEST_IN_LIVE)


# The tasks, on each real backend's worker.


def test_the_task_runs_on_a_real_backends_worker(emulator, results_log, task_backend):
    paid = pending(timedelta(minutes=20))
    paid_at_robokassa(paid)
    with task_backend.configured():
        output = run("--enqueue")
        assert "Enqueued reconcile_payments" in output
        assert "Enqueued follow_refunds" in output
        assert "Enqueued follow_final_receipts" in output
        assert "Enqueued close_expired_links" in output
        assert Invoice.objects.get(pk=paid.pk).status == InvoiceStatus.PENDING  # not yet
        task_backend.work()
        tasks = task_backend.results()
    assert sorted(tasks) == [
        "close_expired_links",
        "follow_final_receipts",
        "follow_refunds",
        "reconcile_payments",
    ]
    assert tasks["close_expired_links"].return_value == 0
    for task in tasks.values():
        assert task.status == "SUCCESSFUL", task.errors
    assert tasks["reconcile_payments"].return_value["credited"] == 1
    assert tasks["follow_final_receipts"].return_value == {
        "sent": 0,
        "interrupted": 0,
        "registered": 0,
    }
    assert Invoice.objects.get(pk=paid.pk).status == InvoiceStatus.PAID
    assert SuccessNotification.objects.get().inv_id == paid.pk
    assert len(results_log.calls) == 1


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_command_draws_a_progress_bar_on_a_terminal(emulator):
    for minutes in (20, 30, 40):
        pending(timedelta(minutes=minutes))
    out = Terminal()
    call_command("robokassa_reconcile", stdout=out)
    output = out.getvalue()
    assert "\r[##########....................] 1/3" in output
    assert "\r[##############################] 3/3\n" in output
    assert re.search(r"^Not found at ROBOKASSA +3$", output, re.MULTILINE)
    assert re.search(r"^checked +3$", output, re.MULTILINE)


@pytest.mark.django_db(transaction=True)
def test_the_tasks_finish_against_a_hostile_robokassa(settings, hostile, task_backend):
    """The worker's tasks end, each within its calls' deadlines, and record what is known:
    nothing from the network escapes as a failed task."""
    from decimal import Decimal

    from tests import hostile as faults
    from wagtail_robokassa.models import PaymentLink, PaymentLinkState, Refund, RefundState

    server = hostile(faults.drip())
    settings.ROBOKASSA_BACKGROUND_DEADLINE = 0.5
    settings.ROBOKASSA_STATUS_URL = server.url + "/OpStateExt"
    settings.ROBOKASSA_REFUND_URL = server.url + "/RefundService"
    settings.ROBOKASSA_FISCAL_URL = server.url + "/RoboFiscal"
    settings.ROBOKASSA_INVOICE_API_URL = server.url + "/InvoiceServiceWebApi/api"
    invoice = pending(timedelta(minutes=20))
    link = PaymentLink.objects.create(
        merchant_login="demo",
        is_test=True,
        amount=Decimal("5.00"),
        description="Deposit",
        state=PaymentLinkState.ACTIVE,
        encoded_id="abc",
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    paid = make_invoice(
        "10.00", is_test=True, status=InvoiceStatus.PAID, refund_reserved=Decimal(1)
    )
    refund = Refund.objects.create(
        invoice=paid,
        amount=Decimal("1.00"),
        state=RefundState.PROCESSING,
        request_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
        next_poll_at=timezone.now(),
    )
    with task_backend.configured():
        run("--enqueue")
        task_backend.work()
        tasks = task_backend.results()
    assert len(tasks) == 4
    for task in tasks.values():
        assert task.status == "SUCCESSFUL", task.errors
    assert tasks["reconcile_payments"].return_value["unreachable"] == 1
    assert tasks["close_expired_links"].return_value == 0
    link.refresh_from_db()
    assert link.state == PaymentLinkState.ACTIVE  # may still be open at ROBOKASSA: said so
    assert "nothing is known" in link.message
    invoice.refresh_from_db()
    assert invoice.last_check == CheckOutcome.FAILED
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING  # nothing known: asked again later
    assert refund.polls == 1
