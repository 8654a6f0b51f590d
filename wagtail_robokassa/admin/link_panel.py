"""Payment links whose outcome is unknown, on the dashboard: ROBOKASSA may have made them and
nobody has their address until they are looked up. Shown to staff who may make links."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..models import PaymentLink, PaymentLinkState
from .home_panels import WarningPanel
from .payment_links import can_create_links
from .site_scope import scoped


def unknown_links(user: Any) -> int:
    return scoped(PaymentLink.objects.filter(state=PaymentLinkState.UNKNOWN), user).count()


class UnknownLinksPanel(WarningPanel):
    name = "robokassa_unknown_links"
    order = 105
    template_name = "wagtail_robokassa/admin/unknown_links_panel.html"
    warns_about = "unknown"

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        links = reverse("robokassa_links:index")
        return {
            "request": self.request,
            "unknown": unknown_links(self.request.user),
            "unknown_url": f"{links}?state={PaymentLinkState.UNKNOWN}",
            "heading": _("ROBOKASSA: payment links to check"),
        }


__all__ = ["UnknownLinksPanel", "can_create_links", "unknown_links"]
