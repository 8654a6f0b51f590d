"""Payment button tokens: a signed, timestamped reference to a block on a page.

The rendered HTML holds no per-visitor state (pages stay cacheable); the pay view finds the block
again from the token on the live page.
"""

from __future__ import annotations

from typing import Any

from django.core import signing

TOKEN_SALT = "wagtail_robokassa.pay"  # noqa: S105 - a namespace for signing, not a secret


def make_token(page: Any, block_id: str) -> str:
    """A signed, timestamped reference to a block on a page (no per-visitor state)."""
    payload = {"p": page.pk, "b": block_id}
    return signing.TimestampSigner(salt=TOKEN_SALT).sign_object(payload)


def read_token(token: str, max_age: int) -> tuple[int, str]:
    """``(page id, block id)`` from a token; raises ``signing.BadSignature`` (or its subclass
    ``SignatureExpired``) for a forged, altered or expired one."""
    payload = signing.TimestampSigner(salt=TOKEN_SALT).unsign_object(token, max_age=max_age)
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), int):
        raise signing.BadSignature("malformed payment token")
    return payload["p"], str(payload.get("b", ""))
