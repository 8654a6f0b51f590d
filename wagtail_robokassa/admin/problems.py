"""Refused requests grouped into problems: identical refusals (endpoint, reason, diagnosis) are one
problem with a count, so that a misconfiguration shows once, with what to fix. The dashboard
warns about the last 24 hours' problems; the rejected requests listing links to each group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Endpoint, RejectedRequest, RejectionReason, SuccessNotification
from ..services.diagnosis import explain
from .home_panels import WarningPanel
from .permissions import policy_for
from .site_scope import sees_every_site

#: The dashboard's look-back, and the most problems it lists.
RECENT = timedelta(hours=24)
SHOWN = 5


@dataclass(frozen=True)
class Problem:
    endpoint: str
    reason: str
    diagnosis: str
    count: int
    last: datetime

    @property
    def summary(self) -> str:
        """ "N notifications refused …: what is wrong" in one sentence."""
        phrases: dict[str, str] = {
            Endpoint.RESULT: ngettext(
                "%(count)s notification refused", "%(count)s notifications refused", self.count
            ),
            Endpoint.SUCCESS: ngettext(
                "%(count)s Success URL visit refused",
                "%(count)s Success URL visits refused",
                self.count,
            ),
        }
        other = ngettext("%(count)s request refused", "%(count)s requests refused", self.count)
        what = phrases.get(self.endpoint, other) % {"count": self.count}
        why = explain(self.diagnosis) or RejectionReason(self.reason).label
        return f"{what}: {why}"

    @property
    def url(self) -> str:
        query = {"endpoint": self.endpoint, "reason": self.reason}
        if self.diagnosis:
            query["diagnosis"] = self.diagnosis
        return f"{reverse('robokassa_rejected:index')}?{urlencode(query)}"


def problems(since: datetime | None = None, limit: int | None = None) -> list[Problem]:
    """The groups of refusals since ``since`` (default: the last 24 hours), largest first."""
    since = since or timezone.now() - RECENT
    # A buyer on the Success page before the notification is no problem once it has arrived.
    since_notified = Q(reason=RejectionReason.NOT_NOTIFIED) & Exists(
        SuccessNotification.objects.filter(inv_id=OuterRef("inv_id"))
    )
    rows = (
        RejectedRequest.objects.filter(created_at__gte=since)
        .exclude(since_notified)
        .values("endpoint", "reason", "diagnosis")
        .annotate(count=Count("id"), last=Max("created_at"))
        .order_by("-count", "-last")
    )
    if limit is not None:
        rows = rows[:limit]
    return [Problem(**row) for row in rows]


def can_view_rejections(user: Any) -> bool:
    """Refused requests name no Site: with per-Site permissions, for staff of every Site."""
    return policy_for(RejectedRequest).user_has_permission(user, "view") and sees_every_site(user)


class ProblemsPanel(WarningPanel):
    """A warning on the dashboard while requests are being refused."""

    name = "robokassa_problems"
    order = 105
    template_name = "wagtail_robokassa/admin/problems_panel.html"
    warns_about = "problems"

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        return {"problems": problems(limit=SHOWN), "heading": _("ROBOKASSA: refused requests")}
