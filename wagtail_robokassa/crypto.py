"""Passwords encrypted at rest, with keys that never live in the database.

A dump of the settings table shows tokens, not passwords: whoever holds it cannot forge a
notification (Password#2) or a refund (Password#3).

Keys: ``ROBOKASSA_ENCRYPTION_KEYS`` (a list; the first encrypts, every one decrypts), or, when it
is not set, keys derived from ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``. Each key is any secret
text, stretched with HKDF-SHA256 into a Fernet key (AES-128-CBC with HMAC-SHA256). To rotate,
put the new key first, keep the old one after it, run ``manage.py robokassa_reencrypt``, then
drop the old key.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "rbk1:"  # marks a token, so that rows written before encryption are told apart
_SALT = b"wagtail-robokassa"
_INFO = b"settings-passwords"


class UnreadableSecret(str):
    """A stored password that none of the keys can decrypt. It reads as empty (not configured)
    and is written back unchanged, so that an unrelated save never destroys it."""

    #: The stored token, kept to be written back as it was.
    stored: str

    def __new__(cls, stored: str) -> UnreadableSecret:
        secret = super().__new__(cls, "")
        secret.stored = stored
        return secret


def key_texts() -> tuple[str, ...]:
    """The secrets keys are made from, the encrypting one first."""
    keys = getattr(settings, "ROBOKASSA_ENCRYPTION_KEYS", None)
    if keys:
        return (keys,) if isinstance(keys, str) else tuple(keys)
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))


@lru_cache(maxsize=8)
def _fernet(texts: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_derive(text)) for text in texts])


def _derive(text: str) -> bytes:
    if not isinstance(text, str) or not text:
        raise ValueError("an encryption key must be non-empty text")
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO)
    return base64.urlsafe_b64encode(kdf.derive(text.encode()))


def fernet() -> MultiFernet:
    return _fernet(key_texts())


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


def encrypt(text: str) -> str:
    """A token for ``text`` under the first key; the empty string stays empty."""
    if not text:
        return ""
    return PREFIX + fernet().encrypt(text.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    """The password behind a stored value, or an ``UnreadableSecret`` when no key opens it.
    A value stored before encryption (no prefix) is returned as it is."""
    if not stored or not is_encrypted(stored):
        return stored
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
    except (InvalidToken, ValueError, UnicodeError):
        return UnreadableSecret(stored)


def needs_reencryption(stored: str) -> bool:
    """Whether a stored value is in plain text, or encrypted with a key other than the first."""
    if not stored:
        return False
    if not is_encrypted(stored):
        return True
    token = stored[len(PREFIX) :].encode("ascii")
    first = Fernet(_derive(key_texts()[0]))
    try:
        first.decrypt(token)
    except InvalidToken:
        return True
    return False
