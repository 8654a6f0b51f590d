"""Hashing: ROBOKASSA signs ``:``-joined parts with the shop's algorithm."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable

from .errors import UnsupportedAlgorithm

HASH_ALGORITHMS: tuple[str, ...] = ("md5", "ripemd160", "sha1", "sha256", "sha384", "sha512")
DEFAULT_ALGORITHM = "md5"

#: Length of each algorithm's hex digest; a received signature of another length cannot match.
HEX_DIGEST_LENGTHS: dict[str, int] = {
    "md5": 32,
    "ripemd160": 40,
    "sha1": 40,
    "sha256": 64,
    "sha384": 96,
    "sha512": 128,
}


def normalize_algorithm(algorithm: str) -> str:
    """Return the canonical (lower-case) name, or raise ``UnsupportedAlgorithm``."""
    name = algorithm.strip().lower() if isinstance(algorithm, str) else ""
    if name not in HASH_ALGORITHMS:
        raise UnsupportedAlgorithm(
            f"Unknown hash algorithm {algorithm!r}: ROBOKASSA supports "
            + ", ".join(HASH_ALGORITHMS)
            + "."
        )
    return name


def hash_constructor(algorithm: str) -> Callable[[bytes], hashlib._Hash]:
    """Return a function hashing bytes with ``algorithm``; never another algorithm."""
    name = normalize_algorithm(algorithm)
    try:
        hashlib.new(name)
    except ValueError:
        raise UnsupportedAlgorithm(
            f"This Python's OpenSSL cannot compute {name} (OpenSSL 3 moved it to the legacy "
            "provider). Enable the legacy provider or choose another algorithm in the "
            "ROBOKASSA cabinet and here."
        ) from None
    return lambda data: hashlib.new(name, data)


def algorithm_available(algorithm: str) -> bool:
    """Whether ``algorithm`` is a ROBOKASSA algorithm this server can compute."""
    try:
        hash_constructor(algorithm)
    except UnsupportedAlgorithm:
        return False
    return True


def sign(parts: Iterable[str], algorithm: str = DEFAULT_ALGORITHM) -> str:
    """Hash the parts joined with ``:`` (UTF-8) and return lower-case hex."""
    base = ":".join(parts)
    return hash_constructor(algorithm)(base.encode("utf-8")).hexdigest()


def signatures_match(expected: str, received: str) -> bool:
    """Compare two hex signatures case-insensitively in constant time."""
    return hmac.compare_digest(expected.lower().encode("utf-8"), received.lower().encode("utf-8"))
