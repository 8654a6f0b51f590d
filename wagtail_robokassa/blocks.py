"""``PaymentButtonBlock``: an editor drops it into any StreamField; a visitor clicks and pays.

The rendered HTML holds no per-visitor state (pages stay cacheable): a signed token names the
page, the block and the page's revision, and the amount of a fixed-price block is never read from
the browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.list_block import ListValue
from wagtail.blocks.struct_block import StructBlockValidationError, StructValue

from .conf import MerchantConfig, config_for_request
from .models.settings import PAYMENT_METHODS, PAYMENT_OBJECTS, TAXES
from .protocol import DESCRIPTION_MAX_LENGTH, Receipt, ReceiptItem, TaxSystem

TOKEN_SALT = "wagtail_robokassa.pay"  # noqa: S105 - a namespace for signing, not a secret
MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal("0.01")}
FROM_SETTINGS = [("", _("As in the ROBOKASSA settings"))]


class ReceiptLineBlock(blocks.StructBlock):
    """The receipt line (54-FZ) sent with the payment; blank fields take the settings' defaults."""

    name = blocks.CharBlock(
        label=_("Name in the receipt"),
        required=False,
        max_length=128,
        help_text=_("Defaults to the description."),
    )
    tax = blocks.ChoiceBlock(label=_("VAT rate"), choices=FROM_SETTINGS + TAXES, required=False)
    payment_method = blocks.ChoiceBlock(
        label=_("Payment method attribute"), choices=FROM_SETTINGS + PAYMENT_METHODS, required=False
    )
    payment_object = blocks.ChoiceBlock(
        label=_("Payment object attribute"), choices=FROM_SETTINGS + PAYMENT_OBJECTS, required=False
    )

    class Meta:
        label = _("Receipt")
        collapsed = True


class PaymentButtonBlock(blocks.StructBlock):
    description = blocks.CharBlock(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        help_text=_("What the buyer pays for; shown here and on the ROBOKASSA page."),
    )
    amount = blocks.DecimalBlock(
        label=_("Amount"),
        required=False,
        help_text=_("The price. With a buyer-chosen amount, the suggested amount (optional)."),
        **MONEY,
    )
    buyer_chooses_amount = blocks.BooleanBlock(
        label=_("Let the buyer choose the amount"), required=False
    )
    min_amount = blocks.DecimalBlock(label=_("Minimum amount"), required=False, **MONEY)
    max_amount = blocks.DecimalBlock(label=_("Maximum amount"), required=False, **MONEY)
    button_label = blocks.CharBlock(
        label=_("Button label"), required=False, max_length=50, help_text=_("Default: “Pay”.")
    )
    ask_email = blocks.BooleanBlock(
        label=_("Ask for the buyer's e-mail"),
        required=False,
        help_text=_("For the receipt and for your records."),
    )
    inc_curr_label = blocks.CharBlock(
        label=_("Preferred payment method (IncCurrLabel)"),
        required=False,
        max_length=64,
        help_text=_("Optional, for example BankCardPSR or SBPPSR."),
    )
    receipt = ReceiptLineBlock()
    thank_you_text = blocks.TextBlock(
        label=_("Thank-you text"),
        required=False,
        help_text=_("Shown on the success page after this payment."),
    )

    class Meta:
        template = "wagtail_robokassa/blocks/payment_button.html"
        icon = "form"
        label = _("Payment button")
        description = _("A button that takes a payment through ROBOKASSA.")
        preview_value = {
            "description": "Годовая подписка",
            "amount": Decimal("990.00"),
            "button_label": "Оплатить",
        }
        form_classname = "robokassa-payment-block"

    def clean(self, value: StructValue) -> StructValue:
        value = super().clean(value)
        errors: dict[str, ValidationError] = {}
        amount, low, high = value.get("amount"), value.get("min_amount"), value.get("max_amount")
        if not value.get("buyer_chooses_amount"):
            if amount is None:
                errors["amount"] = ValidationError(_("Enter the price."))
        else:
            if low is not None and high is not None and low > high:
                errors["max_amount"] = ValidationError(
                    _("The maximum must not be below the minimum.")
                )
            if amount is not None and (
                (low is not None and amount < low) or (high is not None and amount > high)
            ):
                errors["amount"] = ValidationError(
                    _("The suggested amount must be between the minimum and the maximum.")
                )
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    def get_context(self, value: StructValue, parent_context: dict | None = None) -> dict:
        context = super().get_context(value, parent_context=parent_context)
        parent_context = parent_context or {}
        request = parent_context.get("request")
        page = parent_context.get("page")
        block_id = block_id_for(page, value) if page is not None else None
        try:
            action = reverse("robokassa_pay")
        except NoReverseMatch:
            action = None
        config = config_for_request(request) if request is not None else None
        context.update(
            token=make_token(page, block_id) if block_id and action else "",
            action=action,
            block_id=block_id or "preview",
            currency=config.currency_symbol if config else "₽",
        )
        return context


