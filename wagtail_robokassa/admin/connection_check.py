""" "Test connection" in Settings → ROBOKASSA: asks ROBOKASSA's status interface whether the login
and each pair's Password #2 are right, with the values typed in the form (a password left empty
is the stored one), and says so without showing any of them. The settings page comes back with
what was typed, unsaved (passwords are never shown back, so they stay to be typed again)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from wagtail.contrib.settings.views import EditView as SettingsEditView

from ..conf import MerchantConfig, server_values
from ..gateway.status import PairCheck, check_connection
from ..models import RobokassaSettings
from ..protocol import HASH_ALGORITHMS, HOSTS
from ..rules import SECRET_FIELDS
from ..services.storable import storable

#: Form fields the check takes from what was typed, and the longest value taken.
TYPED_FIELDS = ("login", "host", "algorithm", "password2", "test_password2")
LONGEST_VALUE = 200


def can_edit_settings(user: Any) -> bool:
    return RobokassaSettings.get_permission_policy().user_has_permission(user, "change")


class ConnectionCheckView(SettingsEditView):
    """Wagtail's settings page for the Site, bound to what was typed: checked, shown, never
    saved (its form still posts to the page itself to save)."""

    http_method_names = ["post"]

    @cached_property
    def has_unsaved_changes(self) -> bool:
        return self.form.has_changed()  # what was typed differs from what is saved

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        kwargs["pk"] = kwargs.pop("site_id")
        super().setup(request, "wagtail_robokassa", "robokassasettings", *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_edit_settings(request.user):
            raise PermissionDenied
        config = typed_config(self.object.config(), request.POST)
        for pair in check_connection(config):
            messages.add_message(request, _level(pair), _sentence(pair))
        if any(request.POST.get(name) for name in SECRET_FIELDS):
            messages.info(
                request, _("Passwords typed are not shown again: type them once more to save them.")
            )
        self.form = self.get_form()
        return self.render_to_response(self.get_context_data(form=self.form))


connection_check = ConnectionCheckView.as_view()


def typed_config(stored: MerchantConfig, typed: QueryDict) -> MerchantConfig:
    """``stored`` with the values typed in the form, where they are usable and not set by
    Django settings (which win, as everywhere)."""
    fixed = server_values().keys()
    changes: dict[str, Any] = {}
    for name in TYPED_FIELDS:
        value = typed.get(name, "").strip()
        if name in fixed or not value or len(value) > LONGEST_VALUE or storable(value) != value:
            continue
        if name == "algorithm" and value not in HASH_ALGORITHMS:
            continue
        if name == "host" and value not in HOSTS.values():
            continue
        changes[name] = value
    return dataclasses.replace(stored, **changes)


def _level(pair: PairCheck) -> int:
    if pair.ok:
        return messages.SUCCESS
    return messages.WARNING if pair.ok is None else messages.ERROR


def _sentence(pair: PairCheck) -> str:
    which = _("Test passwords") if pair.is_test else _("Live passwords")
    return f"{which}: {pair.message}"
