"""Payment links: the only code that creates a ``PaymentLink`` and changes its state.

1. ``create_payment_link`` records the click (its ``key``) and reserves the link's invoice (its
   InvId, with the link's marker among its ``Shp_*`` parameters) in one transaction, commits,
   then asks ROBOKASSA's Invoice API for the link: ``active`` with its address when ROBOKASSA
   gave one, ``failed`` (the invoice cancelled) when it refused or was never reached,
   ``unknown`` when the request may have arrived. An unknown link is never asked for again: it
   is looked up (``refresh_payment_link``). A second submission of the same key returns the
   same link.
2. A payment through a link arrives on the Result URL like any other and is recorded there
   once (``services.results``); ``note_link_payment`` then marks a one-time link paid and
   sends ``payment_link_paid`` in the same transaction.
3. ``deactivate_payment_link`` closes a link at ROBOKASSA; ``expire_payment_links`` does so for
   links past their expiry (ROBOKASSA's Invoice API has no documented expiry field, so the
   plugin enforces it).
4. ``refresh_payment_link`` asks ROBOKASSA's list of links where one is, and checks its invoice
   through the status interface when ROBOKASSA says it was paid (a lost notification is
   recorded then, through the Result URL's exactly-once write).
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import MerchantConfig
from ..gateway.invoices import (
    InvoiceApiError,
    InvoiceUncertain,
    create_link,
    deactivate_link,
    link_hosts,
    list_links,
)
from ..gateway.transport import Transport
from ..models import (
    Invoice,
    InvoiceStatus,
    PaymentLink,
    PaymentLinkState,
    PaymentLinkType,
    SuccessNotification,
)
from ..protocol import Receipt, ReceiptError
from ..protocol.invoice_api import (
    LINK_PARAMETER,
    InvoiceState,
    InvoiceType,
    ListedLink,
    invoice_items,
    link_url_is_trusted,
)
from ..signals import payment_link_paid, send
from .config import get_config
from .numbering import create_invoice
from .receipts import receipt_for
from .storable import storable

logger = logging.getLogger("wagtail_robokassa.payment_links")

#: What a link's marker may look like (``models.links.new_link_code``).
_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
#: The payment page's languages ROBOKASSA knows.
CULTURES = ("ru", "en")


class LinkRefusedHere(Exception):
    """The plugin will not ask for this link (``str()`` says why, for the merchant)."""


def link_config(link: PaymentLink) -> MerchantConfig:
    """The configuration of the Site the link was made for."""
    return get_config(link.site)


def create_payment_link(
    *,
    amount: Decimal,
    description: str,
    site: Any = None,
    invoice_type: str = PaymentLinkType.ONE_TIME,
    customer_name: str = "",
    customer_email: str = "",
    customer_phone: str = "",
    comment: str = "",
    receipt: Receipt | None = None,
    culture: str = "",
    expires_at: datetime | None = None,
    key: uuid.UUID | None = None,
    user: Any = None,
    config: MerchantConfig | None = None,
    transport: Transport | None = None,
) -> PaymentLink:
    """Record a payment link and ask ROBOKASSA for it; the same ``key`` again gives the same
    link, and asks nothing. Raises ``LinkRefusedHere`` for what cannot be asked; ROBOKASSA's
    and the network's failures are the link's state and message."""
    key = key or uuid.uuid4()
    existing = PaymentLink.objects.filter(key=key).first()
    if existing is not None:
        return existing
    config = config or get_config(site)
    fields = _checked(
        config,
        amount=amount,
        description=description,
        invoice_type=invoice_type,
        receipt=receipt,
        culture=culture,
        expires_at=expires_at,
    )
    fields |= {
        "customer_name": storable(customer_name.strip())[:255],
        "customer_email": customer_email.strip()[:254],
        "customer_phone": storable(customer_phone.strip())[:32],
        "comment": storable(comment.strip())[:255],
    }
    try:
        with transaction.atomic():
            link = _reserve(config, site, key, user, fields)
    except IntegrityError:
        existing = PaymentLink.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing
    return _ask_robokassa(link, config, transport)


def _checked(config: MerchantConfig, **fields: Any) -> dict[str, Any]:
    if not config.login:
        raise LinkRefusedHere(_("The shop's login is not configured."))
    amount = _money(fields["amount"])
    description = storable(str(fields["description"] or "").strip())[:100]
    if not description:
        raise LinkRefusedHere(_("A payment link needs a description."))
    if fields["invoice_type"] not in PaymentLinkType.values:
        raise LinkRefusedHere(_("A payment link is one-time or reusable."))
    culture = fields["culture"] or config.culture or "ru"
    if culture not in CULTURES:
        raise LinkRefusedHere(_("The payment page speaks Russian or English."))
    expires_at = fields["expires_at"]
    if expires_at is not None and expires_at <= timezone.now():
        raise LinkRefusedHere(_("The expiry must be in the future."))
    receipt = fields["receipt"]
    if receipt is None and config.send_receipts:
        receipt = receipt_for({"description": description}, amount, config)
    if receipt is not None:
        if receipt.total != amount:
            raise LinkRefusedHere(
                _("The receipt's lines add up to %(total)s, not %(amount)s.")
                % {"total": receipt.total, "amount": amount}
            )
        try:
            invoice_items(receipt)
        except ReceiptError as error:
            raise LinkRefusedHere(str(error)) from None
    return {
        "amount": amount,
        "description": description,
        "invoice_type": fields["invoice_type"],
        "culture": culture,
        "expires_at": expires_at,
        "receipt": receipt.to_dict() if receipt is not None else None,
    }


def _money(amount: Any) -> Decimal:
    """``amount`` as a positive ``Decimal`` in kopecks; ``LinkRefusedHere`` for anything else."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise LinkRefusedHere(_("A payment link's amount must be a Decimal."))
    try:
        value = Decimal(amount)
        fine = value.is_finite() and value == value.quantize(Decimal("0.01")) and value > 0
        fine = fine and value < Decimal("100000000")
    except InvalidOperation:
        fine = False
    if not fine:
        raise LinkRefusedHere(
            _("A payment link's amount must be more than 0, in roubles and kopecks.")
        )
    return value


