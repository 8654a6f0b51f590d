"""The emulator's pages: the payment page, Pay (with or without notifying the shop) and
Decline, OpStateExt, and the switch that makes OpStateExt answer with an error on demand."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.models import Site

from ...conf import MerchantConfig, setting
from ...protocol import opstate_signature, signatures_match
from ...receipt_choices import label_of
from ...services.config import config_for_request
from .checks import emulator_enabled
from .models import (
    EmulatedInvoiceLink,
    EmulatedOperation,
    EmulatedReceipt,
    EmulatedRefund,
    EmulatorSwitches,
    HoldOutcome,
    LinkOutcome,
    ReceiptOutcome,
    RecurringOutcome,
    RefundOutcome,
    StatusAnswer,
)
from .notify import (
    ShopAnswer,
    fail_params,
    new_op_key,
    result_params,
    send_result,
    send_state,
    state_token,
    success_params,
)
from .validation import InvalidRequest, is_inv_id, validate


def _guard(request: HttpRequest) -> MerchantConfig:
    if not emulator_enabled():
        raise Http404("The ROBOKASSA emulator is off.")
    return config_for_request(request)


def _result_url(request: HttpRequest) -> str:
    """The shop's own Result URL, as ROBOKASSA knows it from the cabinet: on the root URL of the
    Wagtail Site (a configured one: the Host header only chooses among them), or
    ``ROBOKASSA_EMULATOR_RESULT_URL``. Never a host the request names, so that a signed
    notification cannot be sent anywhere else."""
    configured = setting("ROBOKASSA_EMULATOR_RESULT_URL")
    if configured:
        return configured
    site = Site.find_for_request(request)
    if site is None:
        raise Http404("No Wagtail Site: the emulator does not know the shop's Result URL.")
    return site.root_url + reverse("robokassa_result")


#: The languages of ROBOKASSA's payment page (``Culture``).
CULTURES = ("ru", "en")


def _next_inv_id() -> int:
    return (EmulatedOperation.objects.aggregate(top=Max("inv_id"))["top"] or 1_000_000) + 1


@csrf_exempt  # shops post here from their own pages, as to ROBOKASSA
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    config = _guard(request)
    data = request.POST if request.method == "POST" else request.GET
    culture = data.get("Culture", "")
    try:
        payment = validate(data, config)
    except InvalidRequest as invalid:
        return _page(request, "error.html", {"errors": invalid.errors}, culture, status=400)
    operation = EmulatedOperation.objects.create(
        merchant_login=payment.login,
        inv_id=payment.inv_id or _next_inv_id(),
        out_sum=payment.out_sum,
        description=payment.description,
        email=payment.email,
        culture=payment.culture,
        shp=payment.shp,
        receipt=payment.receipt.to_dict() if payment.receipt else None,
        op_key=new_op_key(),
        recurring=payment.recurring,
        step_by_step=payment.step_by_step,
        result_url2=payment.result_url2[:500],
    )
    context = {
        "operation": operation,
        "receipt": payment.receipt,
        "receipt_lines": _receipt_lines(payment.receipt),
        "currency": config.currency_symbol,
    }
    return _page(request, "payment.html", context, payment.culture)


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], culture: str, status: int = 200
) -> HttpResponse:
    """An emulator page in the payment's ``Culture`` (as ROBOKASSA's own page), else in the
    browser's language."""
    language = culture.lower() if culture.lower() in CULTURES else translation.get_language()
    with translation.override(language):
        return render(request, f"robokassa_emulator/{template}", context, status=status)


def _receipt_lines(receipt: Any) -> list[dict[str, Any]]:
    if receipt is None:
        return []
    return [
        {"name": item.name, "sum": item.sum, "tax": label_of("tax", item.tax.value)}
        for item in receipt.items
    ]


@require_POST
def pay(request: HttpRequest, pk: int) -> HttpResponse:
    config = _guard(request)
    operation = get_object_or_404(EmulatedOperation, pk=pk)
    if operation.step_by_step:
        return hold(request, config, operation)
    method = "GET" if config.use_post_explicit and not config.use_post else "POST"
    answer = send_result(_result_url(request), result_params(operation, config), method)
    operation.shop_answer = f"{answer.status} {answer.body}"
    if not answer.is_ok_for(operation.inv_id):
        operation.save(update_fields=["shop_answer", "updated_at"])
        return render(
            request,
            "robokassa_emulator/result_failed.html",
            {"operation": operation, "answer": answer},
            status=502,
        )
    operation.state = EmulatedOperation.PAID
    operation.save(update_fields=["state", "shop_answer", "updated_at"])
    if operation.link is not None:
        operation.link.note_payment()
    if operation.result_url2:
        announce_state(request, operation, config, "OK")
    query = urlencode(success_params(operation, config))
    return HttpResponseRedirect(f"{reverse('robokassa_success')}?{query}")


