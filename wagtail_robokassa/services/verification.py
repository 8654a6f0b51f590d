"""Turning request parameters into a trusted ``Callback``, or a ``Refusal`` that says why not."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from ..conf import MerchantConfig
from ..deprecation import module_getattr
from ..models import RejectionReason
from ..protocol import (
    Callback,
    MalformedCallback,
    UnsupportedAlgorithm,
    is_signed_result,
    is_signed_success,
    parse_callback,
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


def parse_or_refuse(params: Any, *, signed: bool = True) -> Callback:
    """The parsed callback; raises a ``malformed`` ``Refusal`` for parameters that are not one."""
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


def _require_signature(
    callback: Callback, password: str, config: MerchantConfig, is_signed: Any
) -> None:
    try:
        valid = is_signed(callback, password, config.algorithm)
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


def require_result_signature(callback: Callback, config: MerchantConfig) -> None:
    """Raise a ``Refusal`` for a Result URL request not signed with Password#2 of the pair
    its ``IsTest`` names."""
    _check_mode(callback, config)
    password = _password(config.password2_for, callback.is_test, callback)
    _require_signature(callback, password, config, is_signed_result)


def require_success_signature(callback: Callback, config: MerchantConfig) -> None:
    """Raise a ``Refusal`` for a Success URL redirect not signed with Password#1 of the pair
    its ``IsTest`` names."""
    _check_mode(callback, config)
    password = _password(config.password1_for, callback.is_test, callback)
    _require_signature(callback, password, config, is_signed_success)


def parse_verified_result(params: Any, config: MerchantConfig) -> Callback:
    """A Result URL request parsed and verified; raises ``Refusal`` otherwise."""
    callback = parse_or_refuse(params)
    require_result_signature(callback, config)
    return callback


def parse_verified_success(params: Any, config: MerchantConfig) -> Callback:
    """A Success URL redirect parsed and verified; raises ``Refusal`` otherwise."""
    callback = parse_or_refuse(params)
    require_success_signature(callback, config)
    return callback


__getattr__ = module_getattr(
    __name__,
    {
        "parse": f"{__name__}.parse_or_refuse",
        "check_result": f"{__name__}.require_result_signature",
        "check_success": f"{__name__}.require_success_signature",
        "verified_result": f"{__name__}.parse_verified_result",
        "verified_success": f"{__name__}.parse_verified_success",
    },
)
