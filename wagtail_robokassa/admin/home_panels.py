"""What the plugin's dashboard panels share: the request they are drawn for, and, for a warning,
nothing at all while there is nothing to warn about."""

from __future__ import annotations

from typing import Any

from wagtail.admin.ui.components import Component


class HomePanel(Component):
    """A panel of the Wagtail dashboard, drawn for ``request``."""

    def __init__(self, request: Any) -> None:
        self.request = request


class WarningPanel(HomePanel):
    """A panel shown only while its context has something under ``warns_about``."""

    warns_about: str

    def render_html(self, parent_context: Any = None) -> str:
        if not self.get_context_data(parent_context)[self.warns_about]:
            return ""
        return super().render_html(parent_context)
