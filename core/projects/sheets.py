"""A plan's spreadsheet as a mairie has it: an XLSX workbook (its first sheet) or a CSV file
(`,` or `;`, UTF-8 or an older office suite's Windows-1252), read into a header and rows of
text. Anything else (a ZIP that is no workbook, a program, a picture) is refused by what it
is, not by the name or type it was sent with."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from core import errors
from core.geo import normalise_name

MAX_BYTES = 5_000_000
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Sheet:
    header: list[str]  # column names, lower case, spaces as _ ("Budget FCFA" → budget_fcfa)
    rows: list[tuple[int, dict[str, str]]]  # (line in the file, values by column)


def read_sheet(data: bytes) -> Sheet:
    """The sheet in these bytes; Invalid when they hold no spreadsheet."""
    if len(data) > MAX_BYTES:
        raise errors.Invalid(f"The file is over {MAX_BYTES // 1_000_000} MB.",
                             reason="too_big")
    if data.startswith(ZIP_MAGIC):
        return _workbook(data)
    if b"\x00" in data[:4096]:
        raise errors.Invalid("This file is not a spreadsheet (CSV or XLSX).",
                             reason="not_a_sheet")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return _csv(text)


def column_name(raw: object) -> str:
    return normalise_name(str(raw or "")).strip().replace(" ", "_")


def _csv(text: str) -> Sheet:
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","  # French sheets use ;
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [column_name(h) for h in next(reader, [])]
    rows = [(number, _named(header, values))
            for number, values in enumerate(reader, start=2) if any(v.strip() for v in values)]
    return Sheet(header, rows)


def _workbook(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise errors.Invalid("This file is a ZIP archive, not an XLSX workbook.",
                             reason="not_a_sheet") from exc
    try:
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = [column_name(h) for h in next(lines, ())]
        while header and not header[-1]:
            header.pop()
        rows = []
        for number, values in enumerate(lines, start=2):
            cells = [_text(v) for v in values]
            if any(cells):
                rows.append((number, _named(header, cells)))
        return Sheet(header, rows)
    finally:
        book.close()


def _named(header: list[str], values: list[str]) -> dict[str, str]:
    return {name: (value or "").strip() for name, value in zip(header, values, strict=False)
            if name}


def _text(value: object) -> str:
    """A cell as the mairie typed it: dates as 2026-03-01, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
