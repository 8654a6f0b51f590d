"""The e-mail that warns staff about holds the sweep is about to settle."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from ..conf import setting
from ..models import Invoice
from ..protocol.amounts import plain_amount

logger = logging.getLogger("wagtail_robokassa.holds")


def recipients() -> list[str]:
    """``ROBOKASSA_HOLD_WARNING_EMAILS``, else the addresses of ``MANAGERS``."""
    chosen = setting("ROBOKASSA_HOLD_WARNING_EMAILS")
    if chosen is None:
        return [address for _name, address in getattr(settings, "MANAGERS", ())]
    return list(chosen)


def warn_staff(invoices: list[Invoice], *, now: datetime) -> list[int]:
    """One e-mail about ``invoices`` (once each: ``hold_warned_at``); the InvIds warned about."""
    if not invoices:
        return []
    from .holds import settle_by

    claimed = [
        invoice
        for invoice in invoices
        if Invoice.objects.filter(pk=invoice.pk, hold_warned_at__isnull=True).update(
            hold_warned_at=now
        )
    ]
    addresses = recipients()
    if not claimed or not addresses:
        return [invoice.pk for invoice in claimed]
    action = setting("ROBOKASSA_HOLD_EXPIRY_ACTION")
    with override(settings.LANGUAGE_CODE):
        lines = [
            _("InvId %(inv_id)s, %(amount)s, %(description)s: settled on %(when)s")
            % {
                "inv_id": invoice.pk,
                "amount": plain_amount(invoice.amount),
                "description": invoice.description or "—",
                "when": date_format(timezone.localtime(settle_by(invoice)), "DATETIME_FORMAT"),
            }
            for invoice in claimed
        ]
        what = _("released") if action != "charge" else _("charged in full")
        subject = _("Holds settled automatically tomorrow: %(count)d") % {"count": len(claimed)}
        body = "\n".join(
            [
                _(
                    "These payments are on hold at ROBOKASSA. Unless someone charges or releases "
                    "them in the admin first, they will be %(what)s automatically:"
                )
                % {"what": what},
                "",
                *lines,
            ]
        )
    try:
        send_mail(subject, body, None, addresses)
    except Exception:  # the warning is a courtesy: the sweep goes on
        logger.exception("ROBOKASSA hold warning could not be e-mailed")
    return [invoice.pk for invoice in claimed]
