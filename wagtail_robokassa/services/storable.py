"""Text as it can be stored and logged, whatever bytes arrived.

PostgreSQL's ``text`` and ``jsonb`` cannot hold NUL, and no database driver encodes an unpaired
surrogate. A notification is verified over the strings as received; what is stored has each such
character replaced by U+FFFD (the replacement character), on every database alike, so that a valid
payment is recorded rather than refused by the database and resent forever.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` with NUL and unpaired surrogates replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def storable_params(params: Mapping[str, str]) -> dict[str, str]:
    """Parameter names and values fit for a JSON column."""
    return {storable(name): storable(value) for name, value in params.items()}


def loggable(text: object, limit: int = 200) -> str:
    """Text for one log line: control, format and separator characters (a line break, NUL, an
    ANSI escape, a bidi override) and surrogates are escaped, so a parameter cannot forge a line."""
    shown = str(text)[:limit]
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in shown)
