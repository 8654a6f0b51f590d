"""The emulator's ``Merchant/Recurring``: renewals of a payment made with ``Recurring=true``,
checked as ROBOKASSA's SDK documents it (the allowed fields only, positive integer InvoiceIDs,
``OutSum`` with a dot, the signature ``MerchantLogin:OutSum:InvoiceID[:Receipt]:Password1``
with the Password #1 of the first payment's mode), then paid and notified to the Result URL as
the switches say. And "time passes": the renewal sweep run with the clock moved forward."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import unquote

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ...conf import MerchantConfig
from ...protocol import Receipt, ReceiptError, is_shp_name, sign, signatures_match
from ...protocol.receipt import decode_receipt
from ...protocol.recurring import FORBIDDEN_FIELDS, RECURRING_FIELDS
from .models import EmulatedOperation, EmulatorSwitches, RecurringOutcome
from .notify import new_op_key, result_params, send_result
from .validation import is_inv_id
from .views import _guard, _result_url

_OUT_SUM = re.compile(r"[0-9]{1,8}(?:\.[0-9]{1,2})?\Z")
#: ROBOKASSA's own one-line failure.
FAILURE = "Recurring error"


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt  # a server-to-server form POST, as to ROBOKASSA
@require_POST
def recurring(request: HttpRequest) -> HttpResponse:
    config = _guard(request)
    data = request.POST
    names = set(data.keys())
    unknown = {n for n in names if n not in RECURRING_FIELDS and not is_shp_name(n)}
    if unknown or names & set(FORBIDDEN_FIELDS) or any(len(data.getlist(n)) > 1 for n in names):
        return _text(FAILURE)
    login, out_sum = data.get("MerchantLogin", ""), data.get("OutSum", "")
    inv_id, previous = data.get("InvoiceID", ""), data.get("PreviousInvoiceID", "")
    if login != config.login or not (is_inv_id(inv_id) and is_inv_id(previous)):
        return _text(FAILURE)
    if not _OUT_SUM.match(out_sum) or Decimal(out_sum) <= 0:
        return _text(FAILURE)
    parent = (
        EmulatedOperation.objects.filter(
            merchant_login=login,
            inv_id=int(previous),
            recurring=True,
            state=EmulatedOperation.PAID,
            parent__isnull=True,
        )
        .order_by("-pk")
        .first()
    )
    if parent is None or not config.recurring_enabled:
        return _text(FAILURE)
    try:
        receipt = _receipt(data.get("Receipt"))
    except ValueError:
        return _text(FAILURE)
    password = config.test_password1 if parent.is_test else config.password1
    parts = [login, out_sum, inv_id]
    if data.get("Receipt"):
        parts.append(data["Receipt"])
    try:
        expected = sign([*parts, password], config.algorithm) if password else ""
    except ValueError:
        expected = ""
    if not expected or not signatures_match(expected, data.get("SignatureValue", "")):
        return _text(FAILURE)
    if EmulatedOperation.objects.filter(merchant_login=login, inv_id=int(inv_id)).exists():
        return _text(FAILURE)  # error 40: an InvId is paid once
    return _renew(request, config, parent, int(inv_id), Decimal(out_sum), receipt)


def _receipt(text: str | None) -> Receipt | None:
    """The renewal's receipt (URL-encoded once more than on the payment page), None without
    one; ``ValueError`` when it cannot be read."""
    if not text:
        return None
    try:
        return decode_receipt(unquote(text))
    except ReceiptError as error:
        raise ValueError(str(error)) from None


def _renew(
    request: HttpRequest,
    config: MerchantConfig,
    parent: EmulatedOperation,
    inv_id: int,
    out_sum: Decimal,
    receipt: Receipt | None,
) -> HttpResponse:
    outcome = EmulatorSwitches.current().recurring_outcome
    if outcome == RecurringOutcome.REFUSED:
        return _text(FAILURE)
    declined = outcome == RecurringOutcome.DECLINED
    with transaction.atomic():
        child = EmulatedOperation.objects.create(
            merchant_login=parent.merchant_login,
            inv_id=inv_id,
            out_sum=out_sum,
            description=parent.description,
            email=parent.email,
            culture=parent.culture,
            receipt=receipt.to_dict() if receipt else None,
            state=EmulatedOperation.CANCELLED if declined else EmulatedOperation.PAID,
            op_key=new_op_key(),
            is_test=parent.is_test,
            parent=parent,
            shop_answer="declined" if declined else "not notified",
        )
    if outcome == RecurringOutcome.PAID:
        answer = send_result(_result_url(request), result_params(child, config), "POST")
        child.shop_answer = f"{answer.status} {answer.body}"
        child.save(update_fields=["shop_answer", "updated_at"])
    if outcome == RecurringOutcome.ANSWER_LOST:
        return _text("Gateway Timeout", status=504)
    return _text(f"OK{inv_id}")


@require_POST
def time_passes(request: HttpRequest) -> HttpResponse:
    """Move the sandbox's clock forward (30 days, or ``days``) and run the renewal sweep as of
    then: the sandbox shows a month passing."""
    _guard(request)
    from ...services.renewals import renew_subscriptions

    try:
        days = int(request.POST.get("days", "30"))
    except ValueError:
        days = 0
    if not 1 <= days <= 400:
        return _text("days must be from 1 to 400", status=400)
    switches = EmulatorSwitches.current()
    switches.clock_days += days
    switches.save(update_fields=["clock_days"])
    renew_subscriptions(now=timezone.now() + timedelta(days=switches.clock_days))
    return HttpResponseRedirect(reverse("robokassa_emulator_status_switch"))
