"""Guards: how a copy of a shop's configuration kept in a process proves it is still current.

A ``ConfigGuard`` names what the copy was read from. ``guard_ctes_sql()`` checks it inside a
statement (the Result URL's one write statement), ``guard_holds()`` in a query of its own
(the Success URL, whose writes cannot carry it). PostgreSQL only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connection
from wagtail.models import Site

from ..models import Invoice, RobokassaSettings
from .sql import column_of


@dataclass(frozen=True)
class ConfigGuard:
    """What a callback's configuration was read from, for the write to confirm it is current.

    The write finds the settings row that applies (the invoice's Site's, else the row of
    ``request_site_id``) and records nothing unless it is row ``settings_id`` at ``revision``
    and, unless that row is the invoice's own Site's, the Sites still have ``sites`` as their
    fingerprint (so that the request's host still means the same Site).
    """

    request_site_id: int | None
    sites: str
    settings_id: int | None
    revision: UUID | None

    def params(self) -> dict[str, Any]:
        """The values of ``guard_ctes_sql()``'s placeholders."""
        return {
            "guard_site": self.request_site_id,
            "guard_sites": self.sites,
            "guard_settings": self.settings_id,
            "guard_revision": self.revision,
        }


#: The fingerprint of the Sites that decide which Site a host means (PostgreSQL).
SITES_FINGERPRINT_SQL = (
    "SELECT md5(coalesce(string_agg(concat_ws(' ', {id}, {hostname}, {port}, {default}), ',' "
    "ORDER BY {id}), '')) FROM {table}"
)


def sites_fingerprint() -> str:
    """The fingerprint of the Sites table (see ``ConfigGuard``)."""
    with connection.cursor() as cursor:
        cursor.execute(sites_fingerprint_sql())
        return cursor.fetchone()[0]


def sites_fingerprint_sql() -> str:
    quote = connection.ops.quote_name
    meta = Site._meta
    return SITES_FINGERPRINT_SQL.format(
        table=quote(meta.db_table),
        **{
            key: quote(column_of(meta.get_field(name)))
            for key, name in [
                ("id", "id"),
                ("hostname", "hostname"),
                ("port", "port"),
                ("default", "is_default_site"),
            ]
        },
    )


def guard_ctes_sql() -> str:
    """Two CTEs, ``applies`` (the settings row for a CTE ``invoice`` with its Site's column,
    else for the request's Site) and ``guard_holds`` (one row, ``ok``: whether the guard holds),
    with the named placeholders ``ConfigGuard.params()`` fills.

    The Sites' fingerprint is computed only when the row that applies is the request's Site's:
    the invoice's own Site's row does not depend on which Site the request's host means.
    """
    quote = connection.ops.quote_name
    settings = RobokassaSettings._meta
    settings_pk, settings_site, revision = (
        quote(column_of(field))
        for field in (settings.pk, settings.get_field("site"), settings.get_field("revision"))
    )
    invoice_site = quote(column_of(Invoice._meta.get_field("site")))
    return f"""
        applies AS (
            SELECT {settings_pk} AS id, {revision} AS revision, {settings_site} AS site
            FROM {quote(settings.db_table)}
            WHERE {settings_site} = (SELECT {invoice_site} FROM invoice)
               OR {settings_site} = %(guard_site)s
            ORDER BY ({settings_site} = (SELECT {invoice_site} FROM invoice)) IS TRUE DESC
            LIMIT 1
        ), guard_holds AS (
            SELECT (SELECT id FROM applies) IS NOT DISTINCT FROM %(guard_settings)s
                   AND (SELECT revision FROM applies)
                       IS NOT DISTINCT FROM %(guard_revision)s
                   AND (((SELECT site FROM applies) = (SELECT {invoice_site} FROM invoice))
                            IS TRUE
                        OR ({sites_fingerprint_sql()}) = %(guard_sites)s) AS ok
        )"""


def guard_holds(guard: ConfigGuard, inv_id: int | None) -> bool:
    """Whether ``guard`` still holds for a callback about ``inv_id`` (one query)."""
    invoice = Invoice._meta
    quote = connection.ops.quote_name
    sql = (
        f"WITH invoice AS (SELECT * FROM {quote(invoice.db_table)} "
        f"WHERE {quote(column_of(invoice.pk))} = %(inv_id)s), {guard_ctes_sql()} "
        "SELECT ok FROM guard_holds"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"inv_id": inv_id, **guard.params()})
        return bool(cursor.fetchone()[0])