def hold(request: HttpRequest, config: MerchantConfig, operation: EmulatedOperation):
    """ "Pay" for ``StepByStep=true``: the money is held, and only ResultUrl2 hears of it (the
    Result URL is called when the hold is charged)."""
    operation.state = EmulatedOperation.HOLD
    operation.save(update_fields=["state", "updated_at"])
    answer = announce_state(request, operation, config, "HOLD")
    if answer is not None and not 200 <= answer.status < 300:
        return render(
            request,
            "robokassa_emulator/result_failed.html",
            {"operation": operation, "answer": answer},
            status=502,
        )
    query = urlencode(success_params(operation, config))
    return HttpResponseRedirect(f"{reverse('robokassa_success')}?{query}")


def announce_state(
    request: HttpRequest, operation: EmulatedOperation, config: MerchantConfig, state: str
) -> ShopAnswer | None:
    """Post the signed ResultUrl2 notification of ``state``, if the operation has a ResultUrl2
    on a host of this site's Wagtail Sites (never anywhere else); keep the shop's answer."""
    target = operation.result_url2
    if not target or not _is_own_host(target):
        return None
    answer = send_state(target, state_token(operation, config, state))
    operation.result2_answer = f"{state}: {answer.status} {answer.body}"[:1000]
    operation.save(update_fields=["result2_answer", "updated_at"])
    return answer


def _is_own_host(url: str) -> bool:
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    configured = setting("ROBOKASSA_EMULATOR_RESULT_URL")
    hosts = {site.hostname.lower() for site in Site.objects.all()}
    if configured:
        hosts.add((urlsplit(configured).hostname or "").lower())
    return host in hosts


@require_POST
def pay_without_notifying(request: HttpRequest, pk: int) -> HttpResponse:
    """Paid, but the shop's Result URL is never told: a lost notification, for reconciliation."""
    config = _guard(request)
    operation = get_object_or_404(EmulatedOperation, pk=pk)
    operation.state = EmulatedOperation.HOLD if operation.step_by_step else EmulatedOperation.PAID
    operation.shop_answer = "not notified"
    operation.save(update_fields=["state", "shop_answer", "updated_at"])
    if operation.link is not None:
        operation.link.note_payment()
    query = urlencode(success_params(operation, config))
    return HttpResponseRedirect(f"{reverse('robokassa_success')}?{query}")


@require_http_methods(["GET", "POST"])
def status_switch(request: HttpRequest) -> HttpResponse:
    """Choose what the status interface answers every request with (a connection test's
    failures on demand), or its normal answers; and how refunds and final receipts end."""
    _guard(request)
    switches = EmulatorSwitches.current()
    if request.method == "POST":
        choice = request.POST.get("status_answer", "")
        allowed = {str(value) for value in StatusAnswer.values}
        refund = request.POST.get("refund_outcome", switches.refund_outcome)
        receipt = request.POST.get("receipt_outcome", switches.receipt_outcome)
        link = request.POST.get("link_outcome", switches.link_outcome)
        renewal = request.POST.get("recurring_outcome", switches.recurring_outcome)
        hold = request.POST.get("hold_outcome", switches.hold_outcome)
        if (
            (choice not in allowed and choice != "")
            or refund not in RefundOutcome.values
            or receipt not in ReceiptOutcome.values
            or link not in LinkOutcome.values
            or renewal not in RecurringOutcome.values
            or hold not in HoldOutcome.values
        ):
            return HttpResponse("Unknown answer", status=400, content_type="text/plain")
        switches.status_answer = int(choice) if choice else None
        switches.refund_outcome, switches.receipt_outcome = refund, receipt
        switches.link_outcome, switches.recurring_outcome = link, renewal
        switches.hold_outcome = hold
        switches.save(
            update_fields=[
                "hold_outcome",
                "status_answer",
                "refund_outcome",
                "receipt_outcome",
                "link_outcome",
                "recurring_outcome",
            ]
        )
        return HttpResponseRedirect(reverse("robokassa_emulator_status_switch"))
    context = {
        "choices": StatusAnswer.choices,
        "current": switches.status_answer,
        "refund_choices": RefundOutcome.choices,
        "refund_current": switches.refund_outcome,
        "receipt_choices": ReceiptOutcome.choices,
        "receipt_current": switches.receipt_outcome,
        "link_choices": LinkOutcome.choices,
        "link_current": switches.link_outcome,
        "recurring_choices": RecurringOutcome.choices,
        "recurring_current": switches.recurring_outcome,
        "clock_days": switches.clock_days,
        "hold_choices": HoldOutcome.choices,
        "hold_current": switches.hold_outcome,
        "holds": EmulatedOperation.objects.filter(step_by_step=True).order_by("-pk")[:20],
        "renewals": EmulatedOperation.objects.filter(parent__isnull=False).order_by("-pk")[:20],
        "links": EmulatedInvoiceLink.objects.order_by("-created_at")[:20],
        # What ROBOKASSA's cabinet would list: the id of a refund whose answer was lost.
        "refunds": EmulatedRefund.objects.select_related("operation").order_by("-created_at")[:20],
        "receipts": EmulatedReceipt.objects.select_related("operation").order_by("-created_at")[
            :20
        ],
    }
    return _page(request, "status_switch.html", context, "")


