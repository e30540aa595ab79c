"""The console's exports of the current filter (CSV and XLSX) and its dashboard."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from fastapi.testclient import TestClient

from core.geo import Point
from tests.e2e.console_client import signed_in, signed_in_browser
from tests.e2e.test_privacy import _report
from tests.talk import Talker


@pytest.fixture
def client(app) -> TestClient:
    return signed_in_browser(app)


@pytest.fixture
def filed(app, messenger) -> list[str]:
    ama = Talker(app, messenger, "ama")
    ama.onboard()
    return [_report(ama, "Caniveau bouché"),
            _report(ama, '=HYPERLINK("http://evil.example","clic")', Point(6.40, 2.45)),
            _report(ama, "Lampadaire éteint", Point(6.41, 2.46))]


def test_the_filter_shown_is_exported_as_csv(client, filed) -> None:
    answer = client.get("/console/export.csv?folder=all&q=caniveau&status=&kind=")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(answer.text)))
    assert [line["reference"] for line in lines] == [filed[0]]
    assert lines[0]["description"] == "Caniveau bouché"


def test_the_filter_shown_is_exported_as_xlsx_with_text_kept_as_text(client, filed) -> None:
    answer = client.get("/console/export.xlsx")
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("reference", "kind", "status")
    assert sorted(row[0] for row in rows[1:]) == sorted(filed)
    cells = [cell for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str) and cell.value.startswith("=HYPERLINK")]
    assert cells and all(cell.data_type == "s" for cell in cells)  # never a formula


def test_another_communes_items_are_never_exported(app, client, messenger) -> None:
    koffi = Talker(app, messenger, "koffi")
    koffi.onboard(commune="Abomey-Calavi")
    theirs = _report(koffi, "Lampadaire éteint")
    assert theirs not in client.get("/console/export.csv").text


def test_the_dashboard_shows_the_figures_and_hides_small_groups(client, filed) -> None:
    page = client.get("/console/dashboard")
    assert page.status_code == 200
    text = page.text
    assert "Reçus" in text and ">3<" in text  # three received
    assert "Caniveau, inondation" in text and "<svg" in text
    assert "moins de 5" in text  # one person: her gender and age are not shown
    assert "script" not in text.split("<main>")[1]


def test_the_dashboard_counts_its_last_twelve_weeks(app, client, filed, messenger,
                                                    clock) -> None:
    clock.advance(weeks=13)
    signed_in(client, "awa")  # a new day, a new session
    kojo = Talker(app, messenger, "kojo")
    kojo.onboard()
    _report(kojo, "Caniveau bouché encore")
    page = client.get("/console/dashboard").text
    received = page.split("Reçus</dt><dd>")[1].split("<")[0]
    assert received == "1" and "Les 12 dernières semaines" in page
    assert ">4<" not in page.split("<dl class=\"figures\">")[1].split("</dl>")[0]
