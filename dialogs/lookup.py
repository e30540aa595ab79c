"""The read-only facts a step may consult, answered from the database for one turn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import select

from core.broadcasts.models import Subscription
from core.citizens import linking, phones
from core.citizens import service as citizens
from core.citizens.models import ChannelIdentity
from core.citizens.models import Citizen as CitizenRow
from core.communes import service as communes
from core.communes.models import Arrondissement, Category, MunicipalService, label
from core.council import service as council
from core.council.models import CouncilSession, SessionStatus
from core.documents import service as documents
from core.errors import SubmissionNotFound
from core.geo import Point
from core.projects import service as projects
from core.projects.models import Project
from core.submissions import service as submissions
from core.submissions.models import FollowUp, Submission
from core.surveys import service as surveys
from core.surveys.models import Survey
from core.uow import UnitOfWork
from dialogs.engine import (
    Citizen,
    CouncilView,
    DocumentView,
    FollowUpView,
    ProjectView,
    QuestionView,
    Say,
    SessionView,
    SubmissionView,
    SurveyView,
    say,
)
from dialogs.i18n import DEFAULT_LANGUAGE, Catalogs


class DbLookup:
    """Answers a step's questions for one citizen, in their language."""

    def __init__(self, uow: UnitOfWork, row: CitizenRow, identity: ChannelIdentity,
                 catalogs: Catalogs, bound_communes: Mapping[tuple[str, str], str],
                 transcribes: bool = False, spoken: Sequence[str] = ()) -> None:
        self._uow = uow
        self._identity = identity
        self._spoken = spoken
        self.transcribes = transcribes
        self._catalogs = catalogs
        self.now: datetime = uow.clock.now()
        bound = bound_communes.get((identity.channel, identity.account))
        commune_id = bound or row.commune_id
        commune = communes.get_commune(uow=uow, commune_id=commune_id) if commune_id else None
        if commune is not None and not commune.enabled:  # closed since: ask again
            commune, commune_id = None, None
        assert row.id is not None and identity.id is not None
        self.citizen = Citizen(
            id=row.id, identity_id=identity.id, channel=identity.channel,
            language=row.language or DEFAULT_LANGUAGE, language_chosen=row.language is not None,
            commune_id=commune_id, commune_name=commune.name if commune else None,
            consented=row.consent_at is not None, bound_commune_id=bound,
            opted_out=row.broadcast_opt_out, spoken_language=row.spoken_language,
            voice_data_consent=row.voice_data_consent_at is not None)

    def languages(self) -> list[tuple[str, str]]:
        return [(lang, self._catalogs.language_name(lang)) for lang in self._catalogs.languages]

    def spoken_languages(self) -> list[tuple[str, str]]:
        """The languages the operator lists, then any other catalog's: a catalog's by its own
        name (« English » for someone who reads no French), the others as named in the
        citizen's catalog (spoken.<code>)."""
        return self._catalogs.spoken_languages(self._spoken, self.citizen.language)

    def communes(self) -> list[tuple[str, str]]:
        return [(c.id, c.name) for c in communes.enabled_communes(uow=self._uow)]

    def find_commune(self, text: str) -> tuple[str, str] | None:
        found = communes.find_commune(uow=self._uow, text=text)
        return (found.id, found.name) if found else None

    def categories(self, commune_id: str) -> list[tuple[int, str]]:
        rows = communes.categories_of(uow=self._uow, commune_id=commune_id)
        return [(c.id, self._named("category", c)) for c in rows if c.id]

    def services(self, commune_id: str) -> list[tuple[int, str]]:
        rows = communes.services_of(uow=self._uow, commune_id=commune_id)
        return [(s.id, self._named("service", s)) for s in rows if s.id]

    def _named(self, kind: str, item: Category | MunicipalService) -> str:
        return self._catalogs.named(kind, item.code, item.names, self.citizen.language)

    def arrondissements(self, commune_id: str) -> list[tuple[str, str]]:
        return [(a.id, a.name) for a in communes.arrondissements_of(uow=self._uow,
                                                                    commune_id=commune_id)]

    def match_arrondissement(self, commune_id: str, text: str) -> tuple[str, str] | None:
        found = communes.match_arrondissement(uow=self._uow, commune_id=commune_id, text=text)
        return (found.id, found.name) if found else None

    def similar_reports(self, commune_id: str, category_id: int, location: Point | None,
                        arrondissement_id: str | None) -> list[SubmissionView]:
        found = submissions.similar_open_reports(
            uow=self._uow, commune_id=commune_id, category_id=category_id, location=location,
            arrondissement_id=arrondissement_id, excluding_citizen=self.citizen.id)
        return [self._view(s, with_history=False) for s in found]

    def submission(self, reference: str) -> SubmissionView | None:
        try:
            found = submissions.get_by_reference(uow=self._uow, reference=reference)
        except SubmissionNotFound:
            return None
        return self._view(found, with_history=True)

    def my_submissions(self) -> list[SubmissionView]:
        mine = submissions.submissions_of(uow=self._uow, citizen_id=self.citizen.id)
        return [self._view(s, with_history=False) for s in mine]

    def top_ideas(self, commune_id: str) -> list[SubmissionView]:
        ideas = submissions.top_ideas(uow=self._uow, commune_id=commune_id)
        return [self._view(idea, with_history=False, supports=n) for idea, n in ideas]

    def link_target(self, code: str) -> str | None:
        """The account that asked for this linking code, masked ("telegram ••••0123"); None
        when using it would be refused."""
        found = linking.peek(uow=self._uow, identity=self._identity, code=code)
        return f"{found.channel} {phones.mask(found.address)}" if found else None

    def my_data(self) -> dict[str, Any]:
        summary = citizens.data_summary(uow=self._uow, citizen_id=self.citizen.id)
        row, unset = summary.citizen, "—"

        def chosen(question: str, value: str | None) -> Say | str:
            return say(f"onboarding.{question}.{value}") if value else unset

        return {"channels": ", ".join(f"{i.channel} {i.address}" for i in summary.identities),
                "language": self._catalogs.language_name(self.citizen.language),
                "spoken": dict(self.spoken_languages()).get(self.citizen.speaks,
                                                            self.citizen.speaks),
                "voice_data": say("mydata.voice_data.yes" if row.voice_data_consent_at
                                  else "mydata.voice_data.no"),
                "commune": self.citizen.commune_name or unset, "since": row.created_at,
                "gender": chosen("gender", row.gender), "age_band": chosen("age", row.age_band),
                "disability": chosen("disability", row.disability),
                "messages": summary.messages, "submissions": summary.submissions}

    def council(self, commune_id: str) -> CouncilView:
        upcoming = council.upcoming(uow=self._uow, commune_id=commune_id)
        ended = council.last_ended(uow=self._uow, commune_id=commune_id)
        following = self._uow.session.exec(select(Subscription).where(
            Subscription.citizen_id == self.citizen.id,
            Subscription.topic == council.TOPIC)).first() is not None
        return CouncilView(upcoming=tuple(self._with_latest(_session_view(s)) for s in upcoming),
                           last_ended=_session_view(ended) if ended else None,
                           following=following)

    def _with_latest(self, view: SessionView, shown: int = 3) -> SessionView:
        if not view.live:
            return view
        posted = council.updates(uow=self._uow, session_id=view.id)[-shown:]
        return replace(view, latest=tuple((u.posted_at, u.text[:300]) for u in posted))

    def projects(self, commune_id: str, *, arrondissement_id: str | None = None,
                 sector: str | None = None) -> list[ProjectView]:
        rows = projects.listed(uow=self._uow, commune_id=commune_id,
                               arrondissement_id=arrondissement_id, sector=sector)
        return [self._project_view(row) for row in rows]

    def project(self, project_id: int) -> ProjectView | None:
        row = self._uow.session.get(Project, project_id)
        if row is None or row.commune_id != self.citizen.commune_id:
            return None
        return self._project_view(row)

    def project_sectors(self, commune_id: str) -> list[str]:
        return projects.sectors(uow=self._uow, commune_id=commune_id)

    def document_kinds(self, commune_id: str) -> list[str]:
        return documents.kinds(uow=self._uow, commune_id=commune_id)

    def documents(self, commune_id: str, kind: str) -> list[DocumentView]:
        rows = documents.listed(uow=self._uow, commune_id=commune_id, kind=kind, limit=10)
        return [DocumentView(id=d.id, kind=d.kind, year=d.year, title=d.title)
                for d in rows if d.id is not None]

    def surveys(self, commune_id: str) -> list[SurveyView]:
        rows = surveys.open_surveys(uow=self._uow, commune_id=commune_id)
        return [self._survey_view(row) for row in rows]

    def survey(self, survey_id: int) -> SurveyView | None:
        row = self._uow.session.get(Survey, survey_id)
        if row is None or row.commune_id != self.citizen.commune_id:
            return None
        return self._survey_view(row)

    def _survey_view(self, row: Survey) -> SurveyView:
        assert row.id is not None
        language = self.citizen.language
        asked = tuple(QuestionView(id=q.id, position=q.position, kind=q.kind,
                                   text=label(q.text, language),
                                   choices=tuple(label(c, language) for c in q.choices))
                      for q in surveys.questions(uow=self._uow, survey_id=row.id)
                      if q.id is not None)
        response = surveys.response_of(uow=self._uow, survey_id=row.id,
                                       citizen_id=self.citizen.id)
        answered = frozenset(surveys.answers_of(uow=self._uow, response_id=response.id)) \
            if response is not None and response.id is not None else frozenset()
        return SurveyView(id=row.id, title=label(row.title, language),
                          intro=label(row.intro, language) if row.intro else "",
                          questions=asked, answered=answered, started=response is not None,
                          completed=response is not None and response.completed_at is not None,
                          open=surveys.is_open(row, self.now))

    def follow_up(self, followup_id: int) -> FollowUpView | None:
        row = self._uow.session.get(FollowUp, followup_id)
        if row is None or row.citizen_id != self.citizen.id:
            return None
        submission = self._uow.session.get_one(Submission, row.submission_id)
        return FollowUpView(id=followup_id, reference=submission.reference,
                            title=self._title(submission), resolved_at=row.resolved_at,
                            answered=row.answered_at is not None)

    def _project_view(self, row: Project) -> ProjectView:
        assert row.id is not None
        place = self._uow.session.get(Arrondissement, row.arrondissement_id or "")
        following = self._uow.session.exec(select(Subscription).where(
            Subscription.citizen_id == self.citizen.id,
            Subscription.topic == projects.topic(row.id))).first() is not None
        return ProjectView(id=row.id, title=row.title, sector=row.sector,
                           arrondissement=place.name if place else "",
                           progress=row.progress, status=row.status,
                           budget_fcfa=row.budget_fcfa, funding_source=row.funding_source,
                           starts_on=row.starts_on, ends_on=row.ends_on,
                           description=row.description, following=following)

    def _view(self, row: Submission, *, with_history: bool, supports: int | None = None,
              ) -> SubmissionView:
        assert row.id is not None
        history: tuple[tuple[datetime, str, str | None], ...] = ()
        if with_history:
            notes = self._may_read_notes(row)  # the mairie's words to its author
            history = tuple((h.at, h.to_status, h.public_note if notes else None)
                            for h in submissions.history(uow=self._uow, submission_id=row.id)
                            if h.from_status != h.to_status or (notes and h.public_note))
        if supports is None and row.kind == "idea":
            supports = submissions.support_count(uow=self._uow, submission_id=row.id)
        return SubmissionView(reference=row.reference, kind=row.kind, status=row.status,
                              title=self._title(row), created_at=row.created_at,
                              updated_at=row.updated_at, history=history, supports=supports or 0)

    def _may_read_notes(self, row: Submission) -> bool:
        return submissions.may_read_words(citizen_id=self.citizen.id, submission=row)

    def _title(self, row: Submission) -> str:
        """What the citizen may read of it: an idea's title; the words of a report or
        complaint to its author, or to anyone when it is public; else its category or
        service."""
        assert row.id is not None
        if row.title:
            return row.title
        text = " ".join(row.description.split())
        if text and submissions.may_read_words(citizen_id=self.citizen.id, submission=row):
            return text[:60] + ("…" if len(text) > 60 else "")
        if row.category_id is not None:
            category = self._uow.session.get(Category, row.category_id)
            return self._named("category", category) if category else ""
        service = (self._uow.session.get(MunicipalService, row.service_id)
                   if row.service_id else None)
        return self._named("service", service) if service else ""


def _session_view(row: CouncilSession) -> SessionView:
    assert row.id is not None
    return SessionView(id=row.id, title=row.title, kind=row.kind, starts_at=row.starts_at,
                       place=row.place, live=row.status == SessionStatus.LIVE,
                       stream_url=row.stream_url, decisions=tuple(row.decisions))
