"""Check at ROBOKASSA the payments whose notification did not arrive, and record the paid ones."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from wagtail.models import Site

from ...gateway.transport import Transport
from ...models import CheckOutcome, Invoice
from ...services.payment_links import expire_payment_links
from ...services.reconciliation import CheckResult
from ...services.sweeps import Sweep, due_invoices, parse_duration, reconcile, reconcile_window

#: Exit status when ROBOKASSA could not be reached for some payment (nothing is known of it).
UNREACHABLE_EXIT = 3
#: Exit status when ROBOKASSA refused the shop's signature or login (or they are missing): a
#: misconfiguration that checking again will not cure. It wins over ``UNREACHABLE_EXIT``.
REFUSED_EXIT = 4


def _duration(value: str) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class Command(BaseCommand):
    help = (
        "Ask ROBOKASSA about pending payments whose Result URL notification has not arrived; "
        "record the paid ones (once, with the result_received signal) and keep each answer on "
        "the payment. Exits with status 3 when ROBOKASSA could not be reached, 4 when it refused "
        "the shop's login or Password #2."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=_duration,
            help="only payments this old or older, e.g. 10m (default ROBOKASSA_RECONCILE_AFTER)",
        )
        parser.add_argument(
            "--younger-than",
            type=_duration,
            help="only payments younger than this, e.g. 3d (default ROBOKASSA_RECONCILE_WITHIN)",
        )
        parser.add_argument(
            "--inv-id",
            type=int,
            action="append",
            dest="inv_ids",
            metavar="INV_ID",
            help="check this payment now, whatever its age or state (repeatable)",
        )
        parser.add_argument("--site", help="only the payments of this Site (id or hostname)")
        parser.add_argument("--limit", type=int, help="check at most this many payments")
        parser.add_argument(
            "--dry-run", action="store_true", help="list the payments that would be checked"
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help=(
                "hand the sweep to the task worker (reconcile_payments), with follow_refunds, "
                "follow_final_receipts and close_expired_links, instead of running it"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            self._enqueue(options["limit"])
            return
        invoices = self._invoices(options)
        if options["dry_run"]:
            self._list(invoices)
            return
        explicit = bool(options["inv_ids"])
        total = len(invoices)
        done = 0

        def progress(result: CheckResult) -> None:
            nonlocal done
            done += 1
            self._progress(done, total)

        sweep = reconcile(invoices, schedule=not explicit, progress=progress)
        self._summary(sweep)
        if not explicit:
            closed = expire_payment_links(transport=Transport.background())
            if closed:
                self.stdout.write(f"Closed {closed} expired payment link(s).")
        if sweep.refused:
            raise CommandError(
                f"ROBOKASSA refused the login or Password #2 for {sweep.refused} of "
                f"{len(sweep.results)} payments (or they are not configured): check the shop's "
                "settings; nothing is known of those payments.",
                returncode=REFUSED_EXIT,
            )
        if sweep.unreachable:
            raise CommandError(
                f"ROBOKASSA could not be reached for {sweep.unreachable} of {len(sweep.results)} "
                "payments; they will be checked again.",
                returncode=UNREACHABLE_EXIT,
            )

    def _enqueue(self, limit: int | None) -> None:
        from ...tasks import (
            close_expired_links,
            follow_final_receipts,
            follow_refunds,
            reconcile_payments,
        )

        result = reconcile_payments.enqueue(limit=limit)
        self.stdout.write(f"Enqueued reconcile_payments ({result.id}).")
        for follower in (follow_refunds, follow_final_receipts, close_expired_links):
            followed = follower.enqueue()
            self.stdout.write(f"Enqueued {follower.name} ({followed.id}).")

    def _invoices(self, options: dict[str, Any]) -> list[Invoice]:
        site = self._site(options["site"]) if options["site"] else None
        if options["inv_ids"]:
            found = Invoice.objects.filter(pk__in=options["inv_ids"])
            if site is not None:
                found = found.filter(site=site)
            invoices = list(found.order_by("pk"))
            missing = sorted(set(options["inv_ids"]) - {invoice.pk for invoice in invoices})
            if missing:
                raise CommandError(f"No such payment: {', '.join(map(str, missing))}")
            return invoices
        try:
            reconcile_window()
        except ValueError as error:
            raise CommandError(str(error)) from None
        due = due_invoices(after=options["older_than"], within=options["younger_than"], site=site)
        if options["limit"]:
            due = due[: options["limit"]]
        return list(due)

    @staticmethod
    def _site(value: str) -> Site:
        condition = Q(hostname=value) | (Q(pk=int(value)) if value.isdigit() else Q())
        sites = list(Site.objects.filter(condition)[:2])
        if len(sites) != 1:
            raise CommandError(
                f"--site {value!r} names {'no' if not sites else 'more than one'} Site"
            )
        return sites[0]

    def _list(self, invoices: list[Invoice]) -> None:
        for invoice in invoices:
            self.stdout.write(
                f"{invoice.pk}\t{invoice.amount}\t{'test' if invoice.is_test else 'live'}\t"
                f"{invoice.created_at:%Y-%m-%d %H:%M}\t{invoice.last_check or '-'}"
            )
        self.stdout.write(f"{len(invoices)} payments would be checked.")

    def _progress(self, done: int, total: int) -> None:
        if not total or not self.stdout.isatty():
            return
        width = 30
        filled = width * done // total
        ending = "\n" if done == total else ""
        self.stdout.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending=ending
        )
        self.stdout.flush()

    def _summary(self, sweep: Sweep) -> None:
        rows = [(str(outcome.label), count) for outcome, count in _ordered(sweep)]
        rows += [("credited now", sweep.credited), ("checked", len(sweep.results))]
        if sweep.skipped:
            rows.append(("taken by another worker", sweep.skipped))
        width = max(len(label) for label, _count in rows)
        for label, count in rows:
            self.stdout.write(f"{label.ljust(width)}  {count:>6}")
        if sweep.credited_ids:
            self.stdout.write(f"Credited now: {', '.join(map(str, sweep.credited_ids))}")
        for result in sweep.not_credited:
            self.stdout.write(
                f"Paid at ROBOKASSA, not credited: {result.invoice.pk} ({result.outcome.label})"
            )


def _ordered(sweep: Sweep) -> list[tuple[CheckOutcome, int]]:
    outcomes = sweep.outcomes
    return [(outcome, outcomes[outcome]) for outcome in CheckOutcome if outcomes[outcome]]
