from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EmulatedOperation(models.Model):
    """A payment the emulator was asked for, and where it got to (OpStateExt state codes)."""

    INITIATED, CANCELLED, HOLD, PAID = 5, 10, 20, 100
    STATE_LABELS = {
        INITIATED: _("Initiated"),
        CANCELLED: _("Cancelled"),
        HOLD: _("On hold"),
        PAID: _("Paid"),
    }

    merchant_login = models.CharField(_("merchant login"), max_length=100)
    inv_id = models.IntegerField(_("InvId"), db_index=True)
    out_sum = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    description = models.CharField(_("description"), max_length=100, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    culture = models.CharField(_("language"), max_length=8, blank=True)
    shp = models.JSONField(_("user parameters"), default=dict, blank=True)
    receipt = models.JSONField(_("receipt"), null=True, blank=True)
    state = models.IntegerField(_("state"), default=INITIATED)
    op_key = models.CharField(_("operation key"), max_length=64, blank=True)
    #: The emulator takes test payments only; a live operation is one a test made by hand.
    is_test = models.BooleanField(_("test operation"), default=True)
    shop_answer = models.TextField(_("the shop's answer"), blank=True)
    #: Paid with ``Recurring=true``: its card may be charged again (``Merchant/Recurring``).
    recurring = models.BooleanField(_("recurring"), default=False)
    #: A child charge: the operation whose card it charged again.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("first payment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="renewals",
    )
    link = models.ForeignKey(
        "EmulatedInvoiceLink",
        verbose_name=_("payment link"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="operations",
    )
    #: Asked with ``StepByStep=true``: "Pay" holds the money until Confirm or Cancel.
    step_by_step = models.BooleanField(_("hold"), default=False)
    #: Where its signed state notifications go (``ResultUrl2``).
    result_url2 = models.URLField(_("ResultUrl2"), max_length=500, blank=True)
    result2_answer = models.TextField(_("the shop's answer to ResultUrl2"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("emulated operation")
        verbose_name_plural = _("emulated operations")

    def __str__(self) -> str:
        return f"#{self.inv_id} {self.out_sum} ({self.state})"

    @property
    def state_label(self) -> str:
        return str(self.STATE_LABELS.get(self.state, self.state))


class StatusAnswer(models.IntegerChoices):
    """What the emulator's status interface answers every request with, when told to."""

    BAD_SIGNATURE = 1, _("Code 1: wrong signature")
    SHOP_NOT_FOUND = 2, _("Code 2: shop not found or not active")
    NOT_FOUND = 3, _("Code 3: no such operation")
    AMBIGUOUS = 4, _("Code 4: two operations with this InvId")
    INTERNAL_ERROR = 1000, _("Code 1000: internal error")
    HTTP_500 = 500, _("HTTP 500, no XML")


class RefundOutcome(models.TextChoices):
    """How the emulator's refunds end (``Refund/GetState``), or how ``Refund/Create`` fails."""

    FINISHED = "finished", _("Refunds finish")
    CANCELED = "canceled", _("Refunds are cancelled")
    NOT_ENOUGH_FUNDS = "not_enough_funds", _("Refund/Create refuses: NotEnoughOperationFunds")
    HTTP_500 = "http_500", _("Refund/Create answers HTTP 500 (outcome unknown)")
    ANSWER_LOST = "answer_lost", _("Refund/Create takes the refund, then answers late (HTTP 504)")


class ReceiptOutcome(models.TextChoices):
    """How the emulator's RoboFiscal answers ``Receipt/Attach``."""

    REGISTERED = "registered", _("Final receipts are registered")
    REFUSED = "refused", _("Receipt/Attach refuses (ResultCode 1)")
    HTTP_500 = "http_500", _("Receipt/Attach answers HTTP 500 (outcome unknown)")
    ANSWER_LOST = "answer_lost", _("Receipt/Attach takes the receipt, then answers HTTP 504")


class LinkOutcome(models.TextChoices):
    """How the emulator's Invoice API answers ``CreateInvoice``."""

    CREATED = "created", _("Payment links are created")
    HTTP_500 = "http_500", _("CreateInvoice answers HTTP 500 (nothing created)")
    ANSWER_LOST = "answer_lost", _("CreateInvoice creates the link, then answers HTTP 504")


class RecurringOutcome(models.TextChoices):
    """How the emulator's ``Merchant/Recurring`` treats a renewal."""

    PAID = "paid", _("Renewals are paid and notified")
    REFUSED = "refused", _("Renewals are refused (Recurring error)")
    DECLINED = "declined", _("Renewals are accepted, then the card is declined")
    NOT_NOTIFIED = "not_notified", _("Renewals are paid, the notification is lost")
    ANSWER_LOST = "answer_lost", _("Renewals are paid, then the answer is lost (HTTP 504)")


class HoldOutcome(models.TextChoices):
    """How the emulator's ``Merchant/Payment/Confirm`` and ``…/Cancel`` answer."""

    DONE = "done", _('Charges and releases succeed ("success: true")')
    REFUSED = "refused", _('They are refused ("success: false")')
    ANSWER_LOST = "answer_lost", _("They succeed, then the answer is lost (HTTP 504)")


class EmulatorSwitches(models.Model):
    """The emulator's one row of switches (primary key 1)."""

    status_answer = models.IntegerField(
        _("status interface answers with"), choices=StatusAnswer.choices, null=True, blank=True
    )
    refund_outcome = models.CharField(
        _("refunds"),
        max_length=20,
        choices=RefundOutcome.choices,
        default=RefundOutcome.FINISHED,
    )
    receipt_outcome = models.CharField(
        _("final receipts"),
        max_length=20,
        choices=ReceiptOutcome.choices,
        default=ReceiptOutcome.REGISTERED,
    )
    link_outcome = models.CharField(
        _("payment links"),
        max_length=20,
        choices=LinkOutcome.choices,
        default=LinkOutcome.CREATED,
    )

    recurring_outcome = models.CharField(
        _("renewals"),
        max_length=20,
        choices=RecurringOutcome.choices,
        default=RecurringOutcome.PAID,
    )
    hold_outcome = models.CharField(
        _("holds"),
        max_length=20,
        choices=HoldOutcome.choices,
        default=HoldOutcome.DONE,
    )
    #: How far the sandbox's clock is ahead, for the renewal sweep ("a month passes").
    clock_days = models.PositiveIntegerField(_("days ahead"), default=0)

    class Meta:
        verbose_name = _("emulator switches")
        verbose_name_plural = _("emulator switches")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> EmulatorSwitches:
        return cls.objects.get_or_create(pk=1)[0]


class EmulatedRefund(models.Model):
    """A refund the emulator's Refund API accepted."""

    request_id = models.UUIDField(_("request id"), unique=True)
    operation = models.ForeignKey(
        EmulatedOperation, verbose_name=_("operation"), on_delete=models.CASCADE
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    items = models.JSONField(_("receipt lines"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("emulated refund")
        verbose_name_plural = _("emulated refunds")

    def __str__(self) -> str:
        return f"{self.request_id} {self.amount}"


class EmulatedReceipt(models.Model):
    """A receipt the emulator's RoboFiscal took for a paid operation (at most two each)."""

    receipt_id = models.CharField(_("receipt id"), max_length=32, unique=True)
    operation = models.ForeignKey(
        EmulatedOperation, verbose_name=_("operation"), on_delete=models.CASCADE
    )
    payload = models.JSONField(_("receipt"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("emulated receipt")
        verbose_name_plural = _("emulated receipts")

    def __str__(self) -> str:
        return f"{self.receipt_id} #{self.operation.inv_id}"


class EmulatedInvoiceLink(models.Model):
    """A payment link made through the emulator's Invoice API, and where it got to."""

    NOT_PAID, PAID, EXPIRED, DEACTIVATED = "Notpaid", "Paid", "Expired", "Deactivated"
    STATES = ((NOT_PAID, _("Not paid")), (PAID, _("Paid")), (EXPIRED, _("Expired")))

    encoded_id = models.CharField(_("link id"), max_length=32, unique=True)
    api_id = models.UUIDField(_("id"), unique=True)
    merchant_login = models.CharField(_("merchant login"), max_length=100)
    inv_id = models.IntegerField(_("InvId"))
    invoice_type = models.CharField(_("type"), max_length=8)
    out_sum = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    description = models.CharField(_("description"), max_length=100, blank=True)
    items = models.JSONField(_("receipt lines"), null=True, blank=True)
    user_fields = models.JSONField(_("user parameters"), default=dict, blank=True)
    culture = models.CharField(_("language"), max_length=8, blank=True)
    state = models.CharField(_("state"), max_length=12, default=NOT_PAID)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("emulated payment link")
        verbose_name_plural = _("emulated payment links")

    def __str__(self) -> str:
        return f"{self.encoded_id} #{self.inv_id} {self.out_sum} ({self.state})"

    @property
    def is_reusable(self) -> bool:
        return self.invoice_type == "Reusable"

    def note_payment(self) -> None:
        """A payment through the link went through: a one-time link is paid now."""
        if not self.is_reusable and self.state == self.NOT_PAID:
            self.state = self.PAID
            self.save(update_fields=["state"])
