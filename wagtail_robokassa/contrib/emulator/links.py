"""The emulator's Invoice API and the payment page of its links.

``CreateInvoice``, ``DeactivateInvoice`` and ``GetInvoiceInformationList`` check the token as
ROBOKASSA does (any ``alg`` it accepts, keyed ``MerchantLogin:Password#1`` of the test pair: the
emulator takes test links only) and the payload's fields; ``Merchant/Invoice/<id>`` is the page a
customer opens, with ROBOKASSA's errors 51 (expired), 52 (a one-time link paid already) and 53
(not found, or deactivated). Paying there notifies the shop's Result URL like any payment, with
the link's ``UserFields`` and ``shp_interface=InvoiceService.WebApi`` (reference §2.3).
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ...conf import MerchantConfig
from ...protocol import MAX_INV_ID, is_shp_name, verify_invoice_api_token
from ...protocol.invoice_api import EXPIRED_CODE, NOT_FOUND_CODE, REPEATED_PAYMENT_CODE
from ...receipt_choices import label_of
from .models import EmulatedInvoiceLink, EmulatedOperation, EmulatorSwitches, LinkOutcome
from .notify import new_op_key
from .validation import storable_json
from .views import _guard, _page

#: How long a link whose answer is "lost" keeps the client waiting before a 504.
LOST_ANSWER_SECONDS = 1.0
#: Where the InvIds of a reusable link's later payments start (ROBOKASSA numbers them itself).
REUSED_INV_IDS = 2_000_000_000
INTERFACE = ("shp_interface", "InvoiceService.WebApi")
TYPES = ("OneTime", "Reusable")


def _refused(message: str) -> JsonResponse:
    return JsonResponse({"isSuccess": False, "errorMessage": message})


def _payload(request: HttpRequest, config: MerchantConfig) -> dict[str, Any] | str:
    """The verified payload, or why it is refused."""
    try:
        token = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "The body is not a JSON string"
    if not isinstance(token, str) or not config.test_password1:
        return "Invalid token"
    try:
        payload = verify_invoice_api_token(token, config.login, config.test_password1)
    except ValueError:
        live = config.password1 and _verifies(token, config.login, config.password1)
        return "The emulator takes test links only" if live else "Invalid signature"
    if payload.get("MerchantLogin") != config.login or not storable_json(payload):
        return "Shop not found"
    return payload


def _verifies(token: str, login: str, password: str) -> bool:
    try:
        verify_invoice_api_token(token, login, password)
    except ValueError:
        return False
    return True


@csrf_exempt  # a server-to-server API
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    config = _guard(request)
    outcome = EmulatorSwitches.current().link_outcome
    if outcome == LinkOutcome.HTTP_500:
        return HttpResponse("Internal Server Error", status=500, content_type="text/plain")
    payload = _payload(request, config)
    if isinstance(payload, str):
        return _refused(payload)
    fields = _link_fields(payload)
    if isinstance(fields, str):
        return _refused(fields)
    if EmulatedInvoiceLink.objects.filter(
        merchant_login=config.login, inv_id=fields["inv_id"]
    ).exists():
        return _refused("An invoice with this InvId already exists")
    link = EmulatedInvoiceLink.objects.create(
        encoded_id=secrets.token_urlsafe(16),
        api_id=uuid.uuid4(),
        merchant_login=config.login,
        **fields,
    )
    if outcome == LinkOutcome.ANSWER_LOST:  # made, but the answer never reaches the shop
        time.sleep(LOST_ANSWER_SECONDS)
        return HttpResponse("Gateway Timeout", status=504, content_type="text/plain")
    return JsonResponse(
        {
            "isSuccess": True,
            "url": _link_url(request, link),
            "id": str(link.api_id),
            "invId": link.inv_id,
            "encodedId": link.encoded_id,
        }
    )


def _link_url(request: HttpRequest, link: EmulatedInvoiceLink) -> str:
    path = reverse("robokassa_emulator_invoice", args=[link.encoded_id])
    return request.build_absolute_uri(path)


def _link_fields(payload: dict[str, Any]) -> dict[str, Any] | str:
    """The link's fields from a ``CreateInvoice`` payload, or why ROBOKASSA would refuse it."""
    invoice_type = payload.get("InvoiceType")
    if invoice_type not in TYPES:
        return "InvoiceType must be OneTime or Reusable"
    inv_id = payload.get("InvId")
    if isinstance(inv_id, bool) or not isinstance(inv_id, int) or not 1 <= inv_id <= MAX_INV_ID:
        return "InvId must be a number from 1 to 2147483647"
    out_sum = _money(payload.get("OutSum"))
    if out_sum is None or out_sum <= 0:
        return "OutSum must be a positive amount"
    description = payload.get("Description", "")
    if not isinstance(description, str) or len(description) > 100:
        return "Description must be text of at most 100 characters"
    items = payload.get("InvoiceItems")
    if items is not None:
        problem = _items_problem(items, out_sum)
        if problem:
            return problem
    user_fields = payload.get("UserFields") or {}
    if not isinstance(user_fields, dict) or not all(
        isinstance(name, str) and is_shp_name(name) and isinstance(value, str)
        for name, value in user_fields.items()
    ):
        return "UserFields are shp_ names with text values"
    additional = payload.get("AdditionalParameters") or {}
    if not isinstance(additional, dict) or additional.get("IsTest") != "1":
        return "The emulator takes test links only (AdditionalParameters.IsTest)"
    culture = payload.get("Culture", "")
    return {
        "inv_id": inv_id,
        "invoice_type": invoice_type,
        "out_sum": out_sum,
        "description": description,
        "items": items,
        "user_fields": user_fields,
        "culture": culture if culture in ("ru", "en") else "ru",
    }


