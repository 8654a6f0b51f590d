"""Passwords encrypted at rest, with keys that never live in the database.

A dump of the settings table (or ``manage.py dumpdata``) shows tokens, not passwords: whoever
holds it cannot forge a notification (Password#2) or a refund (Password#3). Each token is bound
to the model, field and row it was written for (``binding``): copied into another Site's row or
another field, it opens nothing. A stored value that is not such a token (plain text, or a token
of the first, unbound kind) reads as unreadable: the settings panel asks for it again.

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

from .plugin_settings import setting

PREFIX = "rbk2:"  # marks a bound token
LEGACY_PREFIX = "rbk1:"  # an unbound token, as written before tokens were bound (migration 0012)
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

    def __reduce__(self) -> tuple[type, tuple[str]]:  # pickled and copied with its token
        return type(self), (self.stored,)


def key_texts() -> tuple[str, ...]:
    """The secrets keys are made from, the encrypting one first."""
    keys = setting("ROBOKASSA_ENCRYPTION_KEYS")
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


def binding(label: str, field: str, row: object) -> str:
    """What a token is bound to: ``app.model``, the field and the row (its Site's id)."""
    return f"{label}.{field}:{row}"


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


def seal(text: str, bound_to: str) -> str:
    """A token for ``text`` under the first key, opened only for ``bound_to``; the empty
    string stays empty."""
    if not text:
        return ""
    plain = f"{bound_to}\n{text}".encode()
    return PREFIX + fernet().encrypt(plain).decode("ascii")


def open_token(stored: str, bound_to: str) -> str:
    """The password behind a stored token written for ``bound_to``, else an
    ``UnreadableSecret``: no key opens it, it was written for another row or field, or it is
    no token at all."""
    if not stored:
        return stored
    plain = _decrypt(stored, PREFIX)
    if plain is None:
        return UnreadableSecret(stored)
    written_for, _, text = plain.partition("\n")
    return text if written_for == bound_to else UnreadableSecret(stored)


def open_legacy(stored: str) -> str | None:
    """The password behind an unbound token of the first kind (None when it is not one or no
    key opens it), for the migration that binds them."""
    return _decrypt(stored, LEGACY_PREFIX)


def _decrypt(stored: str, prefix: str) -> str | None:
    if not stored.startswith(prefix):
        return None
    try:
        return fernet().decrypt(stored[len(prefix) :].encode("ascii")).decode()
    except (InvalidToken, ValueError, UnicodeError):
        return None


def needs_reencryption(stored: str) -> bool:
    """Whether a stored token is encrypted with a key other than the first."""
    if not stored or not is_encrypted(stored):
        return False
    token = stored[len(PREFIX) :].encode("ascii")
    first = Fernet(_derive(key_texts()[0]))
    try:
        first.decrypt(token)
    except (InvalidToken, ValueError):
        return True
    return False
