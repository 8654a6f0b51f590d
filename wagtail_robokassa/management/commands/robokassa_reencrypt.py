"""Encrypt every stored password with the first key, after a key rotation (see ``crypto``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import TextField
from django.db.models.functions import Cast

from ...crypto import UnreadableSecret, needs_reencryption
from ...models import RobokassaSettings
from ...rules import SECRET_FIELDS


def stored_tokens() -> dict[int, dict[str, str]]:
    """Each row's stored values as they are in the database (a cast skips the decryption)."""
    casts = {f"raw_{name}": Cast(name, TextField()) for name in SECRET_FIELDS}
    return {
        row.pop("pk"): {name[4:]: value or "" for name, value in row.items()}
        for row in RobokassaSettings.objects.values("pk", **casts)
    }


class Command(BaseCommand):
    help = (
        "Re-encrypt the stored ROBOKASSA passwords with the first of ROBOKASSA_ENCRYPTION_KEYS "
        "(or SECRET_KEY); run it after putting a new key first, before dropping the old one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        tokens = stored_tokens()
        rewritten = unreadable = 0
        for row in RobokassaSettings.objects.select_related("site"):
            lost = [
                name for name in SECRET_FIELDS if isinstance(getattr(row, name), UnreadableSecret)
            ]
            if lost:
                unreadable += 1
                self.stderr.write(
                    f"{row.site}: {', '.join(lost)} cannot be decrypted with any key; "
                    "enter them again in Settings → ROBOKASSA."
                )
            stale = [
                n for n in SECRET_FIELDS if n not in lost and needs_reencryption(tokens[row.pk][n])
            ]
            if stale:
                row.save(update_fields=SECRET_FIELDS)
                rewritten += 1
        self.stdout.write(f"Re-encrypted the passwords of {rewritten} site(s).")
        if unreadable:
            raise CommandError(f"{unreadable} site(s) hold passwords no key can decrypt.")
