"""Compact JWTs for ROBOKASSA's JSON APIs (refunds with Password#3, the Invoice API)."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

from .invoice_api import ALG_NAMES, algorithm_for_alg
from .phpjson import b64url as _b64url
from .phpjson import b64url_decode as _b64url_decode
from .phpjson import php_json as _compact
from .signing import DEFAULT_ALGORITHM, hash_constructor, normalize_algorithm

REFUND_ALGORITHMS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _token(header: dict[str, str], payload: dict[str, Any], key: str, digestmod: Any) -> str:
    signing_input = f"{_b64url(_compact(header).encode())}.{_b64url(_compact(payload).encode())}"
    mac = hmac.new(key.encode("utf-8"), signing_input.encode("ascii"), digestmod)
    return f"{signing_input}.{_b64url(mac.digest())}"


def refund_token(payload: dict[str, Any], password3: str, algorithm: str = "HS256") -> str:
    """A Refund API token: HMAC-SHA2 keyed with Password#3 (protocol reference §6.4)."""
    digestmod = REFUND_ALGORITHMS.get(algorithm)
    if digestmod is None:
        raise ValueError("refund tokens use HS256, HS384 or HS512")
    return _token({"alg": algorithm, "typ": "JWT"}, payload, password3, digestmod)


def invoice_api_token(
    payload: dict[str, Any],
    merchant_login: str,
    password1: str,
    algorithm: str = DEFAULT_ALGORITHM,
) -> str:
    """An Invoice API token: HMAC with the shop's algorithm keyed ``MerchantLogin:Password1``,
    the header ``{"alg":…,"typ":"JWT"}`` in the vendor's order (protocol reference §12.5)."""
    hash_constructor(algorithm)  # refuses an algorithm this server cannot compute
    name = normalize_algorithm(algorithm)
    return _token(
        {"alg": ALG_NAMES[name][0], "typ": "JWT"}, payload, f"{merchant_login}:{password1}", name
    )


def verify_invoice_api_token(token: str, merchant_login: str, password1: str) -> dict[str, Any]:
    """The payload of an Invoice API token, checked as ROBOKASSA checks it: any ``alg`` name it
    accepts, the signature over the bytes received (constant-time compare). Raises
    ``ValueError`` otherwise."""
    header, payload, signing_input, signature = _parts(token)
    alg = header.get("alg")
    algorithm = algorithm_for_alg(alg) if isinstance(alg, str) else None
    if algorithm is None:
        raise ValueError("the token's alg is not one the Invoice API accepts")
    hash_constructor(algorithm)  # an algorithm this server cannot compute: UnsupportedAlgorithm
    key = f"{merchant_login}:{password1}".encode()
    expected = hmac.new(key, signing_input, algorithm).digest()
    if not hmac.compare_digest(expected, signature):
        raise ValueError("the token's signature does not match")
    return payload


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """A compact JWT's header, payload, signing input and signature; ``ValueError`` for
    anything that is not three base64url parts of JSON objects."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise ValueError("a token has three parts")
    try:
        header = json.loads(_b64url_decode(parts[0]))
        payload = json.loads(_b64url_decode(parts[1]), parse_float=Decimal)
        signature = _b64url_decode(parts[2])
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    except (ValueError, UnicodeError) as error:
        raise ValueError(f"the token is not base64url JSON: {error}") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("a token's header and payload are JSON objects")
    return header, payload, signing_input, signature


def verify_refund_token(token: str, password3: str) -> dict[str, Any]:
    """The payload of a Refund API token signed with ``password3``; raises ``ValueError`` for
    a malformed token, another algorithm or a wrong signature (constant-time compare)."""
    header, payload, signing_input, signature = _parts(token)
    algorithm = header.get("alg")
    digestmod = REFUND_ALGORITHMS.get(algorithm) if isinstance(algorithm, str) else None
    if digestmod is None:
        raise ValueError("refund tokens use HS256, HS384 or HS512 over a JSON object")
    expected = hmac.new(password3.encode("utf-8"), signing_input, digestmod).digest()
    if not hmac.compare_digest(expected, signature):
        raise ValueError("the token's signature does not match")
    return payload