def _money(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount == amount.quantize(Decimal("0.01")) else None


def _items_problem(items: Any, out_sum: Decimal) -> str:
    if not isinstance(items, list) or not items:
        return "InvoiceItems must be a list of lines"
    total = Decimal(0)
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            return "Every line of InvoiceItems needs a Name"
        cost, quantity = _money(item.get("Cost")), _quantity(item.get("Quantity"))
        if cost is None or quantity is None or "Sum" in item:
            return "Every line of InvoiceItems needs Cost (a unit price) and Quantity"
        if not isinstance(item.get("Tax"), str):
            return "Every line of InvoiceItems needs Tax"
        total += cost * quantity
    if total != out_sum:
        return f"InvoiceItems add up to {total}, not {out_sum}"
    return ""


def _quantity(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        return None
    amount = Decimal(str(value))
    return amount if amount.is_finite() and amount > 0 else None


def _find(config: MerchantConfig, payload: dict[str, Any]) -> EmulatedInvoiceLink | None:
    links = EmulatedInvoiceLink.objects.filter(merchant_login=config.login)
    for name, field in (("EncodedId", "encoded_id"), ("Id", "api_id"), ("InvId", "inv_id")):
        value = payload.get(name)
        if value in (None, ""):
            continue
        try:
            return links.filter(**{field: value}).first()
        except (ValueError, TypeError, ValidationError):  # a malformed id matches nothing
            return None
    return None


@csrf_exempt
@require_POST
def deactivate(request: HttpRequest) -> HttpResponse:
    config = _guard(request)
    payload = _payload(request, config)
    if isinstance(payload, str):
        return _refused(payload)
    link = _find(config, payload)
    if link is None or link.state == EmulatedInvoiceLink.DEACTIVATED:
        return _refused("Invoice not found")
    link.state = EmulatedInvoiceLink.DEACTIVATED
    link.save(update_fields=["state"])
    return JsonResponse({"isSuccess": True})


@csrf_exempt
@require_POST
def information_list(request: HttpRequest) -> HttpResponse:
    config = _guard(request)
    payload = _payload(request, config)
    if isinstance(payload, str):
        return _refused(payload)
    try:
        page, size = int(payload["CurrentPage"]), int(payload["PageSize"])
        states = {str(value).lower() for value in payload["InvoiceStatuses"]}
        types = {str(value).lower() for value in payload["InvoiceTypes"]}
        first, last = (
            date.fromisoformat(str(payload[name])[:10]) for name in ("DateFrom", "DateTo")
        )
    except (KeyError, TypeError, ValueError):
        return _refused(
            "CurrentPage, PageSize, InvoiceStatuses, DateFrom, DateTo and InvoiceTypes are required"
        )
    if page < 1 or not 1 <= size <= 1000:
        return _refused("CurrentPage starts at 1; PageSize is 1 to 1000")
    rows = [
        link
        for link in EmulatedInvoiceLink.objects.filter(
            merchant_login=config.login,
            created_at__date__gte=first,
            created_at__date__lte=last,
        ).order_by("-created_at")
        if _listed_state(link).lower() in states and link.invoice_type.lower() in types
    ]
    shown = rows[(page - 1) * size : page * size]
    return JsonResponse(
        {
            "isSuccess": True,
            "totalCount": len(rows),
            "items": [
                {
                    "id": str(link.api_id),
                    "encodedId": link.encoded_id,
                    "invId": link.inv_id,
                    "invoiceType": link.invoice_type,
                    "status": _listed_state(link),
                    "outSum": float(link.out_sum),
                    "description": link.description,
                    "url": _link_url(request, link),
                    "createdAt": link.created_at.isoformat(),
                }
                for link in shown
            ],
        }
    )


def _listed_state(link: EmulatedInvoiceLink) -> str:
    """The list knows three states: a deactivated link is listed as expired."""
    return EmulatedInvoiceLink.EXPIRED if link.state == link.DEACTIVATED else link.state


#: ROBOKASSA's payer-side errors of links, by state.
def _link_error(link: EmulatedInvoiceLink | None) -> tuple[int, str] | None:
    if link is None or link.state == EmulatedInvoiceLink.DEACTIVATED:
        return NOT_FOUND_CODE, _("The invoice was not found.")
    if link.state == EmulatedInvoiceLink.EXPIRED:
        return EXPIRED_CODE, _("The invoice's payment period has expired.")
    if link.state == EmulatedInvoiceLink.PAID and not link.is_reusable:
        return REPEATED_PAYMENT_CODE, _("This invoice has been paid already.")
    return None


@require_GET
def invoice_page(request: HttpRequest, encoded_id: str) -> HttpResponse:
    """The page a customer opens from the link: a new operation for each visit, as ROBOKASSA
    starts one, with the link's InvId (a reusable link's later payments get their own)."""
    _guard(request)
    link = EmulatedInvoiceLink.objects.filter(encoded_id=encoded_id).first()
    error = _link_error(link)
    if error is not None or link is None:
        code, message = error or (NOT_FOUND_CODE, "")
        status = {NOT_FOUND_CODE: 404, EXPIRED_CODE: 410}.get(code, 409)
        errors = [_("Error %(code)s: %(message)s") % {"code": code, "message": message}]
        return _page(request, "error.html", {"errors": errors, "code": code}, "", status=status)
    operation = EmulatedOperation.objects.create(
        merchant_login=link.merchant_login,
        inv_id=_inv_id_for(link),
        out_sum=link.out_sum,
        description=link.description,
        culture=link.culture,
        shp={**link.user_fields, INTERFACE[0]: INTERFACE[1]},
        receipt=None,
        op_key=new_op_key(),
        link=link,
    )
    context = {
        "operation": operation,
        "receipt": bool(link.items),
        "receipt_lines": _invoice_lines(link.items or []),
        "currency": "₽",
        "link": link,
    }
    return _page(request, "payment.html", context, link.culture)


def _inv_id_for(link: EmulatedInvoiceLink) -> int:
    paid_before = link.operations.filter(state=EmulatedOperation.PAID).exists()
    if not link.is_reusable or not paid_before:
        return link.inv_id
    top = EmulatedOperation.objects.filter(inv_id__gte=REUSED_INV_IDS).aggregate(top=Max("inv_id"))
    return (top["top"] or REUSED_INV_IDS) + 1


def _invoice_lines(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": item.get("Name", ""),
            "sum": (_money(item.get("Cost")) or Decimal(0))
            * (_quantity(item.get("Quantity")) or Decimal(0)),
            "tax": label_of("tax", item.get("Tax")),
        }
        for item in items
    ]


@require_POST
def expire(request: HttpRequest, pk: int) -> HttpResponse:
    """The switch page's "expire": the link's payment period is over (error 51)."""
    _guard(request)
    link = get_object_or_404(EmulatedInvoiceLink, pk=pk)
    if link.state == EmulatedInvoiceLink.NOT_PAID:
        link.state = EmulatedInvoiceLink.EXPIRED
        link.save(update_fields=["state"])
    return HttpResponseRedirect(reverse("robokassa_emulator_status_switch"))
