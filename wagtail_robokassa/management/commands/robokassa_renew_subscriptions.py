"""``manage.py robokassa_renew_subscriptions``: charge the due subscription periods (run it
from cron every few minutes, or ``--enqueue`` it for a task worker)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "Charge the due subscription periods at ROBOKASSA, follow the charges waiting for "
        "ROBOKASSA, and e-mail the reminders."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", type=int, default=100, help="At most this many of each.")
        parser.add_argument(
            "--enqueue", action="store_true", help="Enqueue the renew_subscriptions task instead."
        )
        parser.add_argument(
            "--days-ahead",
            type=int,
            default=0,
            help="Run as if this many days had passed (development and the sandbox only).",
        )

    def handle(self, *args: Any, limit: int, enqueue: bool, days_ahead: int, **options: Any):
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        if not 0 <= days_ahead <= 3660:
            raise CommandError("--days-ahead must be from 0 to 3660")
        if enqueue:
            if days_ahead:
                raise CommandError("--days-ahead cannot be enqueued")
            from ...tasks import renew_subscriptions

            renew_subscriptions.enqueue(limit=limit)
            self.stdout.write("Enqueued renew_subscriptions.")
            return
        from ...gateway.transport import Transport
        from ...services.renewals import renew_subscriptions as sweep

        now = timezone.now() + timedelta(days=days_ahead)
        counts = sweep(now=now, transport=Transport.background(), limit=limit)
        if not counts:
            self.stdout.write("Nothing to do.")
        for what, number in sorted(counts.items()):
            self.stdout.write(f"{what}: {number}")
