"""Money whose fate staff must settle, on the dashboard: refunds whose outcome is unknown (how
many, how much they keep reserved, since when) and refunds for which ROBOKASSA reports another
amount than the one recorded. Shown to staff who may view refunds, in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Min, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..models import Refund, RefundState
from .home_panels import WarningPanel
from .permissions import policy_for
from .site_scope import scoped


@dataclass(frozen=True)
class Unsettled:
    unknown: int
    reserved: Decimal
    since: datetime | None
    differing: int

    def __bool__(self) -> bool:
        return bool(self.unknown or self.differing)


def unsettled(user: Any = None) -> Unsettled:
    unknown = Q(state=RefundState.UNKNOWN)
    differing = Q(robokassa_amount__isnull=False) & ~Q(robokassa_amount=F("amount"))
    refunds = scoped(Refund.objects.all(), user) if user is not None else Refund.objects.all()
    row = refunds.aggregate(
        unknown=Count("pk", filter=unknown),
        reserved=Sum("amount", filter=unknown),
        since=Min("created_at", filter=unknown),
        differing=Count("pk", filter=differing),
    )
    return Unsettled(
        unknown=row["unknown"],
        reserved=row["reserved"] or Decimal(0),
        since=row["since"],
        differing=row["differing"],
    )


def can_view_refunds(user: Any) -> bool:
    return policy_for(Refund).user_has_permission(user, "view")


class UnsettledPanel(WarningPanel):
    """A warning on the dashboard while refunds wait for staff."""

    name = "robokassa_unsettled"
    order = 104
    template_name = "wagtail_robokassa/admin/unsettled_panel.html"
    warns_about = "unsettled"

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        refunds = reverse("robokassa_refunds:index")
        return {
            "request": self.request,
            "unsettled": unsettled(self.request.user),
            "unknown_url": f"{refunds}?state={RefundState.UNKNOWN}",
            "refunds_url": refunds,
            "heading": _("ROBOKASSA: refunds to settle"),
        }
