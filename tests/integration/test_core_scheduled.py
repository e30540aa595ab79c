"""The scheduler's other jobs on both databases: escalation of untriaged submissions, expiry
of abandoned conversations, and the weekly digest for group animators."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from click.testing import CliRunner
from sqlmodel import select

from core.conversations.models import Conversation
from core.council import service as council
from core.council.models import SessionKind
from core.digests import service as digests
from core.digests.models import Digest
from core.geo import Point
from core.moderation.models import AuditEntry
from core.submissions import service as submissions
from core.submissions.models import Kind, Status, Submission
from palabre import scheduler
from tests.talk import Talker

COTONOU = "BJ-LI-COT"


def filed(app, kind: Kind = Kind.REPORT, description: str = "Caniveau bouché") -> str:
    with app.uow_factory() as uow:
        category = None
        if kind == Kind.REPORT:
            from core.communes import service as communes

            category = communes.categories_of(uow=uow, commune_id=COTONOU)[0].id
        row = submissions.submit(uow=uow, new=submissions.NewSubmission(
            kind=kind, commune_id=COTONOU, channel="console", citizen_id=None,
            description=description, title="Une idée" if kind == Kind.IDEA else None,
            category_id=category, location=Point(6.37, 2.39)))
        uow.commit()
        return row.reference


def test_untriaged_submissions_are_escalated_once_and_audited(app, clock) -> None:
    old = filed(app)
    clock.advance(hours=47)
    recent = filed(app)
    assert scheduler.escalate_untriaged(app) == 0  # 47 h: not yet
    clock.advance(hours=2)
    assert scheduler.escalate_untriaged(app) == 1
    assert scheduler.escalate_untriaged(app) == 0  # once
    with app.uow_factory() as uow:
        rows = {s.reference: s for s in uow.session.exec(select(Submission)).all()}
        audit = uow.session.exec(select(AuditEntry).where(
            AuditEntry.action == "escalated")).all()
    assert rows[old].labels == ["en retard"] and rows[old].priority == "high"
    assert rows[recent].labels == [] and rows[recent].priority == "normal"
    assert [(a.actor, a.target_id) for a in audit] == [("palabre", old)]


def test_a_triaged_submission_is_not_escalated(app, clock) -> None:
    reference = filed(app)
    with app.uow_factory() as uow:
        submissions.change_status(uow=uow, reference=reference, status=Status.ACKNOWLEDGED,
                                  actor="awa")
        uow.commit()
    clock.advance(days=5)
    assert scheduler.escalate_untriaged(app) == 0


def test_abandoned_drafts_are_forgotten_and_the_citizen_starts_from_the_menu(
        app, messenger, clock) -> None:
    ama = Talker(app, messenger)
    ama.onboard()
    ama.send("1")  # a report begun, then abandoned
    clock.advance(days=8)
    assert scheduler.expire_conversations(app) == 1
    with app.uow_factory() as uow:
        assert uow.session.exec(select(Conversation)).all() == []
    assert "que voulez-vous faire ?" in ama.send("Bonjour")


def test_the_weekly_digest_counts_the_week_and_names_the_next_sitting(app, clock) -> None:
    clock.current = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)  # Tuesday of the week of the 9th
    filed(app)
    filed(app, description="Lampadaire éteint")
    done = filed(app, description="Nid de poule")
    filed(app, Kind.IDEA, "Un jardin public au bord de la lagune")
    with app.uow_factory() as uow:
        for status in (Status.ACKNOWLEDGED, Status.RESOLVED):
            submissions.change_status(uow=uow, reference=done, status=status, actor="awa")
        council.create(uow=uow, new=council.NewSession(
            commune_id=COTONOU, kind=SessionKind.ORDINARY, title="Session de décembre",
            starts_at=datetime(2026, 12, 3, 8, 0, tzinfo=UTC), created_by="awa",
            place="Hôtel de ville"))
        uow.commit()
    clock.current = datetime(2026, 11, 16, 7, 30, tzinfo=UTC)  # the next Monday

    assert scheduler.make_digests(app) == 7  # every pilot commune
    with app.uow_factory() as uow:
        digest = uow.session.exec(select(Digest).where(Digest.commune_id == COTONOU)).one()
    assert digest.week == date(2026, 11, 9)
    assert digest.text.splitlines() == [
        "📣 Mairie de Cotonou — la semaine du 09/11/2026 sur Palabre",
        "Reçus : 3 signalements, 0 plainte ou suggestion, 1 idée.",
        "Résolus cette semaine : 1 dossier.",
        "Prochain conseil communal : Session de décembre, le 3 déc. 2026 09:00, Hôtel de ville."]
    assert scheduler.make_digests(app) == 7  # made again: replaced, not added
    with app.uow_factory() as uow:
        assert len(uow.session.exec(select(Digest)).all()) == 7


def test_the_digest_names_what_the_mairie_did_in_the_open_that_week(app, clock) -> None:
    from core.documents import service as documents
    from core.documents.models import DocumentKind
    from core.projects import service as projects
    from core.surveys.models import Survey

    clock.current = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    with app.uow_factory() as uow:
        sitting = council.create(uow=uow, new=council.NewSession(
            commune_id=COTONOU, kind=SessionKind.ORDINARY, title="Session de novembre",
            starts_at=datetime(2026, 11, 11, 8, 0, tzinfo=UTC), created_by="awa"))
        paving, _ = projects.save(uow=uow, commune_id=COTONOU, values={
            "code": "PAI-1", "title": "Pavage de la rue 12.064", "sector": "routes"})
        documents.publish(uow=uow, new=documents.NewDocument(
            commune_id=COTONOU, kind=DocumentKind.BUDGET, year=2027, title="Budget 2027",
            published_by="awa", url="https://cotonou.bj/budget-2027.pdf"))
        uow.session.add(Survey(commune_id=COTONOU, title={"fr": "La collecte des ordures"},
                               status="open", opens_at=clock.now(), created_by="awa",
                               created_at=clock.now(), updated_at=clock.now()))
        uow.commit()
    clock.current = datetime(2026, 11, 11, 8, 0, tzinfo=UTC)
    with app.uow_factory() as uow:
        council.go_live(uow=uow, session_id=sitting.id, actor="awa")
        council.end(uow=uow, session_id=sitting.id, actor="awa",
                    decisions=["Budget 2027 adopté", "Marché de Dantokpa : travaux en 2027"])
        projects.report_progress(uow=uow, project_id=paving.id, progress=40, status=None,
                                 note="", actor="awa")
        uow.commit()
    clock.current = datetime(2026, 11, 16, 7, 30, tzinfo=UTC)

    scheduler.make_digests(app)

    with app.uow_factory() as uow:
        text = uow.session.exec(select(Digest).where(Digest.commune_id == COTONOU)).one().text
    assert "Reçus : 0 signalement, 0 plainte ou suggestion, 0 idée." in text
    assert "🏛️ Décisions du conseil (Session de novembre) :\n• Budget 2027 adopté\n" \
           "• Marché de Dantokpa : travaux en 2027" in text
    assert "🏗️ Pavage de la rue 12.064 : 40 %, en cours." in text
    assert "📄 Publié : Budget 2027 (2027)." in text
    assert "🗳️ Votre avis compte : « La collecte des ordures »." in text


def test_last_week_is_monday_to_sunday_in_benin() -> None:
    sunday_night = datetime(2026, 11, 15, 23, 30, tzinfo=UTC)  # Monday 00:30 in Benin
    assert digests.last_week(sunday_night) == date(2026, 11, 9)
    assert digests.last_week(sunday_night - timedelta(hours=1)) == date(2026, 11, 2)


def test_palabre_digest_prints_the_text_for_a_commune(app, settings, monkeypatch) -> None:
    from palabre.cli import main

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PALABRE_MEDIA_DIR", str(settings.media_dir))
    result = CliRunner().invoke(main, ["digest", "--commune", "Cotonou",
                                       "--week", "2026-11-09"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("📣 Mairie de Cotonou — la semaine du 09/11/2026")
    refused = CliRunner().invoke(main, ["digest", "--commune", "Cotonou", "--week",
                                        "2026-11-10"])
    assert refused.exit_code != 0 and "not a Monday" in refused.output
