"""Which certificates verify ResultUrl2 notifications, and fetching ROBOKASSA's current one.

Live payments: ``ROBOKASSA_RESULT_URL2_CERTIFICATE`` alone when it is set; otherwise the copies
``robokassa_refresh_certificate`` stored (newest first) and the certificate bundled with the
plugin, each only while it is valid. ROBOKASSA replaces its certificate from time to time, so
during a rotation both the fetched and the bundled one verify. Test payments: only
``ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE`` (the emulator's); ROBOKASSA sends none in test mode.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import setting
from ..gateway.transport import Transport, TransportError
from ..models import ResultUrl2Certificate
from ..protocol.jws import JwsError, is_valid_at, load_certificate

logger = logging.getLogger("wagtail_robokassa.certificates")

BUNDLED_PATH = (
    Path(__file__).resolve().parent.parent / "certificates" / "robokassa-result-url-2.pem"
)
#: A certificate file is a few kilobytes; a larger answer is not one.
MAX_CERTIFICATE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Trusted:
    """A certificate that may verify notifications, and where it came from (for the record:
    ``setting``, ``test setting``, ``fetched``, ``bundled``)."""

    certificate: x509.Certificate
    source: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)


def fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


@lru_cache(maxsize=8)
def _parsed(data: bytes) -> x509.Certificate:
    return load_certificate(data)


def certificate_from_setting(name: str) -> x509.Certificate:
    """The certificate a setting gives; ``JwsError`` when it gives none."""
    return _from_setting(setting(name), name)


def _from_setting(value: object, name: str) -> x509.Certificate:
    """PEM text, or the path of a PEM or DER file. ``ImproperlyConfigured``-like errors are
    ``JwsError`` with code ``bad_setting`` (system check E015 reports them)."""
    if not isinstance(value, str | Path) or not str(value).strip():
        raise JwsError("bad_setting", f"{name} is neither PEM text nor a file path")
    text = str(value)
    if "-----BEGIN" in text:
        return _parsed(text.encode("ascii", "ignore"))
    try:
        data = Path(text).read_bytes()
    except OSError as error:
        raise JwsError("bad_setting", f"{name}: {error.strerror or error}") from None
    return _parsed(data)


def bundled() -> x509.Certificate:
    return _parsed(BUNDLED_PATH.read_bytes())


def stored() -> list[x509.Certificate]:
    """The fetched copies, newest first (none when the table cannot be read)."""
    try:
        rows = list(ResultUrl2Certificate.objects.values_list("pem", flat=True))
    except DatabaseError:
        logger.exception("ROBOKASSA's stored ResultUrl2 certificates could not be read")
        return []
    certificates = []
    for pem in rows:
        try:
            certificates.append(_parsed(pem.encode("ascii", "ignore")))
        except JwsError:
            continue
    return certificates


def trusted_certificates(*, is_test: bool, include_stored: bool = True) -> list[Trusted]:
    """The certificates a notification of a test or a live payment may be verified with."""
    if is_test:
        value = setting("ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE")
        if not value:
            return []
        return [Trusted(_from_setting(value, "ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE"), "test")]
    value = setting("ROBOKASSA_RESULT_URL2_CERTIFICATE")
    if value:
        return [Trusted(_from_setting(value, "ROBOKASSA_RESULT_URL2_CERTIFICATE"), "setting")]
    fetched = [Trusted(each, "fetched") for each in stored()] if include_stored else []
    return [*fetched, Trusted(bundled(), "bundled")]


def latest_expiry(
    *, now: datetime | None = None, stored: bool = True
) -> tuple[datetime | None, str]:
    """When the last live certificate valid ``now`` expires, and its source; ``(None, "")``
    when none is valid. ``stored``: count the fetched copies (a database query)."""
    now = now or timezone.now()
    valid = [
        trusted
        for trusted in trusted_certificates(is_test=False, include_stored=stored)
        if is_valid_at(trusted.certificate, now)
    ]
    if not valid:
        return None, ""
    last = max(valid, key=lambda trusted: trusted.certificate.not_valid_after_utc)
    return last.certificate.not_valid_after_utc, last.source


class RefreshFailed(Exception):
    """The certificate could not be fetched, or what came is not a usable certificate."""


@dataclass(frozen=True)
class Refreshed:
    certificate: x509.Certificate
    new: bool


def refresh_certificate(
    *, url: str | None = None, transport: Transport | None = None, now: datetime | None = None
) -> Refreshed:
    """Fetch ROBOKASSA's current certificate and store it for every server, if it is a
    certificate valid now (an expired or future one is refused, as the official module does)."""
    url = url or setting("ROBOKASSA_RESULT_URL2_CERTIFICATE_URL")
    now = now or timezone.now()
    try:
        answer = (transport or Transport.background()).send(
            "GET", url, idempotent=True, limit=MAX_CERTIFICATE_BYTES
        )
    except TransportError as error:
        raise RefreshFailed(str(error)) from None
    if answer.status != 200:
        raise RefreshFailed(_("The server answered HTTP %(status)s.") % {"status": answer.status})
    return store_certificate(answer.body, source=url, now=now)


def store_certificate(data: bytes, *, source: str, now: datetime | None = None) -> Refreshed:
    """Store the certificate in ``data`` (PEM or DER) for every server, if it is valid now."""
    now = now or timezone.now()
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise RefreshFailed(_("This is not a certificate."))
    try:
        certificate = load_certificate(data)
    except JwsError:
        raise RefreshFailed(_("This is not a certificate.")) from None
    if not is_valid_at(certificate, now):
        raise RefreshFailed(
            _("The certificate is not valid now (valid from %(start)s until %(end)s).")
            % {
                "start": certificate.not_valid_before_utc.date(),
                "end": certificate.not_valid_after_utc.date(),
            }
        )
    _row, created = ResultUrl2Certificate.objects.update_or_create(
        fingerprint=fingerprint(certificate),
        defaults={
            "pem": certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            "subject": certificate.subject.rfc4514_string()[:255],
            "not_valid_before": certificate.not_valid_before_utc,
            "not_valid_after": certificate.not_valid_after_utc,
            "source": source[:255],
        },
    )
    logger.info(
        "ROBOKASSA's ResultUrl2 certificate %s, valid until %s",
        "stored" if created else "unchanged",
        certificate.not_valid_after_utc.date(),
    )
    return Refreshed(certificate, created)
