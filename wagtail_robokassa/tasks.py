"""Background tasks, on Django's tasks framework (``django.tasks`` where Django has it, else the
``django-tasks`` package that Wagtail depends on).

``reconcile_payments`` checks the due pending payments at ROBOKASSA (``services.sweeps``);
``follow_refunds`` follows refunds until they settle (``services.refunds``);
``send_final_receipt`` sends a payment's final receipt and ``follow_final_receipts`` follows
them until registered (``services.final_receipts``); ``close_expired_links`` deactivates the
payment links past their expiry (``services.payment_links``); ``renew_subscriptions`` charges the
due subscription periods and follows the charges (``services.renewals``); ``settle_holds``
settles the holds about to expire and checks the uncertain ones (``services.holds``);
``refresh_certificate`` fetches ROBOKASSA's current ResultUrl2 certificate
(``services.certificates``).
Enqueue it periodically, for example from cron with ``manage.py robokassa_reconcile --enqueue``,
and run it with a worker such as django-tasks-db's ``db_worker``.

The tasks use nothing optional of a backend (no deferring, priorities, results or retries), and
what each one is to do next is kept on the rows it works on: a task that a backend loses is done
by the next periodic run.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.util import find_spec
from typing import Any

from django.db import transaction

if find_spec("django.tasks"):  # Django 6.0+
    from django.tasks import task, task_backends
else:  # pragma: no cover - depends on the Django version
    from django_tasks import task, task_backends  # type: ignore[no-redef,assignment]  # noqa: F401


@task()
def reconcile_payments(limit: int | None = None) -> dict[str, int]:
    """Check at ROBOKASSA the pending payments whose notification has not arrived; returns the
    sweep's counts (checked, credited, unreachable, one per outcome)."""
    from .services.sweeps import sweep_due

    return sweep_due(limit=limit).summary()


@task()
def follow_refunds(limit: int = 100) -> dict[str, int]:
    """Send refunds left unsent, and follow the processing ones until they settle (with a
    back-off per refund); returns the counts."""
    from .services.refunds import follow_open_refunds

    return follow_open_refunds(limit=limit)


@task()
def send_final_receipt(inv_id: int) -> str:
    """Send the final receipt of payment ``inv_id`` (at most once; enqueue it from the shop's
    own "handed over" signal); returns its state, or why it was not sent."""
    from .gateway.transport import Transport
    from .models import Invoice
    from .services.final_receipts import (
        FinalReceiptRefusedHere,
        request_final_receipt,
    )
    from .services.final_receipts import (
        send_final_receipt as send,
    )

    invoice = Invoice.objects.filter(pk=inv_id).first()
    if invoice is None:
        return "no such payment"
    try:
        return send(request_final_receipt(invoice), transport=Transport.background()).state
    except FinalReceiptRefusedHere as refusal:
        return str(refusal)


@task()
def follow_final_receipts(limit: int = 100) -> dict[str, int]:
    """Send final receipts left unsent and follow the sent ones until they are registered."""
    from .services.final_receipts import follow_final_receipts as follow

    return follow(limit=limit)


@task()
def close_expired_links(limit: int = 100) -> int:
    """Deactivate at ROBOKASSA the payment links whose expiry has passed; returns how many."""
    from .gateway.transport import Transport
    from .services.payment_links import expire_payment_links

    return expire_payment_links(transport=Transport.background(), limit=limit)


@task()
def renew_subscriptions(limit: int = 100) -> dict[str, int]:
    """Charge the due subscription periods at ROBOKASSA, follow the waiting charges, send the
    reminders; returns the counts."""
    from .gateway.transport import Transport
    from .services.renewals import renew_subscriptions as sweep

    return sweep(transport=Transport.background(), limit=limit)


@task()
def settle_holds() -> dict[str, int]:
    """Warn about, settle and expire the holds, check the uncertain settlements; returns the
    counts."""
    from .gateway.transport import Transport
    from .services.holds import settle_expiring_holds

    return settle_expiring_holds(transport=Transport.background()).summary()


@task()
def refresh_certificate() -> dict[str, Any]:
    """Fetch ROBOKASSA's current ResultUrl2 certificate and store it when it is valid (run it
    daily)."""
    from .services.certificates import RefreshFailed
    from .services.certificates import refresh_certificate as refresh

    try:
        refreshed = refresh()
    except RefreshFailed as error:
        return {"refreshed": False, "error": str(error)}
    return {"refreshed": True, "new": refreshed.new}


def enqueue_on_commit(task: Any, *args: Any, using: str | None = None, **kwargs: Any) -> None:
    """Enqueue ``task`` once the current transaction commits (at once outside one), and not at
    all if it rolls back: a worker never looks for rows that were never written. A backend that
    fails to take it is logged, not raised: the periodic sweeps pick the work up."""
    enqueue: Callable[[], Any] = lambda: task.enqueue(*args, **kwargs)  # noqa: E731
    transaction.on_commit(enqueue, using=using, robust=True)