def _reserve(
    config: MerchantConfig,
    site: Any,
    key: uuid.UUID,
    user: Any,
    fields: dict[str, Any],
) -> PaymentLink:
    """Inside a transaction: the link, and the invoice whose InvId it is sent with."""
    link = PaymentLink.objects.create(
        key=key,
        site=site,
        merchant_login=config.login,
        is_test=config.test_mode,
        created_by=user if getattr(user, "pk", None) else None,
        **fields,
    )
    invoice = create_invoice(
        merchant_login=link.merchant_login,
        is_test=link.is_test,
        amount=link.amount,
        description=link.description,
        email=link.customer_email,
        receipt=link.receipt,
        shp={LINK_PARAMETER: link.code},
        site=site,
        payment_link=link,
    )
    link.inv_id = invoice.pk
    link.save(update_fields=["inv_id"])
    return link


def _ask_robokassa(
    link: PaymentLink, config: MerchantConfig, transport: Transport | None
) -> PaymentLink:
    receipt = Receipt.from_dict(link.receipt) if link.receipt else None
    assert link.inv_id is not None  # reserved with the link
    try:
        created = create_link(
            config,
            inv_id=link.inv_id,
            out_sum=link.amount,
            invoice_type=InvoiceType(link.invoice_type),
            culture=link.culture,
            description=link.description,
            merchant_comments=link.comment,
            items=invoice_items(receipt) if receipt is not None else (),
            user_fields={LINK_PARAMETER: link.code},
            is_test=link.is_test,
            transport=transport,
        )
    except InvoiceUncertain as error:
        _move(link, PaymentLinkState.UNKNOWN, message=str(error))
    except InvoiceApiError as error:
        _move(link, PaymentLinkState.FAILED, message=str(error), closed_at=timezone.now())
        _cancel_reserved_invoice(link)
    else:
        _move(
            link,
            PaymentLinkState.ACTIVE,
            url=created.url,
            robokassa_id=created.invoice_id,
            encoded_id=created.encoded_id,
            message="",
        )
    log = logger.info if link.state == PaymentLinkState.ACTIVE else logger.warning
    log("ROBOKASSA payment link for InvId %s: %s", link.inv_id, link.state)
    return link


