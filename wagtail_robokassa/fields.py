"""``EncryptedSecretField``: a text column that holds a password encrypted (see ``crypto``)."""

from __future__ import annotations

from typing import Any

from django.db import models

from .crypto import UnreadableSecret, decrypt, encrypt


class EncryptedSecretField(models.TextField):
    """Reads as the password; writes a token. A value no key can open reads as an
    ``UnreadableSecret`` (empty) and is written back as it was."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return value if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if isinstance(value, UnreadableSecret):
            return value.stored
        if value is None or value == "":
            return value
        return encrypt(value)

    def to_python(self, value: Any) -> Any:
        return value
