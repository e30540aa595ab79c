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
        (9, "status must be one of planned, in_progress, completed, suspended")]
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
    assert (again.created, again.updated) == (0, 2)
    with app.uow_factory() as uow:
        paving = uow.session.exec(select(Project).where(Project.code == "PAI-2026-001")).one()
        assert paving.progress == 60
        assert len(uow.session.exec(select(Project)).all()) == 2


@pytest.mark.parametrize("text", ["titre,secteur\nA,B\n", "code,title,sector,colour\n1,A,B,red\n",
                                  ""])
def test_a_file_with_wrong_columns_is_refused_whole(app, text: str) -> None:
    with pytest.raises(errors.Invalid, match="CSV columns"):
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

    assert "Projet « Forage de Houéyiho » : avancement 100 %. Le forage est en service." in (
        ama.replies())
    assert "Project “Forage de Houéyiho”: 100% done." in kofi.replies()
    with app.uow_factory() as uow:
        assert uow.session.get_one(Project, project.id).status == "completed"
