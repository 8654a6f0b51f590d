"""``PaymentButtonBlock``: an editor drops it into any StreamField; a visitor clicks and pays.

Declarations only. The rendered HTML holds no per-visitor state (pages stay cacheable): a signed
token (``tokens``) names the page and the block, the pay view finds the block again on the live
page (``page_blocks``), and the amount of a fixed-price block is never read from the browser.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError, StructValue

from .models.settings import PAYMENT_METHODS, PAYMENT_OBJECTS, TAXES
from .page_blocks import block_id_for
from .protocol import DESCRIPTION_MAX_LENGTH
from .services.config import config_for_request
from .tokens import make_token

MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal("0.01")}
FROM_SETTINGS = [("", _("As in the ROBOKASSA settings"))]


# Callables, so that host projects' migrations name them instead of copying the lists: a new
# rate or attribute then needs no migration in every project that uses the block.
def tax_choices() -> list:
    return FROM_SETTINGS + TAXES


def payment_method_choices() -> list:
    return FROM_SETTINGS + PAYMENT_METHODS


def payment_object_choices() -> list:
    return FROM_SETTINGS + PAYMENT_OBJECTS


class ReceiptLineBlock(blocks.StructBlock):
    """The receipt line (54-FZ) sent with the payment; blank fields take the settings' defaults."""

    name = blocks.CharBlock(
        label=_("Name in the receipt"),
        required=False,
        max_length=128,
        help_text=_("Defaults to the description."),
    )
    tax = blocks.ChoiceBlock(label=_("VAT rate"), choices=tax_choices, required=False)
    payment_method = blocks.ChoiceBlock(
        label=_("Payment method attribute"), choices=payment_method_choices, required=False
    )
    payment_object = blocks.ChoiceBlock(
        label=_("Payment object attribute"), choices=payment_object_choices, required=False
    )

    class Meta:
        #: The heading of the receipt line in the editor.
        label = _("Receipt")
        #: Folded in the editor until opened: most shops keep the defaults of Settings.
        collapsed = True


def period_choices() -> list:
    from .models import BillingPeriod

    return list(BillingPeriod.choices)


class SubscriptionTermsBlock(blocks.StructBlock):
    """A subscription: the price is charged again every period, from the card of the first
    payment, until the buyer cancels (ROBOKASSA's recurring payments)."""

    enabled = blocks.BooleanBlock(
        label=_("Charge again every period (subscription)"),
        required=False,
        help_text=_(
            "Needs recurring payments enabled by ROBOKASSA and turned on in Settings → ROBOKASSA."
        ),
    )
    period = blocks.ChoiceBlock(
        label=_("Period"), choices=period_choices, default="month", required=False
    )
    period_days = blocks.IntegerBlock(
        label=_("Days in a period"),
        required=False,
        min_value=1,
        max_value=366,
        help_text=_("For a period of days."),
    )
    first_amount = blocks.DecimalBlock(
        label=_("First payment"),
        required=False,
        help_text=_("Charged now instead of the price (a discount, or a trial). Optional."),
        **MONEY,
    )
    trial_days = blocks.IntegerBlock(
        label=_("First period, days"),
        required=False,
        min_value=1,
        max_value=366,
        help_text=_("A trial: the first payment covers this many days. Optional."),
    )
    max_payments = blocks.IntegerBlock(
        label=_("Number of payments"),
        required=False,
        min_value=2,
        max_value=1000,
        help_text=_("Blank: until the buyer cancels."),
    )

    class Meta:
        #: The heading of the subscription settings in the editor.
        label = _("Subscription")
        #: Folded in the editor until opened: most blocks are one-off payments.
        collapsed = True


