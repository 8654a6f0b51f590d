"""The emulator's ``Merchant/Payment/Confirm`` and ``…/Cancel``: charge or release a held
operation, checked as ROBOKASSA's SDK documents them (the fields in their order, the signature
``MerchantLogin:OutSum:InvoiceID[:Receipt]:Password1`` or ``MerchantLogin::InvoiceID:Password1``
with the Password #1 of the operation's mode, never more than is held), answered with the JSON
string ``"success: true"`` or ``"success: false"``. A charge is then notified to the Result URL
(and ResultUrl2) for the amount charged. And "let it expire": ROBOKASSA releasing a hold."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ...conf import MerchantConfig
from ...protocol import ReceiptError, sign, signatures_match
from ...protocol.receipt import decode_receipt
from .models import EmulatedOperation, EmulatorSwitches, HoldOutcome
from .notify import result_params, send_result
from .validation import is_inv_id
from .views import _guard, _result_url, announce_state

_OUT_SUM = re.compile(r"[0-9]{1,8}(?:\.[0-9]{1,2})?\Z")
FIELDS = {
    "confirm": ("MerchantLogin", "InvoiceID", "OutSum", "Receipt", "SignatureValue"),
    "cancel": ("MerchantLogin", "InvoiceID", "OutSum", "SignatureValue"),
}


def _answer(success: bool, status: int = 200) -> HttpResponse:
    body = '"success: true"' if success else '"success: false"'
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


@csrf_exempt  # a server-to-server form POST, as to ROBOKASSA
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    return _settle(request, "confirm")


@csrf_exempt
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    return _settle(request, "cancel")


def _settle(request: HttpRequest, action: str) -> HttpResponse:
    config = _guard(request)
    data = request.POST
    if set(data) - set(FIELDS[action]) or any(len(data.getlist(name)) > 1 for name in data):
        return _answer(False)
    login, inv_id = data.get("MerchantLogin", ""), data.get("InvoiceID", "")
    out_sum = data.get("OutSum", "")
    if login != config.login or not is_inv_id(inv_id) or not _OUT_SUM.match(out_sum):
        return _answer(False)
    operation = (
        EmulatedOperation.objects.filter(
            merchant_login=login, inv_id=int(inv_id), step_by_step=True
        )
        .order_by("-pk")
        .first()
    )
    if operation is None or operation.state != EmulatedOperation.HOLD:
        return _answer(False)
    if not _signed(data, action, operation, config):
        return _answer(False)
    amount = Decimal(out_sum)
    fits = Decimal(0) < amount <= operation.out_sum and _receipt_fits(data, amount)
    if action == "confirm" and not fits:
        return _answer(False)
    outcome = EmulatorSwitches.current().hold_outcome
    if outcome == HoldOutcome.REFUSED:
        return _answer(False)
    if action == "confirm":
        _charge(request, config, operation, amount)
    else:
        operation.state = EmulatedOperation.CANCELLED
        operation.save(update_fields=["state", "updated_at"])
    if outcome == HoldOutcome.ANSWER_LOST:
        return HttpResponse("Gateway Timeout", status=504, content_type="text/plain")
    return _answer(True)


def _signed(data, action: str, operation: EmulatedOperation, config: MerchantConfig) -> bool:
    password = config.test_password1 if operation.is_test else config.password1
    if not password:
        return False
    login, inv_id = data.get("MerchantLogin", ""), data.get("InvoiceID", "")
    if action == "confirm":
        parts = [login, data.get("OutSum", ""), inv_id]
        if data.get("Receipt"):
            parts.append(data["Receipt"])
    else:
        parts = [login, "", inv_id]
    try:
        expected = sign([*parts, password], config.algorithm)
    except ValueError:
        return False
    return signatures_match(expected, data.get("SignatureValue", ""))


def _receipt_fits(data, amount: Decimal) -> bool:
    """The final receipt, when given, reads (URL-encoded once more than on the payment page)
    and adds up to the amount charged."""
    text = data.get("Receipt")
    if not text:
        return True
    try:
        return decode_receipt(unquote(text)).total == amount
    except ReceiptError:
        return False


def _charge(
    request: HttpRequest, config: MerchantConfig, operation: EmulatedOperation, amount: Decimal
) -> None:
    """The hold is charged (perhaps less): the operation is paid for that amount and the shop's
    Result URL, then its ResultUrl2, are told."""
    operation.state = EmulatedOperation.PAID
    operation.out_sum = amount
    operation.save(update_fields=["state", "out_sum", "updated_at"])
    answer = send_result(_result_url(request), result_params(operation, config), "POST")
    operation.shop_answer = f"{answer.status} {answer.body}"
    operation.save(update_fields=["shop_answer", "updated_at"])
    announce_state(request, operation, config, "OK")


@require_POST
def days_pass(request: HttpRequest) -> HttpResponse:
    """Run the shop's hold sweep as if ``days`` (6) had passed: what it warns about, charges or
    releases before ROBOKASSA's deadline."""
    _guard(request)
    from datetime import timedelta

    from django.utils import timezone

    from ...services.holds import settle_expiring_holds

    try:
        days = int(request.POST.get("days", "6"))
    except ValueError:
        days = 0
    if not 1 <= days <= 30:
        return HttpResponse("days must be from 1 to 30", status=400, content_type="text/plain")
    settle_expiring_holds(now=timezone.now() + timedelta(days=days))
    return HttpResponseRedirect(reverse("robokassa_emulator_status_switch"))


@require_POST
def expire(request: HttpRequest, pk: int) -> HttpResponse:
    """ROBOKASSA releases a hold nobody charged in time (after 7 days)."""
    _guard(request)
    operation = get_object_or_404(EmulatedOperation, pk=pk, state=EmulatedOperation.HOLD)
    operation.state = EmulatedOperation.CANCELLED
    operation.save(update_fields=["state", "updated_at"])
    return HttpResponseRedirect(reverse("robokassa_emulator_status_switch"))
