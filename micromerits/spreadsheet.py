"""What the portal's spreadsheet readers share: problems with a position, and header matching.

Both Excel layouts of TEMPLATE.md (the mikromerit workbook and the recipient
list) report every problem at once, by sheet, row and column, in Swedish, and
match labels the same forgiving way. That common ground lives here.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

_LABEL_END = re.compile(r" \*| \(")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, where it is, and what is wrong (Swedish, for users)."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.sheet]
        if self.row is not None:
            where.append(_("rad %(row)s") % {"row": self.row})
        if self.column:
            where.append(_("kolumn %(column)s") % {"column": self.column})
        return f"{', '.join(where)}: {self.message}"


class WorkbookError(Exception):
    """A file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def label_key(text: object) -> str:
    """The part of a label that matters: text before the first " *" or " (", case-folded."""
    if text is None:
        return ""
    value = str(text).strip()
    match = _LABEL_END.search(value)
    if match:
        value = value[: match.start()]
    return value.strip().casefold()


def clean_text(value: object) -> str:
    """A cell as text: blanks stripped, whitespace-only and empty cells as ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def load_xlsx(source: bytes, sheet_label: str, *, read_only: bool = False):
    """Open ``source`` as an .xlsx workbook or raise ``WorkbookError`` with a Swedish message."""
    import openpyxl  # imported here: the CSV path of recipient lists does not need it

    if not source:
        raise WorkbookError([Problem(sheet_label, None, None, _("Filen är tom."))])
    if not source.startswith(b"PK"):
        raise WorkbookError(
            [
                Problem(
                    sheet_label,
                    None,
                    None,
                    _(
                        "Filen är inte en Excelfil (.xlsx). Spara den som Excel-arbetsbok och försök igen."
                    ),
                )
            ]
        )
    try:
        return openpyxl.load_workbook(io.BytesIO(source), read_only=read_only, data_only=True)
    # A malformed XML part raises the parser's ParseError, a SyntaxError subclass
    # (both the stdlib's and lxml's); a truncated member can raise EOFError.
    except (
        zipfile.BadZipFile,
        SyntaxError,
        EOFError,
        KeyError,
        ValueError,
        OSError,
        TypeError,
    ) as exc:
        raise WorkbookError(
            [Problem(sheet_label, None, None, _("Filen kunde inte läsas som en Excelfil (.xlsx)."))]
        ) from exc


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def read_source(source) -> bytes:
    """Bytes from a path, bytes, or a binary file-like object."""
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if hasattr(source, "read"):
        return source.read()
    with open(source, "rb") as file:
        return file.read()
