"""Model fields that keep personal data encrypted at rest.

``EncryptedTextField`` stores a Fernet token (see ``micromerits.crypto``) and
gives the application plaintext. Lookups on it are refused: the ciphertext is
randomised, so equality on it would silently never match; search through a
blind index instead.
"""

from __future__ import annotations

from django.core.exceptions import FieldError
from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """A text field whose database value is authenticated ciphertext."""

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.model.__name__}.{self.name} is encrypted; look it up through its blind index"
        )
