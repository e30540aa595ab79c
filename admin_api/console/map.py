"""The map of the current filter: pins coloured by status, clustered where they crowd, the list
beside them. Leaflet and its clustering plugin come from installed XStatic packages (never a
CDN) and load on this page only; without JavaScript the list and its coordinates remain."""

from __future__ import annotations

from pathlib import Path

import xstatic.pkg.leaflet as leaflet
import xstatic.pkg.leaflet_markercluster as cluster
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from admin_api.console.auth import SignedInDep
from admin_api.console.desk import AskedDep
from admin_api.console.pages import render, with_pictures_from
from admin_api.deps import UowDep
from core.submissions.inbox import points

router = APIRouter(prefix="/console", include_in_schema=False)
LISTED = 50  # pins listed beside the map (the map shows up to 2,000)
LEAFLET = Path(leaflet.BASE_DIR)
CLUSTER = Path(cluster.BASE_DIR)


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, uow: UowDep, moderator: SignedInDep,
             wanted: AskedDep) -> HTMLResponse:
    pins = points(uow=uow, wanted=wanted.filter(moderator), limit=LISTED)
    tiles: str = getattr(request.app.state, "map_tiles", "")
    return with_pictures_from(render(request, "map.html", moderator=moderator, asked=wanted,
                                     pins=pins, tiles=tiles), tiles)


@router.get("/map.json")
def map_points(uow: UowDep, moderator: SignedInDep, wanted: AskedDep) -> JSONResponse:
    """The filter's pins: [reference, latitude, longitude, status]."""
    return JSONResponse({"points": points(uow=uow, wanted=wanted.filter(moderator))},
                        headers={"Cache-Control": "no-store"})


VENDOR = [("/console/vendor/leaflet", LEAFLET),  # (address, installed folder)
          ("/console/vendor/markercluster", CLUSTER)]
