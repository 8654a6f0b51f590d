"""The Result URL: the one path that records a payment."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpRequest
from django.utils import timezone

from ..conf import MerchantConfig, setting
from ..models import (
    Endpoint,
    Invoice,
    NotificationSource,
    RejectionReason,
    SuccessNotification,
)
from ..protocol import Callback
from ..signals import (
    payment_link_paid,
    result_received,
    send,
    subscription_renewed,
    subscription_started,
)
from . import payment_links, recording, subscriptions
from .config import CallbackConfigs, Resolution
from .rejections import record_rejection
from .storable import storable, storable_params
from .verification import Refusal, parse_or_refuse, require_result_signature
from .write_paths import WritePath, write_path

logger = logging.getLogger("wagtail_robokassa.results")


def _no_notification() -> SuccessNotification | None:
    return None


@dataclass(frozen=True)
class ResultOutcome:
    """What to answer ROBOKASSA, and what happened."""

    status: int
    body: str
    invoice: Invoice | None = None
    duplicate: bool = False
    reason: str = ""
    # The notification is built when first asked for: the Result URL view never asks, and a
    # model instance per delivery is measurable there.
    build_notification: Callable[[], SuccessNotification | None] = field(
        default=_no_notification, repr=False, compare=False
    )

    @property
    def ok(self) -> bool:
        return self.status == 200

    @cached_property
    def notification(self) -> SuccessNotification | None:
        """The new notification (None for a refusal or a repeated delivery)."""
        return self.build_notification()


#: Finds the configuration for a callback from its InvId (None when the request has none).
ConfigResolver = Callable[[int | None], MerchantConfig]


def fixed_config(config: MerchantConfig) -> ConfigResolver:
    """A resolver that gives ``config`` for every callback (one shop, one configuration)."""
    return lambda inv_id: config


def _resolver(config_for: object) -> ConfigResolver:
    if isinstance(config_for, MerchantConfig):  # deprecated: not in the signature any more
        warnings.warn(
            "process_result() takes a resolver: pass fixed_config(config)",
            DeprecationWarning,
            stacklevel=3,
        )
        return fixed_config(config_for)
    if not callable(config_for):
        raise TypeError("process_result() needs a resolver: inv_id -> MerchantConfig")
    return config_for


class UncommittedDelivery(Exception):
    """The delivery's transaction cannot commit: a receiver left it marked for rollback (it caught
    a database error itself), aborted it, or closed the connection. ``atomic()`` would roll back
    without a word, so this is raised instead and the answer is a 5xx."""


def process_result(
    params: Any,
    config_for: ConfigResolver,
    *,
    client_ip: str | None = None,
    request: HttpRequest | None = None,
    method: str = "",
) -> ResultOutcome:
    """Verify a Result URL request and record it exactly once.

    Answers ``OK{InvId}`` only when the notification is committed (new, or a repeat of the same
    payment); 4xx for a refused request; 500 when the site failed (misconfiguration, a signal
    receiver raising or breaking the transaction, the database), so that ROBOKASSA retries.
    Refusals are recorded outside the transaction that was rolled back.

    ``config_for`` gives the configuration for the callback's InvId: ``services.config``'s
    ``callback_config_resolver(request)`` for the invoice's Site, or ``fixed_config(config)``.
    The outcome carries the new notification and its invoice whether or not receivers listen;
    a repeated delivery carries neither.
    """
    resolve = _resolver(config_for)
    callback = config = None
    try:
        callback = parse_or_refuse(params)
        path = write_path()
        resolution = _resolution(resolve, callback.inv_id, path, kept=True)
        for _attempt in range(_ATTEMPTS):
            config = resolution.config
            try:
                require_result_signature(callback, config)
            except Refusal:
                if not resolution.kept:
                    raise
            else:
                values = notification_values(callback, config, client_ip)
                outcome = _record(callback, resolution, path, values=values, request=request)
                if outcome is not None:
                    return outcome
            # The process's copy did not verify, or the settings changed before the write:
            # read them again and verify with what is stored now.
            resolution = _resolution(resolve, callback.inv_id, path, kept=False)
        raise UncommittedDelivery("the shop's settings kept changing while this was verified")
    except Refusal as refusal:
        failure = refusal
    except Exception as error:
        logger.exception("ROBOKASSA Result URL processing failed")
        # Our own messages are safe to store; another exception's text might hold anything.
        detail = str(error) if isinstance(error, UncommittedDelivery) else type(error).__name__
        failure = Refusal(RejectionReason.HANDLER_ERROR, detail, status=500, callback=callback)
    if config is None:
        try:
            config = resolve(None)
        except Exception:
            logger.exception("ROBOKASSA configuration could not be read")
            config = MerchantConfig()
    return _refusal_outcome(failure, params, config, client_ip, method)


#: Verifications per delivery: the process's copy, then the stored settings, then again if they
#: changed before the write.
_ATTEMPTS = 4


def _resolution(
    resolve: ConfigResolver, inv_id: int | None, path: WritePath, *, kept: bool
) -> Resolution:
    """The configuration to verify with; the process's guarded copy when the write can check
    its guard (``CallbackConfigs`` only: another resolver's answer is taken as it is)."""
    if isinstance(resolve, CallbackConfigs):
        return resolve.resolve(inv_id, kept=kept, guarded=path.checks_guards)
    return Resolution(resolve(inv_id))


def _refusal_outcome(
    refusal: Refusal, params: Any, config: MerchantConfig, client_ip: str | None, method: str
) -> ResultOutcome:
    inv_id = refusal.callback.inv_id if refusal.callback else None
    status = refusal.status
    try:
        record_rejection(
            endpoint=Endpoint.RESULT,
            reason=refusal.reason,
            detail=refusal.detail,
            params=params,
            method=method,
            client_ip=client_ip,
            inv_id=inv_id,
            config=config,
            callback=refusal.callback,
        )
    except Exception:
        logger.exception("ROBOKASSA Result URL refusal could not be recorded")
        status = 500  # neither recorded nor refused for good: let ROBOKASSA ask again
    body = "error: site failure" if status >= 500 else f"bad request: {refusal.reason}"
    return ResultOutcome(status=status, body=body, reason=refusal.reason)


def record_confirmed_payment(
    callback: Callback, config: MerchantConfig, values: dict[str, Any]
) -> ResultOutcome:
    """Record a payment that ROBOKASSA confirmed other than by the Result URL (a status check)
    through the Result URL's exactly-once write: one notification, one ``result_received``,
    whichever of the two arrives first. ``values`` are the notification's fields (as
    ``notification_values`` gives them). Raises ``Refusal`` when the invoice differs, and
    whatever a receiver raises; nothing is committed then."""
    outcome = _record(callback, Resolution(config), write_path(), values=values, request=None)
    if outcome is None:  # pragma: no cover - only a guarded write can be stale
        raise UncommittedDelivery("the configuration changed while this was recorded")
    return outcome


def notification_values(
    callback: Callback, config: MerchantConfig, client_ip: str | None
) -> dict[str, Any]:
    return {
        "source": NotificationSource.RESULT_URL,
        "merchant_login": config.login,
        "is_test": callback.is_test,
        "inv_id": callback.inv_id,
        "out_sum": callback.out_sum,
        "fee": callback.fee,
        "email": storable(callback.email[:254]),
        "payment_method": storable(callback.payment_method[:64]),
        "inc_curr_label": storable(callback.inc_curr_label[:64]),
        "params": storable_params(callback.unsigned_params()),
        "client_ip": client_ip,
    }


def _instance(
    recorded: recording.Recorded, values: dict[str, Any], now: Any
) -> SuccessNotification:
    """The recorded notification as a model instance, without reading it back."""
    notification = SuccessNotification(
        pk=recorded.notification_id, created_at=now, invoice=recorded.invoice, **values
    )
    notification._state.adding = False
    return notification


def _record(
    callback: Callback,
    resolution: Resolution,
    path: WritePath,
    *,
    values: dict[str, Any],
    request: HttpRequest | None,
) -> ResultOutcome | None:
    """Record the verified ``callback`` (a notification of ``values``); None when its
    configuration's guard failed (nothing was written)."""
    config = resolution.config
    answer = f"OK{callback.inv_id}"
    now = timezone.now()
    listeners = result_received.has_listeners()
    code = payment_links.link_code(callback)
    if code:
        _admit_link_payment(callback, code)
    # Receivers share the transaction, so that one that raises rolls the delivery back; so
    # does a link's change of state.
    in_transaction = listeners or bool(code) or path.needs_transaction
    with transaction.atomic() if in_transaction else nullcontext():
        recorded = recording.record_payment(
            values,
            callback,
            now=now,
            require_invoice=setting("ROBOKASSA_REQUIRE_INVOICE"),
            path=path,
            guard=resolution.guard,
        )
        if recorded.stale:
            return None
        if recorded.duplicate:
            if values["source"] != NotificationSource.RESULT_URL:  # already known: not a delivery
                return ResultOutcome(200, answer, duplicate=True)
            key = {"merchant_login": config.login, "is_test": callback.is_test}
            recording.count_repeat_delivery({**key, "inv_id": callback.inv_id}, callback, now)
            logger.info("ROBOKASSA repeated notification for InvId %s", callback.inv_id)
            return ResultOutcome(200, answer, duplicate=True)
        notification = None
        if listeners:
            notification = _instance(recorded, values, now)
            send(
                result_received,
                sender=notification,
                callback=callback,
                invoice=recorded.invoice,
                request=request,
                notification=notification,
            )
            _check_committable()
        invoice = recorded.invoice
        if invoice is not None and (invoice.payment_link_id or invoice.subscription_id):
            # A subscription's payment carries no marker, so its delivery may have had no
            # transaction: then the payment is committed first, and a failure here is healed
            # by the renewal sweep (it never charges a period whose payment is recorded).
            with nullcontext() if in_transaction else transaction.atomic():
                _note_what_it_paid(recorded, values, now, notification, callback, request)
    logger.info("ROBOKASSA payment received for InvId %s: %s", callback.inv_id, callback.out_sum)
    return ResultOutcome(
        200,
        answer,
        invoice=recorded.invoice,
        build_notification=(
            (lambda: notification) if notification else (lambda: _instance(recorded, values, now))
        ),
    )


def _admit_link_payment(callback: Callback, code: str) -> None:
    """A payment through a link: its invoice exists (a reusable link's payments are numbered by
    ROBOKASSA) and is the link's own, or the notification is refused."""
    problem = payment_links.admit_link_payment(callback, code)
    if problem:
        raise Refusal(RejectionReason.LINK_MISMATCH, problem, status=409, callback=callback)


#: Sent after ``result_received`` for a payment through a link or of a subscription.
_FOLLOWING_SIGNALS = (payment_link_paid, subscription_started, subscription_renewed)


def _note_what_it_paid(
    recorded: recording.Recorded,
    values: dict[str, Any],
    now: Any,
    notification: SuccessNotification | None,
    callback: Callback,
    request: HttpRequest | None,
) -> None:
    """Inside the delivery's transaction (or one of its own): the payment link or the
    subscription the new payment was for follows it."""
    invoice = recorded.invoice
    assert invoice is not None
    if notification is None and any(signal.has_listeners() for signal in _FOLLOWING_SIGNALS):
        notification = _instance(recorded, values, now)
    if invoice.payment_link_id is not None:
        payment_links.note_link_payment(invoice, notification, request=request, callback=callback)
    if invoice.subscription_id is not None:
        subscriptions.note_subscription_payment(
            invoice,
            notification,
            notification_id=recorded.notification_id,
            request=request,
            callback=callback,
        )
    _check_committable()


def _check_committable() -> None:
    """Raise ``UncommittedDelivery`` unless the current transaction will really commit."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.get_rollback():
        raise UncommittedDelivery(
            "a result_received receiver left the transaction marked for rollback"
        )
    if db.closed_in_transaction or db.connection is None:
        raise UncommittedDelivery("a result_received receiver closed the database connection")
    if db.vendor == "postgresql" and not _in_open_transaction(db.connection):
        raise UncommittedDelivery(
            "a result_received receiver left the transaction aborted, or the connection broke"
        )


def _in_open_transaction(raw_connection: Any) -> bool:
    """Whether a PostgreSQL transaction is open and healthy (psycopg knows it locally, with no
    round trip: an aborted transaction or a broken connection is not)."""
    info = getattr(raw_connection, "info", None)  # psycopg 3
    if info is not None:
        from psycopg.pq import TransactionStatus

        return info.transaction_status == TransactionStatus.INTRANS
    from psycopg2.extensions import TRANSACTION_STATUS_INTRANS  # psycopg2

    return raw_connection.get_transaction_status() == TRANSACTION_STATUS_INTRANS
