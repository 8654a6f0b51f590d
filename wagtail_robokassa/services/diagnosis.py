"""Why a signature did not match: the plausible mistake that would have made it match.

When a Result or Success URL request is refused for its signature, the received values are
signed again in the ways a shop's configuration is commonly wrong: the other pair's password
(test for live, or the reverse), the other password of the pair (#1 for #2), another hash
algorithm, the ``Shp_`` parameters in the order received or left out, ``OutSum`` written
another way. The first variant that matches is the diagnosis, kept on the refusal as a key of
the differences (``algorithm=sha256``, ``password=test_password2;shp=without``): no password and
no signature is ever stored or shown, only which setting to fix.

It runs only for refusals that are stored (the storage cap limits it), and costs at most a few
hundred hashes of a short text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ..conf import MerchantConfig
from ..models import Endpoint
from ..protocol import Callback, sign, signatures_match
from ..protocol.shp import shp_parts, signing_orders
from ..protocol.signing import HASH_ALGORITHMS, HEX_DIGEST_LENGTHS

#: The key of a refusal for which no plausible mistake matches (a wrong password, or a request
#: that did not come from ROBOKASSA).
NO_MATCH = "none"

PASSWORD_FIELDS = ("password1", "password2", "test_password1", "test_password2")

_ALGORITHM_NAMES = {
    "md5": "MD5",
    "ripemd160": "RIPEMD160",
    "sha1": "SHA1",
    "sha256": "SHA256",
    "sha384": "SHA384",
    "sha512": "SHA512",
}


@dataclass(frozen=True)
class Variant:
    """One way of signing: which password, algorithm, Shp order and OutSum text."""

    password: str
    algorithm: str
    shp: str  # "sorted", "received" or "without"
    out_sum: str  # "received" or the name of another way of writing it


def expected_password(endpoint: str, is_test: bool) -> str:
    """The password field that signs a request to ``endpoint`` in this mode."""
    number = 2 if endpoint == Endpoint.RESULT else 1
    return f"{'test_' if is_test else ''}password{number}"


def diagnose(endpoint: str, callback: Callback, config: MerchantConfig) -> str:
    """The key of the differences that would have made ``callback``'s signature match (``""``
    when it does match as configured, ``NO_MATCH`` when nothing plausible does)."""
    expected = Variant(
        expected_password(endpoint, callback.is_test), config.algorithm, "sorted", "received"
    )
    for variant in _variants(callback, config, expected):
        if _matches(variant, callback, config):
            return _key(variant, expected)
    return NO_MATCH


def _variants(callback: Callback, config: MerchantConfig, expected: Variant) -> Iterator[Variant]:
    """Every variant, fewest differences from ``expected`` first."""
    length = len(callback.signature)
    algorithms = [a for a in HASH_ALGORITHMS if HEX_DIGEST_LENGTHS[a] == length]
    passwords = [name for name in PASSWORD_FIELDS if getattr(config, name, "")]
    shp_ways = ["sorted", "received", "without"] if callback.shp else ["sorted"]
    amounts = ["received", *_amount_ways(callback.out_sum_raw)]
    variants = [
        Variant(password, algorithm, shp, amount)
        for password in passwords
        for algorithm in algorithms
        for shp in shp_ways
        for amount in amounts
    ]
    variants.sort(key=lambda variant: _differences(variant, expected))
    return iter(variants)


def _differences(variant: Variant, expected: Variant) -> int:
    return sum(
        getattr(variant, name) != getattr(expected, name)
        for name in ("password", "algorithm", "shp", "out_sum")
    )


#: Other ways of writing an amount: ``100.00``, ``100.000000``, ``100``.
AMOUNT_WAYS = {"two_places": "{:.2f}", "six_places": "{:.6f}", "plain": "{}"}


def _amount_ways(raw: str) -> list[str]:
    return [way for way in AMOUNT_WAYS if _amount_text(raw, way) != raw]


def _amount_text(raw: str, way: str) -> str:
    if way == "received":
        return raw
    value = Decimal(raw)
    if way == "plain":
        return f"{value.normalize():f}"
    return AMOUNT_WAYS[way].format(value)


def _matches(variant: Variant, callback: Callback, config: MerchantConfig) -> bool:
    password = getattr(config, variant.password)
    if variant.shp == "sorted":
        orders = signing_orders(callback.shp)
    elif variant.shp == "received":
        orders = [list(callback.shp)]
    else:
        orders = [[]]
    amount = _amount_text(callback.out_sum_raw, variant.out_sum)
    return any(
        signatures_match(
            sign([amount, callback.inv_id_raw, password, *shp_parts(order)], variant.algorithm),
            callback.signature,
        )
        for order in orders
    )


def _key(variant: Variant, expected: Variant) -> str:
    """The differences, each with what was expected where that names a setting
    (``password=test_password2;needed=password2;algorithm=sha256;configured=md5``)."""
    parts = []
    if variant.password != expected.password:
        parts += [f"password={variant.password}", f"needed={expected.password}"]
    if variant.algorithm != expected.algorithm:
        parts += [f"algorithm={variant.algorithm}", f"configured={expected.algorithm}"]
    if variant.shp != expected.shp:
        parts.append(f"shp={variant.shp}")
    if variant.out_sum != expected.out_sum:
        parts.append(f"out_sum={variant.out_sum}")
    return ";".join(parts)


def parse_key(key: str) -> dict[str, str]:
    """A diagnosis key as a mapping (``{}`` for none)."""
    if not key or key == NO_MATCH:
        return {}
    return dict(part.split("=", 1) for part in key.split(";") if "=" in part)


def _password_label(name: str) -> str:
    labels = {
        "password1": _("the live Password #1"),
        "password2": _("the live Password #2"),
        "test_password1": _("the test Password #1"),
        "test_password2": _("the test Password #2"),
    }
    return str(labels.get(name, name))


def explain(key: str) -> str:
    """The diagnosis in one sentence for the merchant (never a password)."""
    if not key:
        return ""
    if key == NO_MATCH:
        return _(
            "No plausible mistake matches: the password in the settings differs from the one in "
            "the ROBOKASSA cabinet, or the request did not come from ROBOKASSA."
        )
    parts = parse_key(key)
    reasons = []
    if "password" in parts:
        reasons.append(
            _("it was signed with %(used)s, but this request needs %(needed)s")
            % {
                "used": _password_label(parts["password"]),
                "needed": _password_label(parts.get("needed", "")),
            }
        )
    if "algorithm" in parts:
        reasons.append(
            _("the signature uses %(used)s but the shop is set to %(set)s")
            % {
                "used": _ALGORITHM_NAMES.get(parts["algorithm"], parts["algorithm"]),
                "set": _ALGORITHM_NAMES.get(parts.get("configured", ""), parts.get("configured")),
            }
        )
    if parts.get("shp") == "received":
        reasons.append(_("the Shp_ parameters were signed in the order received, not sorted"))
    if parts.get("shp") == "without":
        reasons.append(_("the Shp_ parameters were left out of the signature"))
    if "out_sum" in parts:
        reasons.append(_("OutSum was signed written another way than it was sent"))
    return capfirst("; ".join(str(reason) for reason in reasons)) + "."


__all__ = ["NO_MATCH", "diagnose", "expected_password", "explain", "parse_key"]
