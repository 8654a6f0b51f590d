"""Public endpoints ROBOKASSA calls: Result (server to server), Success and Fail (the buyer).

Views only read HTTP and render; the services record and decide.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from .conf import MerchantConfig, server_config, setting
from .forms import FailRedirectForm, SuccessRedirectForm
from .models import RejectionReason, VisitKind
from .page_blocks import thank_you_text
from .protocol.jws import MAX_BODY
from .requester import client_ip
from .services import process_result, record_rejection, record_visit
from .services.config import CallbackConfigs
from .services.state_notifications import process_result2

logger = logging.getLogger("wagtail_robokassa.views")


def _params(request: HttpRequest, config: MerchantConfig) -> QueryDict | HttpResponse:
    """Parameters from the method the request used; 405 for a method ROBOKASSA does not use."""
    allowed = ["GET", "POST"]
    if config.use_post_explicit:
        allowed = ["POST"] if config.use_post else ["GET"]
    if request.method not in allowed:
        return HttpResponseNotAllowed(allowed)
    return request.POST if request.method == "POST" else request.GET


#: What ``never_cache`` sets, set directly: its parsing and joining of the header cost more on
#: the Result URL than the configuration lookup it no longer makes.
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


@csrf_exempt
@transaction.non_atomic_requests
def result(request: HttpRequest) -> HttpResponse:
    """Result URL: ``OK{InvId}`` once the payment is recorded (or was already). Never cached."""
    params = _params(request, server_config())
    if isinstance(params, HttpResponse):
        add_never_cache_headers(params)
        return params
    outcome = process_result(
        params,
        CallbackConfigs(request),
        client_ip=client_ip(request),
        request=request,
        method=request.method or "",
    )
    response = HttpResponse(
        outcome.body, status=outcome.status, content_type="text/plain; charset=utf-8"
    )
    response.headers["Expires"] = http_date()
    response.headers["Cache-Control"] = NEVER_CACHE
    return response


@csrf_exempt
@transaction.non_atomic_requests
def result2(request: HttpRequest) -> HttpResponse:
    """ResultUrl2: a signed state notification (POST, whatever the Result URL's method).
    ``OK{InvId}`` once it is recorded (or was already). Never cached."""
    if request.method != "POST":
        response: HttpResponse = HttpResponseNotAllowed(["POST"])
    else:
        try:
            body = request.body
        except RequestDataTooBig:
            body = b"x" * (MAX_BODY + 1)  # refused and recorded as too large
        outcome = process_result2(body, client_ip=client_ip(request), request=request)
        response = HttpResponse(
            outcome.body, status=outcome.status, content_type="text/plain; charset=utf-8"
        )
    add_never_cache_headers(response)
    return response


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """A buyer-facing page on ``ROBOKASSA_BASE_TEMPLATE`` (never chosen by the request)."""
    context["base_template"] = setting("ROBOKASSA_BASE_TEMPLATE")
    return render(request, template, context, status=status)


def _refusal_page(request: HttpRequest, form: Any, endpoint: str, config: MerchantConfig):
    refusal = form.refusal
    callback = form.callback
    record_rejection(
        endpoint=endpoint,
        reason=refusal.reason,
        detail=refusal.detail,
        params=form.data,
        method=request.method or "",
        client_ip=client_ip(request),
        inv_id=callback.inv_id if callback else None,
        config=config,
        callback=callback,
    )
    context = {
        "form": form,
        "reason": refusal.reason,
        "not_notified": refusal.reason == RejectionReason.NOT_NOTIFIED,
        "InvId": callback.inv_id if callback else None,
    }
    return render_page(request, "wagtail_robokassa/error.html", context, status=refusal.status)


def _visit(request: HttpRequest, form: Any, config: MerchantConfig, kind: str):
    visit = record_visit(
        kind,
        form.callback,
        sender=form,
        signature_valid=True if kind == VisitKind.SUCCESS else None,
        client_ip=client_ip(request),
        request=request,
    )
    extra = form.extra_params()
    back_url, back_title = _way_back(request, visit.invoice)
    retry_url = None
    if kind == VisitKind.FAIL and back_title and visit.invoice is not None:
        block_id = visit.invoice.block_id
        retry_url = f"{back_url}#robokassa-pay-{block_id}" if block_id else back_url
    context = {
        # Only the parameters the shop declared, by bare name, as django-robokassa gave them;
        # the names below (and base_template) always win over them.
        **{name: extra[name] for name in config.extra_params if name in extra},
        "extra": extra,
        "form": form,
        "InvId": form.callback.inv_id,
        "OutSum": form.callback.out_sum,
        "invoice": visit.invoice,
        "visit": visit,
        "currency": config.currency_symbol,
        "thank_you_text": thank_you_text(visit.invoice) if kind == VisitKind.SUCCESS else "",
        "back_url": back_url,
        "back_title": back_title,
        "retry_url": retry_url,
        "subscription_url": _subscription_url(visit.invoice) if kind == VisitKind.SUCCESS else "",
    }
    return render_page(request, f"wagtail_robokassa/{kind}.html", context)


def _subscription_url(invoice: Any) -> str:
    """The buyer's page of the subscription this payment is for (the link of its e-mails)."""
    if invoice is None or invoice.subscription_id is None:
        return ""
    from .services.subscription_emails import subscription_url

    return subscription_url(invoice.subscription)


def _way_back(request: HttpRequest, invoice: Any) -> tuple[str, str]:
    """The page the buyer paid on (its URL and title) while it is published, else the site's
    root and no title."""
    page = invoice.page if invoice is not None and invoice.page_id else None
    url = page.get_url(request) if page is not None and page.live else None
    if page is None or not url:
        return "/", ""
    return url, page.title


def _buyer_page(request: HttpRequest, form_class: type, kind: str) -> HttpResponse:
    params = _params(request, server_config())
    if isinstance(params, HttpResponse):
        return params
    try:
        form = form_class(params, config_for=CallbackConfigs(request))
        if not form.is_valid():
            return _refusal_page(request, form, kind, form.config)
        return _visit(request, form, form.config, kind)
    except Exception:  # the database, most likely: a page that says so, never a bare 500
        logger.exception("ROBOKASSA %s page failed", kind)
        context = {"site_failure": True, "InvId": None}
        return render_page(request, "wagtail_robokassa/error.html", context, status=503)


@csrf_exempt
@never_cache
def success(request: HttpRequest) -> HttpResponse:
    """Success URL: a thank-you page for a verified redirect. Changes no payment state."""
    return _buyer_page(request, SuccessRedirectForm, VisitKind.SUCCESS)


@csrf_exempt
@never_cache
def fail(request: HttpRequest) -> HttpResponse:
    """Fail URL: unsigned and untrusted; shown and logged only."""
    return _buyer_page(request, FailRedirectForm, VisitKind.FAIL)
