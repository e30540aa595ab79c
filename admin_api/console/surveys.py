"""Surveys in the console: a builder that works without JavaScript (questions of every kind,
their words in French, required, and English; "one more question" sends the form back with
an empty slot), a preview of how the bot will ask each question, a launch that says how many
citizens the invitation reaches (through core's broadcasts reach), close; results with charts
drawn on the server, the breakdowns with small groups hidden exactly as the API does, free
answers with their voice transcripts, and the CSV. Everything through core.surveys, audited as
the API's routes are."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select

from admin_api.console.auth import ReaderDep, SignedInDep
from admin_api.console.communes import chosen_commune, communes_row
from admin_api.console.item import SentDep
from admin_api.console.pages import check_csrf, redirect, render
from admin_api.deps import UowDep
from core import errors
from core.broadcasts import service as broadcasts
from core.broadcasts.models import Audience
from core.communes.models import Arrondissement, Commune, label
from core.council.service import TOPIC as COUNCIL
from core.moderation import once
from core.moderation import service as moderation
from core.moderation.models import Moderator, Role
from core.submissions.service import LOCAL_TZ
from core.surveys import results as survey_results
from core.surveys import service as surveys
from core.surveys.models import QuestionKind, Survey, SurveyQuestion, SurveyStatus
from core.uow import UnitOfWork

router = APIRouter(prefix="/console/surveys", include_in_schema=False)
LANGUAGES = ("fr", "en")


@dataclass
class Slot:
    """One question of the builder as typed (choices one a line, French and English aligned)."""

    kind: str = QuestionKind.RATING.value
    fr: str = ""
    en: str = ""
    choices_fr: str = ""
    choices_en: str = ""

    def question(self) -> surveys.NewQuestion:
        lines_fr = [c.strip() for c in self.choices_fr.splitlines() if c.strip()]
        lines_en = [c.strip() for c in self.choices_en.splitlines() if c.strip()]
        choices = [{"fr": fr, **({"en": lines_en[i]} if i < len(lines_en) else {})}
                   for i, fr in enumerate(lines_fr)] if self.kind == QuestionKind.CHOICE else []
        kind = QuestionKind(self.kind) if self.kind in set(QuestionKind) else QuestionKind.FREE
        return surveys.NewQuestion(kind=kind, text={"fr": self.fr, "en": self.en},
                                   choices=choices)

    def empty(self) -> bool:
        return not (self.fr.strip() or self.en.strip())


@dataclass
class Draft:
    title_fr: str = ""
    title_en: str = ""
    intro_fr: str = ""
    intro_en: str = ""
    slots: list[Slot] = field(default_factory=lambda: [Slot()])

    @classmethod
    def of(cls, survey: Survey, asked: list[SurveyQuestion]) -> Draft:
        return cls(survey.title.get("fr", ""), survey.title.get("en", ""),
                   survey.intro.get("fr", ""), survey.intro.get("en", ""),
                   [Slot(q.kind, q.text.get("fr", ""), q.text.get("en", ""),
                         "\n".join(c.get("fr", "") for c in q.choices),
                         "\n".join(c.get("en", "") for c in q.choices)) for q in asked]
                   or [Slot()])

    @classmethod
    def from_form(cls, form: Any) -> Draft:
        def text(name: str, most: int = 2000) -> str:
            value = form.get(name, "")
            return value[:most] if isinstance(value, str) else ""

        count = min(int(text("slots", 3)) if text("slots", 3).isdigit() else 1,
                    surveys.MAX_QUESTIONS)
        slots = [Slot(text(f"q{n}_kind", 16), text(f"q{n}_fr", 400), text(f"q{n}_en", 400),
                      text(f"q{n}_choices_fr"), text(f"q{n}_choices_en"))
                 for n in range(1, count + 1)]
        return cls(text("title_fr", 300), text("title_en", 300), text("intro_fr", 600),
                   text("intro_en", 600), slots)

    def new(self, commune_id: str, moderator: Moderator) -> surveys.NewSurvey:
        return surveys.NewSurvey(
            commune_id=commune_id, created_by=moderator.name,
            title={"fr": self.title_fr, "en": self.title_en},
            intro={"fr": self.intro_fr, "en": self.intro_en},
            questions=[s.question() for s in self.slots if not s.empty()])


@dataclass(frozen=True)
class Launch:
    """The launch form as typed."""

    audience: str = "commune"  # commune, arrondissement, council, none
    arrondissement: str = ""
    closes: str = ""  # 2026-03-28T18:00, Benin's time

    def invitation(self) -> surveys.Invitation | None:
        if self.audience == "none":
            return None
        if self.audience == "arrondissement":
            return surveys.Invitation(Audience.ARRONDISSEMENT, self.arrondissement or None)
        if self.audience == "council":
            return surveys.Invitation(Audience.TOPIC, topic=COUNCIL)
        return surveys.Invitation()

    def closes_at(self) -> datetime:
        try:
            chosen = datetime.fromisoformat(self.closes.strip())
        except ValueError:
            raise errors.Invalid("not a time", field="closes_at", reason="format") from None
        return chosen.replace(tzinfo=LOCAL_TZ) if chosen.tzinfo is None else chosen


@router.get("", response_class=HTMLResponse)
def listing(request: Request, uow: UowDep, moderator: ReaderDep,
            commune: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    chosen, mine = chosen_commune(uow, moderator, commune)
    rows = uow.session.exec(select(Survey).where(Survey.commune_id == chosen.id)
                            .order_by(col(Survey.id).desc()).limit(50)).all()
    return render(request, "surveys.html", moderator=moderator, commune=chosen, communes=mine,
                  rows=rows, notice=request.query_params.get("done"))


@router.get("/new", response_class=HTMLResponse)
def new_survey(request: Request, uow: UowDep, moderator: SignedInDep,
               commune: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    chosen, _ = chosen_commune(uow, moderator, commune)
    return _builder(request, moderator, chosen, Draft(), None)


@router.get("/{survey_id}/edit", response_class=HTMLResponse)
def edit(request: Request, survey_id: int, uow: UowDep,
         moderator: SignedInDep) -> HTMLResponse:
    survey = communes_row(uow, moderator, Survey, survey_id)
    chosen, _ = chosen_commune(uow, moderator, survey.commune_id, strict=True)
    return _builder(request, moderator, chosen,
                    Draft.of(survey, surveys.questions(uow=uow, survey_id=survey_id)), survey)


@router.post("/save", response_class=HTMLResponse)
async def save(request: Request, uow: UowDep, moderator: SignedInDep) -> Response:
    """Save the draft (new, or the one named), or give the form back with one more slot."""
    form = await request.form(max_fields=400)
    check_csrf(request, str(form.get("csrf") or ""))
    commune = str(form.get("commune") or "")[:16]
    chosen, _ = chosen_commune(uow, moderator, commune, strict=True)
    draft = Draft.from_form(form)
    survey_id = str(form.get("survey") or "")
    survey = communes_row(uow, moderator, Survey, int(survey_id[:10])) \
        if survey_id.isdigit() else None
    if form.get("more"):
        draft.slots.append(Slot())
        return _builder(request, moderator, chosen, draft, survey)
    nonce = str(form.get("once") or "")
    try:
        if not once.first_use(uow=uow, moderator=moderator, nonce=nonce):
            return redirect(request, f"/console/surveys?commune={chosen.id}")
        if survey is None:
            survey = surveys.define(uow=uow, new=draft.new(chosen.id, moderator))
            action = "survey_defined"
        else:
            surveys.redefine(uow=uow, survey_id=survey.id or 0,
                             new=draft.new(chosen.id, moderator))
            action = "survey_changed"
    except errors.Invalid as refused:
        uow.rollback()
        return _builder(request, moderator, chosen, draft, survey, refused=refused)
    _audit(uow, moderator, survey, action)
    uow.commit()
    return redirect(request, f"/console/surveys/{survey.id}?done=saved")


@router.get("/{survey_id}", response_class=HTMLResponse)
def survey_page(request: Request, survey_id: int, uow: UowDep, moderator: SignedInDep,
                language: Annotated[str, Query(pattern="^(fr|en)$")] = "fr") -> HTMLResponse:
    """A survey: its questions as the bot will ask them, and launching or closing it."""
    survey = communes_row(uow, moderator, Survey, survey_id)
    return _survey(request, uow, moderator, survey, Launch(closes=_default_close(uow)),
                   language=language)


@router.post("/{survey_id}/reach", response_class=HTMLResponse)
def reach(request: Request, survey_id: int, uow: UowDep, moderator: SignedInDep,
          csrf: Annotated[str | None, Form()] = None,
          audience: Annotated[str, Form(max_length=16)] = "commune",
          arrondissement: Annotated[str, Form(max_length=20)] = "",
          closes: Annotated[str, Form(max_length=20)] = "") -> HTMLResponse:
    """Before launching: how many citizens the invitation reaches; nothing is kept."""
    check_csrf(request, csrf)
    survey = communes_row(uow, moderator, Survey, survey_id)
    typed = Launch(audience, arrondissement, closes)
    try:
        typed.closes_at()
        invite = typed.invitation()
        told = None if invite is None else broadcasts.reach(uow=uow, new=broadcasts.NewBroadcast(
            commune_id=survey.commune_id, text="survey", created_by=moderator.name,
            audience=invite.audience, arrondissement_id=invite.arrondissement_id,
            topic=invite.topic), free_text=getattr(request.app.state, "free_text", None))
    except errors.Invalid as refused:
        return _survey(request, uow, moderator, survey, typed, refused=refused)
    return _survey(request, uow, moderator, survey, typed, reached=told, checked=True)


@router.post("/{survey_id}/launch")
def launch(request: Request, survey_id: int, uow: UowDep, moderator: SignedInDep,
           sent: SentDep, audience: Annotated[str, Form(max_length=16)] = "commune",
           arrondissement: Annotated[str, Form(max_length=20)] = "",
           closes: Annotated[str, Form(max_length=20)] = "") -> Response:
    survey = communes_row(uow, moderator, Survey, survey_id)
    typed = Launch(audience, arrondissement, closes)
    try:
        if once.first_use(uow=uow, moderator=moderator, nonce=sent):
            surveys.launch(uow=uow, survey_id=survey_id, closes_at=typed.closes_at(),
                           invite=typed.invitation(), actor=moderator.name)
            _audit(uow, moderator, survey, "survey_launched")
            uow.commit()
    except errors.Invalid as refused:
        uow.rollback()
        return _survey(request, uow, moderator, survey, typed, refused=refused)
    return redirect(request, f"/console/surveys/{survey_id}?done=launched")


@router.post("/{survey_id}/close")
def close(request: Request, survey_id: int, uow: UowDep, moderator: SignedInDep,
          sent: SentDep) -> Response:
    survey = communes_row(uow, moderator, Survey, survey_id)
    if once.first_use(uow=uow, moderator=moderator, nonce=sent) and \
            survey.status == SurveyStatus.OPEN:
        surveys.close(uow=uow, survey_id=survey_id)
        _audit(uow, moderator, survey, "survey_closed")
        uow.commit()
    return redirect(request, f"/console/surveys/{survey_id}/results?done=closed")


@router.get("/{survey_id}/results", response_class=HTMLResponse)
def results(request: Request, survey_id: int, uow: UowDep,
            moderator: ReaderDep) -> HTMLResponse:
    """The figures, with charts drawn here; groups under five people hidden as the API does;
    free answers' words for the mairie's staff, their count only for analysts."""
    survey = communes_row(uow, moderator, Survey, survey_id)
    found = survey_results.results(uow=uow, survey_id=survey_id, language="fr",
                                   words=moderator.role != Role.ANALYST)
    places = {a.id: a.name for a in uow.session.exec(select(Arrondissement).where(
        Arrondissement.commune_id == survey.commune_id)).all()}
    return render(request, "survey_results.html", moderator=moderator, survey=survey,
                  title=label(survey.title, "fr"), found=found, places=places,
                  notice=request.query_params.get("done"))


@router.get("/{survey_id}/export.csv")
def export(survey_id: int, uow: UowDep, moderator: ReaderDep) -> Response:
    """One row per completed answer set and question, as the API's export (no free words
    for analysts)."""
    communes_row(uow, moderator, Survey, survey_id)
    out = io.StringIO()
    csv.writer(out).writerows(survey_results.export_rows(
        uow=uow, survey_id=survey_id, words=moderator.role != Role.ANALYST))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="palabre-survey-{survey_id}.csv"',
        "Cache-Control": "no-store"})


def _builder(request: Request, moderator: Moderator, commune: Commune, draft: Draft,
             survey: Survey | None, *, refused: errors.Invalid | None = None) -> HTMLResponse:
    return render(request, "survey_builder.html", status_code=422 if refused else 200,
                  moderator=moderator, commune=commune, draft=draft, survey=survey,
                  kinds=list(QuestionKind), most=surveys.MAX_QUESTIONS,
                  refused_field=refused.details.get("field") if refused else None,
                  refused_reason=refused.details.get("reason", "invalid") if refused else None,
                  refused_most=refused.details.get("most", "") if refused else "")


def _survey(request: Request, uow: UnitOfWork, moderator: Moderator, survey: Survey,
            typed: Launch, *, language: str = "fr", reached: broadcasts.Reach | None = None,
            checked: bool = False, refused: errors.Invalid | None = None) -> HTMLResponse:
    asked = surveys.questions(uow=uow, survey_id=survey.id or 0)
    preview: Callable[[list[SurveyQuestion], str], list[str]] | None = getattr(
        request.app.state, "survey_preview", None)
    return render(request, "survey.html", status_code=422 if refused else 200,
                  moderator=moderator, survey=survey, title=label(survey.title, "fr"),
                  asked=asked, shown=preview(asked, language) if preview else [],
                  language=language, typed=typed, reached=reached, checked=checked,
                  arrondissements=uow.session.exec(select(Arrondissement).where(
                      Arrondissement.commune_id == survey.commune_id).order_by(
                      col(Arrondissement.name))).all(),
                  refused_field=refused.details.get("field") if refused else None,
                  refused_reason=refused.details.get("reason", "invalid") if refused else None,
                  notice=request.query_params.get("done"))


def _default_close(uow: UnitOfWork) -> str:
    """Two weeks from now at 18:00 in Benin: a proposal the moderator changes at will."""
    later = (uow.clock.now() + timedelta(days=14)).astimezone(LOCAL_TZ)
    return later.strftime("%Y-%m-%dT18:00")


def _audit(uow: UnitOfWork, moderator: Moderator, survey: Survey, action: str) -> None:
    moderation.record(uow=uow, moderator=moderator, action=action, target_type="survey",
                      target_id=str(survey.id), commune_id=survey.commune_id,
                      after={"status": survey.status})
