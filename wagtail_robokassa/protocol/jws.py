"""ResultUrl2 notifications: compact JWS signed RS256 with ROBOKASSA's certificate (protocol
reference §3.4, §12.1.1, vectors §12.5).

Nothing in a token is trusted before ``verify_rs256`` has checked it against a certificate
valid now, and ``read_state_notification`` has applied the acceptance rules. The algorithm is
fixed to RS256 by the verifier, never taken from the token, so ``none`` or HS256 with the
certificate as a key are refused before any key is used.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .errors import ProtocolError

NOTIFICATION_TYPE = "PaymentStateNotification"
STATES = ("OK", "HOLD")
#: A notification older than this is refused (the official module's default).
MAX_AGE = timedelta(days=7)
#: A notification dated this far ahead of our clock is refused.
MAX_AHEAD = timedelta(minutes=5)
#: ROBOKASSA's tokens are about 700 bytes; anything far larger is not one.
MAX_BODY = 16 * 1024


class JwsError(ProtocolError):
    """A ResultUrl2 token that is not to be trusted. ``code`` is a short word for records and
    statistics; the message is for people. Neither holds the token's signature."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def b64url_decode(text: str) -> bytes:
    """Base64url without padding, strictly: other characters are an error, not skipped."""
    if not text or not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise JwsError("bad_encoding", "a segment is not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise JwsError("bad_encoding", "a segment is not base64url") from None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def read_body(body: bytes) -> tuple[str, str]:
    """The compact token in a request body and how it came: ``compact`` (the token itself),
    ``base64`` (the token base64-encoded, as the docs describe) or ``json`` (a JSON string).
    The sources disagree on the wrapping (§12.1.1), so all three are read."""
    if len(body) > MAX_BODY:
        raise JwsError("too_large", f"the body is larger than {MAX_BODY} bytes")
    try:
        text = body.decode("ascii").strip()
    except UnicodeDecodeError:
        raise JwsError("not_a_token", "the body is not a JWS") from None
    if text.startswith('"') and text.endswith('"'):
        try:
            inner = json.loads(text)
        except ValueError:
            inner = None
        if isinstance(inner, str) and inner.count(".") == 2:
            return inner.strip(), "json"
    if text.count(".") == 2:
        return text, "compact"
    try:
        standard = text.replace("-", "+").replace("_", "/")
        unwrapped = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
        inner = unwrapped.decode("ascii").strip()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        inner = ""
    if inner.count(".") == 2:
        return inner, "base64"
    raise JwsError("not_a_token", "the body is not a JWS")


@dataclass(frozen=True)
class Jws:
    """A parsed compact JWS. Unverified until ``verify_rs256`` says otherwise."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(segment).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise JwsError("bad_json", f"the {what} is not JSON") from None
    if not isinstance(value, dict):
        raise JwsError("bad_json", f"the {what} is not a JSON object")
    return value


def parse_jws(token: str) -> Jws:
    """Split and decode a compact JWS (``header.payload.signature``)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JwsError("not_a_token", "a JWS has three segments")
    header = _json_object(parts[0], "header")
    payload = _json_object(parts[1], "payload")
    signature = b64url_decode(parts[2]) if parts[2] else b""  # ``none``: refused by the verifier
    return Jws(header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def load_certificate(data: bytes | str) -> x509.Certificate:
    """An X.509 certificate from PEM, DER, or DER in base64 without the PEM lines."""
    raw = data.encode("ascii", "ignore") if isinstance(data, str) else data
    try:
        if b"-----BEGIN" in raw:
            return x509.load_pem_x509_certificate(raw)
        try:
            return x509.load_der_x509_certificate(raw)
        except ValueError:
            return x509.load_der_x509_certificate(base64.b64decode(b"".join(raw.split())))
    except (ValueError, binascii.Error):
        raise JwsError("bad_certificate", "not an X.509 certificate") from None


def is_valid_at(certificate: x509.Certificate, now: datetime) -> bool:
    return certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc


def verify_rs256(
    jws: Jws, certificates: Sequence[x509.Certificate], *, now: datetime
) -> x509.Certificate:
    """The certificate whose RSA key signed ``jws`` with RS256; ``JwsError`` when none did.

    Only ``{"alg": "RS256", "typ": "JWT"}`` is accepted, and only certificates valid ``now``
    are tried: an expired one verifies nothing."""
    if jws.header.get("alg") != "RS256" or jws.header.get("typ") != "JWT":
        raise JwsError("bad_algorithm", "only RS256 tokens of type JWT are accepted")
    valid = [cert for cert in certificates if is_valid_at(cert, now)]
    if not valid:
        raise JwsError("no_valid_certificate", "no certificate to verify with is valid now")
    for certificate in valid:
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            continue
        try:
            key.verify(jws.signature, jws.signing_input, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return certificate
    raise JwsError("bad_signature", "the signature does not verify with the certificate")


@dataclass(frozen=True)
class StateNotice:
    """A verified ResultUrl2 notification's content (all of it was a string in the token)."""

    shop: str
    inv_id: int
    op_key: str
    state: str
    inc_sum: Decimal | None
    payment_method: str
    sent_at: datetime
    version: str


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) else ""


def read_state_notification(
    payload: dict[str, Any],
    *,
    merchant_login: str,
    now: datetime,
    max_age: timedelta = MAX_AGE,
) -> StateNotice:
    """Apply the acceptance rules to a verified payload (§12.1.1: type, timestamp window, the
    shop, the InvId, the operation key, the state)."""
    header = payload.get("header")
    data = payload.get("data")
    if not isinstance(header, dict) or not isinstance(data, dict):
        raise JwsError("bad_payload", "the payload has no header or data")
    if header.get("type") != NOTIFICATION_TYPE:
        raise JwsError("bad_type", f"the notification is not a {NOTIFICATION_TYPE}")
    stamp = _text(header, "timestamp")
    try:
        if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
            raise ValueError(stamp)
        sent_at = datetime.fromtimestamp(int(stamp), tz=UTC)
    except (ValueError, OverflowError, OSError):  # past what a date holds, too
        raise JwsError("bad_timestamp", "the timestamp is not a number of seconds") from None
    if sent_at > now + MAX_AHEAD:
        raise JwsError("future_timestamp", "the notification is dated in the future")
    if sent_at < now - max_age:
        raise JwsError("stale", "the notification is too old")
    if _text(data, "shop") != merchant_login or not merchant_login:
        raise JwsError("wrong_shop", "the notification is for another shop")
    inv_id_text = _text(data, "invId")
    if not inv_id_text.isascii() or not inv_id_text.isdigit() or not 0 < int(inv_id_text) < 2**63:
        raise JwsError("bad_inv_id", "the InvId is not a positive number")
    op_key = _text(data, "opKey")
    if not op_key or len(op_key) > 255:
        raise JwsError("bad_op_key", "the operation key is missing")
    state = _text(data, "state")
    if state not in STATES:
        raise JwsError("bad_state", "the state is neither OK nor HOLD")
    return StateNotice(
        shop=merchant_login,
        inv_id=int(inv_id_text),
        op_key=op_key,
        state=state,
        inc_sum=_amount(_text(data, "incSum")),
        payment_method=_text(data, "paymentMethod")[:64],
        sent_at=sent_at,
        version=_text(header, "version")[:16],
    )


def _amount(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and value >= 0 and len(text) <= 24 else None


def unverified_inv_id(jws: Jws) -> int | None:
    """The InvId a token names, read before verifying it, to find whose certificate applies.
    Never act on it until the token is verified."""
    data = jws.payload.get("data")
    text = _text(data, "invId") if isinstance(data, dict) else ""
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 2**63 else None


def sign_rs256(payload: bytes, private_key: rsa.RSAPrivateKey) -> str:
    """A compact token as ROBOKASSA makes one (``{"typ":"JWT","alg":"RS256"}``): for the
    emulator and tests."""
    header = b64url(b'{"typ":"JWT","alg":"RS256"}')
    signing_input = f"{header}.{b64url(payload)}"
    signature = private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def notification_payload(
    *,
    shop: str,
    inv_id: int,
    op_key: str,
    state: str,
    inc_sum: str,
    sent_at: datetime,
    payment_method: str = "BankCard",
) -> bytes:
    """The payload bytes of a notification, in ROBOKASSA's key order (for the emulator)."""
    document = {
        "header": {
            "type": NOTIFICATION_TYPE,
            "version": "1.0.0",
            "timestamp": str(int(sent_at.timestamp())),
        },
        "data": {
            "shop": shop,
            "opKey": op_key,
            "invId": str(inv_id),
            "paymentMethod": payment_method,
            "incSum": inc_sum,
            "state": state,
        },
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