def _cancel_reserved_invoice(link: PaymentLink) -> None:
    """The link will take no payment: its reserved invoice will not either."""
    if link.inv_id is not None:
        Invoice.objects.filter(pk=link.inv_id, status=InvoiceStatus.PENDING).update(
            status=InvoiceStatus.CANCELLED
        )


def _move(link: PaymentLink, state: str, **changes: Any) -> None:
    changes["state"] = state
    for name, value in changes.items():
        setattr(link, name, value)
    link.save(update_fields=[*changes, "updated_at"])


def note_link_payment(
    invoice: Invoice, notification: SuccessNotification | None, *, request: Any, callback: Any
) -> PaymentLink | None:
    """Inside the transaction that recorded a new payment of ``invoice``: when it was made
    through a link, mark a one-time link paid, note the time, and send ``payment_link_paid``."""
    if invoice.payment_link_id is None:
        return None
    link = PaymentLink.objects.select_for_update().filter(pk=invoice.payment_link_id).first()
    if link is None:  # pragma: no cover - protected by the foreign key
        return None
    now = timezone.now()
    changes: dict[str, Any] = {"paid_at": now}
    if not link.is_reusable and link.state != PaymentLinkState.PAID:
        changes |= {"state": PaymentLinkState.PAID, "closed_at": now, "message": ""}
    for name, value in changes.items():
        setattr(link, name, value)
    link.save(update_fields=[*changes, "updated_at"])
    if payment_link_paid.has_listeners():
        send(
            payment_link_paid,
            sender=link,
            callback=callback,
            invoice=invoice,
            request=request,
            link=link,
            notification=notification,
        )
    return link


def admit_link_payment(callback: Any, code: str) -> str:
    """Before a verified notification that names link ``code`` is recorded: why it cannot be
    that link's payment, or ``""`` when it can (or names no link of ours).

    A reusable link's later payments arrive with InvIds the plugin did not reserve (ROBOKASSA
    numbers each payment itself — how is not documented), so their invoice is made here from the
    link. A one-time link is paid with its own InvId only."""
    link = PaymentLink.objects.filter(code=code).first() if code else None
    if link is None or callback.inv_id is None:
        return ""
    owners = list(
        Invoice.objects.filter(pk=callback.inv_id).values_list("payment_link", flat=True)[:1]
    )
    if owners:
        return "" if owners[0] == link.pk else _not_the_links(callback)
    if not link.is_reusable:
        return _not_the_links(callback)
    try:
        with transaction.atomic():
            Invoice.objects.create(
                pk=callback.inv_id,
                merchant_login=link.merchant_login,
                is_test=link.is_test,
                amount=link.amount,
                description=link.description,
                receipt=link.receipt,
                shp={LINK_PARAMETER: link.code},
                site=link.site,
                payment_link=link,
            )
    except IntegrityError:  # the same payment delivered twice at once: the other made it
        pass
    return ""


def _not_the_links(callback: Any) -> str:
    return f"InvId {callback.inv_id} is not a payment of the link it names"


def link_code(callback: Any) -> str:
    """The link marker a callback carries (``Shp_payment_link``, any letter case); empty when
    there is none, or when it cannot be one of ours (``new_link_code`` makes them)."""
    wanted = LINK_PARAMETER.lower()
    code = next((value for name, value in callback.shp if name.lower() == wanted), "")
    return code if _CODE.fullmatch(code) else ""


def deactivate_payment_link(
    link: PaymentLink, *, transport: Transport | None = None, state: str = ""
) -> PaymentLink:
    """Close ``link`` at ROBOKASSA (``state``: what it becomes, ``deactivated`` by default).
    Raises ``LinkRefusedHere`` when it is not open; ROBOKASSA's failures are its message."""
    link.refresh_from_db()
    if link.state not in (PaymentLinkState.ACTIVE, PaymentLinkState.UNKNOWN):
        raise LinkRefusedHere(_("Only an active link can be deactivated."))
    try:
        deactivate_link(
            link_config(link),
            encoded_id=link.encoded_id,
            invoice_id=link.robokassa_id,
            inv_id=link.inv_id if not (link.encoded_id or link.robokassa_id) else None,
            is_test=link.is_test,
            transport=transport,
        )
    except InvoiceApiError as error:
        _move(link, link.state, message=str(error)[:300])
        return link
    now = timezone.now()
    _move(link, state or PaymentLinkState.DEACTIVATED, closed_at=now, message="")
    if not link.is_reusable:
        _cancel_reserved_invoice(link)
    logger.info("ROBOKASSA payment link for InvId %s closed: %s", link.inv_id, link.state)
    return link


