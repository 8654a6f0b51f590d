"""Housekeeping of invoices: the pending ones nobody paid."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from ..models import Invoice, InvoiceStatus


def stale_invoices(days: int) -> QuerySet[Invoice]:
    """Pending invoices older than ``days`` that no notification was recorded for (a
    subscription's first payment and its renewals' attempts are its history: kept)."""
    if days < 1:
        raise ValueError("the age must be at least one day")
    return Invoice.objects.filter(
        status=InvoiceStatus.PENDING,
        created_at__lt=timezone.now() - timedelta(days=days),
        notifications__isnull=True,
        started_subscription__isnull=True,
        charge_attempt__isnull=True,
    )


def purge_stale_invoices(days: int) -> int:
    """Delete the stale invoices; returns how many there were."""
    stale = stale_invoices(days)
    count = stale.count()
    stale.delete()
    return count
