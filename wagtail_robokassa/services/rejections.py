"""Recording refused requests: redacted, logged, and capped (``caps``) so that a flood cannot
fill the disk."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from ..conf import MerchantConfig
from ..models import OverflowKind, RejectedRequest, RejectionReason
from ..protocol import Callback
from .caps import StorageCap, with_reconnect
from .diagnosis import diagnose
from .storable import loggable, storable

logger = logging.getLogger("wagtail_robokassa.rejections")

REDACTED = "[redacted]"
SIGNATURE_PARAMS = frozenset({"signaturevalue", "crc", "signature"})
MAX_STORED_PARAMS = 50
MAX_STORED_VALUE = 256
MAX_STORED_NAME = 64


def redact(pairs: Iterable[tuple[Any, Any]], config: MerchantConfig | None = None) -> dict:
    """Received parameters fit for storage: signatures and passwords removed, sizes capped,
    characters no database stores replaced (see ``storable``)."""
    secrets = config.secrets if config is not None else frozenset()
    stored: dict[str, str] = {}
    for index, (name, value) in enumerate(pairs):
        if index >= MAX_STORED_PARAMS:
            stored["…"] = f"{index}+ parameters"
            break
        name_text = storable(str(name)[:MAX_STORED_NAME])
        value_text = str(value)
        is_signature = name_text.lower() in SIGNATURE_PARAMS
        if is_signature or any(secret in value_text for secret in secrets):
            value_text = REDACTED
        stored[name_text] = storable(value_text[:MAX_STORED_VALUE])
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
    callback: Callback | None = None,
    diagnosis: str = "",
) -> RejectedRequest | None:
    """Log a refusal at WARNING and store it, or only count it past a cap (then None). A
    stored wrong signature of a parsed ``callback`` gets its ``diagnosis`` (or the one given).

    Raises ``DatabaseError`` when it could be neither stored nor counted.
    """
    logger.warning(
        "ROBOKASSA %s request refused: %s (%s); InvId=%s; from %s",
        endpoint,
        reason,
        loggable(detail),
        inv_id,
        client_ip,
    )

    def write() -> RejectedRequest | None:
        if not REJECTIONS.allows(client_ip):
            return None
        return RejectedRequest.objects.create(
            endpoint=endpoint,
            reason=reason,
            detail=storable(detail[:255]),
            diagnosis=diagnosis[:128] or _diagnosis(endpoint, reason, callback, config),
            inv_id=inv_id,
            method=storable(method[:8]),
            params=redact(request_pairs(params), config),
            client_ip=client_ip,
        )

    return with_reconnect(write)


def _diagnosis(
    endpoint: str, reason: str, callback: Callback | None, config: MerchantConfig | None
) -> str:
    if reason != RejectionReason.BAD_SIGNATURE or callback is None or config is None:
        return ""
    try:
        return diagnose(endpoint, callback, config)[:128]
    except Exception:  # a diagnosis is a courtesy: never lose the record for it
        logger.exception("ROBOKASSA refused signature could not be diagnosed")
        return ""


REJECTIONS = StorageCap(
    RejectedRequest,
    OverflowKind.REJECTED,
    per_minute="ROBOKASSA_REJECTED_REQUESTS_PER_MINUTE",
    per_address="ROBOKASSA_REJECTED_REQUESTS_PER_ADDRESS_PER_MINUTE",
)
