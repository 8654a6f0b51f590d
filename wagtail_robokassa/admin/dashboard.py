"""The Wagtail dashboard: a summary item (today, seven days) and a panel with the 30-day chart of
takings and the latest notifications. Both are shown to staff who may view notifications (what
takings are made of); each costs a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail.admin.site_summary import SummaryItem

from ..models import SuccessNotification
from ..services.config import config_for_request
from ..services.subscriptions import monthly_recurring_revenue
from . import display, stats
from .charts import takings_chart
from .home_panels import HomePanel
from .permissions import policy_for
from .site_scope import sees_every_site


def can_view_takings(user: Any) -> bool:
    """Takings are sums of notifications: whoever may view notifications may see them (every
    Site's, so with per-Site permissions only staff allowed on every Site)."""
    return policy_for(SuccessNotification).user_has_permission(user, "view") and sees_every_site(
        user
    )


def shows_test_takings(request: Any) -> bool:
    """A shop in test mode is shown its test takings (labelled), live shops their real ones."""
    return config_for_request(request).test_mode


class TakingsSummaryItem(SummaryItem):
    order = 50
    template_name = "wagtail_robokassa/admin/summary_item.html"

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        context = super().get_context_data(parent_context)
        test = shows_test_takings(self.request)
        context.update(figures=stats.summary(test), test=test, request=self.request)
        return context

    def is_shown(self) -> bool:
        return can_view_takings(self.request.user)


class TakingsPanel(HomePanel):
    name = "robokassa_takings"
    order = 110
    template_name = "wagtail_robokassa/admin/home_panel.html"

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        test = shows_test_takings(self.request)
        last = stats.today()
        days = stats.daily_takings(last - timedelta(29), last, test)
        return {
            "request": self.request,  # for the shop's currency
            "days": days,
            "refunds_shown": any(day.refunded for day in days),
            "chart": takings_chart(days, "robokassa-home-chart", display.currency_of(self.request)),
            "latest": stats.latest_notifications(5, test),
            "recurring": monthly_recurring_revenue(test=test),
            "held": stats.held_now(test),
            "test": test,
            "heading": _("ROBOKASSA: test takings, the last 30 days")
            if test
            else _("ROBOKASSA: takings, the last 30 days"),
        }
