"""The settings panel's form: secrets are never shown back, and server configuration wins."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from ..conf import SECRET_FIELDS, SETTING_NAMES, server_values
from ..crypto import UnreadableSecret
from ..rules import configuration_problems, result_url_in_use

MAX_SECRET_LENGTH = 255


class SecretInput(forms.PasswordInput):
    """A password box that never renders a value, says whether one is stored, and can clear it."""

    #: Shows the box, whether a value is stored (or unreadable), and a "clear" checkbox.
    template_name = "wagtail_robokassa/widgets/secret_input.html"

    def __init__(
        self,
        *,
        stored: bool = False,
        locked: bool = False,
        unreadable: bool = False,
        label: Any = "",
        attrs: Any = None,
    ) -> None:
        super().__init__(
            attrs={"autocomplete": "new-password", **(attrs or {})}, render_value=False
        )
        self.stored = stored
        self.locked = locked
        self.unreadable = unreadable
        #: The field's label, so that each "clear" checkbox says which value it clears.
        self.label = label

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        attrs = dict(attrs or {})
        state_id = f"{attrs.get('id') or name}-state"
        if not self.locked:  # screen readers announce "Stored" / "Not set" with the box
            described = attrs.get("aria-describedby", "")
            attrs["aria-describedby"] = f"{described} {state_id}".strip()
        context = super().get_context(name, None, attrs)
        context["widget"].update(
            stored=self.stored,
            locked=self.locked,
            unreadable=self.unreadable,
            clear_name=clear_name(name),
            state_id=state_id,
            label=self.label,
        )
        return context


def clear_name(html_name: str) -> str:
    return f"{html_name}-clear"


class RobokassaSettingsForm(WagtailAdminModelForm):
    """Secrets in ``SecretInput`` boxes (blank keeps, "clear" removes), fields set in Django
    settings locked, and the configuration in force checked against ``rules``."""

    #: Secrets longer than this are refused (a pasted paragraph is not a password).
    max_secret_length = MAX_SECRET_LENGTH
    #: The widget of every secret field.
    secret_widget = SecretInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locked = {
            name: value for name, value in server_values().items() if name in self.fields
        }
        for name in SECRET_FIELDS:
            if name in self.fields:
                field = self.fields[name]
                field.required = False
                field.strip = True
                field.validators.append(MaxLengthValidator(self.max_secret_length))
                value = getattr(self.instance, name)
                field.widget = self.secret_widget(
                    stored=bool(value),
                    locked=name in self.locked,
                    unreadable=isinstance(value, UnreadableSecret),
                    label=field.label,
                )
        for name, value in self.locked.items():
            field = self.fields[name]
            field.disabled = True
            field.help_text = _("Set in server configuration (%(setting)s).") % {
                "setting": SETTING_NAMES[name]
            }
            if name not in SECRET_FIELDS:
                self.initial[name] = value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in self.locked:
            cleaned[name] = getattr(self.instance, name)  # the database keeps its own value
        for name in SECRET_FIELDS:
            if name in self.locked or name not in self.fields:
                continue
            if self.data.get(clear_name(self.add_prefix(name))):
                cleaned[name] = ""
            elif not cleaned.get(name):
                cleaned[name] = getattr(self.instance, name)
        self._validate_effective(cleaned)
        return cleaned

    def effective(self, cleaned: dict[str, Any], name: str) -> Any:
        """The value that will be in force: server configuration first, then this form."""
        return self.locked[name] if name in self.locked else cleaned.get(name)

    def _validate_effective(self, cleaned: dict[str, Any]) -> None:
        problems = configuration_problems(
            lambda name: self.effective(cleaned, name), result_url_in_use=result_url_in_use()
        )
        for problem in problems:
            self._error_on(problem.field, problem.message)

    def _error_on(self, name: str, message: Any) -> None:
        self.add_error(None if name in self.locked else name, message)
