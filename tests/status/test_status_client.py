"""The status interface client, over real HTTP: against the emulator on the live test server
(paid, pending, cancelled, unknown, a wrong Password #2, a wrong login), and against a local
server that misbehaves (refused connections, a timeout, 5xx, broken or huge XML). Every failure
is a typed error with a clear message, and no password is ever in it."""

import dataclasses
import socket

import pytest

from tests.helpers import LOGIN
from tests.status_servers import PAID_XML
from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
from wagtail_robokassa.gateway import status as status_client
from wagtail_robokassa.gateway.transport import RETRIES
from wagtail_robokassa.protocol import OperationState, OpStateResult
from wagtail_robokassa.services.config import get_config


def operation(inv_id, state):
    return EmulatedOperation.objects.create(
        merchant_login=LOGIN, inv_id=inv_id, out_sum="990.00", state=state, op_key="k"
    )


@pytest.mark.parametrize(
    "state", [OperationState.PAID, OperationState.INITIATED, OperationState.CANCELLED]
)
def test_the_state_of_an_operation(emulator, state):
    operation(501, state.value)
    answer = status_client.check_status(emulator, 501, is_test=True)
    assert answer.state is state
    assert answer.is_paid == (state is OperationState.PAID)


def test_an_unknown_inv_id_is_not_found(emulator):
    with pytest.raises(status_client.OperationNotFound) as caught:
        status_client.check_status(emulator, 999, is_test=True)
    assert "did not get as far as paying" in str(caught.value)
    assert not caught.value.transient


@pytest.mark.parametrize(
    ("change", "result", "said"),
    [
        ({"test_password2": "not-the-password"}, OpStateResult.BAD_SIGNATURE,
         "Password #2 or the hash algorithm is wrong"),
        ({"login": "someone-else"}, OpStateResult.SHOP_NOT_FOUND, "the merchant login is wrong"),
    ],
)  # fmt: skip
def test_a_wrong_credential_is_named_and_not_shown(emulator, change, result, said):
    wrong = dataclasses.replace(emulator, **change)
    with pytest.raises(status_client.StatusRefused) as caught:
        status_client.check_status(wrong, 501, is_test=True)
    assert caught.value.result is result
    assert said in str(caught.value)
    assert "not-the-password" not in str(caught.value)


def test_the_address_is_robokassas_unless_set(settings):
    settings.ROBOKASSA_STATUS_URL = ""
    config = get_config()
    assert status_client.status_url(config) == (
        f"https://{config.host}/Merchant/WebService/Service.asmx/OpStateExt"
    )


# A local server that misbehaves as told.


def check():
    return status_client.check_status(get_config(), 7)


def test_a_5xx_is_retried_then_answered(misbehaving):
    seen = misbehaving((503, b"busy"), (200, PAID_XML))
    assert check().is_paid
    assert len(seen) == 2


def test_a_lasting_5xx_is_a_bad_answer_after_bounded_retries(misbehaving):
    seen = misbehaving((500, b"down"))
    with pytest.raises(status_client.BadAnswer, match="HTTP status 500"):
        check()
    assert len(seen) == 1 + RETRIES


def test_a_refused_connection_is_unreachable(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nobody listens there
    settings.ROBOKASSA_STATUS_URL = f"http://127.0.0.1:{port}/OpStateExt"
    with pytest.raises(status_client.Unreachable, match="could not be reached") as caught:
        check()
    assert caught.value.transient


def test_a_silent_server_times_out(misbehaving, settings):
    settings.ROBOKASSA_INTERACTIVE_DEADLINE = 0.3
    seen = misbehaving(("sleep", 1.5))
    with pytest.raises(status_client.Unreachable, match="did not answer in time"):
        check()
    assert len(seen) == 1  # a read timeout is not resent: the request may have been processed


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (PAID_XML[:60], "could not be read"),
        (b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", "could not be read"),
        (b"<OperationStateResponse><Result><Code>0</Code></Result></OperationStateResponse>",
         "could not be read"),
        (b"x" * 1_000_001, "too large"),
    ],
)  # fmt: skip
def test_a_broken_answer_is_a_bad_answer(misbehaving, body, message):
    misbehaving((200, body))
    with pytest.raises(status_client.BadAnswer, match=message):
        check()


def test_an_internal_error_may_pass(misbehaving):
    misbehaving((200, b"<OperationStateResponse><Result><Code>1000</Code></Result>"
                      b"</OperationStateResponse>"))  # fmt: skip
    with pytest.raises(status_client.StatusRefused, match="internal error") as caught:
        check()
    assert caught.value.transient


def test_an_unknown_code_is_reported_with_robokassas_words(misbehaving):
    misbehaving((200, b"<OperationStateResponse><Result><Code>7</Code><Description>Odd"
                      b"</Description></Result></OperationStateResponse>"))  # fmt: skip
    with pytest.raises(status_client.StatusRefused, match="with code 7: Odd"):
        check()


def test_messages_are_translated(emulator):
    from django.utils import translation

    wrong = dataclasses.replace(emulator, login="someone-else")
    with translation.override("ru"), pytest.raises(status_client.StatusRefused) as caught:
        status_client.check_status(wrong, 501, is_test=True)
    assert "идентификатор магазина" in str(caught.value).lower()


@pytest.mark.parametrize(("change", "said"), [({"test_password2": ""}, "test Password#2"),
                                              ({"login": ""}, "merchant login")])  # fmt: skip
def test_a_shop_without_credentials_asks_nothing(misbehaving, change, said):
    seen = misbehaving((200, PAID_XML))
    config = dataclasses.replace(get_config(), **change)
    with pytest.raises(status_client.NotConfigured, match=said):
        status_client.check_status(config, 7, is_test=True)
    assert seen == []


def test_the_live_pair_never_sees_a_test_operation(emulator):
    """As at ROBOKASSA: what a status request sees depends on the pair that signed it."""
    from wagtail_robokassa.contrib.emulator.models import EmulatedOperation

    EmulatedOperation.objects.create(
        merchant_login=emulator.login, inv_id=4711, out_sum="10.00", state=100, op_key="k"
    )
    assert status_client.check_status(emulator, 4711, is_test=True).is_paid
    with pytest.raises(status_client.OperationNotFound):
        status_client.check_status(emulator, 4711, is_test=False)
    EmulatedOperation.objects.create(
        merchant_login=emulator.login, inv_id=4712, out_sum="10.00", state=100, is_test=False
    )
    assert status_client.check_status(emulator, 4712, is_test=False).is_paid
    with pytest.raises(status_client.OperationNotFound):
        status_client.check_status(emulator, 4712, is_test=True)
