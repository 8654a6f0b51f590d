"""ROBOKASSA → Payment links: bill a customer from the admin. A form asks for what the link
is for and how much, the link is made at ROBOKASSA once per click (``services.payment_links``),
and its page gives the address to copy, a QR code, an e-mail to the customer, and the buttons
to check it at ROBOKASSA and to deactivate it.

Permissions: ``add_paymentlink`` makes links (and checks them), ``deactivate_paymentlink``
closes them, ``view``/``export`` as for every record; links are never edited or deleted."""

from __future__ import annotations

import functools
import logging
import uuid
from decimal import Decimal
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.defaults import permission_denied
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.datetime import AdminDateTimeInput
from wagtail.models import Site

from ..gateway.invoices import InvoiceApiError
from ..models import PaymentLink, PaymentLinkState, PaymentLinkType
from ..protocol import Receipt
from ..receipt_choices import choices as receipt_choices
from ..services.config import get_config
from ..services.payment_links import (
    CULTURES,
    LinkRefusedHere,
    create_payment_link,
    deactivate_payment_link,
    link_config,
    refresh_payment_link,
)
from ..services.receipts import receipt_for
from . import display
from .permissions import policy_for
from .site_scope import allowed_sites, record_for
from .views import RecordIndexView, RecordInspectView

ADD_ACTION, DEACTIVATE_ACTION = "add", "deactivate"
logger = logging.getLogger("wagtail_robokassa.payment_links")


def can_create_links(user: Any) -> bool:
    return policy_for(PaymentLink).user_has_permission(user, ADD_ACTION)


def can_deactivate_links(user: Any) -> bool:
    return policy_for(PaymentLink).user_has_permission(user, DEACTIVATE_ACTION)


def _sites_for(user: Any) -> Any:
    sites = allowed_sites(user)
    every = Site.objects.order_by("-is_default_site", "hostname")
    return every if sites is None else every.filter(pk__in=sites)


