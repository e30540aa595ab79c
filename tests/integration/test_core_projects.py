"""Investment-plan projects on both databases: the plan's CSV imported (valid rows in, the
others reported by line and reason, a second import updating), progress told to followers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from core import errors
from core.broadcasts import service as broadcasts
from core.citizens.models import ChannelIdentity
from core.projects import service as projects
from core.projects.models import Project
from palabre import scheduler
from tests.talk import Talker

COTONOU = "BJ-LI-COT"
# A PAI as a mairie exports it (semicolons, French dates and amounts), with faulty rows.
PLAN = (Path(__file__).resolve().parents[1] / "fixtures" / "projects" /
        "pai_cotonou.csv").read_text("utf-8")


def imported(app, text: str = PLAN) -> projects.ImportReport:
    with app.uow_factory() as uow:
        report = projects.import_csv(uow=uow, commune_id=COTONOU, text=text)
        uow.commit()
    return report


def test_valid_rows_are_imported_and_each_other_row_is_reported(app) -> None:
    report = imported(app)

    assert (report.created, report.updated) == (2, 0)
    assert report.rejected == [
        (4, "budget_fcfa must be a number, not 'beaucoup'"),
        (5, "arrondissement 'Atlantis' is not in the commune"),
        (6, "code PAI-2026-001 appears twice in the file"),
        (7, "ends_on is before starts_on"),
        (8, "code is empty"),
        (9, "status must be one of planned, in_progress, completed, suspended (or en cours, "
            "terminé, suspendu, prévu)")]
    with app.uow_factory() as uow:
        rows = {p.code: p for p in uow.session.exec(select(Project)).all()}
    paving = rows["PAI-2026-001"]
    assert (paving.arrondissement_id, paving.budget_fcfa, paving.progress) == (
        "BJ-LI-COT-01", 45_000_000, 35)
    assert paving.starts_on == date(2026, 1, 15) and paving.funding_source == "FADeC"
    assert rows["PAI-2026-002"].starts_on == date(2026, 2, 1)  # a French date


def test_importing_the_plan_again_updates_it(app) -> None:
    imported(app)
    again = imported(app, PLAN.replace(";in_progress;35", ";in_progress;60"))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    with app.uow_factory() as uow:
        paving = uow.session.exec(select(Project).where(Project.code == "PAI-2026-001")).one()
        assert paving.progress == 60
        assert len(uow.session.exec(select(Project)).all()) == 2


@pytest.mark.parametrize("text", ["titre,secteur\nA,B\n", "code,title,sector,colour\n1,A,B,red\n",
                                  ""])
def test_a_file_with_wrong_columns_is_refused_whole(app, text: str) -> None:
    with pytest.raises(errors.Invalid, match="^Columns: missing"):
        imported(app, text)
    with app.uow_factory() as uow:
        assert uow.session.exec(select(Project)).all() == []


def test_progress_reaches_the_projects_followers_in_their_language(app, messenger) -> None:
    imported(app)
    ama, kofi = Talker(app, messenger, "ama"), Talker(app, messenger, "kofi")
    ama.onboard()
    kofi.onboard(language="2")
    with app.uow_factory() as uow:
        project = uow.session.exec(select(Project).where(Project.code == "PAI-2026-002")).one()
        for talker in (ama, kofi):
            citizen = uow.session.exec(select(ChannelIdentity.citizen_id).where(
                ChannelIdentity.address == talker.address)).one()
            broadcasts.subscribe(uow=uow, citizen_id=citizen, topic=projects.topic(project.id))
        uow.commit()
    with app.uow_factory() as uow:
        projects.report_progress(uow=uow, project_id=project.id, progress=100, status=None,
                                 note="Le forage est en service.", actor="awa")
        uow.commit()
    scheduler.queue_due_broadcasts(app)

    assert "Projet « Forage de Houéyiho » : terminé ✅. Le forage est en service." in (
        ama.replies())
    assert "Project “Forage de Houéyiho”: completed ✅." in kofi.replies()
    with app.uow_factory() as uow:
        assert uow.session.get_one(Project, project.id).status == "completed"


def _follow(app, messenger, code: str) -> Talker:
    ama = Talker(app, messenger, "ama")
    ama.onboard()
    with app.uow_factory() as uow:
        project = uow.session.exec(select(Project).where(Project.code == code)).one()
        citizen = uow.session.exec(select(ChannelIdentity.citizen_id).where(
            ChannelIdentity.address == "ama")).one()
        broadcasts.subscribe(uow=uow, citizen_id=citizen, topic=projects.topic(project.id))
        uow.commit()
    ama.replies()
    return ama


def test_a_column_left_out_of_a_new_import_leaves_its_values_unchanged(app) -> None:
    imported(app)
    again = imported(app, "code;title;sector;progress\nPAI-2026-001;Pavage de la rue 12.064;"
                          "routes;50\n")
    assert (again.created, again.updated, again.rejected) == (1 - 1, 1, [])
    with app.uow_factory() as uow:
        paving = uow.session.exec(select(Project).where(Project.code == "PAI-2026-001")).one()
    assert paving.progress == 50
    assert (paving.budget_fcfa, paving.status, paving.arrondissement_id) == (
        45_000_000, "in_progress", "BJ-LI-COT-01")
    assert (paving.starts_on, paving.ends_on) == (date(2026, 1, 15), date(2026, 9, 30))
    assert paving.funding_source == "FADeC"


def test_french_statuses_and_amounts_as_mairies_type_them(app) -> None:
    report = imported(app, "code;title;sector;status;budget_fcfa;progress\n"
                           "A-1;Latrines publiques;santé;En cours;8.750.000;40 %\n"
                           "A-2;Dalot;routes;terminé;1 200 000 FCFA;100\n"
                           "A-3;Clôture;éducation;Suspendu;3,500,000;10\n")
    assert (report.created, report.rejected) == (3, [])
    with app.uow_factory() as uow:
        rows = {p.code: p for p in uow.session.exec(select(Project)).all()}
    assert (rows["A-1"].status, rows["A-1"].budget_fcfa, rows["A-1"].progress) == (
        "in_progress", 8_750_000, 40)
    assert (rows["A-2"].status, rows["A-2"].budget_fcfa) == ("completed", 1_200_000)
    assert (rows["A-3"].status, rows["A-3"].budget_fcfa) == ("suspended", 3_500_000)


def test_every_problem_of_a_row_is_reported(app) -> None:
    report = imported(app, "code;title;sector;budget_fcfa;starts_on;status\n"
                           "B-1;Forage;eau;beaucoup;le 3 mars;bientôt\n")
    assert report.rejected == [(2, "budget_fcfa must be a number, not 'beaucoup'; starts_on "
                                   "must be a date (2026-03-01 or 01/03/2026); status must be "
                                   "one of planned, in_progress, completed, suspended (or en "
                                   "cours, terminé, suspendu, prévu)")]


def test_an_imports_new_progress_or_status_is_told_to_the_followers(app, messenger) -> None:
    imported(app)
    ama = _follow(app, messenger, "PAI-2026-001")

    imported(app, "code;title;sector;status\nPAI-2026-001;Pavage de la rue 12.064;routes;"
                  "suspendu\n")
    imported(app, "code;title;sector;status\nPAI-2026-001;Pavage de la rue 12.064;routes;"
                  "suspendu\n")  # the same again: nothing new to tell
    scheduler.queue_due_broadcasts(app)

    told = [m for m in ama.replies().split("\n") if "Pavage" in m]
    assert told == ["🏗️ Projet « Pavage de la rue 12.064 » : suspendu. "]


def test_the_plan_as_an_xlsx_workbook(app) -> None:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Code", "Title", "Sector", "Budget FCFA", "Starts on", "Progress"])
    sheet.append(["X-1", "Marché de Dantokpa", "marchés", 250_000_000, date(2026, 4, 1), 12.0])
    saved = BytesIO()
    book.save(saved)
    with app.uow_factory() as uow:
        report = projects.import_sheet(uow=uow, commune_id=COTONOU, data=saved.getvalue(),
                                       actor="awa")
        uow.commit()
        market = uow.session.exec(select(Project).where(Project.code == "X-1")).one()
    assert (report.created, report.rejected) == (1, [])
    assert (market.budget_fcfa, market.starts_on, market.progress) == (
        250_000_000, date(2026, 4, 1), 12)


@pytest.mark.parametrize("data", [b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200),
                                  b"PK\x03\x04" + bytes(100)])
def test_what_is_no_spreadsheet_is_refused_by_what_it_is(app, data: bytes) -> None:
    with app.uow_factory() as uow, pytest.raises(errors.Invalid, match="not"):
        projects.plan_import(uow=uow, commune_id=COTONOU, data=data)
