"""``manage.py robokassa_settle_holds``: settle the holds about to expire (run it from cron every
hour or so, or ``--enqueue`` it for a task worker)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "Warn staff about holds that will soon be settled, charge or release those about to "
        "expire (ROBOKASSA_HOLD_EXPIRY_ACTION), take expired ones for released, and check the "
        "settlements whose outcome is unknown."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--enqueue", action="store_true", help="Enqueue the settle_holds task instead."
        )
        parser.add_argument(
            "--days-ahead",
            type=int,
            default=0,
            help="Run as if this many days had passed (development and the sandbox only).",
        )

    def handle(self, *args: Any, enqueue: bool, days_ahead: int, **options: Any) -> None:
        if not 0 <= days_ahead <= 30:
            raise CommandError("--days-ahead must be from 0 to 30")
        if enqueue:
            if days_ahead:
                raise CommandError("--days-ahead cannot be enqueued")
            from ...tasks import settle_holds

            settle_holds.enqueue()
            self.stdout.write("Enqueued settle_holds.")
            return
        from ...gateway.transport import Transport
        from ...services.holds import settle_expiring_holds

        now = timezone.now() + timedelta(days=days_ahead)
        summary = settle_expiring_holds(now=now, transport=Transport.background()).summary()
        if not any(summary.values()):
            self.stdout.write("Nothing to do.")
            return
        for what, number in sorted(summary.items()):
            if number:
                self.stdout.write(f"{what}: {number}")
