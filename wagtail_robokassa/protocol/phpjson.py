"""JSON and base64url as ROBOKASSA's own PHP code writes them, byte for byte (protocol reference
§11.2): compact, amounts as exact numbers without trailing zeros (``100``, ``10.5``, as PHP
writes its floats), raw UTF-8 except U+2028/U+2029, and ``/`` escaped only where the vendor
leaves PHP's default on."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

from .amounts import json_number


def php_json(value: Any, *, escape_slashes: bool = False) -> str:
    """``json_encode(value, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES)``; with
    ``escape_slashes``, ``json_encode(value, JSON_UNESCAPED_UNICODE)``. Amounts are ``Decimal``
    (a float is refused: it may not be the amount meant)."""
    text = _encode(value)
    return text.replace("/", "\\/") if escape_slashes else text


def _encode(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{_encode(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("amounts must be finite")
        return json_number(value)
    if isinstance(value, float):
        raise TypeError("amounts must be Decimal, not float")
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def b64url(data: bytes) -> str:
    """URL-safe base64 without ``=`` padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of URL-safe base64 with or without padding; raises ``ValueError``."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
