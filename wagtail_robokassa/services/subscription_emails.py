"""What buyers are told about their subscription, by e-mail, each time with the signed link to
its page (where it is cancelled, no account needed).

Templates ``wagtail_robokassa/emails/subscription_<kind>.txt`` and ``…_<kind>_subject.txt``
(kinds: ``started``, ``reminder``, ``failed``, ``cancelled``), which a site may override. A
mail server's failure is logged, never raised: the subscription's state does not depend on it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from wagtail.models import Site

from ..conf import setting
from ..models import Subscription
from .config import get_config
from .periods import period_phrase

logger = logging.getLogger("wagtail_robokassa.subscriptions")

KINDS = ("started", "reminder", "failed", "cancelled")
_SALT = "wagtail_robokassa.subscription"


def subscription_token(subscription: Subscription) -> str:
    """The signed name of the subscription in its links (no expiry: it can always be
    cancelled)."""
    return signing.Signer(salt=_SALT).sign(subscription.code)


def read_subscription_token(token: str) -> str:
    """The subscription code a token names; ``signing.BadSignature`` for any other text."""
    return signing.Signer(salt=_SALT).unsign(token)


def subscription_url(subscription: Subscription) -> str:
    """The absolute address of the subscription's page, or ``""`` when the plugin's URLs are
    not mounted."""
    try:
        path = reverse("robokassa_subscription", args=[subscription_token(subscription)])
    except NoReverseMatch:
        return ""
    site = subscription.site or Site.objects.filter(is_default_site=True).first()
    return (site.root_url if site is not None else "") + path


def shop_name(site: Any, fallback: str) -> str:
    """The shop as buyers know it: the Site's name, else ``WAGTAIL_SITE_NAME``, else
    ``fallback``."""
    site_name = getattr(site, "site_name", "") if site is not None else ""
    return site_name or getattr(settings, "WAGTAIL_SITE_NAME", "") or fallback


def send_subscription_email(subscription: Subscription, kind: str, **extra: Any) -> bool:
    """E-mail the buyer ``kind`` (one of ``KINDS``); False when nothing was sent."""
    if kind not in KINDS:
        raise ValueError(f"unknown subscription e-mail {kind!r}")
    if not setting("ROBOKASSA_SUBSCRIPTION_EMAILS") or not subscription.email:
        return False
    subscription.refresh_from_db()
    config = get_config(subscription.site)
    context = {
        "subscription": subscription,
        "url": subscription_url(subscription),
        "currency": config.currency_symbol,
        "shop": shop_name(subscription.site, subscription.merchant_login),
        "every": period_phrase(subscription.period, subscription.period_days),
        **extra,
    }
    language = subscription.language or settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            subject = render_to_string(
                f"wagtail_robokassa/emails/subscription_{kind}_subject.txt", context
            )
            body = render_to_string(f"wagtail_robokassa/emails/subscription_{kind}.txt", context)
        send_mail(" ".join(subject.split()), body, None, [subscription.email])
    except Exception:
        logger.exception(
            "The %s e-mail of subscription %s could not be sent", kind, subscription.pk
        )
        return False
    return True
