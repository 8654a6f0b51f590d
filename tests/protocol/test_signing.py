import hashlib

import pytest

from wagtail_robokassa.protocol import (
    HASH_ALGORITHMS,
    UnsupportedAlgorithm,
    algorithm_available,
    normalize_algorithm,
    sign,
    signatures_match,
)


def test_algorithm_names_are_normalized():
    assert normalize_algorithm(" SHA256 ") == "sha256"
    assert sign(["a"], "MD5") == sign(["a"], "md5")


@pytest.mark.parametrize("name", ["sha224", "sha3_256", "blake2b", "", "md4", None])
def test_unknown_algorithm_is_refused(name):
    with pytest.raises(UnsupportedAlgorithm, match="Unknown hash algorithm"):
        sign(["a"], name)


def test_ripemd160_without_openssl_support_is_refused_not_replaced(monkeypatch):
    real_new = hashlib.new

    def new_without_ripemd160(name, *args, **kwargs):
        if name == "ripemd160":
            raise ValueError("unsupported hash type ripemd160")
        return real_new(name, *args, **kwargs)

    monkeypatch.setattr(hashlib, "new", new_without_ripemd160)
    with pytest.raises(UnsupportedAlgorithm, match="ripemd160"):
        sign(["demo"], "ripemd160")
    assert not algorithm_available("ripemd160")
    assert algorithm_available("sha256")


def test_every_documented_algorithm_is_available_here():
    assert all(algorithm_available(name) for name in HASH_ALGORITHMS)
    assert not algorithm_available("whirlpool")


def test_signatures_match_ignores_case_only():
    digest = sign(["x"], "md5")
    assert signatures_match(digest, digest.upper())
    assert not signatures_match(digest, digest[:-1] + ("0" if digest[-1] != "0" else "1"))
    assert not signatures_match(digest, digest[:-1])
