"""Subscriptions: a first payment made with ``Recurring=true``, then a child charge at
ROBOKASSA's ``Merchant/Recurring`` every period. Created, and changed, only through
``services.subscriptions``.

``Subscription`` is the buyer's agreement; ``SubscriptionCharge`` is one period's renewal (at
most one per period: a unique constraint); ``ChargeAttempt`` is one request sent for it, with
its own invoice (a new InvId each time, so that a late answer to an earlier attempt is still
recognised as that attempt's).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..protocol.amounts import plain_amount
from .records import INVOICE_AMOUNT


class SubscriptionState(models.TextChoices):
    PENDING = "pending", _("Awaiting the first payment")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Past due")  # a renewal was refused; it is being retried
    CANCELLED = "cancelled", pgettext_lazy("subscription", "Cancelled")
    ENDED = "ended", _("Ended")  # every payment agreed was made, or the first one never came


#: States in which a subscription may be charged.
CHARGEABLE_STATES = (SubscriptionState.ACTIVE, SubscriptionState.PAST_DUE)
#: States from which a subscription can still be cancelled.
OPEN_SUBSCRIPTION_STATES = (SubscriptionState.PENDING, *CHARGEABLE_STATES)


class BillingPeriod(models.TextChoices):
    MONTH = "month", _("Every month")
    QUARTER = "quarter", _("Every quarter")
    YEAR = "year", _("Every year")
    DAYS = "days", _("Every few days")


class CancelReason(models.TextChoices):
    BUYER = "buyer", _("By the buyer")
    STAFF = "staff", _("By staff")
    SHOP = "shop", _("By the shop's code")
    PAYMENT_FAILED = "payment_failed", _("Renewal payments failed")


class ChargeState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")  # an attempt is due at next_attempt_at
    SENDING = "sending", _("Being sent")
    WAITING = "waiting", _("Awaiting ROBOKASSA")  # accepted, or its outcome is being checked
    PAID = "paid", pgettext_lazy("subscription charge", "Paid")
    FAILED = "failed", _("Failed")  # every attempt was refused
    CANCELLED = "cancelled", _("Not charged")  # the subscription stopped before it was sent


class AttemptState(models.TextChoices):
    SENDING = "sending", _("Being sent")
    ACCEPTED = "accepted", _("Accepted by ROBOKASSA")  # "OK<id>": not paid yet
    PAID = "paid", pgettext_lazy("charge attempt", "Paid")
    REFUSED = "refused", _("Refused")
    NOT_SENT = "not_sent", _("Not sent")
    UNKNOWN = "unknown", _("Outcome unknown")  # may have arrived: checked, never sent again


def new_subscription_code() -> str:
    """The subscription's public name (in its cancel links): random, URL-safe."""
    return secrets.token_urlsafe(16)


