"""Human labels for the receipt's codes (54-FZ): tax systems, VAT rates, payment methods and
payment objects, each followed by its API code, which is what an accountant checks against the
receipt."""

from __future__ import annotations

from enum import StrEnum

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .protocol import PaymentMethod, PaymentObject, Tax, TaxSystem

LABELS: dict[str, dict[str, Promise]] = {
    "sno": {
        TaxSystem.OSN: _("General (OSN)"),
        TaxSystem.USN_INCOME: _("Simplified, income (USN)"),
        TaxSystem.USN_INCOME_OUTCOME: _("Simplified, income minus expenses (USN)"),
        TaxSystem.ESN: _("Unified agricultural tax (ESN)"),
        TaxSystem.PATENT: _("Patent"),
    },
    "tax": {
        Tax.NONE: _("No VAT"),
        Tax.VAT0: _("VAT 0%"),
        Tax.VAT5: _("VAT 5%"),
        Tax.VAT7: _("VAT 7%"),
        Tax.VAT10: _("VAT 10%"),
        Tax.VAT20: _("VAT 20%"),
        Tax.VAT22: _("VAT 22%"),
        Tax.VAT105: _("VAT 5/105, calculated"),
        Tax.VAT107: _("VAT 7/107, calculated"),
        Tax.VAT110: _("VAT 10/110, calculated"),
        Tax.VAT120: _("VAT 20/120, calculated"),
        Tax.VAT122: _("VAT 22/122, calculated"),
    },
    "payment_method": {
        PaymentMethod.FULL_PREPAYMENT: _("Full prepayment"),
        PaymentMethod.PREPAYMENT: _("Partial prepayment"),
        PaymentMethod.ADVANCE: _("Advance"),
        PaymentMethod.FULL_PAYMENT: _("Full payment"),
        PaymentMethod.PARTIAL_PAYMENT: _("Partial payment and credit"),
        PaymentMethod.CREDIT: _("Handed over on credit"),
        PaymentMethod.CREDIT_PAYMENT: _("Credit repayment"),
    },
    "payment_object": {
        PaymentObject.COMMODITY: _("Goods"),
        PaymentObject.EXCISE: _("Excise goods"),
        PaymentObject.JOB: _("Work"),
        PaymentObject.SERVICE: _("Service"),
        PaymentObject.GAMBLING_BET: _("Gambling bet"),
        PaymentObject.GAMBLING_PRIZE: _("Gambling winnings"),
        PaymentObject.LOTTERY: _("Lottery ticket"),
        PaymentObject.LOTTERY_PRIZE: _("Lottery winnings"),
        PaymentObject.INTELLECTUAL_ACTIVITY: _("Rights to intellectual property"),
        PaymentObject.PAYMENT: _("Payment"),
        PaymentObject.AGENT_COMMISSION: _("Agent's commission"),
        PaymentObject.COMPOSITE: _("Composite"),
        PaymentObject.RESORT_FEE: _("Resort fee"),
        PaymentObject.ANOTHER: _("Other"),
        PaymentObject.PROPERTY_RIGHT: _("Property right"),
        PaymentObject.NON_OPERATING_GAIN: _("Non-operating income"),
        PaymentObject.INSURANCE_PREMIUM: _("Insurance premiums"),
        PaymentObject.SALES_TAX: _("Trade fee"),
        PaymentObject.TOVAR_MARK: _("Goods with a marking code"),
    },
}
_ENUMS: dict[str, type[StrEnum]] = {
    "sno": TaxSystem,
    "tax": Tax,
    "payment_method": PaymentMethod,
    "payment_object": PaymentObject,
}


def labelled(kind: str, code: str) -> Promise:
    """``Label (code)`` for one code of ``kind`` (``sno``, ``tax``, ``payment_method``,
    ``payment_object``)."""
    return format_lazy("{} ({})", LABELS[kind][code], code)


def choices(kind: str) -> list[tuple[str, Promise]]:
    """Every code of ``kind``, in the protocol's order, with its label."""
    return [(member.value, labelled(kind, member.value)) for member in _ENUMS[kind]]


def label_of(kind: str, code: object) -> str:
    """A stored code's label; an unknown code as it is; "—" for none."""
    if code in (None, ""):
        return "—"
    if isinstance(code, str) and code in LABELS[kind]:
        return str(labelled(kind, code))
    return str(code)
