"""The inbox's current filter as a spreadsheet: CSV or XLSX (what mairies open), with the
columns of the API's export and its rules for staff (no contacts from the console)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from admin_api import exports
from admin_api.console.auth import SignedInDep
from admin_api.console.desk import filtered
from admin_api.deps import UowDep

router = APIRouter(prefix="/console", include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/export.{format}")
def export(format: str, uow: UowDep, moderator: SignedInDep,
           folder: Annotated[str, Query(max_length=20)] = "all",
           q: Annotated[str | None, Query(max_length=200)] = None,
           status: Annotated[str, Query(max_length=20)] = "",
           kind: Annotated[str, Query(max_length=20)] = "") -> Response:
    """Every submission of the filter shown, newest first."""
    if format not in ("csv", "xlsx"):
        return Response(status_code=404)
    wanted = filtered(folder, moderator, q, status, kind)
    lines = exports.rows(uow, wanted, partial(exports.staff_row, uow, False))
    name = f"palabre-{folder}-{datetime.now(UTC):%Y%m%d}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"',
                   "Cache-Control": "no-store"}
    if format == "csv":
        return StreamingResponse(exports.csv_lines(exports.EXPORT_COLUMNS, lines),
                                 media_type="text/csv; charset=utf-8", headers=disposition)
    return Response(exports.xlsx_bytes(exports.EXPORT_COLUMNS, lines), media_type=XLSX,
                    headers=disposition)
