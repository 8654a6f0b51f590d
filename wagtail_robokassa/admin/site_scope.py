"""Per-Site permissions, off by default (``ROBOKASSA_PERMISSIONS_PER_SITE = True`` turns them on).

A shop with several Sites and a team for each gives every group its ROBOKASSA permissions as
usual (view, export, check, refund, final receipt) and, on the group's page, the Sites they
apply to ("ROBOKASSA: Sites"). Staff then see, export and act on the payments of those Sites
only, as Wagtail scopes page permissions to a part of the tree: other Sites' payments, their
notifications, visits and refunds are not listed, not exported, not inspected (404), and no
action runs on them (403). A payment without a Site belongs to the default Site. Refused
requests name no Site and the takings on the dashboard and in the Overview add up every Site:
with per-Site permissions on, only staff allowed on every Site see them. Superusers see all.

The Sites of a group are ``wagtail.models.GroupSitePermission`` rows for the
``wagtail_robokassa.view_invoice`` permission (Wagtail's own per-Site record).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from wagtail.models import GroupSitePermission, Site

from ..conf import setting

#: The permission whose per-Site grants say which Sites a group works for.
MARKER_APP, MARKER_CODENAME = "wagtail_robokassa", "view_invoice"
#: How each record reaches its payment's Site (None: it names no Site).
SITE_PATHS = {
    "invoice": "site",
    "successnotification": "invoice__site",
    "paymentvisit": "invoice__site",
    "refund": "invoice__site",
    "secondreceipt": "invoice__site",
    "paymentlink": "site",
    "subscription": "site",
    "rejectedrequest": None,
}


def per_site() -> bool:
    return bool(setting("ROBOKASSA_PERMISSIONS_PER_SITE"))


def allowed_sites(user: Any) -> frozenset[int] | None:
    """The Sites ``user`` may work on; None: every one (per-Site permissions off, a superuser,
    or a group given every Site)."""
    if not per_site() or getattr(user, "is_superuser", False):
        return None
    if hasattr(user, "_robokassa_sites"):  # asked once per request's user
        cached: frozenset[int] | None = user._robokassa_sites
        return cached
    sites = frozenset(
        GroupSitePermission.objects.filter(
            group__user=user,
            permission__content_type__app_label=MARKER_APP,
            permission__codename=MARKER_CODENAME,
        ).values_list("site_id", flat=True)
    )
    every = set(Site.objects.values_list("pk", flat=True))
    result = None if every and every <= sites else sites
    user._robokassa_sites = result
    return result


def _default_site_id() -> int | None:
    return Site.objects.filter(is_default_site=True).values_list("pk", flat=True).first()


def scoped(queryset: QuerySet, user: Any) -> QuerySet:
    """``queryset`` of payment records, limited to the Sites ``user`` may work on."""
    sites = allowed_sites(user)
    if sites is None:
        return queryset
    path = SITE_PATHS.get(queryset.model._meta.model_name)
    if path is None:
        return queryset.none()
    condition = Q(**{f"{path}__in": sites})
    if _default_site_id() in sites:  # a payment without a Site is the default Site's
        condition |= Q(**{f"{path}__isnull": True})
    return queryset.filter(condition)


def may_work_on(user: Any, invoice: Any) -> bool:
    """Whether ``user`` may act on payment ``invoice`` (its Site is one of theirs)."""
    sites = allowed_sites(user)
    if sites is None:
        return True
    return (invoice.site_id or _default_site_id()) in sites


def record_for(request: Any, model: type, pk: int, allowed: Any) -> Any:
    """The ``model`` row ``pk`` for an action ``allowed(user)`` permits, on one of the user's
    Sites; ``PermissionDenied`` otherwise, 404 when there is no such row."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404

    if not allowed(request.user):
        raise PermissionDenied
    record: Any = get_object_or_404(model, pk=pk)
    if not may_work_on(request.user, record):
        raise PermissionDenied
    return record


def sees_every_site(user: Any) -> bool:
    return allowed_sites(user) is None


class RobokassaSitesForm(forms.Form):
    """The group page's panel: the Sites whose payments the group's ROBOKASSA permissions
    apply to (shown while per-Site permissions are on)."""

    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Sites"),
        help_text=_("The group's ROBOKASSA permissions apply to the payments of these Sites."),
    )

    def __init__(self, *args: Any, instance: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "robokassa_sites")
        self.instance = instance
        self.permission = Permission.objects.get(
            content_type__app_label=MARKER_APP, codename=MARKER_CODENAME
        )
        if instance is not None and instance.pk is not None:
            kwargs["initial"] = {"sites": list(self._granted().values_list("site_id", flat=True))}
        super().__init__(*args, **kwargs)

    def _granted(self) -> QuerySet:
        return GroupSitePermission.objects.filter(group=self.instance, permission=self.permission)

    def as_admin_panel(self) -> str:
        if not per_site():
            return ""
        return render_to_string(
            "wagtailsettings/permissions/includes/site_permission_form.html",
            {"heading": _("ROBOKASSA: Sites"), "form": self, "panel_id": "robokassa-sites"},
        )

    def is_valid(self) -> bool:
        return not per_site() or super().is_valid()

    def save(self) -> None:
        if not per_site() or self.instance is None or self.instance.pk is None:
            return
        chosen = set(self.cleaned_data["sites"].values_list("pk", flat=True))
        granted = set(self._granted().values_list("site_id", flat=True))
        for site_id in chosen - granted:
            GroupSitePermission.objects.get_or_create(
                group=self.instance, site_id=site_id, permission=self.permission
            )
        self._granted().filter(site_id__in=granted - chosen).delete()


__all__ = [
    "RobokassaSitesForm",
    "allowed_sites",
    "may_work_on",
    "per_site",
    "scoped",
    "sees_every_site",
]
