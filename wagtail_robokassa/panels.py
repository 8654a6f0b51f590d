"""The settings panel's header: what to paste into the ROBOKASSA cabinet, and the current mode."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from wagtail.admin.panels import Panel

from .conf import get_config

CALLBACK_URL_NAMES = (
    ("Result URL", "robokassa_result"),
    ("Success URL", "robokassa_success"),
    ("Fail URL", "robokassa_fail"),
)


def cabinet_urls(site: Any) -> list[tuple[str, str]] | None:
    """``(cabinet field, absolute URL)`` for the site, or None when the URLs are not mounted."""
    try:
        paths = [(label, reverse(name)) for label, name in CALLBACK_URL_NAMES]
    except NoReverseMatch:
        return None
    root = site.root_url if site is not None else ""
    return [(label, root + path) for label, path in paths]


class CabinetPanel(Panel):
    """Read-only: the Result, Success and Fail URLs and the HTTP method, for the edited Site."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_robokassa/admin/cabinet_panel.html"

        def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
            context = super().get_context_data(parent_context)
            site = getattr(self.instance, "site", None)
            config = get_config(site) if site is not None else get_config()
            method = ""  # both work unless the server configuration says which
            if config.use_post_explicit:
                method = "POST" if config.use_post else "GET"
            context.update(
                urls=cabinet_urls(site), method=method, test_mode=config.test_mode, config=config
            )
            return context
