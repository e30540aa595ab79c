"""The inbox's current filter as a spreadsheet: CSV or XLSX (what mairies open), with the
columns of the API's export and its rules for staff (no contacts from the console)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse

from admin_api import exports
from admin_api.console.auth import SignedInDep
from admin_api.console.desk import AskedDep
from admin_api.deps import UowDep

router = APIRouter(prefix="/console", include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/export.{format}")
def export(format: str, uow: UowDep, moderator: SignedInDep, wanted: AskedDep) -> Response:
    """Every submission of the filter shown, newest first."""
    if format not in ("csv", "xlsx"):
        return Response(status_code=404)
    lines = exports.rows(uow, wanted.filter(moderator), partial(exports.staff_row, uow, False))
    name = f"palabre-{wanted.folder}-{datetime.now(UTC):%Y%m%d}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"',
                   "Cache-Control": "no-store"}
    if format == "csv":
        return StreamingResponse(exports.csv_lines(exports.EXPORT_COLUMNS, lines),
                                 media_type="text/csv; charset=utf-8", headers=disposition)
    return Response(exports.xlsx_bytes(exports.EXPORT_COLUMNS, lines), media_type=XLSX,
                    headers=disposition)
