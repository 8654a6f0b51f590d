"""The emulator's Refund API: ``Refund/Create`` checks the token as ROBOKASSA does (signed with
the shop's Password #3, an operation key of a paid operation, no more than is left of it) and
``Refund/GetState`` answers from the emulator's records, as the switches say."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ...protocol import verify_refund_token
from .models import EmulatedOperation, EmulatedRefund, EmulatorSwitches, RefundOutcome
from .validation import storable_json
from .views import _guard

#: How long a refund whose answer is "lost" keeps the client waiting before a 504.
LOST_ANSWER_SECONDS = 1.0


def _refused(message: str) -> JsonResponse:
    return JsonResponse({"success": False, "message": message, "requestId": None})


@csrf_exempt  # a server-to-server API
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    config = _guard(request)
    outcome = EmulatorSwitches.current().refund_outcome
    if outcome == RefundOutcome.HTTP_500:
        return HttpResponse("Internal Server Error", status=500, content_type="text/plain")
    try:
        token = json.loads(request.body.decode("utf-8"))
        payload = verify_refund_token(token, config.password3) if config.password3 else None
    except (UnicodeDecodeError, ValueError, TypeError, AttributeError):
        payload = None
    if payload is None or not storable_json(payload):
        return _refused("InvalidToken")
    operation = EmulatedOperation.objects.filter(
        op_key=str(payload.get("OpKey", "")), state=EmulatedOperation.PAID
    ).first()
    if operation is None:
        return _refused("OperationNotFound")
    refunded = operation.emulatedrefund_set.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    left = operation.out_sum - refunded
    amount = _amount(payload.get("RefundSum"), left)
    if amount is None or outcome == RefundOutcome.NOT_ENOUGH_FUNDS or not 0 < amount <= left:
        return _refused("NotEnoughOperationFunds")
    refund = EmulatedRefund.objects.create(
        request_id=uuid.uuid4(),
        operation=operation,
        amount=amount,
        items=payload.get("InvoiceItems")
        if isinstance(payload.get("InvoiceItems"), list)
        else None,
    )
    if outcome == RefundOutcome.ANSWER_LOST:  # taken, but the answer never reaches the shop
        time.sleep(LOST_ANSWER_SECONDS)  # a client that waits less times out
        return HttpResponse("Gateway Timeout", status=504, content_type="text/plain")
    return JsonResponse({"success": True, "message": None, "requestId": str(refund.request_id)})


def _amount(value: Any, left: Decimal) -> Decimal | None:
    if value is None:  # the whole remainder
        return left
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


@require_GET
def get_state(request: HttpRequest) -> HttpResponse:
    _guard(request)
    try:
        refund = EmulatedRefund.objects.filter(
            request_id=uuid.UUID(request.GET.get("id", ""))
        ).first()
    except ValueError:
        refund = None
    if refund is None:
        return JsonResponse({"message": "Id is invalid or request id does not exist"})
    canceled = EmulatorSwitches.current().refund_outcome == RefundOutcome.CANCELED
    return JsonResponse(
        {
            "requestId": str(refund.request_id),
            "amount": float(refund.amount),
            "label": "canceled" if canceled else "finished",
        }
    )
