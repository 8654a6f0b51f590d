"""The emulator's ResultUrl2 signing key: RFC 7515 appendix A.2's RSA key, published in the RFC
and therefore no secret. Its certificate (``keys/result-url-2.pem``, self-signed, valid 2026 to
2046) is what a development site sets as ``ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE``; ROBOKASSA's
own certificate never verifies what the emulator signs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ...protocol.jws import notification_payload, sign_rs256

KEYS = Path(__file__).parent / "keys"
#: The certificate a development site verifies the emulator's notifications with.
CERTIFICATE_PATH = KEYS / "result-url-2.pem"
#: RSASSA-PKCS1-v1_5 with SHA-256: what RS256 means.
RS256 = (padding.PKCS1v15(), hashes.SHA256())


@cache
def private_key() -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key((KEYS / "result-url-2-key.pem").read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@cache
def certificate() -> x509.Certificate:
    return x509.load_pem_x509_certificate(CERTIFICATE_PATH.read_bytes())


def signed_notification(
    *, shop: str, inv_id: int, op_key: str, state: str, inc_sum: Decimal, sent_at: datetime
) -> str:
    """A ResultUrl2 token as ROBOKASSA sends one, signed with the emulator's key."""
    payload = notification_payload(
        shop=shop,
        inv_id=inv_id,
        op_key=op_key,
        state=state,
        inc_sum=f"{inc_sum:.2f}",
        sent_at=sent_at,
    )
    return sign_rs256(payload, private_key())
