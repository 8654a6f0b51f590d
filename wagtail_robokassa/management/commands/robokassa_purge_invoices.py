"""Delete pending invoices nobody paid: abandoned checkouts, or a flood of them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...services.invoices import purge_stale_invoices, stale_invoices


class Command(BaseCommand):
    help = "Delete pending ROBOKASSA invoices older than --days that received no notification."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="age in days (default 30)")
        parser.add_argument("--dry-run", action="store_true", help="only count them")

    def handle(self, *args: Any, days: int, dry_run: bool, **options: Any) -> None:
        if days < 1:
            raise CommandError("--days must be at least 1")
        if dry_run:
            count = stale_invoices(days).count()
            self.stdout.write(f"{count} stale pending invoices would be deleted.")
            return
        self.stdout.write(f"Deleted {purge_stale_invoices(days)} stale pending invoices.")
