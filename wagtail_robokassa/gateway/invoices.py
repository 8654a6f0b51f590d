"""ROBOKASSA's Invoice API over HTTP: ``CreateInvoice``, ``DeactivateInvoice`` and
``GetInvoiceInformationList``, each a JWT signed with Password #1 (``protocol.invoice_api``).

A payment link is sent to a customer, so what is known after each failure decides what the shop
may do next:

- ``InvoiceNotSent``: the request never left: no link exists, asking again is safe;
- ``InvoiceRefused``: ROBOKASSA answered and refused (its words in ``str()``): no link exists;
- ``InvoiceUncertain``: the request may have reached ROBOKASSA (a timeout after sending, a 5xx,
  an answer that cannot be read, a link that does not lead to ROBOKASSA): a link may exist, and
  the list method must be asked before anything is sent again.

Every call goes through the one transport (one deadline, no redirect followed: the token goes
nowhere but the configured address). ``CreateInvoice`` is retried only when nothing was sent;
the other two change nothing twice and are retried on 5xx answers and lost answers too.
``ROBOKASSA_INVOICE_API_URL`` replaces the service's address (the emulator's, in tests and the
sandbox). A link from an answer is trusted only on ROBOKASSA's payment hosts or on the host of
that configured address. No password appears in a message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ..conf import HOSTS, MerchantConfig, setting
from ..protocol import invoice_api_token
from ..protocol.invoice_api import (
    CreatedLink,
    InvoiceState,
    InvoiceType,
    ListedLink,
    create_payload,
    deactivate_payload,
    error_message,
    link_url_is_trusted,
    list_payload,
    parse_created,
    parse_listed,
)
from .transport import NotSent, Transport, TransportError, json_object, post_token

INVOICE_SERVICE = "https://services.robokassa.ru/InvoiceServiceWebApi/api"


class InvoiceApiError(Exception):
    """A call to the Invoice API that did not do what was asked. ``str()`` is a sentence for the
    merchant."""


class InvoiceNotSent(InvoiceApiError):
    """The request never reached ROBOKASSA: nothing happened."""


class InvoiceRefused(InvoiceApiError):
    """ROBOKASSA refused the request (``message``: its own words, when it gave any)."""

    def __init__(self, message: Any, *, robokassa_message: str = "") -> None:
        super().__init__(str(message))
        self.robokassa_message = robokassa_message


class InvoiceUncertain(InvoiceApiError):
    """The request may have reached ROBOKASSA: check before sending anything again."""


class InvoiceNotConfigured(InvoiceApiError):
    """No login or no Password #1 for this mode: nothing was sent."""


def service_url() -> str:
    return (setting("ROBOKASSA_INVOICE_API_URL") or INVOICE_SERVICE).rstrip("/")


def link_hosts() -> tuple[str, ...]:
    """Where a link from an answer may lead: ROBOKASSA's payment hosts, and the host of a
    configured service address (the emulator serves its own links)."""
    hosts = set(HOSTS.values())
    configured = setting("ROBOKASSA_INVOICE_API_URL")
    if configured:
        hosts.add(urlsplit(configured).hostname or "")
    return tuple(sorted(host for host in hosts if host))


def create_link(
    config: MerchantConfig,
    *,
    inv_id: int,
    out_sum: Decimal,
    invoice_type: InvoiceType = InvoiceType.ONE_TIME,
    culture: str = "ru",
    description: str = "",
    merchant_comments: str = "",
    items: Sequence[Mapping[str, Any]] = (),
    user_fields: Mapping[str, str] | None = None,
    is_test: bool = False,
    transport: Transport | None = None,
) -> CreatedLink:
    """Ask ROBOKASSA for a payment link; returns it with ROBOKASSA's names for it. Raises an
    ``InvoiceApiError``."""
    payload = create_payload(
        config.login,
        inv_id=inv_id,
        out_sum=out_sum,
        invoice_type=invoice_type,
        culture=culture,
        description=description,
        merchant_comments=merchant_comments,
        items=items,
        user_fields=user_fields,
        is_test=is_test,
    )
    status, answer = _call(
        config, "CreateInvoice", payload, is_test=is_test, idempotent=False, transport=transport
    )
    if answer is None or status >= 500:
        raise InvoiceUncertain(_created_unknown())
    created = parse_created(answer)
    if created is not None and status < 400:
        if not link_url_is_trusted(created.url, link_hosts()):
            raise InvoiceUncertain(
                _(
                    "ROBOKASSA's answer gave a link that does not lead to ROBOKASSA: it was not "
                    "kept. Check the shop's links in the ROBOKASSA cabinet."
                )
            )
        return created
    _raise_refusal(answer, _("ROBOKASSA refused the payment link"))
    raise InvoiceUncertain(_created_unknown())  # neither a link nor a refusal: not known


