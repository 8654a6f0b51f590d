"""Turning request parameters into a trusted ``Callback``, or a ``Refusal`` that says why not."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from ..conf import MerchantConfig
from ..models import RejectionReason
from ..protocol import (
    Callback,
    MalformedCallback,
    UnsupportedAlgorithm,
    parse_callback,
    verify_result,
    verify_success,
)


class Refusal(Exception):
    """A request that must not be honoured. ``status`` is 400, or 500 when the site is at fault."""

    def __init__(
        self,
        reason: str,
        detail: str,
        *,
        status: int = 400,
        callback: Callback | None = None,
    ) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.status = status
        self.callback = callback


def parse(params: Any, *, signed: bool = True) -> Callback:
    try:
        return parse_callback(params, signed=signed)
    except MalformedCallback as error:
        raise Refusal(RejectionReason.MALFORMED, error.reason) from None


def _check_mode(callback: Callback, config: MerchantConfig) -> None:
    if callback.is_test and not config.test_mode:
        raise Refusal(
            RejectionReason.TEST_IN_LIVE,
            "IsTest=1 while the shop is in live mode",
            callback=callback,
        )


def _verify(callback: Callback, password: str, config: MerchantConfig, check: Any) -> None:
    try:
        valid = check(callback, password, config.algorithm)
    except UnsupportedAlgorithm as error:
        raise Refusal(RejectionReason.NOT_CONFIGURED, str(error), status=500) from None
    if not valid:
        raise Refusal(
            RejectionReason.BAD_SIGNATURE, "SignatureValue does not match", callback=callback
        )


def _password(get_password: Any, is_test: bool, callback: Callback) -> str:
    try:
        return get_password(is_test)
    except ImproperlyConfigured as error:
        raise Refusal(
            RejectionReason.NOT_CONFIGURED, str(error), status=500, callback=callback
        ) from None


def check_result(callback: Callback, config: MerchantConfig) -> None:
    """Refuse a Result URL request not signed with Password#2 of the pair its ``IsTest`` names."""
    _check_mode(callback, config)
    password = _password(config.password2_for, callback.is_test, callback)
    _verify(callback, password, config, verify_result)


def check_success(callback: Callback, config: MerchantConfig) -> None:
    """Refuse a Success URL redirect not signed with Password#1 of the pair ``IsTest`` names."""
    _check_mode(callback, config)
    password = _password(config.password1_for, callback.is_test, callback)
    _verify(callback, password, config, verify_success)


def verified_result(params: Any, config: MerchantConfig) -> Callback:
    callback = parse(params)
    check_result(callback, config)
    return callback


def verified_success(params: Any, config: MerchantConfig) -> Callback:
    callback = parse(params)
    check_success(callback, config)
    return callback
