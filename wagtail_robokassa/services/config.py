"""Which shop a request is for: the configuration of a Site, a request, or a callback's invoice.

``conf`` says what a configuration is; this module finds the Site's stored values (Django
settings still win field by field).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Subquery
from django.http import HttpRequest
from wagtail.models import Site

from ..conf import MerchantConfig, server_config, server_configures_callbacks
from ..models import Invoice, RobokassaSettings


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


def config_for_invoice(inv_id: int) -> MerchantConfig | None:
    """The configuration of the Site that issued invoice ``inv_id`` (one query), or None when
    there is no such invoice or its Site has no settings."""
    invoice_site = Invoice.objects.filter(pk=inv_id).values("site_id")[:1]
    row = RobokassaSettings.objects.filter(site_id=Subquery(invoice_site)).first()
    return None if row is None else row.config()


def config_for_callback(request: HttpRequest, inv_id: int | None) -> MerchantConfig:
    """For a known invoice, its Site's configuration; otherwise the request's Site's. No query
    when Django settings configure everything a callback needs."""
    if server_configures_callbacks():
        return server_config()
    if inv_id is not None:
        config = config_for_invoice(inv_id)
        if config is not None:
            return config
    return config_for_request(request)


def callback_config_resolver(request: HttpRequest) -> Callable[[int | None], MerchantConfig]:
    """``inv_id → MerchantConfig`` for ``process_result``, for callbacks arriving on ``request``."""
    return lambda inv_id: config_for_callback(request, inv_id)