def deactivate_link(
    config: MerchantConfig,
    *,
    encoded_id: str = "",
    invoice_id: str = "",
    inv_id: int | None = None,
    is_test: bool = False,
    transport: Transport | None = None,
) -> None:
    """Ask ROBOKASSA to stop accepting payments through a link. Raises an ``InvoiceApiError``
    (``InvoiceUncertain``: the link may still be open)."""
    payload = deactivate_payload(
        config.login, encoded_id=encoded_id, invoice_id=invoice_id, inv_id=inv_id
    )
    status, answer = _call(
        config, "DeactivateInvoice", payload, is_test=is_test, idempotent=True, transport=transport
    )
    if answer is None or status >= 500:
        raise InvoiceUncertain(_state_unknown())
    if answer.get("isSuccess") is True and status < 400:
        return
    _raise_refusal(answer, _("ROBOKASSA refused to deactivate the link"))
    raise InvoiceUncertain(_state_unknown())


def list_links(
    config: MerchantConfig,
    *,
    date_from: date | datetime,
    date_to: date | datetime,
    states: Sequence[InvoiceState] = tuple(InvoiceState),
    types: Sequence[InvoiceType] = tuple(InvoiceType),
    page: int = 1,
    page_size: int = 100,
    keywords: str = "",
    is_test: bool = False,
    transport: Transport | None = None,
) -> list[ListedLink]:
    """The shop's links created between ``date_from`` and ``date_to``, one page of them. Raises
    an ``InvoiceApiError``."""
    payload = list_payload(
        config.login,
        date_from=date_from,
        date_to=date_to,
        states=states,
        types=types,
        page=page,
        page_size=page_size,
        keywords=keywords,
    )
    status, answer = _call(
        config,
        "GetInvoiceInformationList",
        payload,
        is_test=is_test,
        idempotent=True,
        transport=transport,
    )
    if answer is None or status >= 500:
        raise InvoiceUncertain(_state_unknown())
    rows = parse_listed(answer) if status < 400 and answer.get("isSuccess") is not False else None
    if rows is not None:
        return rows
    _raise_refusal(answer, _("ROBOKASSA refused to list the links"))
    raise InvoiceUncertain(_state_unknown())


def _call(
    config: MerchantConfig,
    method: str,
    payload: dict[str, Any],
    *,
    is_test: bool,
    idempotent: bool,
    transport: Transport | None,
) -> tuple[int, dict[str, Any] | None]:
    if not config.login:
        raise InvoiceNotConfigured(_("The shop's login is not configured: nothing was sent."))
    try:
        password = config.password1_for(is_test)
    except ImproperlyConfigured:
        raise InvoiceNotConfigured(
            _("Password #1 of this mode is not configured: nothing was sent.")
        ) from None
    token = invoice_api_token(payload, config.login, password, config.algorithm)
    try:
        reply = post_token(transport, f"{service_url()}/{method}", token, idempotent=idempotent)
    except NotSent:
        raise InvoiceNotSent(_("ROBOKASSA could not be reached: nothing was sent.")) from None
    except TransportError:
        raise InvoiceUncertain(_created_unknown() if not idempotent else _state_unknown()) from None
    return reply.status, json_object(reply.body)


def _raise_refusal(answer: Mapping[str, Any], what: Any) -> None:
    """Raise ``InvoiceRefused`` when the answer says no in so many words (``isSuccess`` false)."""
    if answer.get("isSuccess") is not False and answer.get("success") is not False:
        return
    words = error_message(answer)
    if words:
        raise InvoiceRefused(
            _("%(what)s: %(words)s") % {"what": what, "words": words}, robokassa_message=words
        )
    raise InvoiceRefused(_("%(what)s.") % {"what": what})


def _created_unknown() -> Any:
    return _(
        "ROBOKASSA's answer did not arrive or could not be read: the link may have been "
        "created. It will be looked up before anything is sent again."
    )


def _state_unknown() -> Any:
    return _("ROBOKASSA's answer did not arrive or could not be read: nothing is known yet.")


__all__ = [
    "INVOICE_SERVICE",
    "InvoiceApiError",
    "InvoiceNotConfigured",
    "InvoiceNotSent",
    "InvoiceRefused",
    "InvoiceUncertain",
    "create_link",
    "deactivate_link",
    "link_hosts",
    "list_links",
    "service_url",
]
