"""Settings → ROBOKASSA: the panels of the edit page, and its header (what to paste into the
ROBOKASSA cabinet, and the current mode)."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList, Panel

from ..services.config import get_config
from .settings_form import RobokassaSettingsForm

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


class ConnectionCheckPanel(Panel):
    """A "Test connection" button: submits the form's values to the connection check."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_robokassa/admin/connection_panel.html"

        def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
            context = super().get_context_data(parent_context)
            site_id = getattr(self.instance, "site_id", None)
            context["url"] = (
                reverse("robokassa_settings_link:test_connection", args=[site_id])
                if site_id
                else None
            )
            return context


def settings_edit_handler() -> ObjectList:
    """The edit page of ``RobokassaSettings``: the cabinet header, then the fields by topic."""
    return ObjectList(
        [
            CabinetPanel(heading=_("ROBOKASSA cabinet")),
            MultiFieldPanel([FieldPanel("login"), FieldPanel("host")], heading=_("Shop")),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("password1"), FieldPanel("password2")]),
                    FieldPanel("password3"),
                ],
                heading=_("Passwords"),
            ),
            MultiFieldPanel(
                [
                    FieldPanel("test_mode"),
                    FieldRowPanel([FieldPanel("test_password1"), FieldPanel("test_password2")]),
                ],
                heading=_("Test mode"),
            ),
            ConnectionCheckPanel(heading=_("Connection")),
            MultiFieldPanel(
                [FieldPanel("algorithm"), FieldPanel("culture"), FieldPanel("strict_check")],
                heading=_("Technical settings"),
            ),
            MultiFieldPanel([FieldPanel("recurring_enabled")], heading=_("Subscriptions")),
            MultiFieldPanel([FieldPanel("holds_enabled")], heading=_("Holds")),
            MultiFieldPanel(
                [
                    FieldPanel("send_receipts"),
                    FieldPanel("receipt_sno"),
                    FieldRowPanel(
                        [FieldPanel("receipt_tax"), FieldPanel("receipt_payment_method")]
                    ),
                    FieldPanel("receipt_payment_object"),
                ],
                heading=_("Receipts"),
            ),
        ],
        base_form_class=RobokassaSettingsForm,
    )
