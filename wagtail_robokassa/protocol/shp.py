"""``Shp_*`` user parameters: naming, ordering, and their part of a signature."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

SHP_PREFIX = "Shp_"
_BARE_NAME = re.compile(r"[a-z0-9_]+\Z")

ShpPairs = Iterable[tuple[str, str]]
ShpInput = Mapping[str, str] | ShpPairs | None


def is_shp_name(name: str) -> bool:
    """Whether a received parameter is a user parameter: ``shp`` in any case, ``_`` optional."""
    return name[:3].lower() == "shp"


def bare_shp_name(name: str) -> str:
    """``Shp_order`` → ``order``; ``shporder`` → ``order`` (django-robokassa's naming)."""
    rest = name[3:]
    return rest[1:] if rest.startswith("_") else rest


def _pairs(shp: ShpInput) -> list[tuple[str, str]]:
    if shp is None:
        return []
    if isinstance(shp, Mapping):
        return list(shp.items())
    return list(shp)


def outgoing_shp(shp: ShpInput) -> list[tuple[str, str]]:
    """Normalize the user parameters we send and return them in signing order.

    Keys are either full names with the exact ``Shp_`` prefix or bare ``[a-z0-9_]`` names (the
    django-robokassa way), which get the prefix. Values must be strings. Names whose ordinal order
    differs from the order of their ``name=value`` pairs (``Shp_a`` with ``Shp_a1``) are refused:
    implementations disagree about which order ROBOKASSA uses.
    """
    result: dict[str, str] = {}
    for key, value in _pairs(shp):
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("Shp parameter names and values must be strings")
        bare = key[len(SHP_PREFIX) :] if key.startswith(SHP_PREFIX) else key
        if (is_shp_name(key) and not key.startswith(SHP_PREFIX)) or not _BARE_NAME.match(bare):
            raise ValueError(
                f"Shp parameter name {key!r} must be 'Shp_' followed by lower-case letters, "
                "digits or '_' (or that bare name without the prefix)"
            )
        name = SHP_PREFIX + bare
        if name in result:
            raise ValueError(f"Shp parameter {name!r} is given twice")
        result[name] = value
    ordered = sorted(result.items())
    by_pair = sorted(ordered, key=lambda item: f"{item[0]}={item[1]}")
    if ordered != by_pair:
        names = [name for name, _ in ordered]
        raise ValueError(
            "Shp parameter names "
            + ", ".join(names)
            + " sort differently by name and by 'name=value'; rename them so that no name is "
            "another name followed by a digit"
        )
    return ordered


def shp_parts(pairs: ShpPairs) -> list[str]:
    """The signature parts for user parameters already in signing order."""
    return [f"{name}={value}" for name, value in pairs]


def signing_orders(shp: ShpInput) -> list[list[tuple[str, str]]]:
    """Orders in which a received set of user parameters may have been signed.

    ROBOKASSA documents alphabetical order; whether it compares ordinally or ignoring case is not
    documented, so the case-insensitive order is tried when it differs. Both are keyed by the
    password, so accepting either costs no security.
    """
    pairs = _pairs(shp)
    ordinal = sorted(pairs)
    orders = [ordinal]
    folded = sorted(pairs, key=lambda item: (item[0].lower(), item[0]))
    if folded != ordinal:
        orders.append(folded)
    return orders
