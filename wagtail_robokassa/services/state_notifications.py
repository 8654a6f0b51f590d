"""ResultUrl2: ROBOKASSA's RS256-signed state notifications, the only word that a hold was made.

A notification is trusted only once its token verified against a certificate for the payment's
mode (``certificates``) and passed the acceptance rules (``protocol.jws``). It is then recorded
once per payment, state and operation key (``StateNotification``), beside the Result URL's
notification: ``HOLD`` puts a pending payment on hold, ``OK`` records the payment through the
Result URL's own exactly-once write. A notification older than one already recorded for the
payment changes nothing. The answer is ``OK{InvId}`` (200) only when that is committed; a refusal
is a 4xx and a record, a failure of the site a 5xx (ROBOKASSA retries five times at most).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from ..conf import MerchantConfig, setting
from ..models import (
    Endpoint,
    Invoice,
    InvoiceStatus,
    NotificationSource,
    RejectionReason,
    StateNotification,
    StateOutcome,
)
from ..protocol import MAX_INV_ID, Callback
from ..protocol.jws import (
    Jws,
    JwsError,
    StateNotice,
    is_valid_at,
    parse_jws,
    read_body,
    read_state_notification,
    unverified_inv_id,
    verify_rs256,
)
from ..signals import payment_held
from . import holds
from .certificates import Trusted, trusted_certificates
from .config import get_config
from .reconciliation import confirmed_callback, invoice_config
from .rejections import record_rejection
from .results import _check_committable, notification_values, record_confirmed_payment
from .sweeps import parse_duration
from .verification import Refusal

logger = logging.getLogger("wagtail_robokassa.result2")

#: JwsError codes and the refusal each one is.
_REASONS = {
    "bad_algorithm": RejectionReason.BAD_SIGNATURE,
    "bad_signature": RejectionReason.BAD_SIGNATURE,
    "wrong_shop": RejectionReason.MERCHANT_MISMATCH,
    "stale": RejectionReason.STALE,
    "future_timestamp": RejectionReason.STALE,
}


@dataclass(frozen=True)
class Result2Outcome:
    status: int
    body: str
    reason: str = ""
    invoice: Invoice | None = None
    notification: StateNotification | None = None
    duplicate: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class _Received:
    """What is known of a request while it is checked (for the record of a refusal)."""

    body_format: str = ""
    jws: Jws | None = None
    invoice: Invoice | None = None
    config: MerchantConfig | None = None
    diagnosis: str = ""


def process_result2(
    body: bytes,
    *,
    client_ip: str | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Result2Outcome:
    """Verify a ResultUrl2 request and record it exactly once (see the module's docstring)."""
    now = now or timezone.now()
    received = _Received()
    try:
        notice, trusted = _verified(body, received, now)
        return _record(notice, trusted, received, client_ip=client_ip, request=request, now=now)
    except Refusal as refusal:
        failure = refusal
    except Exception as error:
        logger.exception("ROBOKASSA ResultUrl2 processing failed")
        failure = Refusal(RejectionReason.HANDLER_ERROR, type(error).__name__, status=500)
    return _refused(failure, received, client_ip)


def _verified(body: bytes, received: _Received, now: datetime) -> tuple[StateNotice, Trusted]:
    try:
        token, received.body_format = read_body(body)
        received.jws = jws = parse_jws(token)
    except JwsError as error:
        raise Refusal(RejectionReason.MALFORMED, f"{error.code}: {error}") from None
    inv_id = unverified_inv_id(jws)
    invoice = None
    if inv_id is not None and inv_id <= MAX_INV_ID:
        invoice = Invoice.objects.filter(pk=inv_id).select_related("site").first()
    received.invoice = invoice
    is_test = invoice.is_test if invoice is not None else False
    try:
        candidates = trusted_certificates(is_test=is_test)
    except JwsError as error:  # a setting that names no readable certificate
        raise Refusal(RejectionReason.NOT_CONFIGURED, str(error), status=500) from None
    if not candidates:
        raise Refusal(
            RejectionReason.NOT_CONFIGURED,
            "no certificate verifies ResultUrl2 notifications of test payments "
            "(ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE)",
        )
    try:
        certificate = verify_rs256(jws, [each.certificate for each in candidates], now=now)
    except JwsError as error:
        if error.code == "no_valid_certificate":
            raise Refusal(RejectionReason.NOT_CONFIGURED, str(error), status=500) from None
        received.diagnosis = diagnose_token(jws, now=now)
        raise Refusal(_REASONS[error.code], f"{error.code}: {error}") from None
    trusted = next(each for each in candidates if each.certificate == certificate)
    config = received.config = invoice_config(invoice) if invoice is not None else get_config()
    try:
        notice = read_state_notification(
            jws.payload, merchant_login=config.login, now=now, max_age=_max_age()
        )
    except JwsError as error:
        reason = _REASONS.get(error.code, RejectionReason.MALFORMED)
        raise Refusal(reason, f"{error.code}: {error}") from None
    if invoice is None:
        raise Refusal(RejectionReason.UNKNOWN_INVOICE, "no payment has this InvId", status=404)
    if invoice.is_test and not config.test_mode:
        raise Refusal(RejectionReason.TEST_IN_LIVE, "a test payment while the shop is live")
    return notice, trusted


def _max_age():
    return parse_duration(setting("ROBOKASSA_RESULT_URL2_MAX_AGE"))


def diagnose_token(jws: Jws, *, now: datetime) -> str:
    """Why a token did not verify, in words of settings (never of values): its algorithm, or
    the known certificate that does verify it (the test one for a live payment, an expired
    one…). Empty when nothing known explains it."""
    algorithm = str(jws.header.get("alg", ""))[:16]
    if algorithm != "RS256" or jws.header.get("typ") != "JWT":
        return f"alg={algorithm or 'missing'};needed=RS256"
    known: list[Trusted] = []
    for is_test in (False, True):
        try:
            known += trusted_certificates(is_test=is_test)
        except JwsError:
            continue
    from .certificates import bundled

    known.append(Trusted(bundled(), "bundled"))
    for each in known:
        try:
            verify_rs256(jws, [each.certificate], now=each.certificate.not_valid_before_utc)
        except JwsError:
            continue
        expired = "" if is_valid_at(each.certificate, now) else ";expired"
        return f"certificate={each.source}{expired}"
    return ""


def _record(
    notice: StateNotice,
    trusted: Trusted,
    received: _Received,
    *,
    client_ip: str | None,
    request: HttpRequest | None,
    now: datetime,
) -> Result2Outcome:
    invoice, config = received.invoice, received.config
    assert invoice is not None
    assert config is not None
    answer = f"OK{notice.inv_id}"
    key = {
        "inv_id": notice.inv_id,
        "merchant_login": config.login,
        "state": notice.state,
        "op_key": notice.op_key,
    }
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        # The payment's earlier notifications, in one query: a repeat, or a newer one.
        known = StateNotification.objects.filter(
            inv_id=notice.inv_id, merchant_login=config.login
        ).values_list("pk", "state", "op_key", "sent_at")
        earlier = list(known)
        for pk, state, op_key, _sent_at in earlier:
            if (state, op_key) == (notice.state, notice.op_key):
                StateNotification.objects.filter(pk=pk).update(
                    deliveries=F("deliveries") + 1, last_delivery_at=now
                )
                logger.info("ROBOKASSA repeated ResultUrl2 %s for InvId %s", state, invoice.pk)
                return Result2Outcome(200, answer, invoice=invoice, duplicate=True)
        _require_amount(notice, invoice)
        outcome: str
        if any(sent_at > notice.sent_at for *_key, sent_at in earlier):
            outcome = StateOutcome.SUPERSEDED
        elif notice.state == "HOLD":
            outcome = _hold(invoice, notice)
        else:
            outcome = _paid(invoice, notice, config, client_ip)
        # The invoice's row lock orders deliveries of one payment; the unique constraint is
        # the backstop (its violation aborts the delivery: a 5xx, and ROBOKASSA retries).
        notification = StateNotification.objects.create(
            **key,
            is_test=invoice.is_test,
            inc_sum=notice.inc_sum,
            payment_method=notice.payment_method,
            sent_at=notice.sent_at,
            invoice=invoice,
            outcome=outcome,
            body_format=received.body_format,
            certificate=trusted.source,
            client_ip=client_ip,
        )
        if outcome == StateOutcome.HELD:
            payment_held.send(
                sender=Invoice, invoice=invoice, notification=notification, request=request
            )
            _check_committable()
    logger.info("ROBOKASSA ResultUrl2 %s for InvId %s: %s", notice.state, invoice.pk, outcome)
    return Result2Outcome(200, answer, invoice=invoice, notification=notification)


def _require_amount(notice: StateNotice, invoice: Invoice) -> None:
    """A notification is for this payment only if it names its amount (the amount held, or the
    lower amount charged from it)."""
    amounts: set[Decimal] = {invoice.amount}
    if invoice.held_amount is not None:
        amounts.add(invoice.held_amount)
    if notice.inc_sum is not None and notice.inc_sum in amounts:
        return
    raise Refusal(
        RejectionReason.AMOUNT_MISMATCH,
        f"incSum {notice.inc_sum} for a payment of {invoice.amount}: a status check will look",
        status=409,
    )


def _hold(invoice: Invoice, notice: StateNotice) -> str:
    if invoice.status != InvoiceStatus.PENDING:
        return StateOutcome.ALREADY
    holds.mark_held(invoice, held_at=notice.sent_at)
    return StateOutcome.HELD


def _paid(
    invoice: Invoice, notice: StateNotice, config: MerchantConfig, client_ip: str | None
) -> str:
    if invoice.status == InvoiceStatus.PAID:
        return StateOutcome.ALREADY
    callback = _callback(invoice, notice)
    values = {
        **notification_values(callback, config, client_ip),
        "source": NotificationSource.RESULT_URL2,
        "deliveries": 0,  # not a Result URL delivery: the one that follows is counted
    }
    recorded = record_confirmed_payment(callback, config, values)
    if recorded.duplicate:
        return StateOutcome.ALREADY
    return StateOutcome.PAID


def _callback(invoice: Invoice, notice: StateNotice) -> Callback:
    """The verified notification as the callback the Result URL would have received."""
    extra = {
        "IncSum": notice.inc_sum,
        "PaymentMethod": notice.payment_method,
        "OpKey": notice.op_key,
        "State": notice.state,
    }
    return confirmed_callback(
        invoice,
        out_sum=None,
        shp=(),
        extra=extra,
        inc_sum=notice.inc_sum,
        payment_method=notice.payment_method,
        inc_curr_label="",
    )


def _refused(refusal: Refusal, received: _Received, client_ip: str | None) -> Result2Outcome:
    jws = received.jws
    inv_id = unverified_inv_id(jws) if jws is not None else None
    status = refusal.status
    try:
        if refusal.reason == RejectionReason.AMOUNT_MISMATCH and received.invoice is not None:
            # Verified, for another amount: the status interface says what was really paid.
            Invoice.objects.filter(pk=received.invoice.pk).update(next_check_at=timezone.now())
        record_rejection(
            endpoint=Endpoint.RESULT2,
            reason=refusal.reason,
            detail=refusal.detail,
            params=_recorded_params(received),
            method="POST",
            client_ip=client_ip,
            inv_id=inv_id if inv_id is not None and inv_id < 2**63 else None,
            config=received.config,
            diagnosis=received.diagnosis,
        )
    except Exception:
        logger.exception("ROBOKASSA ResultUrl2 refusal could not be recorded")
        status = 500
    body = "error: site failure" if status >= 500 else f"bad request: {refusal.reason}"
    return Result2Outcome(status, body, reason=refusal.reason)


def _recorded_params(received: _Received) -> dict[str, Any]:
    """What the token said (unverified, as it came), without its signature."""
    params: dict[str, Any] = {"body": received.body_format or "unreadable"}
    jws = received.jws
    if jws is None:
        return params
    params["alg"] = jws.header.get("alg", "")
    for section in ("header", "data"):
        values = jws.payload.get(section)
        if isinstance(values, dict):
            params.update({f"{section}.{name}": value for name, value in values.items()})
    return params