@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    _guard(request)
    operation = get_object_or_404(EmulatedOperation, pk=pk)
    operation.state = EmulatedOperation.CANCELLED
    operation.save(update_fields=["state", "updated_at"])
    return HttpResponseRedirect(f"{reverse('robokassa_fail')}?{urlencode(fail_params(operation))}")


def _xml(body: str) -> HttpResponse:
    return HttpResponse(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<OperationStateResponse xmlns="http://merchant.roboxchange.com/WebService/">'
        f"{body}</OperationStateResponse>",
        content_type="text/xml; charset=utf-8",
    )


def _result(code: int, description: str = "") -> str:
    return f"<Result><Code>{code}</Code><Description>{description}</Description></Result>"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def opstate(request: HttpRequest) -> HttpResponse:
    """``OpStateExt`` over the emulator's own record of operations. As at ROBOKASSA, the pair
    whose Password#2 signed the request decides what it sees: a request signed with the live
    pair never sees a test operation (it is "not found")."""
    config = _guard(request)
    forced = EmulatorSwitches.current().status_answer
    if forced == StatusAnswer.HTTP_500:
        return HttpResponse("Internal Server Error", status=500, content_type="text/plain")
    if forced is not None:
        return _xml(_result(forced, escape(str(StatusAnswer(forced).label))))
    data = request.POST if request.method == "POST" else request.GET
    login, inv_id = data.get("MerchantLogin", ""), data.get("InvoiceID", "")
    if login != config.login:
        return _xml(_result(2, "Shop not found"))
    signature = data.get("Signature", "")
    pairs = [
        is_test
        for password, is_test in ((config.password2, False), (config.test_password2, True))
        if password
        and signatures_match(
            opstate_signature(login, inv_id, password, algorithm=config.algorithm), signature
        )
    ]
    if not pairs:
        return _xml(_result(1, "Wrong signature"))
    operation = (
        EmulatedOperation.objects.filter(merchant_login=login, inv_id=inv_id, is_test__in=pairs)
        .order_by("-pk")
        .first()
        if is_inv_id(inv_id)
        else None
    )
    if operation is None:
        return _xml(_result(3, "Operation not found"))
    stamp = operation.updated_at.isoformat()
    fields: dict[str, Any] = {
        "IncCurrLabel": "BankCardPSR",
        "IncSum": f"{operation.out_sum:.6f}",
        "OutCurrLabel": "BCR",
        "OutSum": f"{operation.out_sum:.6f}",
        "OpKey": operation.op_key,
    }
    info = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in fields.items())
    user_fields = "".join(
        f"<Field><Name>{escape(name)}</Name><Value>{escape(value)}</Value></Field>"
        for name, value in sorted(operation.shp.items())
    )
    return _xml(
        _result(0)
        + f"<State><Code>{operation.state}</Code><RequestDate>{operation.created_at.isoformat()}"
        f"</RequestDate><StateDate>{stamp}</StateDate></State>"
        f"<Info>{info}<PaymentMethod><Code>BankCard</Code><Description>Bank card</Description>"
        f"</PaymentMethod></Info><UserField>{user_fields}</UserField>"
    )
