"""One table from each command to the service that carries it out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core import commands as c
from core.broadcasts import service as broadcasts
from core.citizens import linking
from core.citizens.models import ChannelIdentity
from core.citizens.service import erase_citizen, update_profile
from core.council import service as council
from core.documents import service as documents
from core.geo import Point
from core.submissions import followups
from core.submissions import service as submissions
from core.submissions.models import Kind, Submission
from core.surveys import service as surveys
from core.transcripts import service as transcripts
from core.uow import UnitOfWork

Result = dict[str, Any]


def _update_profile(cmd: c.UpdateProfile, uow: UnitOfWork) -> Result:
    update_profile(uow=uow, citizen_id=cmd.citizen_id, changes=cmd.changes)
    return {}


def _transcribe_voice(cmd: c.TranscribeVoice, uow: UnitOfWork) -> Result:
    transcripts.request(uow=uow, attachment_id=cmd.attachment_id, citizen_id=cmd.citizen_id,
                        language_hint=cmd.language_hint)
    return {}


def _follow_topic(cmd: c.FollowTopic, uow: UnitOfWork) -> Result:
    if cmd.follow:
        broadcasts.subscribe(uow=uow, citizen_id=cmd.citizen_id, topic=cmd.topic)
    else:
        broadcasts.unsubscribe(uow=uow, citizen_id=cmd.citizen_id, topic=cmd.topic)
    return {}


def _ask_council(cmd: c.AskCouncil, uow: UnitOfWork) -> Result:
    question = council.ask(uow=uow, session_id=cmd.session_id, citizen_id=cmd.citizen_id,
                           text=cmd.text, attachment_id=cmd.attachment_id)
    return {"number": len(council.questions(uow=uow, session_id=cmd.session_id)),
            "question_id": question.id}


def _send_document(cmd: c.SendDocument, uow: UnitOfWork) -> Result:
    documents.send(uow=uow, document_id=cmd.document_id, citizen_id=cmd.citizen_id,
                   identity_id=cmd.identity_id)
    return {}


def _start_survey(cmd: c.StartSurvey, uow: UnitOfWork) -> Result:
    surveys.start(uow=uow, survey_id=cmd.survey_id, citizen_id=cmd.citizen_id,
                  channel=cmd.channel, arrondissement_id=cmd.arrondissement_id)
    return {}


def _answer_survey(cmd: c.AnswerSurvey, uow: UnitOfWork) -> Result:
    surveys.answer(uow=uow, survey_id=cmd.survey_id, citizen_id=cmd.citizen_id,
                   question_id=cmd.question_id, value=cmd.value, text=cmd.text,
                   attachment_id=cmd.attachment_id)
    return {}


def _complete_survey(cmd: c.CompleteSurvey, uow: UnitOfWork) -> Result:
    surveys.complete(uow=uow, survey_id=cmd.survey_id, citizen_id=cmd.citizen_id)
    return {}


def _answer_follow_up(cmd: c.AnswerFollowUp, uow: UnitOfWork) -> Result:
    followup = followups.answer(uow=uow, followup_id=cmd.followup_id,
                                citizen_id=cmd.citizen_id, fixed=cmd.fixed,
                                comment=cmd.comment, attachment_id=cmd.attachment_id)
    submission = uow.session.get_one(Submission, followup.submission_id)
    return {"reference": submission.reference}


def _submit_report(cmd: c.SubmitReport, uow: UnitOfWork) -> Result:
    location = (Point(cmd.latitude, cmd.longitude)
                if cmd.latitude is not None and cmd.longitude is not None else None)
    new = submissions.NewSubmission(
        kind=Kind.REPORT, commune_id=cmd.commune_id, channel=cmd.channel,
        citizen_id=cmd.citizen_id, identity_id=cmd.identity_id, description=cmd.description,
        category_id=cmd.category_id, arrondissement_id=cmd.arrondissement_id,
        location=location, place_text=cmd.place_text, attachment_ids=cmd.attachment_ids,
        public=cmd.public, thread=cmd.thread)
    return {"reference": submissions.submit(uow=uow, new=new).reference}


def _submit_complaint(cmd: c.SubmitComplaint, uow: UnitOfWork) -> Result:
    new = submissions.NewSubmission(
        kind=Kind(cmd.kind), commune_id=cmd.commune_id, channel=cmd.channel,
        citizen_id=cmd.citizen_id, identity_id=cmd.identity_id, description=cmd.description,
        service_id=cmd.service_id, anonymous=cmd.anonymous, attachment_ids=cmd.attachment_ids,
        thread=cmd.thread)
    return {"reference": submissions.submit(uow=uow, new=new).reference}


def _submit_idea(cmd: c.SubmitIdea, uow: UnitOfWork) -> Result:
    new = submissions.NewSubmission(
        kind=Kind.IDEA, commune_id=cmd.commune_id, channel=cmd.channel,
        citizen_id=cmd.citizen_id, identity_id=cmd.identity_id, title=cmd.title,
        description=cmd.description, attachment_ids=cmd.attachment_ids, public=True,
        thread=cmd.thread)
    return {"reference": submissions.submit(uow=uow, new=new).reference}


def _support_idea(cmd: c.SupportIdea, uow: UnitOfWork) -> Result:
    idea = submissions.support_idea(uow=uow, citizen_id=cmd.citizen_id, reference=cmd.reference)
    assert idea.id is not None
    count = submissions.support_count(uow=uow, submission_id=idea.id)
    return {"reference": idea.reference, "supports": count}


def _follow(cmd: c.FollowSubmission, uow: UnitOfWork) -> Result:
    followed = submissions.follow(uow=uow, citizen_id=cmd.citizen_id, reference=cmd.reference)
    return {"reference": followed.reference}


def _erase(cmd: c.EraseCitizen, uow: UnitOfWork) -> Result:
    erase_citizen(uow=uow, citizen_id=cmd.citizen_id)
    return {}


def _issue_link_code(cmd: c.IssueLinkCode, uow: UnitOfWork) -> Result:
    identity = uow.session.get_one(ChannelIdentity, cmd.identity_id)
    link = linking.issue_code(uow=uow, identity=identity)
    minutes = int(linking.CODE_LIFETIME.total_seconds() // 60)
    return {"code": f"{link.code[:3]} {link.code[3:]}", "minutes": minutes}


def _use_link_code(cmd: c.UseLinkCode, uow: UnitOfWork) -> Result:
    identity = uow.session.get_one(ChannelIdentity, cmd.identity_id)
    channels = linking.use_code(uow=uow, identity=identity, code=cmd.code)
    return {"channels": ", ".join(linking.CHANNEL_NAMES.get(c, c) for c in channels)}


HANDLERS: dict[type[c.Command], Callable[[Any, UnitOfWork], Result]] = {
    c.UpdateProfile: _update_profile,
    c.TranscribeVoice: _transcribe_voice,
    c.FollowTopic: _follow_topic,
    c.AskCouncil: _ask_council,
    c.SendDocument: _send_document,
    c.StartSurvey: _start_survey,
    c.AnswerSurvey: _answer_survey,
    c.CompleteSurvey: _complete_survey,
    c.AnswerFollowUp: _answer_follow_up,
    c.SubmitReport: _submit_report,
    c.SubmitComplaint: _submit_complaint,
    c.SubmitIdea: _submit_idea,
    c.SupportIdea: _support_idea,
    c.FollowSubmission: _follow,
    c.EraseCitizen: _erase,
    c.IssueLinkCode: _issue_link_code,
    c.UseLinkCode: _use_link_code,
}


def handle(command: c.Command, uow: UnitOfWork) -> Result:
    """Carry out one command inside the caller's unit of work; returns what the caller needs."""
    return HANDLERS[type(command)](command, uow)
