"""Delete pending invoices nobody paid: abandoned checkouts, or a flood of them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from ...models import Invoice, InvoiceStatus


class Command(BaseCommand):
    help = "Delete pending ROBOKASSA invoices older than --days that received no notification."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="age in days (default 30)")
        parser.add_argument("--dry-run", action="store_true", help="only count them")

    def handle(self, *args: Any, days: int, dry_run: bool, **options: Any) -> None:
        if days < 1:
            self.stderr.write("--days must be at least 1")
            raise SystemExit(2)
        stale = Invoice.objects.filter(
            status=InvoiceStatus.PENDING,
            created_at__lt=timezone.now() - timedelta(days=days),
            notifications__isnull=True,
        )
        count = stale.count()
        if dry_run:
            self.stdout.write(f"{count} stale pending invoices would be deleted.")
            return
        stale.delete()
        self.stdout.write(f"Deleted {count} stale pending invoices.")
