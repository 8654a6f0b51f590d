"""Stored passwords after a key rotation: re-encrypted with the current key (see ``crypto``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import TextField
from django.db.models.functions import Cast

from ..crypto import UnreadableSecret, needs_reencryption
from ..models import RobokassaSettings
from ..rules import SECRET_FIELDS


@dataclass
class Reencryption:
    """How many rows were rewritten, and the passwords no key could open, by row."""

    rewritten: int = 0
    unreadable: list[tuple[Any, list[str]]] = field(default_factory=list)


def stored_tokens() -> dict[int, dict[str, str]]:
    """Each row's stored values as they are in the database (a cast skips the decryption)."""
    casts = {f"raw_{name}": Cast(name, TextField()) for name in SECRET_FIELDS}
    return {
        row.pop("pk"): {name[4:]: value or "" for name, value in row.items()}
        for row in RobokassaSettings.objects.values("pk", **casts)
    }


def reencrypt_passwords() -> Reencryption:
    """Rewrite every row holding a password in plain text or under an older key."""
    tokens = stored_tokens()
    outcome = Reencryption()
    for row in RobokassaSettings.objects.select_related("site"):
        lost = [n for n in SECRET_FIELDS if isinstance(getattr(row, n), UnreadableSecret)]
        if lost:
            outcome.unreadable.append((row, lost))
        stale = [
            n for n in SECRET_FIELDS if n not in lost and needs_reencryption(tokens[row.pk][n])
        ]
        if stale:
            row.save(update_fields=SECRET_FIELDS)
            outcome.rewritten += 1
    return outcome
