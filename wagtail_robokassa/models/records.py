"""Payment records: invoices, verified notifications, buyer visits and refused requests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from ..protocol import bare_shp_name, is_shp_name
from ..protocol.amounts import plain_amount

#: Amount as sent to ROBOKASSA: two decimals, up to eight integer digits.
INVOICE_AMOUNT: dict[str, Any] = {"max_digits": 10, "decimal_places": 2}
#: Amount as received from ROBOKASSA (``100.000000``): kept exactly as it came.
RECEIVED_AMOUNT: dict[str, Any] = {"max_digits": 19, "decimal_places": 8}


def user_parameters(params: dict[str, str]) -> dict[str, str]:
    """The ``Shp_*`` entries of stored request parameters."""
    return {name: value for name, value in params.items() if is_shp_name(name)}


def bare_names(shp: dict[str, str]) -> dict[str, str]:
    return {bare_shp_name(name): value for name, value in shp.items()}


class InvoiceStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    #: Authorised with ``StepByStep=true``: the money is held until charged or released.
    HELD = "held", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class CheckOutcome(models.TextChoices):
    """What the last status check at ROBOKASSA found (``OpStateExt``)."""

    PAID = "paid", _("Paid")
    INITIATED = "initiated", _("Not paid yet")
    HOLD = "hold", _("Funds on hold")
    PROCESSING = "processing", _("Being credited")
    SUSPENDED = "suspended", _("Suspended by ROBOKASSA")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned to the buyer")
    UNKNOWN_STATE = "unknown_state", _("Unknown state")
    NOT_FOUND = "not_found", _("Not found at ROBOKASSA")
    MISMATCH = "mismatch", _("Paid, but another amount")
    TEST_IN_LIVE = "test_in_live", _("Test payment in a live shop")
    ANOTHER_PAYMENT = "another_payment", _("Paid as another payment")
    REFUSED = "refused", _("Refused: login or Password #2")
    FAILED = "failed", _("Check failed")


class Invoice(models.Model):
    """One payment attempt. Its primary key is the ``InvId`` sent to ROBOKASSA."""

    #: Records are not content: Wagtail's reference index (and its task per save) skips them.
    wagtail_reference_index_ignore = True

    id = models.AutoField(primary_key=True, verbose_name=_("InvId"))
    merchant_login = models.CharField(_("merchant login"), max_length=100)
    is_test = models.BooleanField(_("test payment"), default=False)
    amount = models.DecimalField(_("amount"), **INVOICE_AMOUNT)
    description = models.CharField(_("description"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    receipt = models.JSONField(_("receipt"), null=True, blank=True)
    shp = models.JSONField(_("user parameters"), default=dict, blank=True)
    reference = models.CharField(
        _("reference"),
        max_length=255,
        blank=True,
        help_text=_("Your own reference for this payment, such as an order number."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.PENDING
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
    payment_link = models.ForeignKey(
        "wagtail_robokassa.PaymentLink",
        verbose_name=_("payment link"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    #: The subscription this is the first payment or a renewal of.
    subscription = models.ForeignKey(
        "wagtail_robokassa.Subscription",
        verbose_name=_("subscription"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    last_check = models.CharField(
        _("last status check"), max_length=16, choices=CheckOutcome.choices, blank=True
    )
    last_check_detail = models.CharField(_("status check details"), max_length=255, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    checks = models.PositiveIntegerField(_("status checks"), default=0)
    # When reconciliation may check it next (back-off); None: as soon as it is old enough.
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True, editable=False)
    # Refunds (``Refund``): what open and finished refunds take out of the amount, and what the
    # finished ones gave back. The check constraints keep refunded <= reserved <= amount.
    refund_reserved = models.DecimalField(
        _("reserved for refunds"), default=Decimal(0), editable=False, **INVOICE_AMOUNT
    )
    refunded = models.DecimalField(
        _("refunded"), default=Decimal(0), editable=False, **INVOICE_AMOUNT
    )
    # Holds: asked with ``StepByStep=true`` (``hold``), held from a verified HOLD until it is
    # charged (perhaps less: ``held_amount`` keeps what was held) or released.
    hold = models.BooleanField(_("hold requested"), default=False)
    held_at = models.DateTimeField(_("held"), null=True, blank=True)
    hold_expires_at = models.DateTimeField(_("hold expires"), null=True, blank=True)
    held_amount = models.DecimalField(
        _("amount held"), null=True, blank=True, editable=False, **INVOICE_AMOUNT
    )
    hold_warned_at = models.DateTimeField(_("staff warned"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("payment")
        default_permissions = ("view", "export")  # records are never edited by hand
        permissions = [
            ("check_invoice", _("Can check a payment's status at ROBOKASSA")),
            ("refund_invoice", _("Can refund payments")),
            ("send_final_receipt_invoice", _("Can send a payment's final receipt")),
            ("settle_hold_invoice", _("Can charge or release held payments")),
        ]
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="robokassa_invoice_created"),
            models.Index(fields=["status", "created_at"], name="robokassa_invoice_status"),
            models.Index(fields=["is_test", "created_at"], name="robokassa_invoice_test"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=Decimal(0)), name="robokassa_invoice_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(refund_reserved__gte=Decimal(0))
                & models.Q(refund_reserved__lte=models.F("amount"))
                & models.Q(refunded__gte=Decimal(0))
                & models.Q(refunded__lte=models.F("refund_reserved")),
                name="robokassa_invoice_refunds_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {plain_amount(self.amount)} ({self.get_status_display()})"

    @property
    def is_paid(self) -> bool:
        return self.status == InvoiceStatus.PAID

    @property
    def is_held(self) -> bool:
        return self.status == InvoiceStatus.HELD

    @property
    def refund_state(self) -> str:
        """ "Refunded" or "Partially refunded" from the finished refunds ("" when none)."""
        if self.refunded <= 0:
            return ""
        if self.refunded >= self.amount:
            return pgettext("payment", "Refunded")
        return pgettext("payment", "Partially refunded")


class NotificationSource(models.TextChoices):
    RESULT_URL = "result_url", _("Result URL")
    STATUS_CHECK = "status_check", _("Status check")
    RESULT_URL2 = "result_url2", _("ResultUrl2")


class SuccessNotification(models.Model):
    """A verified Result URL notification: ROBOKASSA's word that one InvId was paid.

    Unique per (merchant login, test flag, InvId): the database decides which delivery is first.
    """

    #: Records are not content: Wagtail's reference index (and its task per save) skips them.
    wagtail_reference_index_ignore = True

    merchant_login = models.CharField(_("merchant login"), max_length=100)
    is_test = models.BooleanField(_("test payment"), default=False)
    inv_id = models.IntegerField(_("InvId"))
    out_sum = models.DecimalField(_("amount"), **RECEIVED_AMOUNT)
    fee = models.DecimalField(_("fee"), null=True, blank=True, **RECEIVED_AMOUNT)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=64, blank=True)
    inc_curr_label = models.CharField(_("currency label"), max_length=64, blank=True)
    params = models.JSONField(_("received parameters"), default=dict, blank=True)
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    source = models.CharField(
        _("source"),
        max_length=16,
        choices=NotificationSource.choices,
        default=NotificationSource.RESULT_URL,
        help_text=_("How the payment became known: ROBOKASSA's notification or a status check."),
    )
    # Result URL deliveries: 0 for a payment found by a status check until ROBOKASSA's own
    # notification arrives.
    deliveries = models.PositiveIntegerField(_("deliveries"), default=1)
    # Not auto_now_add: the write paths store the delivery's own time, the one that the outcome
    # and the invoice's ``paid_at`` carry.
    created_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)
    last_delivery_at = models.DateTimeField(_("last delivery"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        default_permissions = ("view", "export")  # records are never edited by hand
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            # Leading with inv_id, it also serves searches by InvId.
            models.UniqueConstraint(
                fields=["inv_id", "merchant_login", "is_test"], name="robokassa_notification_once"
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="robokassa_notification_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.inv_id} {plain_amount(self.out_sum)}"

    @property
    def shp(self) -> dict[str, str]:
        """The ``Shp_*`` parameters as received."""
        return user_parameters(self.params)

    @property
    def extra(self) -> dict[str, str]:
        """The ``Shp_*`` values by bare name, as the signals give them."""
        return bare_names(self.shp)

    # django-robokassa's attribute names, for signal handlers written against it.
    @property
    def InvId(self) -> int:
        return self.inv_id

    @property
    def OutSum(self) -> Decimal:
        return self.out_sum


class VisitKind(models.TextChoices):
    SUCCESS = "success", _("Success page")
    FAIL = "fail", _("Fail page")


class PaymentVisit(models.Model):
    """A buyer landing on the Success or Fail page. Display and statistics only."""

    #: Records are not content: Wagtail's reference index (and its task per save) skips them.
    wagtail_reference_index_ignore = True

    kind = models.CharField(_("kind"), max_length=16, choices=VisitKind.choices)
    inv_id = models.IntegerField(_("InvId"))
    out_sum = models.DecimalField(_("amount"), null=True, blank=True, **RECEIVED_AMOUNT)
    is_test = models.BooleanField(_("test payment"), default=False)
    signature_valid = models.BooleanField(_("signature valid"), null=True, blank=True)
    culture = models.CharField(_("language"), max_length=16, blank=True)
    params = models.JSONField(_("received parameters"), default=dict, blank=True)
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    created_at = models.DateTimeField(_("visited"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        default_permissions = ("view", "export")  # records are never edited by hand
        verbose_name_plural = _("visits")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="robokassa_visit_created"),
            models.Index(fields=["inv_id"], name="robokassa_visit_invid"),
            models.Index(fields=["kind", "created_at"], name="robokassa_visit_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.inv_id}"

    @property
    def extra(self) -> dict[str, str]:
        """The ``Shp_*`` values by bare name."""
        return bare_names(user_parameters(self.params))


class Endpoint(models.TextChoices):
    RESULT = "result", _("Result URL")
    SUCCESS = "success", _("Success URL")
    FAIL = "fail", _("Fail URL")
    RESULT2 = "result2", _("ResultUrl2")


class RejectionReason(models.TextChoices):
    MALFORMED = "malformed", _("Malformed request")
    BAD_SIGNATURE = "bad_signature", _("Wrong signature")
    TEST_IN_LIVE = "test_in_live", _("Test payment while in live mode")
    MODE_MISMATCH = "mode_mismatch", _("Test flag differs from the payment's")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount differs from the payment's")
    MERCHANT_MISMATCH = "merchant_mismatch", _("Signed by another shop than the payment's")
    DIFFERENT_PAYMENT = "different_payment", _("InvId already recorded for another payment")
    LINK_MISMATCH = "link_mismatch", _("InvId is not a payment of the link it names")
    NOT_NOTIFIED = "not_notified", _("No Result URL notification yet")
    UNKNOWN_INVOICE = "unknown_invoice", _("No payment with this InvId")
    NOT_CONFIGURED = "not_configured", _("Shop not configured")
    STALE = "stale", _("Too old, or dated ahead")
    HANDLER_ERROR = "handler_error", _("Error while processing")


class RejectedRequest(models.Model):
    """A request that was refused. Secrets and signatures are redacted before it is stored."""

    #: Records are not content: Wagtail's reference index (and its task per save) skips them.
    wagtail_reference_index_ignore = True

    endpoint = models.CharField(_("endpoint"), max_length=16, choices=Endpoint.choices)
    reason = models.CharField(_("reason"), max_length=32, choices=RejectionReason.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    # For a wrong signature: which plausible mistake would have matched (services.diagnosis).
    diagnosis = models.CharField(_("diagnosis"), max_length=128, blank=True)
    inv_id = models.BigIntegerField(_("InvId"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=8, blank=True)
    params = models.JSONField(_("received parameters"), default=dict, blank=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("rejected request")
        default_permissions = ("view", "export")  # records are never edited by hand
        verbose_name_plural = _("rejected requests")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="robokassa_rejected_created"),
            models.Index(fields=["reason", "created_at"], name="robokassa_rejected_reason"),
            models.Index(fields=["inv_id"], name="robokassa_rejected_invid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_endpoint_display()}: {self.get_reason_display()}"


class OverflowKind(models.TextChoices):
    REJECTED = "rejected", _("Rejected requests")
    VISIT = "visit", _("Visits")


class RejectionOverflow(models.Model):
    """Requests that were only counted because a per-minute storage cap was reached."""

    #: Records are not content: Wagtail's reference index (and its task per save) skips them.
    wagtail_reference_index_ignore = True

    minute = models.DateTimeField(_("minute"))
    kind = models.CharField(
        _("kind"), max_length=16, choices=OverflowKind.choices, default=OverflowKind.REJECTED
    )
    count = models.PositiveIntegerField(_("not stored"), default=0)

    class Meta:
        verbose_name = _("requests not stored")
        verbose_name_plural = _("requests not stored")
        ordering = ["-minute"]
        constraints = [
            models.UniqueConstraint(fields=["minute", "kind"], name="robokassa_overflow_once"),
        ]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.kind}: {self.count}"