class Subscription(models.Model):
    """One buyer's subscription: ``amount`` every period after the first payment (its
    ``parent_invoice``), until it is cancelled or ends."""

    #: Records are not content: Wagtail's reference index (and its task per save) skips them.
    wagtail_reference_index_ignore = True

    code = models.CharField(
        _("code"), max_length=32, unique=True, default=new_subscription_code, editable=False
    )
    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    block_id = models.CharField(_("block"), max_length=64, blank=True)
    merchant_login = models.CharField(_("merchant login"), max_length=100)
    is_test = models.BooleanField(_("test subscription"), default=False)
    email = models.EmailField(_("buyer's e-mail"))
    description = models.CharField(_("description"), max_length=100)
    amount = models.DecimalField(_("price a period"), **INVOICE_AMOUNT)
    first_amount = models.DecimalField(_("first payment"), **INVOICE_AMOUNT)
    period = models.CharField(
        _("period"), max_length=8, choices=BillingPeriod.choices, default=BillingPeriod.MONTH
    )
    period_days = models.PositiveSmallIntegerField(_("days a period"), null=True, blank=True)
    trial_days = models.PositiveSmallIntegerField(
        _("first period, days"),
        null=True,
        blank=True,
        help_text=_("The first payment covers this many days instead of a whole period."),
    )
    max_payments = models.PositiveSmallIntegerField(
        _("number of payments"),
        null=True,
        blank=True,
        help_text=_("Blank: until cancelled."),
    )
    receipt = models.JSONField(_("renewal receipt"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=255, blank=True)
    #: The buyer's language when they subscribed: their e-mails are written in it.
    language = models.CharField(_("language"), max_length=16, blank=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=SubscriptionState.choices,
        default=SubscriptionState.PENDING,
    )
    parent_invoice = models.OneToOneField(
        "wagtail_robokassa.Invoice",
        verbose_name=_("first payment's invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="started_subscription",
    )
    parent_notification = models.ForeignKey(
        "wagtail_robokassa.SuccessNotification",
        verbose_name=_("first payment's notification"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    payments_made = models.PositiveIntegerField(_("payments made"), default=0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    paid_until = models.DateTimeField(_("paid until"), null=True, blank=True)
    next_charge_at = models.DateTimeField(_("next charge"), null=True, blank=True)
    #: A sweep's claim: while in the future, a charge of this subscription is being sent.
    charging_until = models.DateTimeField(null=True, blank=True, editable=False)
    #: The period whose reminder was sent (one e-mail a period).
    reminded_period = models.PositiveIntegerField(default=0, editable=False)
    cancel_requested_at = models.DateTimeField(
        _("cancellation asked"), null=True, blank=True, editable=False
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(
        _("cancelled"), max_length=16, choices=CancelReason.choices, blank=True
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        default_permissions = ("view", "export")  # changed only through the service
        permissions = [
            ("cancel_subscription", _("Can cancel subscriptions")),
            ("charge_subscription", _("Can charge subscriptions now")),
        ]
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=Decimal(0), first_amount__gt=Decimal(0)),
                name="robokassa_subscription_amounts_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_charge_at"], name="robokassa_subscription_due"),
            models.Index(fields=["created_at"], name="robokassa_subscription_created"),
        ]

    def __str__(self) -> str:
        return f"{self.description} \N{EM DASH} {plain_amount(self.amount)}"

    @property
    def is_current(self) -> bool:
        """Whether the buyer has paid for now (a cancelled subscription runs to the end of its
        paid period): what shop code checks before giving access."""
        return self.paid_until is not None and self.paid_until > timezone.now()

    @property
    def is_cancellable(self) -> bool:
        """Whether cancelling would still stop something (not over, not cancelled already)."""
        return self.state in OPEN_SUBSCRIPTION_STATES and self.cancel_requested_at is None

    @property
    def is_chargeable(self) -> bool:
        return self.state in CHARGEABLE_STATES and self.cancel_requested_at is None

    def period_start(self, number: int) -> datetime | None:
        """When period ``number`` (1: what the first payment covers) begins."""
        from ..services.periods import period_start

        return period_start(self, number)


class SubscriptionCharge(models.Model):
    """One period's renewal of a subscription (``period`` 2 is the first renewal)."""

    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="charges",
    )
    period = models.PositiveIntegerField(_("period"))
    amount = models.DecimalField(_("amount"), **INVOICE_AMOUNT)
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(
        _("state"), max_length=16, choices=ChargeState.choices, default=ChargeState.SCHEDULED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    failures = models.PositiveSmallIntegerField(_("refusals"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("subscription charge")
        verbose_name_plural = _("subscription charges")
        default_permissions = ("view",)
        ordering = ["subscription", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period"], name="robokassa_one_charge_a_period"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="robokassa_charge_due"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} #{self.period} {plain_amount(self.amount)}"


class ChargeAttempt(models.Model):
    """One request sent to ``Merchant/Recurring`` for a charge; its invoice is its InvId."""

    charge = models.ForeignKey(
        SubscriptionCharge,
        verbose_name=_("charge"),
        on_delete=models.CASCADE,
        related_name="attempt_records",
    )
    invoice = models.OneToOneField(
        "wagtail_robokassa.Invoice",
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="charge_attempt",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=AttemptState.choices, default=AttemptState.SENDING
    )
    message = models.CharField(_("message"), max_length=300, blank=True)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("charge attempt")
        verbose_name_plural = _("charge attempts")
        default_permissions = ("view",)
        ordering = ["sent_at"]

    def __str__(self) -> str:
        return f"InvId {self.invoice_id} ({self.state})"
