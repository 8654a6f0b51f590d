"""Encrypt every stored password with the first key, after a key rotation (see ``crypto``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ...services.secrets import reencrypt_passwords


class Command(BaseCommand):
    help = (
        "Re-encrypt the stored ROBOKASSA passwords with the first of ROBOKASSA_ENCRYPTION_KEYS "
        "(or SECRET_KEY); run it after putting a new key first, before dropping the old one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = reencrypt_passwords()
        for row, lost in outcome.unreadable:
            self.stderr.write(
                f"{row.site}: {', '.join(lost)} cannot be decrypted with any key; "
                "enter them again in Settings → ROBOKASSA."
            )
        self.stdout.write(f"Re-encrypted the passwords of {outcome.rewritten} site(s).")
        if outcome.unreadable:
            raise CommandError(
                f"{len(outcome.unreadable)} site(s) hold passwords no key can decrypt."
            )
