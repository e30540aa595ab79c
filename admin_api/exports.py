"""Submissions written out for a spreadsheet, page after page of the inbox's filter: the rows
a moderator's export holds (the API's CSV, the console's CSV and XLSX), the same columns
whichever the format."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from core.citizens import phones
from core.citizens.models import ChannelIdentity
from core.submissions.inbox import InboxFilter, Page, inbox
from core.submissions.models import Submission
from core.submissions.service import LOCAL_TZ
from core.uow import UnitOfWork

EXPORT_COLUMNS = ("reference", "kind", "status", "commune_id", "arrondissement_id",
                  "category_id", "service_id", "title", "description", "latitude", "longitude",
                  "place_text", "priority", "labels", "channel", "created_at", "updated_at",
                  "first_response_at", "resolved_at")
CONTACT_COLUMNS = ("citizen_channel", "citizen_address")
PAGE = 100

Layout = Callable[[Submission], list[object]]


def rows(uow: UnitOfWork, wanted: InboxFilter, layout: Layout,
         first: Page | None = None) -> Iterator[list[object]]:
    """Every submission of the filter, newest first, laid out as a row."""
    page = first or inbox(uow=uow, wanted=wanted, limit=PAGE)
    while True:
        yield from (layout(row) for row in page.items)
        if page.next_cursor is None:
            return
        page = inbox(uow=uow, wanted=wanted, limit=PAGE, cursor=page.next_cursor)


def staff_row(uow: UnitOfWork, contacts: bool, row: Submission) -> list[object]:
    """What staff export of a submission; with `contacts`, its author's channel and address
    (never an anonymous author's)."""
    values = [getattr(row, column) for column in EXPORT_COLUMNS]
    values[EXPORT_COLUMNS.index("labels")] = "; ".join(row.labels)
    if contacts:
        identity = (uow.session.get(ChannelIdentity, row.identity_id)
                    if row.identity_id and not row.anonymous else None)
        values += [identity.channel, phones.in_2024_plan(identity.address)] \
            if identity else ["", ""]
    return values


def csv_lines(header: tuple[str, ...], lines: Iterator[list[object]]) -> Iterator[str]:
    """The CSV text, a page of rows at a time (streamed: an export may be large)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for number, line in enumerate(lines, start=1):
        writer.writerow(line)
        if number % PAGE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(header: tuple[str, ...], lines: Iterator[list[object]]) -> bytes:
    """An XLSX workbook of one sheet, written row by row (openpyxl's write-only mode)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Palabre")
    sheet.append(list(header))
    for line in lines:
        sheet.append([_cell(sheet, value) for value in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet: object, value: object) -> object:
    """A cell: times in Benin's time without their zone (a spreadsheet has none), and text
    always as text (a citizen's "=HYPERLINK(…)" is never a formula)."""
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).replace(tzinfo=None)
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value
