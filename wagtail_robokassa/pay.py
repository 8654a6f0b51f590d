"""The pay view: a visitor's click on a payment block becomes an invoice and a trip to ROBOKASSA."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django import forms
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from wagtail.blocks.struct_block import StructValue
from wagtail.models import Page

from . import ratelimit
from .conf import setting
from .page_blocks import find_payment_block
from .requester import client_ip
from .services import start_payment
from .services.config import get_config
from .services.holds import holds_refusal, result_url2_address
from .services.numbering import NumberingExhausted
from .services.receipts import receipt_for
from .services.subscriptions import (
    SubscriptionRefusedHere,
    recurring_refusal,
    start_subscription,
    terms_of_block,
)
from .tokens import read_token
from .views import render_page

logger = logging.getLogger("wagtail_robokassa.payments")


class BuyerForm(forms.Form):
    """What the buyer may choose: the amount (only where the block allows) and an e-mail."""

    amount = forms.DecimalField(
        label=_("Amount"), required=False, max_digits=10, decimal_places=2,
        min_value=Decimal("0.01"),
    )  # fmt: skip
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    agree = forms.BooleanField(
        label=_("I agree to be charged again every period until I cancel"), required=False
    )

    def __init__(self, data: Any, *, block: StructValue) -> None:
        super().__init__(data)
        self.block = block
        self.is_subscription = bool((block.get("subscription") or {}).get("enabled"))
        self.fields["agree"].required = self.is_subscription
        amount = self.fields["amount"]
        if block.get("buyer_chooses_amount"):
            amount.required = True
            if block.get("min_amount") is not None:
                amount.validators.append(MinValueValidator(block["min_amount"]))
            if block.get("max_amount") is not None:
                amount.validators.append(MaxValueValidator(block["max_amount"]))
        self.fields["email"].required = bool(block.get("ask_email")) or self.is_subscription

    def payable_amount(self) -> Decimal:
        """The buyer's amount where the block allows it, else the block's price: never the
        browser's word for a fixed-price block."""
        if self.block.get("buyer_chooses_amount"):
            return self.cleaned_data["amount"]
        return self.block["amount"]


def _problem(request: HttpRequest, message: Any, status: int, page: Any = None, form=None):
    return render_page(
        request,
        "wagtail_robokassa/pay_error.html",
        {"message": message, "page": page, "form": form},
        status=status,
    )


def _over_rate_limit(request: HttpRequest) -> bool:
    """Invoices per client group (an IPv4 address, an IPv6 /64) per window."""
    limit = setting("ROBOKASSA_PAY_RATE_LIMIT")
    if not limit:
        return False
    count, seconds = limit
    return not ratelimit.allow("pay", client_ip(request), count, seconds)


@csrf_exempt  # the form is in cacheable page HTML; the signed token protects it
@never_cache
@require_POST
def pay(request: HttpRequest) -> HttpResponse:
    max_age = setting("ROBOKASSA_PAY_TOKEN_MAX_AGE")
    try:
        page_id, block_id = read_token(request.POST.get("token", ""), max_age)
    except signing.SignatureExpired:
        return _problem(request, _("This page is out of date. Reload it and try again."), 400)
    except signing.BadSignature:
        return _problem(request, _("This payment link is not valid."), 400)
    page = Page.objects.live().filter(pk=page_id).specific().first()
    block = find_payment_block(page, block_id) if page is not None else None
    if block is None:
        return _problem(request, _("This payment is no longer offered."), 404)
    form = BuyerForm(request.POST, block=block)
    if not form.is_valid():
        return _problem(request, _("Please correct the payment details."), 400, page, form)
    if _over_rate_limit(request):
        return _problem(request, _("Too many payment attempts. Try again in a minute."), 429, page)
    site = page.get_site()
    config = get_config(site)
    if form.is_subscription:
        return _subscribe(request, form, page, block_id, site, config)
    amount = form.payable_amount()
    receipt = receipt_for(block, amount, config) if config.send_receipts else None
    hold = bool(block.get("hold"))
    if hold and holds_refusal(config):
        logger.warning("A block that holds payments is on a site whose shop has no holds")
        return _problem(request, _("This payment is not available here right now."), 503, page)
    send_result2 = hold or setting("ROBOKASSA_SEND_RESULT_URL2")
    try:
        start = start_payment(
            config,
            amount=amount,
            description=block["description"],
            email=form.cleaned_data.get("email") or "",
            receipt=receipt,
            inc_curr_label=block.get("inc_curr_label") or "",
            site=site,
            page=page,
            block_id=block_id,
            hold=hold,
            result_url2=result_url2_address(request) if send_result2 else "",
        )
    except ImproperlyConfigured:
        return _problem(request, _("Payments are not configured on this site yet."), 503, page)
    except NumberingExhausted:
        logger.exception("ROBOKASSA could not number an invoice")
        return _problem(request, _("Payments are unavailable right now. Try again later."), 503)
    return _to_robokassa(request, start, page, config, has_receipt=receipt is not None)


def _to_robokassa(
    request: HttpRequest, start: Any, page: Any, config: Any, *, has_receipt: bool
) -> HttpResponse:
    if not has_receipt and setting("ROBOKASSA_PAY_METHOD") == "GET":
        return HttpResponseRedirect(start.url)
    context = {"start": start, "page": page, "currency": config.currency_symbol}
    return render_page(request, "wagtail_robokassa/redirect.html", context)


def _subscribe(
    request: HttpRequest, form: BuyerForm, page: Any, block_id: str, site: Any, config: Any
) -> HttpResponse:
    """A subscription block: the subscription and its first payment (``Recurring=true``)."""
    block = form.block
    if recurring_refusal(config):
        logger.warning("A subscription block is on a site whose shop takes no subscriptions")
        return _problem(request, _("Subscriptions are not available here right now."), 503, page)
    terms = terms_of_block(block)
    receipts = config.send_receipts
    first = terms.first_amount or terms.amount
    try:
        start = start_subscription(
            config,
            terms=terms,
            description=block["description"],
            email=form.cleaned_data["email"],
            receipt=receipt_for(block, first, config) if receipts else None,
            renewal_receipt=receipt_for(block, terms.amount, config) if receipts else None,
            site=site,
            page=page,
            block_id=block_id,
        )
    except SubscriptionRefusedHere as refusal:
        return _problem(request, str(refusal), 409, page)
    except ImproperlyConfigured:
        return _problem(request, _("Payments are not configured on this site yet."), 503, page)
    except NumberingExhausted:
        logger.exception("ROBOKASSA could not number an invoice")
        return _problem(request, _("Payments are unavailable right now. Try again later."), 503)
    return _to_robokassa(request, start.payment, page, config, has_receipt=receipts)
