"""django-robokassa's forms, on top of the protocol core.

``RobokassaForm`` renders the signed hidden fields of a payment; ``ResultURLForm``,
``SuccessRedirectForm`` and ``FailRedirectForm`` validate what ROBOKASSA sends back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .conf import MerchantConfig, server_config
from .models import RejectionReason
from .protocol import SHP_PREFIX, Callback, Receipt, payment_params, payment_url
from .services.config import CallbackConfigs
from .services.verification import (
    Refusal,
    parse_or_refuse,
    parse_verified_result,
    require_success_signature,
)
from .services.visits import has_matching_notification

# initial key → payment_params keyword. ``Desc`` is django-robokassa's name for Description.
_PAYMENT_KEYS = {
    "OutSum": "out_sum",
    "InvId": "inv_id",
    "Desc": "description",
    "Description": "description",
    "Email": "email",
    "IncCurrLabel": "inc_curr_label",
    "Culture": "culture",
    "ExpirationDate": "expiration_date",
    "OutSumCurrency": "out_sum_currency",
    "UserIp": "user_ip",
    "Receipt": "receipt",
}


class RobokassaForm(forms.Form):
    """The payment form: hidden, signed fields to POST to ``form.target``.

    ``RobokassaForm(initial={"OutSum": order.total, "InvId": order.id, "Desc": order.name})``;
    extra parameters (``ROBOKASSA_EXTRA_PARAMS``) go in ``initial`` by bare name.
    """

    def __init__(self, *args: Any, config: MerchantConfig | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config = config or server_config()
        self.params = self._signed_params(dict(self.initial))
        for name, value in self.params:
            self.fields[name] = forms.CharField(
                initial=value, required=False, widget=forms.HiddenInput
            )

    def _signed_params(self, initial: dict[str, Any]) -> list[tuple[str, str]]:
        options: dict[str, Any] = {}
        shp: dict[str, str] = {}
        for key, value in initial.items():
            if key in _PAYMENT_KEYS:
                options[_PAYMENT_KEYS[key]] = value
            elif key in self.config.extra_params or key.startswith(SHP_PREFIX):
                shp[key] = str(value)
            else:
                raise ValueError(
                    f"RobokassaForm does not know {key!r}: use "
                    + ", ".join(_PAYMENT_KEYS)
                    + " or a name from ROBOKASSA_EXTRA_PARAMS"
                )
        if "out_sum" not in options or options["out_sum"] in (None, ""):
            raise ValueError("RobokassaForm needs OutSum")
        if isinstance(options["out_sum"], float):
            raise ValueError(
                "OutSum is a float, which loses cents: pass a Decimal such as Decimal('100.00')"
            )
        if options.get("inv_id") is not None:
            options["inv_id"] = int(options["inv_id"])
        if not isinstance(options.get("receipt"), Receipt | str | None):
            raise TypeError("Receipt must be a protocol.Receipt or an encoded string")
        options.setdefault("culture", self.config.culture or None)
        is_test = self.config.test_mode
        return payment_params(
            self.config.login,
            options.pop("out_sum"),
            options.pop("inv_id", None),
            self.config.password1_for(is_test),
            is_test=is_test,
            shp=shp,
            algorithm=self.config.algorithm,
            **{key: value for key, value in options.items() if value not in (None, "")},
        )

    @property
    def target(self) -> str:
        """Where to POST the form: ROBOKASSA, or ``ROBOKASSA_TEST_FORM_TARGET`` in test mode."""
        return self.config.target

    def get_redirect_url(self) -> str:
        """The same payment as a GET URL (a redirect to it equals submitting the form)."""
        return payment_url(self.target, self.params)


class _CallbackForm(forms.Form):
    """Validates a request from ROBOKASSA through the protocol core.

    ``config`` is the shop's configuration; or ``config_for``, a ``services.config``
    ``CallbackConfigs`` that finds it from the request's InvId (``config`` then holds the one
    used, once the form is validated).
    """

    OutSum = forms.CharField(required=False)
    InvId = forms.CharField(required=False)

    def __init__(
        self,
        *args: Any,
        config: MerchantConfig | None = None,
        config_for: CallbackConfigs | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.config = config or server_config()
        self.config_for = config_for
        self.callback: Callback | None = None
        self.refusal: Refusal | None = None

    def parse(self, *, signed: bool = True) -> Callback:
        """The parsed request; with ``config_for``, a malformed one still finds the request's
        shop (its passwords are redacted from what is stored)."""
        try:
            return parse_or_refuse(self.data, signed=signed)
        except Refusal:
            if self.config_for is not None:
                self.config = self.config_for(None)
            raise

    def verify(self) -> Callback:
        raise NotImplementedError

    def full_clean(self) -> None:
        super().full_clean()
        if self.errors and self.refusal is None:  # a field refused it (a NUL byte, say)
            field_errors = [str(error) for errors in self.errors.values() for error in errors]
            self.refusal = Refusal(
                RejectionReason.MALFORMED, "; ".join(field_errors)[:255], callback=self.callback
            )

    def clean(self) -> dict[str, Any]:
        try:
            self.callback = self.verify()
        except Refusal as refusal:
            self.refusal = refusal
            self.callback = refusal.callback
            raise ValidationError(refusal.detail, code=refusal.reason) from None
        callback = self.callback
        return {
            **callback.extra,
            "OutSum": callback.out_sum,
            "InvId": callback.inv_id,
            "SignatureValue": callback.signature,
            "IsTest": callback.is_test,
            "Culture": callback.culture,
        }

    def extra_params(self) -> dict[str, str]:
        """The ``Shp_*`` values by bare name (``Shp_order`` → ``order``)."""
        return self.callback.extra if self.callback else {}

    @property
    def out_sum(self) -> Decimal | None:
        return self.callback.out_sum if self.callback else None


class ResultURLForm(_CallbackForm):
    """A Result URL request signed with Password#2."""

    SignatureValue = forms.CharField(required=False)

    def verify(self) -> Callback:
        return parse_verified_result(self.data, self.config)


class SuccessRedirectForm(_CallbackForm):
    """A Success URL redirect signed with Password#1; with the strict check (the default) it
    also needs ROBOKASSA's Result URL notification for that InvId and amount."""

    SignatureValue = forms.CharField(required=False)
    Culture = forms.CharField(required=False)

    def verify(self) -> Callback:
        callback = self.parse()

        def check(config: MerchantConfig) -> None:
            self.config = config
            require_success_signature(callback, config)
            if config.strict_check and not has_matching_notification(callback, config):
                raise Refusal(
                    RejectionReason.NOT_NOTIFIED,
                    "ROBOKASSA has not confirmed this payment on the Result URL",
                    callback=callback,
                )

        if self.config_for is None:
            check(self.config)
        else:
            self.config_for.verified(callback.inv_id, check)
        return callback


class FailRedirectForm(_CallbackForm):
    """A Fail URL redirect. It carries no signature: display and logging only."""

    Culture = forms.CharField(required=False)

    def verify(self) -> Callback:
        callback = self.parse(signed=False)
        if self.config_for is not None:  # shown only: the stored settings, no guard needed
            self.config = self.config_for(callback.inv_id)
        return callback
