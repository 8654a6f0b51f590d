"""The certificate that verifies ResultUrl2: bundled, set, or fetched by
``robokassa_refresh_certificate``; the system checks that say when it is about to expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command
from freezegun import freeze_time

from tests.helpers import make_invoice
from tests.holds.conftest import deliver, token
from tests.hostile import answer
from tests.protocol.test_jws import _certificate
from wagtail_robokassa.checks import check_certificate_expiry, check_certificate_settings
from wagtail_robokassa.contrib.emulator import jws as emulator_jws
from wagtail_robokassa.models import ResultUrl2Certificate, StateNotification
from wagtail_robokassa.services.certificates import (
    BUNDLED_PATH,
    RefreshFailed,
    refresh_certificate,
    trusted_certificates,
)

pytestmark = pytest.mark.django_db

EMULATOR_PEM = emulator_jws.CERTIFICATE_PATH.read_bytes()


@pytest.fixture
def robokassas_own(settings):
    """No certificate set: live payments trust the bundled and the fetched ones."""
    del settings.ROBOKASSA_RESULT_URL2_CERTIFICATE


def test_without_a_setting_the_bundled_certificate_is_trusted(robokassas_own):
    (trusted,) = trusted_certificates(is_test=False)
    assert trusted.source == "bundled"
    assert trusted.certificate.not_valid_after_utc == datetime(2027, 6, 16, 12, 9, 20, tzinfo=UTC)


def test_a_setting_is_the_only_certificate_trusted(settings):
    (trusted,) = trusted_certificates(is_test=False)
    assert trusted.source == "setting"


def test_a_setting_may_hold_the_pem_itself(settings):
    settings.ROBOKASSA_RESULT_URL2_CERTIFICATE = EMULATOR_PEM.decode()
    assert trusted_certificates(is_test=False)[0].certificate == emulator_jws.certificate()


def test_refresh_stores_a_valid_certificate_once(hostile, settings, robokassas_own):
    server = hostile(answer(200, EMULATOR_PEM, {"Content-Type": "application/x-x509-ca-cert"}))
    first = refresh_certificate(url=server.url + "/jwtsign.cer")
    second = refresh_certificate(url=server.url + "/jwtsign.cer")
    assert first.new
    assert not second.new
    row = ResultUrl2Certificate.objects.get()
    assert row.source.endswith("/jwtsign.cer")
    assert row.not_valid_after == datetime(2046, 1, 1, tzinfo=UTC)
    sources = [trusted.source for trusted in trusted_certificates(is_test=False)]
    assert sources == ["fetched", "bundled"]


def test_after_a_rotation_the_fetched_certificate_verifies(client, hostile, robokassas_own):
    """ROBOKASSA signs with a new key: the bundled certificate cannot know it, the fetched
    one does."""
    invoice = make_invoice("100.00")
    assert deliver(client, token(invoice)).status_code == 400  # not yet trusted
    der = emulator_jws.certificate().public_bytes(serialization.Encoding.DER)
    refresh_certificate(url=hostile(answer(200, der)).url)  # DER, as jwtsign.cer is
    assert deliver(client, token(invoice, op_key="OP-2")).status_code == 200
    assert StateNotification.objects.get().certificate == "fetched"


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Not found</html>",
        b"",
        _certificate(
            datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC)
        ).public_bytes(serialization.Encoding.PEM),
        b"x" * (70 * 1024),
    ],
    ids=["a page", "nothing", "expired", "too large"],
)
def test_refresh_refuses_what_is_no_valid_certificate(hostile, body):
    with pytest.raises(RefreshFailed):
        refresh_certificate(url=hostile(answer(200, body)).url)
    assert ResultUrl2Certificate.objects.count() == 0


def test_refresh_refuses_an_error_page(hostile):
    with pytest.raises(RefreshFailed, match="404"):
        refresh_certificate(url=hostile(answer(404, EMULATOR_PEM)).url)


def test_the_command_from_a_file_and_its_errors(tmp_path, capsys):
    path = tmp_path / "jwtsign.cer"
    path.write_bytes(EMULATOR_PEM)
    call_command("robokassa_refresh_certificate", file=str(path))
    assert "Stored: CN=wagtail-robokassa emulator" in capsys.readouterr().out
    call_command("robokassa_refresh_certificate", file=str(path))
    assert "Already stored" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No such file"):
        call_command("robokassa_refresh_certificate", file=str(tmp_path / "missing"))
    path.write_bytes(b"garbage")
    with pytest.raises(CommandError, match="not a certificate"):
        call_command("robokassa_refresh_certificate", file=str(path))


def test_the_command_from_a_url(hostile, capsys):
    server = hostile(answer(200, EMULATOR_PEM))
    call_command("robokassa_refresh_certificate", url=server.url + "/jwtsign.cer")
    assert "valid until 2046-01-01" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("robokassa_refresh_certificate", url="http://127.0.0.1:9/jwtsign.cer")


def test_the_task_says_what_happened(hostile, settings):
    from wagtail_robokassa.tasks import refresh_certificate as task

    settings.ROBOKASSA_RESULT_URL2_CERTIFICATE_URL = hostile(answer(200, b"nope")).url
    assert task.call() == {"refreshed": False, "error": "This is not a certificate."}
    settings.ROBOKASSA_RESULT_URL2_CERTIFICATE_URL = hostile(answer(200, EMULATOR_PEM)).url
    assert task.call() == {"refreshed": True, "new": True}


def _w004(databases=("default",)):
    return list(check_certificate_expiry(databases=list(databases)))


def test_no_warning_while_the_certificate_has_long_to_run(robokassas_own):
    with freeze_time("2026-12-03"):
        assert _w004() == []


def test_a_warning_30_days_before_the_certificate_expires(robokassas_own):
    with freeze_time("2027-05-20"):
        (warning,) = _w004()
    assert warning.id == "robokassa.W004"
    assert "expires on 2027-06-16" in warning.msg
    assert "robokassa_refresh_certificate" in warning.hint


def test_a_warning_once_it_has_expired(robokassas_own):
    with freeze_time("2027-07-01"):
        (warning,) = _w004()
    assert "has expired" in warning.msg


def test_a_fetched_newer_certificate_silences_the_warning(robokassas_own, tmp_path):
    path = tmp_path / "new.pem"
    path.write_bytes(EMULATOR_PEM)
    call_command("robokassa_refresh_certificate", file=str(path))
    with freeze_time("2027-05-20"):
        assert _w004() == []
        assert len(_w004(databases=())) == 1  # without the database, only the bundled one


def test_e015_for_a_setting_that_gives_no_certificate(settings, tmp_path):
    assert check_certificate_settings() == []
    settings.ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE = str(tmp_path / "missing.pem")
    (error,) = check_certificate_settings()
    assert error.id == "robokassa.E015"
    assert "ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE" in error.msg
    settings.ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nAA\n"
    assert check_certificate_settings()[0].id == "robokassa.E015"


def test_the_bundled_certificate_is_robokassas():
    from wagtail_robokassa.protocol.jws import load_certificate

    certificate = load_certificate(BUNDLED_PATH.read_bytes())
    assert "CN=ROBOKASSA" in certificate.subject.rfc4514_string()
    assert "Robokassa Issuing CA" in certificate.issuer.rfc4514_string()
    assert certificate.not_valid_before_utc < datetime.now(UTC) + timedelta(days=1)
