"""« Donner mon avis »: the commune's open surveys, answered one question at a time.

Every answer is kept as soon as it is given (AnswerSurvey), so a citizen who stops (cancel,
menu, or silence) finds their place again next time: the flow always asks the first question
they have not answered. A new answer set first asks the arrondissement they live in (or not),
for the results' breakdown. The last answer completes the set (CompleteSurvey): once.
"""

from __future__ import annotations

from enum import Enum

from core.commands import AnswerSurvey, CompleteSurvey, StartSurvey, TranscribeVoice
from dialogs.engine import (
    Data,
    Flow,
    Lookup,
    Msg,
    Option,
    Prompt,
    QuestionView,
    Say,
    StateSpec,
    Step,
    SurveyView,
    prompt,
    say,
)
from dialogs.flows.common import check_text, commune_of, options, picked, skip, voice_of

RATINGS = range(1, 6)


class S(Enum):
    LIST = "LIST"
    ARRONDISSEMENT = "ARRONDISSEMENT"
    QUESTION = "QUESTION"


def first_state(data: Data, ctx: Lookup) -> S:
    return S.QUESTION if data.get("survey_id") else S.LIST


def _waiting(ctx: Lookup) -> list[SurveyView]:
    return [s for s in ctx.surveys(commune_of(ctx)) if not s.completed]


def ask_list(data: Data, ctx: Lookup) -> Prompt:
    waiting = _waiting(ctx)
    if not waiting:
        done = any(s.completed for s in ctx.surveys(commune_of(ctx)))
        return prompt(say("error.survey_answered") if done else say("survey.none"),
                      options=[Option("menu", say("common.back_to_menu"))])
    if len(waiting) == 1:
        only = waiting[0]
        lines = [say("survey.one", title=only.title, count=len(only.questions))]
        if only.intro:
            lines.append(say("survey.intro", intro=only.intro))
        begin = say("survey.resume_option") if only.started else say("survey.start")
        return prompt(*lines, options=[Option(f"s:{only.id}", begin),
                                       Option("menu", say("survey.later"))])
    return prompt(say("survey.choose"),
                  options=options(((s.id, s.title) for s in waiting), "s"))


def on_list(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice == "menu":
        return Step.finish()
    chosen = picked(msg, "s")
    found = ctx.survey(int(chosen)) if chosen and chosen.isdigit() else None
    if found is None:
        return Step.stay()
    return _begin(found, ctx)


def _begin(found: SurveyView, ctx: Lookup) -> Step:
    if found.completed:
        return Step.finish(say("error.survey_answered"))
    if not found.open:
        return Step.finish(say("error.survey_closed"))
    if not found.started:
        return Step.to(S.ARRONDISSEMENT, {"survey_id": found.id})
    following = found.next_question
    number = following.position if following else len(found.questions)
    return Step.to(S.QUESTION, {"survey_id": found.id},
                   say("survey.resumed", number=number, count=len(found.questions)))


def ask_arrondissement(data: Data, ctx: Lookup) -> Prompt:
    places = ctx.arrondissements(commune_of(ctx))
    return prompt(say("survey.arrondissement.ask"),
                  options=[*options(places, "a"), skip()])


def on_arrondissement(data: Data, msg: Msg, ctx: Lookup) -> Step:
    found = ctx.survey(int(data["survey_id"]))
    if found is None or not found.open:
        return Step.finish(say("error.survey_closed"))
    place = picked(msg, "a")
    if place is None and msg.is_text and msg.choice is None:
        matched = ctx.match_arrondissement(commune_of(ctx), msg.text)
        place = matched[0] if matched else None
    if place is None and msg.choice != "skip":
        return Step.stay()
    start = StartSurvey(data["survey_id"], ctx.citizen.id, ctx.citizen.channel, place)
    return Step.to(S.QUESTION, data, commands=(start,))


def _current(data: Data, ctx: Lookup) -> tuple[SurveyView | None, QuestionView | None]:
    found = ctx.survey(int(data["survey_id"]))
    return found, (found.next_question if found else None)


def ask_question(data: Data, ctx: Lookup) -> Prompt:
    found, question = _current(data, ctx)
    if found is None or question is None or not found.open:
        return prompt(say("survey.ended"), options=[Option("menu", say("common.back_to_menu"))])
    return question_prompt(question, len(found.questions))


def question_prompt(question: QuestionView, count: int) -> Prompt:
    """How the bot asks one question (the console's survey preview shows the same)."""
    heading = say("survey.question", number=question.position, count=count,
                  text=question.text)
    if question.kind == "rating":
        return prompt(heading, options=[Option(f"v:{n}", say(f"survey.rating.{n}"))
                                        for n in RATINGS])
    if question.kind == "yes_no":
        return prompt(heading, options=[Option("v:1", say("common.yes")),
                                        Option("v:0", say("common.no"))])
    if question.kind == "choice":
        return prompt(heading, options=[Option(f"v:{n}", label)
                                        for n, label in enumerate(question.choices, start=1)])
    return prompt(heading, say("survey.free.ask"))


def on_question(data: Data, msg: Msg, ctx: Lookup) -> Step:
    found, question = _current(data, ctx)
    if found is None or not found.open:
        return Step.finish(say("error.survey_closed"))
    if found.completed or question is None:
        return Step.finish(say("error.survey_answered"))
    answer = _answer(found, question, msg, ctx)
    if isinstance(answer, Say):
        return Step.stay(answer)
    commands = answer
    last = all(q.id in found.answered or q.id == question.id for q in found.questions)
    if last:
        return Step.finish(say("survey.thanks", title=found.title),
                           commands=(*commands, CompleteSurvey(found.id, ctx.citizen.id)))
    return Step.to(S.QUESTION, data, commands=commands)


def _answer(found: SurveyView, question: QuestionView, msg: Msg,
            ctx: Lookup) -> tuple[AnswerSurvey | TranscribeVoice, ...] | Say:
    """The commands that keep this answer, or why it cannot be one."""
    keep = (found.id, ctx.citizen.id, question.id)
    if question.kind == "free":
        voice = voice_of(msg)
        if voice is not None:
            heard = (TranscribeVoice(voice, ctx.citizen.id, ctx.citizen.speaks),) \
                if ctx.transcribes else ()
            return (AnswerSurvey(*keep, attachment_id=voice), *heard)
        problem = check_text(msg, minimum=2)
        return problem if problem is not None else (AnswerSurvey(*keep, text=msg.text.strip()),)
    value = picked(msg, "v")
    if value is not None:
        return (AnswerSurvey(*keep, value=int(value)),)
    if question.kind == "rating" and msg.is_text and msg.text.strip().lstrip("-").isdigit():
        return say("survey.rating.range")
    if msg.kind == "text" and msg.text.strip().isdigit():
        limit = len(question.choices) if question.kind == "choice" else 2
        return say("error.choose_number", count=limit)
    return say("error.choose")


FLOW = Flow(name="survey", start=S.LIST, first_state=first_state,
            states={S.LIST: StateSpec(ask_list, on_list),
                    S.ARRONDISSEMENT: StateSpec(ask_arrondissement, on_arrondissement),
                    S.QUESTION: StateSpec(ask_question, on_question)})
