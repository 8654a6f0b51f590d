"""The Wagtail dashboard: a summary item (today, seven days) and a panel with the 30-day chart and
the latest payments. Both are shown to staff who may view payments; each costs a fixed number of
queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail.admin.site_summary import SummaryItem
from wagtail.admin.ui.components import Component

from ..models import SuccessNotification
from . import stats
from .charts import takings_chart
from .permissions import policy_for


def can_view_payments(user: Any) -> bool:
    return policy_for(SuccessNotification).user_has_permission(user, "view")


class PaymentsSummaryItem(SummaryItem):
    order = 50
    template_name = "wagtail_robokassa/admin/summary_item.html"

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        context = super().get_context_data(parent_context)
        context["figures"] = stats.summary()
        return context

    def is_shown(self) -> bool:
        return can_view_payments(self.request.user)


class PaymentsPanel(Component):
    name = "robokassa_payments"
    order = 110
    template_name = "wagtail_robokassa/admin/home_panel.html"

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        last = stats.today()
        days = stats.daily_takings(last - timedelta(29), last)
        return {
            "days": days,
            "chart": takings_chart(days, "robokassa-home-chart"),
            "latest": stats.latest_payments(5),
            "heading": _("ROBOKASSA: the last 30 days"),
        }
