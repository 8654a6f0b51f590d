"""``Shp_*`` user parameters: naming, ordering, and their part of a signature."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .limits import MAX_NAME_LENGTH, MAX_SHP_PARAMS, MAX_VALUE_LENGTH

SHP_PREFIX = "Shp_"
_BARE_NAME = re.compile(r"[a-z0-9_]+\Z")
# A value holding ":shp…=" reads, inside the signed string, like the end of this parameter and the
# start of another one: a buyer could resubmit it split in two and the signature would still match.
_SPLITTABLE = re.compile(r":shp[^:=]*=", re.IGNORECASE)
#: Characters that cannot stand in a received user parameter's name (we never sign such names).
_NAME_SEPARATORS = frozenset(":=")

ShpPairs = Iterable[tuple[str, str]]
ShpInput = Mapping[str, str] | ShpPairs | None


def is_shp_name(name: str) -> bool:
    """Whether a received parameter is a user parameter: ``shp`` in any case, ``_`` optional."""
    return name[:3].lower() == "shp"


def has_separator(name: str) -> bool:
    """Whether a received name holds ``:`` or ``=``, which only a forged request sends."""
    return not _NAME_SEPARATORS.isdisjoint(name)


def check_shp_value(name: str, value: str) -> None:
    """Refuse a value that could be resubmitted as two parameters under the same signature, or
    that a callback could not carry back."""
    if _SPLITTABLE.search(value):
        raise ValueError(
            f"Shp parameter {name!r} holds ':' followed by a 'shp…=' name, which would let a "
            "buyer split it into two parameters under the same signature"
        )
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueError(
            f"Shp parameter {name!r} is longer than {MAX_VALUE_LENGTH} characters, more than a "
            "callback may carry back"
        )


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
    django-robokassa way), which get the prefix. Values must be strings that a callback can
    carry back (see ``limits``) and that cannot be split (``check_shp_value``). Names whose
    ordinal order differs from the order of their ``name=value`` pairs (``Shp_a`` with
    ``Shp_a1``) are refused: implementations disagree about which order ROBOKASSA uses.
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
        if len(name) > MAX_NAME_LENGTH:
            raise ValueError(f"Shp parameter name {name!r} is longer than {MAX_NAME_LENGTH}")
        check_shp_value(name, value)
        result[name] = value
    if len(result) > MAX_SHP_PARAMS:
        raise ValueError(
            f"{len(result)} Shp parameters: at most {MAX_SHP_PARAMS} fit in ROBOKASSA's callbacks"
        )
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
