""" "Test connection" in Settings → ROBOKASSA: asks ROBOKASSA's status interface whether the login
and each pair's Password #2 are right, with the values typed in the form (a password left empty
is the stored one), and says so without showing any of them."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.models import Site

from ..conf import MerchantConfig, server_values
from ..gateway.status import PairCheck, check_connection
from ..models import RobokassaSettings
from ..protocol import HASH_ALGORITHMS, HOSTS
from ..services.storable import storable

#: Form fields the check takes from what was typed, and the longest value taken.
TYPED_FIELDS = ("login", "host", "algorithm", "password2", "test_password2")
LONGEST_VALUE = 200


def can_edit_settings(user: Any) -> bool:
    return RobokassaSettings.get_permission_policy().user_has_permission(user, "change")


def settings_url(site: Site) -> str:
    return reverse("wagtailsettings:edit", args=["wagtail_robokassa", "robokassasettings", site.pk])


@require_POST
def connection_check(request: HttpRequest, site_id: int) -> HttpResponse:
    if not can_edit_settings(request.user):
        raise PermissionDenied
    site = get_object_or_404(Site, pk=site_id)
    config = typed_config(RobokassaSettings.for_site(site).config(), request.POST)
    for pair in check_connection(config):
        messages.add_message(request, _level(pair), _sentence(pair))
    return redirect(settings_url(site))


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
