"""The one base for every .xlsx the project produces (rosters, templates, reports).

Formula-safe by construction: every text cell is stored as a string, never as a formula, and text
that a spreadsheet (or a later CSV round trip) could read as a formula or a DDE command — text
beginning with = + - @ or a control character — is prefixed with a single quote. ID numbers and
phone numbers go in text columns (number format "@") so Excel never turns them into 1.41127E+17.

A report is a small subclass::

    class RosterExport(XlsxExporter):
        title = "花名册"
        columns = [Column("姓名", 10), Column("身份证号", 22, is_text=True)]

    exporter = RosterExport()
    for member in members:
        exporter.write_row([member.name, member.id_number])
    return exporter.as_response("东阳涧村花名册.xlsx")
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

__all__ = ["CONTENT_TYPE", "Column", "XlsxExporter", "attachment_header", "safe_text"]

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"
NUMBER_FORMAT = "0.00"  # points and yuan: two places, as on every page
_FORMULA_START = ("=", "+", "-", "@")  # and any control character (tab, CR, ...)
_BAD_SHEET_TITLE_RE = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 12
    is_text: bool = False  # stored as text, number format "@" (ID and phone numbers)


def safe_text(value: object) -> str:
    """``value`` as text that no spreadsheet will evaluate: "=1+1" becomes "'=1+1".

    Characters that cannot be stored in an .xlsx file at all (most C0 controls) are removed.
    """
    text = str(value)
    risky = text[:1] in _FORMULA_START or (text[:1] and unicodedata.category(text[0]) == "Cc")
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if risky else text


def attachment_header(filename: str) -> str:
    """A Content-Disposition value for a download, Chinese names included (RFC 6266 / 5987).

    Old clients read the ASCII ``filename=``; every current browser reads ``filename*=``.
    """
    stem, dot, ext = filename.rpartition(".")
    if not dot or not ext.isascii() or not ext.isalnum():
        stem, ext = filename, ""

    def ascii_only(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")

    ascii_name = ascii_only(stem) or "download"
    if ext:
        ascii_name = f"{ascii_name}.{ext}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class XlsxExporter:
    """Sheets of rows: each sheet a bold, frozen header row from its columns, then one
    ``write_row`` per row. The first sheet is ``title`` with ``columns``; ``add_sheet`` starts
    the next. Decimal cells show two decimal places, dates show as dates."""

    title: str = "Sheet1"
    columns: Sequence[Column] = ()

    def __init__(self):
        self.workbook = Workbook()
        self.sheet = self.workbook.active
        self._start(self.title, self.columns)

    def add_sheet(self, title: str, columns: Sequence[Column]) -> None:
        """Start another sheet (or name the first, while it is still empty)."""
        if self.row_number > 1 or self.columns:
            self.sheet = self.workbook.create_sheet()
        self._start(title, columns)

    def _start(self, title: str, columns: Sequence[Column]) -> None:
        self.sheet.title = _BAD_SHEET_TITLE_RE.sub("_", title)[:31] or "Sheet1"
        self.columns = list(columns)
        bold = Font(bold=True)
        for index, column in enumerate(self.columns, start=1):
            cell = self.sheet.cell(row=1, column=index)
            self._set(cell, column.header, is_text=True)
            cell.font = bold
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        self.sheet.freeze_panes = "A2"
        self.row_number = 1

    def write_row(self, values: Iterable[Any]) -> None:
        self.row_number += 1
        for index, value in enumerate(values, start=1):
            column = self.columns[index - 1] if index <= len(self.columns) else Column("")
            cell = self.sheet.cell(row=self.row_number, column=index)
            self._set(cell, value, is_text=column.is_text)

    def format_text_columns(self, rows: int) -> None:
        """Pre-format the text columns of the next ``rows`` empty rows as text, for a template
        that people fill in: a typed ID number then stays text instead of becoming a number."""
        for index, column in enumerate(self.columns, start=1):
            if column.is_text:
                for row in range(self.row_number + 1, self.row_number + rows + 1):
                    self.sheet.cell(row=row, column=index).number_format = TEXT_FORMAT

    def save(self, stream: IO[bytes]) -> None:
        self.workbook.save(stream)

    def as_response(self, filename: str) -> HttpResponse:
        buffer = io.BytesIO()
        self.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPE)
        response["Content-Disposition"] = attachment_header(filename)
        response["Cache-Control"] = "private, no-store"  # exports hold personal data
        return response

    @staticmethod
    def _set(cell, value: Any, *, is_text: bool) -> None:
        if value is None or value == "":
            cell.value = None
        elif is_text or isinstance(value, str):
            cell.value = safe_text(value)
            cell.data_type = "s"  # never a formula or an error code, whatever the text
        elif isinstance(value, datetime.datetime | datetime.date):
            cell.value = value
            cell.number_format = DATE_FORMAT
        elif isinstance(value, Decimal):
            cell.value = value
            cell.number_format = NUMBER_FORMAT
        else:
            cell.value = value
        if is_text:
            cell.number_format = TEXT_FORMAT