class PaymentButtonBlock(blocks.StructBlock):
    #: What ``page_blocks`` looks for in a page's StreamFields (it does not import this module).
    is_payment_block = True

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
    hold = blocks.BooleanBlock(
        label=_("Hold the money, charge it later"),
        required=False,
        help_text=_(
            "Two-step payment: the buyer's card is only authorised; you charge the payment (or "
            "less) or release it in the admin within a week. Needs holds enabled by ROBOKASSA "
            "and turned on in Settings → ROBOKASSA."
        ),
    )
    receipt = ReceiptLineBlock()
    subscription = SubscriptionTermsBlock()
    thank_you_text = blocks.TextBlock(
        label=_("Thank-you text"),
        required=False,
        help_text=_("Shown on the success page after this payment."),
    )

    class Meta:
        #: The button's HTML: it gets ``value``, ``token``, ``action``, ``block_id`` and
        #: ``currency``; override it to restyle the button (keep the hidden ``token`` field).
        template = "wagtail_robokassa/blocks/payment_button.html"
        #: The icon in the editor's block chooser.
        icon = "form"
        #: The block's name in the editor.
        label = _("Payment button")
        #: The help text in the editor's block chooser.
        description = _("A button that takes a payment through ROBOKASSA.")
        #: What the editor's preview shows.
        preview_value = {
            "description": "Годовая подписка",
            "amount": Decimal("990.00"),
            "button_label": "Оплатить",
        }
        #: The CSS class of the block's form in the editor.
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
        terms = value.get("subscription") or {}
        if terms.get("enabled"):
            errors.update(self._subscription_errors(value, terms))
        if value.get("hold"):
            errors.update(self._hold_errors(terms))
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    def _hold_errors(self, terms: Any) -> dict[str, ValidationError]:
        from .services.holds import holds_possible

        problems: list[Any] = []
        possible = holds_possible()
        if possible:
            problems.append(possible)
        if terms.get("enabled"):
            problems.append(_("ROBOKASSA does not hold a subscription's payments."))
        if not problems:
            return {}
        return {"hold": ValidationError(" ".join(str(p) for p in problems))}

    def _subscription_errors(self, value: StructValue, terms: Any) -> dict[str, ValidationError]:
        from .services.subscriptions import subscriptions_possible

        problems: list[Any] = []
        possible = subscriptions_possible()
        if possible:
            problems.append(possible)
        if value.get("buyer_chooses_amount"):
            problems.append(_("A subscription has a fixed price: the buyer cannot choose it."))
        if terms.get("period") == "days" and not terms.get("period_days"):
            problems.append(_("Enter the days in a period."))
        if terms.get("trial_days") and not terms.get("first_amount"):
            problems.append(
                _(
                    "ROBOKASSA needs a first payment to remember the card: set a first payment "
                    "for the trial, for example 1 ₽."
                )
            )
        if not problems:
            return {}
        return {"subscription": ValidationError(" ".join(str(p) for p in problems))}

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
        currency = config.currency_symbol if config else "₽"
        context.update(
            token=make_token(page, block_id) if block_id and action else "",
            action=action,
            block_id=block_id or "preview",
            currency=currency,
            subscription=subscription_terms_text(value, currency),
            subscription_every=subscription_every(value),
            # Said to editors only: in the preview, never on the published page.
            subscription_off=bool(
                getattr(request, "is_preview", False)
                and config
                and (value.get("subscription") or {}).get("enabled")
                and not config.recurring_enabled
            ),
            hold_off=bool(
                getattr(request, "is_preview", False)
                and config
                and value.get("hold")
                and not config.holds_enabled
            ),
        )
        return context


def subscription_every(value: StructValue) -> str:
    """How often the block's subscription is charged ("every month"), or ``""``."""
    from .services.periods import period_phrase

    terms = value.get("subscription") or {}
    if not terms.get("enabled"):
        return ""
    return period_phrase(terms.get("period") or "month", terms.get("period_days"))


def subscription_terms_text(value: StructValue, currency: str) -> str:
    """The block's subscription terms in one sentence, or ``""`` for a one-off payment."""
    from .services.periods import terms_text

    terms = value.get("subscription") or {}
    if not terms.get("enabled") or value.get("amount") is None:
        return ""
    if terms.get("period") == "days" and not terms.get("period_days"):
        return ""
    return terms_text(
        amount=value["amount"],
        currency=currency,
        period=terms.get("period") or "month",
        days=terms.get("period_days"),
        first_amount=terms.get("first_amount"),
        trial_days=terms.get("trial_days"),
        max_payments=terms.get("max_payments"),
    )