class PaymentLinkForm(forms.Form):
    description = forms.CharField(
        label=gettext_lazy("What it is for"),
        max_length=100,
        help_text=gettext_lazy("The customer sees it on ROBOKASSA's page, as on a receipt."),
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
    )
    invoice_type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[
            (PaymentLinkType.ONE_TIME, gettext_lazy("One-time: paid once")),
            (
                PaymentLinkType.REUSABLE,
                gettext_lazy("Reusable: anyone may pay it, any number of times"),
            ),
        ],
        initial=PaymentLinkType.ONE_TIME,
        widget=forms.RadioSelect,
    )
    customer_name = forms.CharField(label=gettext_lazy("Customer"), max_length=255, required=False)
    customer_email = forms.EmailField(
        label=gettext_lazy("Customer's e-mail"),
        required=False,
        help_text=gettext_lazy("The link can be sent there from the link's page."),
    )
    customer_phone = forms.CharField(
        label=gettext_lazy("Customer's phone"), max_length=32, required=False
    )
    expires_at = forms.DateTimeField(
        label=gettext_lazy("Expires"),
        required=False,
        widget=AdminDateTimeInput,
        help_text=gettext_lazy("Empty: the link stays open until it is paid or deactivated."),
    )
    culture = forms.ChoiceField(
        label=gettext_lazy("Language of the payment page"),
        choices=[("ru", gettext_lazy("Russian")), ("en", gettext_lazy("English"))],
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Seen by staff only, here and in the ROBOKASSA cabinet."),
    )
    site = forms.ModelChoiceField(queryset=Site.objects.none(), label=gettext_lazy("Site"))
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = _sites_for(user)
        self.config = get_config(sites.first())
        if self.config.send_receipts:
            self._add_receipt_fields()
        field = self.fields["site"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = sites
        field.empty_label = None
        if sites.count() == 1:
            field.widget = forms.HiddenInput()

    def _add_receipt_fields(self) -> None:
        """The receipt's line, prefilled with the shop's defaults (Settings → ROBOKASSA)."""
        config = self.config
        self.fields["receipt_name"] = forms.CharField(
            label=gettext_lazy("Receipt line"),
            max_length=128,
            required=False,
            help_text=gettext_lazy("Empty: the description."),
        )
        for name, kind, initial in (
            ("receipt_tax", "tax", config.receipt_tax),
            ("receipt_payment_method", "payment_method", config.receipt_payment_method),
            ("receipt_payment_object", "payment_object", config.receipt_payment_object),
        ):
            self.fields[name] = forms.ChoiceField(
                label=RECEIPT_LABELS[kind], choices=receipt_choices(kind), initial=initial
            )

    @property
    def receipt_fields(self) -> list[Any]:
        return [self[name] for name in RECEIPT_FIELDS if name in self.fields]

    def receipt(self) -> Receipt | None:
        """The one-line receipt asked for, or None when the shop sends no receipts."""
        if "receipt_tax" not in self.fields:
            return None
        data = self.cleaned_data
        line = {
            "name": data["receipt_name"],
            "tax": data["receipt_tax"],
            "payment_method": data["receipt_payment_method"],
            "payment_object": data["receipt_payment_object"],
        }
        value = {"description": data["description"], "receipt": line}
        return receipt_for(value, data["amount"], get_config(data["site"]))


RECEIPT_FIELDS = ("receipt_name", "receipt_tax", "receipt_payment_method", "receipt_payment_object")
RECEIPT_LABELS = {
    "tax": gettext_lazy("VAT rate"),
    "payment_method": gettext_lazy("Payment method"),
    "payment_object": gettext_lazy("Payment object"),
}


class CreatePaymentLinkView(WagtailAdminTemplateMixin, FormView):
    template_name = "wagtail_robokassa/admin/payment_link_form.html"
    form_class = PaymentLinkForm
    header_icon = "link"
    page_title = gettext_lazy("New payment link")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not can_create_links(request.user):
            return permission_denied(request, PermissionDenied("no permission to make links"))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self) -> dict[str, Any]:
        site = _sites_for(self.request.user).first()
        culture = translation.get_language() or "ru"
        return {
            "key": uuid.uuid4(),
            "site": site,
            "culture": culture[:2] if culture[:2] in CULTURES else "ru",
        }

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse("robokassa_links:index"), "label": _("Payment links")},
            {"url": "", "label": self.get_page_title()},
        ]

    def form_valid(self, form: PaymentLinkForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            link = create_payment_link(
                amount=data["amount"],
                description=data["description"],
                site=data["site"],
                invoice_type=data["invoice_type"],
                customer_name=data["customer_name"],
                customer_email=data["customer_email"],
                customer_phone=data["customer_phone"],
                comment=data["comment"],
                culture=data["culture"],
                expires_at=data["expires_at"],
                receipt=form.receipt(),
                key=data["key"],
                user=self.request.user,
            )
        except LinkRefusedHere as refusal:
            form.add_error(None, str(refusal))
            return self.form_invalid(form)
        tell(self.request, link)
        return redirect("robokassa_links:inspect", link.pk)


LEVELS: dict[str, int] = {
    PaymentLinkState.ACTIVE: messages.SUCCESS,
    PaymentLinkState.PAID: messages.SUCCESS,
    PaymentLinkState.UNKNOWN: messages.WARNING,
    PaymentLinkState.EXPIRED: messages.WARNING,
    PaymentLinkState.DEACTIVATED: messages.INFO,
}


def link_sentence(link: PaymentLink) -> str:
    if link.state == PaymentLinkState.ACTIVE:
        return _("The payment link is ready: send it to the customer.")
    if link.state == PaymentLinkState.UNKNOWN:
        return _("The link may have been made at ROBOKASSA: %(message)s") % {
            "message": link.message
        }
    if link.state == PaymentLinkState.FAILED:
        return _("The payment link was not made: %(message)s") % {
            "message": link.message or link.get_state_display()
        }
    return _("The payment link is %(state)s.") % {"state": link.get_state_display().lower()}


def tell(request: HttpRequest, link: PaymentLink) -> None:
    messages.add_message(request, LEVELS.get(link.state, messages.ERROR), link_sentence(link))


def qr_code(url: str) -> SafeString:
    """The link as an inline SVG QR code (drawn here: no image service sees the link)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff", border=2)
    return mark_safe(svg)  # noqa: S308 - segno's own markup, the URL in it escaped by segno


class PaymentLinkIndexView(RecordIndexView):
    @cached_property
    def add_item_label(self) -> str:
        return str(gettext_lazy("New payment link"))


class PaymentLinkInspectView(RecordInspectView):
    template_name = "wagtail_robokassa/admin/payment_link.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        link: PaymentLink = self.object
        user = self.request.user
        open_link = link.state in (PaymentLinkState.ACTIVE, PaymentLinkState.UNKNOWN)
        context.update(
            link=link,
            qr=qr_code(link.url) if link.url and link.is_open else "",
            currency=link_config(link).currency_symbol,
            payments=link.payments.order_by("-created_at")[:50],
            may_check=can_create_links(user)
            and link.state != PaymentLinkState.FAILED
            and link.inv_id is not None,
            may_deactivate=can_deactivate_links(user) and open_link,
            may_email=can_create_links(user) and bool(link.customer_email) and link.is_open,
        )
        return context

    def get_amount_display_value(self) -> Any:
        return display.amount(self.object.amount, link_config(self.object).currency_symbol)


def forbidding(view: Any) -> Any:
    """Answer a refused permission with 403, not Wagtail's redirect to the dashboard."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as error:
            return permission_denied(request, error)

    return wrapped


def _link_for(request: HttpRequest, pk: int, allowed: Any) -> PaymentLink:
    link: PaymentLink = record_for(request, PaymentLink, pk, allowed)
    return link


class DeactivateView(WagtailAdminTemplateMixin, TemplateView):
    """A confirmation, then the link is closed at ROBOKASSA."""

    template_name = "wagtail_robokassa/admin/payment_link_deactivate.html"
    header_icon = "link"
    page_title = gettext_lazy("Deactivate the payment link")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            self.link = _link_for(request, kwargs["pk"], can_deactivate_links)
        except PermissionDenied as error:
            return permission_denied(request, error)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "link": self.link}

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse("robokassa_links:index"), "label": _("Payment links")},
            {
                "url": reverse("robokassa_links:inspect", args=[self.link.pk]),
                "label": str(self.link),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            link = deactivate_payment_link(self.link)
        except LinkRefusedHere as refusal:
            messages.error(request, str(refusal))
            return redirect("robokassa_links:inspect", self.link.pk)
        if link.state == PaymentLinkState.DEACTIVATED:
            messages.success(request, _("The link is deactivated: it takes no more payments."))
        else:
            messages.error(
                request,
                _("The link was not deactivated: %(message)s") % {"message": link.message},
            )
        return redirect("robokassa_links:inspect", link.pk)


@forbidding
@require_POST
def check(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link_for(request, pk, can_create_links)
    try:
        refreshed = refresh_payment_link(link)
    except InvoiceApiError as error:
        messages.error(request, _("ROBOKASSA could not tell: %(message)s") % {"message": error})
    else:
        if refreshed.row is None and refreshed.link.state != PaymentLinkState.FAILED:
            messages.warning(request, _("ROBOKASSA does not list this link."))
        else:
            messages.info(
                request,
                _("ROBOKASSA says the link is %(state)s.")
                % {"state": refreshed.link.get_state_display().lower()},
            )
    return redirect("robokassa_links:inspect", link.pk)


def shop_name(link: PaymentLink) -> str:
    """The name the customer knows the shop by: its Site's, else the project's, else its login."""
    site_name = link.site.site_name if link.site is not None else ""
    return site_name or getattr(settings, "WAGTAIL_SITE_NAME", "") or link.merchant_login


@forbidding
@require_POST
def email(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the link to the customer, in the payment page's language."""
    link = _link_for(request, pk, can_create_links)
    if not (link.customer_email and link.url and link.is_open):
        messages.error(request, _("Only an open link with a customer's e-mail can be sent."))
        return redirect("robokassa_links:inspect", link.pk)
    context = {
        "link": link,
        "amount": display.amount(link.amount, link_config(link).currency_symbol),
        "shop": shop_name(link),
    }
    with translation.override(link.culture):
        subject = render_to_string("wagtail_robokassa/emails/payment_link_subject.txt", context)
        body = render_to_string("wagtail_robokassa/emails/payment_link.txt", context)
    try:
        send_mail(" ".join(subject.split()), body, None, [link.customer_email])
    except Exception:  # the mail server's failure is told, never a 500
        logger.exception("The payment link for InvId %s could not be e-mailed", link.inv_id)
        messages.error(request, _("The e-mail could not be sent: check the site's mail settings."))
    else:
        messages.success(
            request, _("The link was sent to %(email)s.") % {"email": link.customer_email}
        )
    return redirect("robokassa_links:inspect", link.pk)
