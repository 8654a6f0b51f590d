"""Payment links: a bill sent to a customer from the admin, paid on ROBOKASSA's own page
(ROBOKASSA's Invoice API). A link is created, and its state changed, only through
``services.payment_links``."""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..protocol.amounts import plain_amount
from .records import INVOICE_AMOUNT


class PaymentLinkState(models.TextChoices):
    CREATING = "creating", _("Being created")  # recorded; ROBOKASSA has not answered yet
    ACTIVE = "active", _("Active")
    PAID = "paid", pgettext_lazy("payment link", "Paid")
    EXPIRED = "expired", _("Expired")
    DEACTIVATED = "deactivated", _("Deactivated")
    FAILED = "failed", _("Not created")  # refused, or never reached ROBOKASSA
    UNKNOWN = "unknown", _("Outcome unknown")  # may exist at ROBOKASSA: looked up, never resent


class PaymentLinkType(models.TextChoices):
    ONE_TIME = "OneTime", _("One-time")
    REUSABLE = "Reusable", _("Reusable")


#: States in which the link may still take money.
OPEN_LINK_STATES = (PaymentLinkState.ACTIVE, PaymentLinkState.UNKNOWN)


def new_link_code() -> str:
    """The link's marker (``Shp_payment_link``): random, ASCII, short enough for any URL."""
    return secrets.token_urlsafe(12)


class PaymentLink(models.Model):
    """One payment link. ``inv_id`` is the invoice reserved for it (a one-time link's payment,
    a reusable link's first); every payment made through it is an ``Invoice`` whose
    ``payment_link`` is this one.

    ``key`` is the click that asked for it: stored before anything is sent, unique, so that a
    double-submitted form never asks ROBOKASSA twice.
    """

    #: Records are not content: Wagtail's reference index (and its task per save) skips them.
    wagtail_reference_index_ignore = True

    code = models.CharField(
        _("code"), max_length=32, unique=True, default=new_link_code, editable=False
    )
    key = models.UUIDField(_("request key"), default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merchant_login = models.CharField(_("merchant login"), max_length=100)
    is_test = models.BooleanField(_("test link"), default=False)
    invoice_type = models.CharField(
        _("type"), max_length=8, choices=PaymentLinkType.choices, default=PaymentLinkType.ONE_TIME
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=PaymentLinkState.choices,
        default=PaymentLinkState.CREATING,
    )
    amount = models.DecimalField(_("amount"), **INVOICE_AMOUNT)
    description = models.CharField(_("description"), max_length=100)
    customer_name = models.CharField(_("customer"), max_length=255, blank=True)
    customer_email = models.EmailField(_("customer's e-mail"), blank=True)
    customer_phone = models.CharField(_("customer's phone"), max_length=32, blank=True)
    comment = models.CharField(
        _("comment"),
        max_length=255,
        blank=True,
        help_text=_("Seen by staff only, here and in the ROBOKASSA cabinet."),
    )
    receipt = models.JSONField(_("receipt"), null=True, blank=True)
    culture = models.CharField(_("language of the payment page"), max_length=2, default="ru")
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    inv_id = models.PositiveIntegerField(_("InvId"), null=True, blank=True, editable=False)
    url = models.CharField(_("link"), max_length=500, blank=True)
    robokassa_id = models.CharField(_("ROBOKASSA id"), max_length=200, blank=True)
    encoded_id = models.CharField(_("ROBOKASSA link id"), max_length=200, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    paid_at = models.DateTimeField(_("last paid"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        default_permissions = ("add", "view", "export")  # changed only through the service
        permissions = [
            ("deactivate_paymentlink", _("Can deactivate payment links")),
        ]
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=Decimal(0)), name="robokassa_link_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="robokassa_link_created"),
            models.Index(fields=["state", "expires_at"], name="robokassa_link_open"),
        ]

    def __str__(self) -> str:
        return f"{self.description} \N{EM DASH} {plain_amount(self.amount)}"

    @property
    def is_reusable(self) -> bool:
        return self.invoice_type == PaymentLinkType.REUSABLE

    @property
    def is_open(self) -> bool:
        """Whether the link may still take money (as far as the plugin knows)."""
        return self.state in OPEN_LINK_STATES and not self.has_expired

    @property
    def has_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
