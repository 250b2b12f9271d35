"""Swedish identity numbers: organisationsnummer and personnummer.

Pure functions with no Django dependency. Validation is delegated to maintained
libraries (python-stdnum for organisationsnummer, ``personnummer`` for personal
and coordination numbers); this module only fixes the portal's normal forms and
turns library errors into one exception type the callers can report.
"""

from __future__ import annotations

import re

from personnummer import personnummer as _pnr
from stdnum import exceptions as _stdnum_exceptions
from stdnum.se import orgnr as _orgnr

__all__ = [
    "InvalidIdentityNumber",
    "normalise_orgnr",
    "normalise_personnummer",
]

_PERSONNUMMER_SHAPE = re.compile(r"^(\d{6}|\d{8})[-+]?\d{4}$")


class InvalidIdentityNumber(ValueError):
    """Raised when a number has the wrong shape or a wrong check digit."""


def normalise_orgnr(value: str) -> str:
    """Return an organisationsnummer as ``NNNNNN-NNNN``.

    Parameters:
        value: ten digits, with or without the hyphen; surrounding blanks ignored.

    Raises:
        InvalidIdentityNumber: not ten digits, or the Luhn check digit is wrong.
    """
    text = str(value).strip()
    if not re.fullmatch(r"\d{6}-?\d{4}", text):
        raise InvalidIdentityNumber("an organisationsnummer has 10 digits (NNNNNN-NNNN)")
    try:
        digits = _orgnr.validate(text)
    except _stdnum_exceptions.ValidationError as exc:
        raise InvalidIdentityNumber("the organisationsnummer's check digit is wrong") from exc
    return f"{digits[:6]}-{digits[6:]}"


def normalise_personnummer(value: str) -> str:
    """Return a personnummer or samordningsnummer as 12 digits ``YYYYMMDDNNNC``.

    Accepts 10 or 12 digits with or without ``-``/``+`` (``+`` marks people aged
    100 or more in the 10-digit form, which decides the century).

    Raises:
        InvalidIdentityNumber: wrong shape, impossible date or wrong check digit.
    """
    text = str(value).strip().replace(" ", "")
    if not _PERSONNUMMER_SHAPE.fullmatch(text):
        raise InvalidIdentityNumber("a personnummer has 10 or 12 digits")
    try:
        parsed = _pnr.Personnummer(text)
    except _pnr.PersonnummerException as exc:
        raise InvalidIdentityNumber("not a valid personnummer or samordningsnummer") from exc
    return parsed.format(long_format=True)


def is_coordination_number(normalised: str) -> bool:
    """True when a normalised number is a samordningsnummer (day of month + 60)."""
    return int(normalised[6:8]) > 60