def receipt_for(value: StructValue, amount: Decimal, config: MerchantConfig) -> Receipt:
    """The one-line receipt for a payment of ``amount`` made with a payment block."""
    line = value.get("receipt") or {}
    return Receipt(
        sno=TaxSystem(config.receipt_sno) if config.receipt_sno else None,
        items=[
            ReceiptItem(
                name=(line.get("name") or value["description"])[:128],
                sum=amount,
                tax=line.get("tax") or config.receipt_tax,
                payment_method=line.get("payment_method") or config.receipt_payment_method,
                payment_object=line.get("payment_object") or config.receipt_payment_object,
            )
        ],
    )


def make_token(page: Any, block_id: str) -> str:
    """A signed, timestamped reference to a block on a page (no per-visitor state)."""
    payload = {"p": page.pk, "b": block_id, "r": getattr(page, "live_revision_id", None)}
    return signing.TimestampSigner(salt=TOKEN_SALT).sign_object(payload)


def read_token(token: str, max_age: int) -> tuple[int, str]:
    """``(page id, block id)`` from a token; raises ``signing.BadSignature`` (or its subclass
    ``SignatureExpired``) for a forged, altered or expired one."""
    payload = signing.TimestampSigner(salt=TOKEN_SALT).unsign_object(token, max_age=max_age)
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), int):
        raise signing.BadSignature("malformed payment token")
    return payload["p"], str(payload.get("b", ""))


def payment_blocks(page: Any) -> Iterator[tuple[str, StructValue]]:
    """Every payment block in the page's StreamFields, nested ones included, with its id."""
    from wagtail.fields import StreamField

    for field in page._meta.get_fields():
        if isinstance(field, StreamField):
            yield from _walk(getattr(page, field.name))


def _walk(value: Any) -> Iterator[tuple[str, StructValue]]:
    if isinstance(value, blocks.StreamValue):
        children = [(child.block, child.id, child.value) for child in value]
    elif isinstance(value, ListValue):
        children = [(child.block, child.id, child.value) for child in value.bound_blocks]
    elif isinstance(value, StructValue):
        children = [(None, None, child) for child in value.values()]
    else:
        return
    for block, block_id, child in children:
        if isinstance(block, PaymentButtonBlock):
            yield block_id, child
        else:
            yield from _walk(child)


def block_id_for(page: Any, value: StructValue) -> str | None:
    """The id of the payment block whose value this is (looked up once per page render)."""
    ids = page.__dict__.get("_robokassa_block_ids")
    if ids is None:
        ids = {id(child): block_id for block_id, child in payment_blocks(page)}
        page.__dict__["_robokassa_block_ids"] = ids
    return ids.get(id(value))


def find_payment_block(page: Any, block_id: str) -> StructValue | None:
    return next((value for found, value in payment_blocks(page) if found == block_id), None)


def thank_you_text(invoice: Any) -> str:
    """The thank-you text of the block an invoice was paid through, if it still has one."""
    if invoice is None or not invoice.page_id or not invoice.block_id:
        return ""
    page = invoice.page.specific if invoice.page else None
    block = find_payment_block(page, invoice.block_id) if page is not None else None
    return (block.get("thank_you_text") or "") if block is not None else ""
