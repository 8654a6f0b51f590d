"""``manage.py robokassa_refresh_certificate``: fetch ROBOKASSA's current ResultUrl2 certificate
and store it for every server (run it daily, as ROBOKASSA's own module does)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Fetch the certificate that verifies ROBOKASSA's ResultUrl2 notifications "
        "(ROBOKASSA_RESULT_URL2_CERTIFICATE_URL, or --url, or --file) and store it if it is "
        "valid now."
    )

    def add_arguments(self, parser: Any) -> None:
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--url", help="Fetch it from this address instead.")
        source.add_argument("--file", help="Read it from this PEM or DER file instead.")

    def handle(self, *args: Any, url: str | None, file: str | None, **options: Any) -> None:
        from ...services.certificates import RefreshFailed, refresh_certificate, store_certificate

        try:
            if file:
                refreshed = store_certificate(_read(file), source=f"file {file}")
            else:
                refreshed = refresh_certificate(url=url)
        except RefreshFailed as error:
            raise CommandError(str(error)) from None
        certificate = refreshed.certificate
        state = "Stored" if refreshed.new else "Already stored"
        self.stdout.write(
            f"{state}: {certificate.subject.rfc4514_string()}, valid until "
            f"{certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC."
        )


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(64 * 1024 + 1)
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror or error}") from None
