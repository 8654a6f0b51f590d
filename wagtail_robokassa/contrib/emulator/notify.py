"""What ROBOKASSA sends to the shop: the Result URL request (server to server) and the buyer's
redirects to the Success and Fail URLs."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from ...conf import MerchantConfig
from ...protocol import result_signature, success_signature
from .models import EmulatedOperation

TIMEOUT = 20


@dataclass(frozen=True)
class ShopAnswer:
    status: int
    body: str

    def is_ok_for(self, inv_id: int) -> bool:
        return self.status == 200 and self.body == f"OK{inv_id}"


def result_params(operation: EmulatedOperation, config: MerchantConfig) -> list[tuple[str, str]]:
    """As production sends them: six decimals, an upper-case signature, the legacy duplicates."""
    out_sum = f"{operation.out_sum:.6f}"
    signature = result_signature(
        out_sum,
        operation.inv_id,
        config.test_password2,
        shp=operation.shp,
        algorithm=config.algorithm,
    ).upper()
    fee = (operation.out_sum * Decimal("0.039")).quantize(Decimal("0.000001"))
    return [
        ("out_summ", out_sum),
        ("OutSum", out_sum),
        ("inv_id", str(operation.inv_id)),
        ("InvId", str(operation.inv_id)),
        ("crc", signature),
        ("SignatureValue", signature),
        ("PaymentMethod", "BankCard"),
        ("IncSum", out_sum),
        ("IncCurrLabel", "BankCardPSR"),
        ("EMail", operation.email),
        ("Fee", f"{fee:f}"),
        ("IsTest", "1"),
        *sorted(operation.shp.items()),
    ]


def state_token(operation: EmulatedOperation, config: MerchantConfig, state: str) -> str:
    """The signed ResultUrl2 notification of ``state`` (``HOLD`` or ``OK``), as ROBOKASSA
    makes it, with the emulator's key."""
    from django.utils import timezone

    from .jws import signed_notification

    return signed_notification(
        shop=config.login,
        inv_id=operation.inv_id,
        op_key=operation.op_key,
        state=state,
        inc_sum=operation.out_sum,
        sent_at=timezone.now(),
    )


def send_state(url: str, token: str) -> ShopAnswer:
    """POST a ResultUrl2 notification (the compact token as the body) and read the answer."""
    return _post(url, token.encode("ascii"), "application/json")


def _post(url: str, body: bytes, content_type: str) -> ShopAnswer:
    if not url.startswith(("http://", "https://")):
        raise ValueError("the shop's address must be an http(s) URL of this site")
    request = urllib.request.Request(  # noqa: S310 - an http(s) URL, checked above
        url,
        data=body,
        method="POST",
        headers={"User-Agent": "wagtail-robokassa emulator", "Content-Type": content_type},
    )
    return _answer(request)


def _answer(request: urllib.request.Request) -> ShopAnswer:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return ShopAnswer(response.status, response.read(2048).decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return ShopAnswer(error.code, error.read(2048).decode("utf-8", "replace"))
    except OSError as error:
        return ShopAnswer(0, f"{type(error).__name__}: {error}")


def send_result(url: str, params: list[tuple[str, str]], method: str) -> ShopAnswer:
    """Deliver the notification to the shop's Result URL and read its answer."""
    if not url.startswith(("http://", "https://")):
        raise ValueError("the Result URL must be an http(s) URL of this site")
    body = urlencode(params)
    get = method == "GET"
    request = urllib.request.Request(  # noqa: S310 - an http(s) URL, checked above
        f"{url}?{body}" if get else url,
        data=None if get else body.encode(),
        method=method,
        headers={
            "User-Agent": "wagtail-robokassa emulator",
            **({} if get else {"Content-Type": "application/x-www-form-urlencoded"}),
        },
    )
    return _answer(request)


def _redirect_params(operation: EmulatedOperation, signature: str | None) -> list[tuple[str, str]]:
    """A redirect of the buyer: the amount as entered (test mode), unsigned for the Fail URL."""
    signed = [("SignatureValue", signature)] if signature else []
    return [
        ("OutSum", f"{operation.out_sum:.2f}"),
        ("InvId", str(operation.inv_id)),
        *signed,
        ("IsTest", "1"),
        ("Culture", operation.culture or "ru"),
        *sorted(operation.shp.items()),
    ]


def success_params(operation: EmulatedOperation, config: MerchantConfig) -> list[tuple[str, str]]:
    signature = success_signature(
        f"{operation.out_sum:.2f}",
        operation.inv_id,
        config.test_password1,
        shp=operation.shp,
        algorithm=config.algorithm,
    )
    return _redirect_params(operation, signature)


def fail_params(operation: EmulatedOperation) -> list[tuple[str, str]]:
    return _redirect_params(operation, None)


def new_op_key() -> str:
    return str(uuid.uuid4()).upper()
