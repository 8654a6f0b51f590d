"""Recording refused requests: redacted, logged, and capped so that a flood cannot fill the disk."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..conf import MerchantConfig, setting
from ..models import RejectedRequest, RejectionOverflow

logger = logging.getLogger("wagtail_robokassa.rejections")

REDACTED = "[redacted]"
SIGNATURE_PARAMS = frozenset({"signaturevalue", "crc", "signature"})
DEFAULT_PER_MINUTE = 60
MAX_STORED_PARAMS = 50
MAX_STORED_VALUE = 256
MAX_STORED_NAME = 64


def _secrets(config: MerchantConfig | None) -> set[str]:
    if config is None:
        return set()
    candidates = (
        config.password1,
        config.password2,
        config.test_password1,
        config.test_password2,
        config.password3,
    )
    return {value for value in candidates if value}


def redact(pairs: Iterable[tuple[Any, Any]], config: MerchantConfig | None = None) -> dict:
    """Received parameters fit for storage: signatures and passwords removed, sizes capped."""
    secrets = _secrets(config)
    stored: dict[str, str] = {}
    for index, (name, value) in enumerate(pairs):
        if index >= MAX_STORED_PARAMS:
            stored["…"] = f"{index}+ parameters"
            break
        name_text = str(name)[:MAX_STORED_NAME]
        value_text = str(value)
        is_signature = name_text.lower() in SIGNATURE_PARAMS
        if is_signature or any(secret in value_text for secret in secrets):
            value_text = REDACTED
        stored[name_text] = value_text[:MAX_STORED_VALUE]
    return stored


def request_pairs(params: Any) -> list[tuple[Any, Any]]:
    """Every (name, value) of a QueryDict or a mapping, however malformed, for the record."""
    if hasattr(params, "lists"):
        return [(name, value) for name, values in params.lists() for value in values]
    if isinstance(params, dict):
        return list(params.items())
    return []


def record_rejection(
    *,
    endpoint: str,
    reason: str,
    detail: str,
    params: Any,
    method: str = "",
    client_ip: str | None = None,
    inv_id: int | None = None,
    config: MerchantConfig | None = None,
) -> RejectedRequest | None:
    """Log a refusal at WARNING and store it, or only count it past the per-minute ceiling."""
    logger.warning(
        "ROBOKASSA %s request refused: %s (%s); InvId=%s; from %s",
        endpoint,
        reason,
        detail,
        inv_id,
        client_ip,
    )
    now = timezone.now()
    minute = now.replace(second=0, microsecond=0)
    ceiling = setting("ROBOKASSA_REJECTED_REQUESTS_PER_MINUTE", DEFAULT_PER_MINUTE)
    if RejectedRequest.objects.filter(created_at__gte=minute).count() >= ceiling:
        _count_overflow(minute)
        return None
    return RejectedRequest.objects.create(
        endpoint=endpoint,
        reason=reason,
        detail=detail[:255],
        inv_id=inv_id,
        method=method[:8],
        params=redact(request_pairs(params), config),
        client_ip=client_ip,
    )


def _count_overflow(minute: Any) -> None:
    if RejectionOverflow.objects.filter(minute=minute).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            RejectionOverflow.objects.create(minute=minute, count=1)
    except IntegrityError:  # another process created this minute's row first
        RejectionOverflow.objects.filter(minute=minute).update(count=F("count") + 1)