def expire_payment_links(*, transport: Transport | None = None, limit: int = 100) -> int:
    """Close the active links whose expiry has passed; returns how many were closed."""
    due = PaymentLink.objects.filter(
        state=PaymentLinkState.ACTIVE, expires_at__lte=timezone.now()
    ).order_by("expires_at")[:limit]
    closed = 0
    for link in due:
        link = deactivate_payment_link(link, transport=transport, state=PaymentLinkState.EXPIRED)
        closed += link.state == PaymentLinkState.EXPIRED
    return closed


@dataclass(frozen=True)
class Refreshed:
    """What ``refresh_payment_link`` found: the link now, and ROBOKASSA's row for it."""

    link: PaymentLink
    row: ListedLink | None


def refresh_payment_link(link: PaymentLink, *, transport: Transport | None = None) -> Refreshed:
    """Ask ROBOKASSA where ``link`` is and follow it. Raises an ``InvoiceApiError`` when it
    cannot be told."""
    config = link_config(link)
    now = timezone.now()
    rows = list_links(
        config,
        date_from=(link.created_at - timedelta(days=1)).date(),
        date_to=(now + timedelta(days=1)).date(),
        types=[InvoiceType(link.invoice_type)],
        is_test=link.is_test,
        transport=transport,
    )
    row = next((row for row in rows if _is_for(link, row)), None)
    link.refresh_from_db()
    changes: dict[str, Any] = {"last_checked_at": now}
    if row is None:
        if link.state == PaymentLinkState.UNKNOWN:
            # Never created: nobody has its address, and nothing can be paid through it.
            changes |= {"state": PaymentLinkState.FAILED, "closed_at": now}
            changes["message"] = _("ROBOKASSA has no such link: it was not created.")
            _cancel_reserved_invoice(link)
    else:
        changes |= _follow(link, row, now)
    _move(link, changes.pop("state", link.state), **changes)
    if row is not None and row.state is InvoiceState.PAID:
        _check_invoice(link, transport)
        link.refresh_from_db()
    return Refreshed(link, row)


def _is_for(link: PaymentLink, row: ListedLink) -> bool:
    return bool(
        (link.encoded_id and row.encoded_id == link.encoded_id)
        or (link.robokassa_id and row.invoice_id == link.robokassa_id)
        or (link.inv_id is not None and row.inv_id == link.inv_id)
    )


def _follow(link: PaymentLink, row: ListedLink, now: datetime) -> dict[str, Any]:
    changes: dict[str, Any] = {
        "encoded_id": link.encoded_id or row.encoded_id,
        "robokassa_id": link.robokassa_id or row.invoice_id,
    }
    if link.state == PaymentLinkState.UNKNOWN:
        changes["state"] = PaymentLinkState.ACTIVE
        changes["url"] = link.url or (row.url if link_url_is_trusted(row.url, link_hosts()) else "")
        changes["message"] = (
            ""
            if changes["url"]
            else _("ROBOKASSA has this link and did not say its address: see the cabinet.")
        )
    if row.state is InvoiceState.EXPIRED and link.state in (
        PaymentLinkState.ACTIVE,
        PaymentLinkState.UNKNOWN,
    ):
        changes |= {"state": PaymentLinkState.EXPIRED, "closed_at": now}
    return changes


def _check_invoice(link: PaymentLink, transport: Transport | None) -> None:
    """ROBOKASSA says the link was paid: its invoice's payment is recorded through the status
    interface when the notification was lost (``note_link_payment`` follows, once)."""
    from .reconciliation import reconcile_invoice

    invoice = Invoice.objects.filter(pk=link.inv_id or 0).first()
    if invoice is not None and invoice.status != InvoiceStatus.PAID:
        reconcile_invoice(invoice, transport=transport)


__all__ = [
    "LinkRefusedHere",
    "Refreshed",
    "admit_link_payment",
    "create_payment_link",
    "deactivate_payment_link",
    "expire_payment_links",
    "link_code",
    "link_config",
    "note_link_payment",
    "refresh_payment_link",
]
