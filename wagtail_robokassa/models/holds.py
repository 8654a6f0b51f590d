"""Holds and ResultUrl2: ROBOKASSA's signed state notifications, the certificate that verifies
them, and the one charge or release of each held payment."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .followed import FollowedRequest
from .records import INVOICE_AMOUNT, RECEIVED_AMOUNT, Invoice


class NotifiedState(models.TextChoices):
    OK = "OK", _("Paid")
    HOLD = "HOLD", _("Funds on hold")


class StateOutcome(models.TextChoices):
    """What a verified ResultUrl2 notification did to its payment."""

    HELD = "held", _("Put the payment on hold")
    PAID = "paid", _("Recorded the payment")
    ALREADY = "already", _("Nothing: the payment was already there")
    SUPERSEDED = "superseded", _("Nothing: a newer notification was there")


class StateNotification(models.Model):
    """A verified ResultUrl2 notification (an RS256-signed JWS): one row per payment, state and
    operation key, however often it is delivered."""

    #: Records are not content: Wagtail's reference index (and its task per save) skips them.
    wagtail_reference_index_ignore = True

    merchant_login = models.CharField(_("merchant login"), max_length=100)
    is_test = models.BooleanField(_("test payment"), default=False)
    inv_id = models.BigIntegerField(_("InvId"))
    state = models.CharField(_("state"), max_length=8, choices=NotifiedState.choices)
    op_key = models.CharField(_("operation key"), max_length=255)
    inc_sum = models.DecimalField(_("amount paid"), null=True, blank=True, **RECEIVED_AMOUNT)
    payment_method = models.CharField(_("payment method"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("sent by ROBOKASSA"))
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="state_notifications",
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=StateOutcome.choices)
    #: How the body carried the token: ``compact``, ``base64`` or ``json``.
    body_format = models.CharField(_("body format"), max_length=8, blank=True)
    certificate = models.CharField(_("verified with"), max_length=64, blank=True)
    deliveries = models.PositiveIntegerField(_("deliveries"), default=1)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    last_delivery_at = models.DateTimeField(_("last delivery"), null=True, blank=True)

    class Meta:
        verbose_name = _("ResultUrl2 notification")
        verbose_name_plural = _("ResultUrl2 notifications")
        default_permissions = ("view", "export")  # records are never edited by hand
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["inv_id", "merchant_login", "state", "op_key"],
                name="robokassa_state_notification_once",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="robokassa_state_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.inv_id} {self.state}"


class ResultUrl2Certificate(models.Model):
    """ROBOKASSA's certificate as ``robokassa_refresh_certificate`` fetched it, for every server
    of the site. Tried beside the bundled one while it is valid."""

    wagtail_reference_index_ignore = True

    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    pem = models.TextField(_("certificate"))
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    not_valid_before = models.DateTimeField(_("valid from"))
    not_valid_after = models.DateTimeField(_("valid until"))
    source = models.CharField(_("fetched from"), max_length=255, blank=True)
    fetched_at = models.DateTimeField(_("fetched"), auto_now=True)

    class Meta:
        verbose_name = _("ResultUrl2 certificate")
        verbose_name_plural = _("ResultUrl2 certificates")
        default_permissions = ()
        ordering = ["-not_valid_after"]

    def __str__(self) -> str:
        return f"{self.subject} (until {self.not_valid_after:%Y-%m-%d})"


class SettlementKind(models.TextChoices):
    CHARGE = "charge", pgettext_lazy("hold settlement", "Charge")
    RELEASE = "release", pgettext_lazy("hold settlement", "Release")


class SettlementState(models.TextChoices):
    SENDING = "sending", _("Being sent")  # claimed and sent (or about to be)
    DONE = "done", _("Done")  # ROBOKASSA answered "success: true"
    REFUSED = "refused", _("Refused")  # "success: false", or never sent: may be asked again
    UNKNOWN = "unknown", _("Outcome unknown")  # may have arrived: checked before anything else


#: A settlement in these states holds the payment: nothing else may be sent for it.
BINDING_SETTLEMENT_STATES = (
    SettlementState.SENDING,
    SettlementState.DONE,
    SettlementState.UNKNOWN,
)


class SettledBy(models.TextChoices):
    STAFF = "staff", _("Staff")
    CODE = "code", _("The shop's code")
    EXPIRY = "expiry", _("Before the hold expired")


class HoldSettlement(FollowedRequest):
    """The charge (``Merchant/Payment/Confirm``) or the release (``…/Cancel``) of a held
    payment: one per payment (a one-to-one column decides between a click and the sweep). A
    refused one may be asked again, as a charge or a release; an unknown one is asked about with
    OpStateExt before anything is sent again."""

    invoice = models.OneToOneField(
        Invoice,
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        related_name="hold_settlement",
    )
    kind = models.CharField(_("action"), max_length=8, choices=SettlementKind.choices)
    state = models.CharField(
        _("state"),
        max_length=8,
        choices=SettlementState.choices,
        default=SettlementState.SENDING,
    )
    amount = models.DecimalField(_("amount"), **INVOICE_AMOUNT)
    receipt = models.JSONField(_("final receipt"), null=True, blank=True, encoder=DjangoJSONEncoder)
    settled_by = models.CharField(
        _("asked by"), max_length=8, choices=SettledBy.choices, default=SettledBy.STAFF
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("hold settlement")
        verbose_name_plural = _("hold settlements")
        default_permissions = ("view",)  # created only through the hold service

    def __str__(self) -> str:
        return f"#{self.invoice_id} {self.get_kind_display()} ({self.get_state_display()})"
