"""Logging that never writes a personal identity number.

No code of the portal logs recipient data, but a library may (an SQL parameter,
an exception message quoting bad input, a request body in an error report).
``PersonnummerMaskFilter`` is installed on every handler of ``LOGGING`` and
replaces anything shaped like a personnummer or samordningsnummer — 10 or 12
digits, with ``-``, ``+`` or nothing before the last four — in the message, its
arguments, the formatted exception and the stack, before any handler writes it.

The pattern also requires a plausible date (month 01–12, day 01–31, or 61–91
for a samordningsnummer), so that ten-digit Unix timestamps and other numbers
survive; it does not require a valid check digit, because a mistyped number
is personal data too.
"""

from __future__ import annotations

import logging
import re

#: What a masked number is replaced with.
MASK = "[id-number removed]"

_PATTERN = re.compile(
    r"(?<![\d])"
    r"(?:1[89]|20)?"  # century, in the 12-digit form
    r"\d{2}"  # year
    r"(?:0[1-9]|1[0-2])"  # month
    r"(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"  # day, or day + 60
    r"[-+]?"
    r"\d{4}"
    r"(?![\d])"
)


def mask_personnummer(text: str) -> str:
    """``text`` with every personnummer-shaped number replaced by ``MASK``."""
    return _PATTERN.sub(MASK, text)


class PersonnummerMaskFilter(logging.Filter):
    """Mask personnummer in a log record before a handler formats it (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the parts, masked
            message = f"{record.msg} {record.args}"
        # The message is formatted here once and the arguments dropped, so that
        # a number hidden in an argument of any type (int, Decimal, object with
        # __str__) is masked too.
        record.msg = mask_personnummer(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personnummer(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personnummer(record.stack_info)
        return True


def portal_logging(level: str = "INFO") -> dict:
    """The ``LOGGING`` setting: one console handler, masked, at ``level`` for the portal's loggers."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"mask_personnummer": {"()": "cms.logging.PersonnummerMaskFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["mask_personnummer"],
            },
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            # Django's own handlers (mail_admins, the runserver log) are
            # replaced by ours, so every record passes the filter.
            "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
            **{
                name: {"handlers": ["console"], "level": level, "propagate": False}
                for name in ("cms", "micromerits", "permissions", "public_verify")
            },
        },
    }


def handlers_without_mask(config: dict) -> list[str]:
    """Names of handlers in a ``LOGGING`` dict that lack the masking filter (should be none)."""
    return [
        name
        for name, handler in config.get("handlers", {}).items()
        if "mask_personnummer" not in handler.get("filters", [])
    ]
