"""Which shop a request is for: the configuration of a Site, a request, or a callback's invoice.

``conf`` says what a configuration is; this module finds the Site's stored values (Django
settings still win field by field).

Callbacks (``CallbackConfigs``) may use a copy of a Site's configuration kept in the process, so
that a shop configured in Settings → ROBOKASSA costs no query per delivery. A copy is never
trusted on its own: it carries a ``ConfigGuard`` (the settings row's revision and a fingerprint
of the Sites), and the write that records the payment writes nothing unless both are still
current. A stale copy, or one that does not verify, is read again from the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple
from uuid import UUID

from django.core.signals import setting_changed
from django.db import connection
from django.db.models import Subquery
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from wagtail.models import Site

from ..conf import MerchantConfig, server_config, server_configures_callbacks
from ..models import Invoice, RobokassaSettings
from .guards import ConfigGuard, guard_holds, sites_fingerprint
from .verification import Refusal


def get_config(site: Site | None = None, *, row: RobokassaSettings | None = None) -> MerchantConfig:
    """The configuration for ``site`` (or for an already loaded ``RobokassaSettings`` row);
    without either, Django settings and defaults only."""
    if row is not None:
        return row.config()
    if site is None:
        return server_config()
    return RobokassaSettings.for_site(site).config()  # the row is created on first read


def config_for_request(request: HttpRequest) -> MerchantConfig:
    """The configuration of the Site the request is for (kept on the request once read)."""
    config: MerchantConfig | None = getattr(request, "_robokassa_config", None)
    if config is None:
        config = get_config(Site.find_for_request(request))
        request._robokassa_config = config  # type: ignore[attr-defined]
    return config


def _invoice_settings(inv_id: int) -> RobokassaSettings | None:
    invoice_site = Invoice.objects.filter(pk=inv_id).values("site_id")[:1]
    return RobokassaSettings.objects.filter(site_id=Subquery(invoice_site)).first()


def config_for_invoice(inv_id: int) -> MerchantConfig | None:
    """The configuration of the Site that issued invoice ``inv_id`` (one query), or None when
    there is no such invoice or its Site has no settings."""
    row = _invoice_settings(inv_id)
    return None if row is None else row.config()


def config_for_callback(request: HttpRequest, inv_id: int | None) -> MerchantConfig:
    """For a known invoice, its Site's configuration; otherwise the request's Site's. No query
    when Django settings configure everything a callback needs."""
    return CallbackConfigs(request).resolve(inv_id).config


class Resolution(NamedTuple):
    """A callback's configuration; ``guard`` is None when it needs no confirmation (Django
    settings give everything verification needs); ``kept`` when it is the process's copy."""

    config: MerchantConfig
    guard: ConfigGuard | None = None
    kept: bool = False


_MAX_HOSTS = 64  # any Host header reaches the Result URL: keep the map small
_sites_by_host: dict[tuple[str, str], tuple[int, str]] = {}
_configs_by_site: dict[int, tuple[MerchantConfig, int, UUID]] = {}


class CallbackConfigs:
    """The configurations of callbacks arriving on ``request`` (for ``process_result``).

    Called with an InvId it reads the configuration from the database, as
    ``config_for_callback`` does; ``resolve(…, kept=True, guarded=True)`` may answer with the
    process's copy and its guard, for a write path that checks guards.
    """

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    def __call__(self, inv_id: int | None) -> MerchantConfig:
        return self.resolve(inv_id).config

    def resolve(
        self, inv_id: int | None, *, kept: bool = False, guarded: bool = False
    ) -> Resolution:
        if server_configures_callbacks():
            return Resolution(server_config())
        if kept and guarded:
            copy = self._kept_copy()
            if copy is not None:
                return copy
        return self._read(inv_id, guarded=guarded)

    def verified(
        self, inv_id: int | None, check: Callable[[MerchantConfig], None]
    ) -> MerchantConfig:
        """The configuration that ``check`` (raising ``Refusal``) accepts, for a request whose
        own writes cannot check a guard (the Success URL): the process's copy once its guard is
        confirmed (one query), else the stored settings. Raises ``check``'s last ``Refusal``."""
        guarded = connection.vendor == "postgresql"
        resolution = self.resolve(inv_id, kept=True, guarded=guarded)
        if resolution.kept and resolution.guard is not None:
            try:
                check(resolution.config)
            except Refusal:
                pass
            else:
                if guard_holds(resolution.guard, inv_id):
                    return resolution.config
            resolution = self.resolve(inv_id, guarded=guarded)
        check(resolution.config)
        return resolution.config

    def _host(self) -> tuple[str, str]:
        # As Wagtail matches Sites: the raw host, before ALLOWED_HOSTS (checked elsewhere).
        return self.request._get_raw_host(), self.request.get_port()  # type: ignore[attr-defined]

    def _kept_copy(self) -> Resolution | None:
        site = _sites_by_host.get(self._host())
        if site is None:
            return None
        site_id, sites = site
        kept = _configs_by_site.get(site_id)
        if kept is None:
            return None
        config, settings_id, revision = kept
        return Resolution(config, ConfigGuard(site_id, sites, settings_id, revision), kept=True)

    def _read(self, inv_id: int | None, *, guarded: bool) -> Resolution:
        # The fingerprint is read before the Site it vouches for: a change in between makes the
        # guard fail, never pass.
        sites = sites_fingerprint() if guarded else ""
        row = _invoice_settings(inv_id) if inv_id is not None else None
        site = None
        if guarded or row is None:
            if guarded:  # the Site is read again: a kept one may be what failed
                self.request.__dict__.pop("_wagtail_site", None)
            site = Site.find_for_request(self.request)
        if row is None:
            if site is None:
                return Resolution(server_config())
            row = RobokassaSettings.for_site(site)  # the row is created on first read
        config = row.config()
        if not guarded:
            return Resolution(config)
        if site is not None and row.site_id == site.pk:
            _keep(self._host(), site.pk, sites, config, row)
        site_id = site.pk if site is not None else None
        return Resolution(config, ConfigGuard(site_id, sites, row.pk, row.revision))


def _keep(
    host: tuple[str, str], site_id: int, sites: str, config: MerchantConfig, row: RobokassaSettings
) -> None:
    if len(_sites_by_host) >= _MAX_HOSTS and host not in _sites_by_host:
        _sites_by_host.clear()
    _sites_by_host[host] = (site_id, sites)
    _configs_by_site[site_id] = (config, row.pk, row.revision)


def forget_kept_configs(**kwargs: Any) -> None:
    """Drop the process's copies (they would be refused by their guards anyway)."""
    _sites_by_host.clear()
    _configs_by_site.clear()


def callback_config_resolver(request: HttpRequest) -> Callable[[int | None], MerchantConfig]:
    """``inv_id → MerchantConfig`` for ``process_result``, for callbacks arriving on ``request``
    (a ``CallbackConfigs``, which can also give the process's guarded copy)."""
    return CallbackConfigs(request)


for _model in (RobokassaSettings, Site):
    post_save.connect(forget_kept_configs, sender=_model, dispatch_uid=f"robokassa.kept.{_model}")
    post_delete.connect(forget_kept_configs, sender=_model, dispatch_uid=f"robokassa.del.{_model}")
setting_changed.connect(forget_kept_configs, dispatch_uid="wagtail_robokassa.config.kept")
