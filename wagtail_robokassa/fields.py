"""``EncryptedSecretField``: a text column that holds a password as a token bound to its model,
field and row (see ``crypto``).

A value read from the database or from a fixture stays ``Sealed`` (the token as stored) until
the model's attribute is read; it is opened then, with the row it belongs to, into an
``Opened`` password that remembers its token. So:

- ``save()`` writes a new token for the row it saves;
- ``dumpdata`` writes the stored tokens, never a password, and ``loaddata`` (a raw save) writes
  them back as they were: a dump loads into a server with the same keys;
- ``QuerySet.update()`` of a password needs the rows' bindings: ``RevisedQuerySet`` seals per
  row (a plain value reaching the database otherwise is refused);
- a token copied from another row or field, or a value that is no token, opens as an
  ``UnreadableSecret`` (empty), which is written back unchanged.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .crypto import LEGACY_PREFIX, PREFIX, UnreadableSecret, binding, open_token, seal


class Sealed(str):
    """A token as stored, not opened yet."""


class Opened(str):
    """A password opened from ``token`` (what is written back when nothing changed it)."""

    token: str

    def __new__(cls, text: str, token: str = "") -> Opened:
        opened = super().__new__(cls, text)
        opened.token = token
        return opened

    def __reduce__(self) -> tuple[type, tuple[str, str]]:  # pickled and copied whole
        return type(self), (str(self), self.token)


class _SecretAttribute:
    """Opens the stored token on first read, with the instance's own binding."""

    def __init__(self, field: EncryptedSecretField) -> None:
        self.field = field

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__.get(self.field.attname)
        if isinstance(value, Sealed):
            value = self.field.open(str(value), instance)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedSecretField(models.TextField):
    """Reads as the password; writes a token bound to the row (``bind_to``: the field whose
    value names the row, its Site for the shop's settings; the primary key by default)."""

    def __init__(self, *args: Any, bind_to: str = "pk", **kwargs: Any) -> None:
        self.bind_to = bind_to
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.bind_to != "pk":
            kwargs["bind_to"] = self.bind_to
        return name, path, args, kwargs

    def contribute_to_class(self, cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        setattr(cls, self.attname, _SecretAttribute(self))

    def binding_for(self, row: object) -> str:
        return binding(self.model._meta.label_lower, self.name, row)

    def binding_of(self, instance: Any) -> str:
        return self.binding_for(getattr(instance, self._row_attname()))

    def _row_attname(self) -> str:
        if self.bind_to == "pk":
            return "pk"
        return str(getattr(self.model._meta.get_field(self.bind_to), "attname", self.bind_to))

    def open(self, stored: str, instance: Any) -> str:
        if not stored:
            return stored
        opened = open_token(stored, self.binding_of(instance))
        return opened if isinstance(opened, UnreadableSecret) else Opened(opened, stored)

    def seal_for(self, value: Any, instance: Any) -> Any:
        """What is written for ``value`` in ``instance``'s row."""
        if isinstance(value, UnreadableSecret):  # before the emptiness: it reads as ""
            return Sealed(value.stored)
        if value is None or value == "" or isinstance(value, Sealed):
            return value
        return Sealed(seal(str(value), self.binding_of(instance)))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return value if value is None else Sealed(value)

    def to_python(self, value: Any) -> Any:
        """A token (from a fixture) stays sealed until read with its row."""
        if isinstance(value, str) and value.startswith((PREFIX, LEGACY_PREFIX)):
            return Sealed(value)
        return value

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        return self.seal_for(getattr(model_instance, self.attname), model_instance)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if isinstance(value, UnreadableSecret):  # before the emptiness: it reads as ""
            return value.stored
        if value is None or value == "" or isinstance(value, Sealed):
            return value
        if isinstance(value, Opened):  # a raw save (``loaddata``): the token it came with
            return value.token
        raise ValueError(
            f"{self.model._meta.label}.{self.name} is written through save(), or update() of "
            "its model's manager, which binds the token to its row: a plain value is refused"
        )

    def value_to_string(self, obj: Any) -> str:
        """The token, never the password (``dumpdata``)."""
        value = obj.__dict__.get(self.attname)
        if isinstance(value, Opened):
            return value.token
        return str(self.seal_for(value, obj) or "")
