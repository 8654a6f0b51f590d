"""The emulator's RoboFiscal: ``Receipt/Attach`` checks the body as ROBOKASSA does (signed with
the shop's Password #1 and algorithm, the shop's login, a paid operation, at most two receipts
per operation, a new receipt id) and ``Receipt/Status`` answers from the emulator's records."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ...conf import MerchantConfig
from ...protocol import verify_fiscal_body
from .models import EmulatedOperation, EmulatedReceipt, EmulatorSwitches, ReceiptOutcome
from .validation import storable_json
from .views import _guard

#: ROBOKASSA registers at most this many receipts per operation (its docs).
RECEIPTS_PER_OPERATION = 2


def _verified(request: HttpRequest, config: MerchantConfig) -> dict[str, Any] | None:
    try:
        body = request.body.decode("ascii")
    except UnicodeDecodeError:
        return None
    for password in {config.password1, config.test_password1} - {""}:
        try:
            payload = verify_fiscal_body(body, str(password), config.algorithm)
        except ValueError:
            continue
        if payload.get("merchantId") == config.login:
            return payload
    return None


def _answer(code: int, description: str, **more: Any) -> JsonResponse:
    return JsonResponse(
        {"ResultCode": str(code), "ResultDescription": description, **more},
        encoder=DjangoJSONEncoder,
    )


@csrf_exempt  # a server-to-server API
@require_POST
def attach(request: HttpRequest) -> HttpResponse:
    config = _guard(request)
    outcome = EmulatorSwitches.current().receipt_outcome
    if outcome == ReceiptOutcome.HTTP_500:
        return HttpResponse("Internal Server Error", status=500, content_type="text/plain")
    payload = _verified(request, config)
    if payload is None:
        return _answer(1, "Invalid signature")
    if outcome == ReceiptOutcome.REFUSED:
        return _answer(1, "Receipt refused")
    receipt_id, origin = str(payload.get("id", "")), str(payload.get("originId", ""))
    operation = EmulatedOperation.objects.filter(
        merchant_login=config.login, inv_id=int(origin) if origin.isdigit() else 0
    ).first()
    if operation is None or operation.state != EmulatedOperation.PAID:
        return _answer(2, "Operation not found")
    if (
        not receipt_id.isdigit()
        or receipt_id == origin
        or not payload.get("items")
        or not storable_json(payload)
    ):
        return _answer(3, "Invalid receipt")
    try:
        with transaction.atomic():
            if operation.emulatedreceipt_set.count() >= RECEIPTS_PER_OPERATION:
                return _answer(4, "The operation has all the receipts it can have")
            EmulatedReceipt.objects.create(
                receipt_id=receipt_id, operation=operation, payload=_jsonable(payload)
            )
    except IntegrityError:
        return _answer(5, "A receipt with this id exists")
    if outcome == ReceiptOutcome.ANSWER_LOST:  # taken, but the answer never reaches the shop
        return HttpResponse("Gateway Timeout", status=504, content_type="text/plain")
    return _answer(0, "ok", OpKey=operation.op_key)


@csrf_exempt
@require_POST
def status(request: HttpRequest) -> HttpResponse:
    config = _guard(request)
    payload = _verified(request, config)
    if payload is None:
        return JsonResponse({"Code": "1", "Description": "Invalid signature"})
    receipt = EmulatedReceipt.objects.filter(receipt_id=str(payload.get("id", ""))).first()
    if receipt is None:
        return JsonResponse({"Code": "3", "Description": "Receipt not found"})
    return JsonResponse(
        {
            "Code": "2",
            "Description": "Чек зарегистрирован",
            "Statuses": [{"Code": "2", "Description": "Registered"}],
            "FnNumber": "9999078900012345",
            "FiscalDocumentNumber": str(1000 + receipt.pk),
            "FiscalDocumentAttribute": str(3_000_000_000 + receipt.pk),
            "FiscalDate": timezone.localtime(receipt.created_at).isoformat(timespec="seconds"),
            "FiscalType": "sell",
        }
    )


def _jsonable(payload: dict[str, Any]) -> Any:
    import json

    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
