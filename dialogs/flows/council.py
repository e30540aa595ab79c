"""The commune's council in the bot: the sitting live now and the next ones, following the
council's news, a question to the live sitting (typed or a voice note), the last decisions."""

from __future__ import annotations

from enum import Enum

from core.commands import AskCouncil, FollowTopic, TranscribeVoice
from core.council.service import TOPIC
from dialogs.engine import (
    CouncilView,
    Data,
    Flow,
    Lookup,
    Msg,
    Option,
    Prompt,
    Say,
    SessionView,
    StateSpec,
    Step,
    prompt,
    say,
)
from dialogs.flows.common import check_text, commune_of, voice_of


class S(Enum):
    OVERVIEW = "OVERVIEW"
    QUESTION = "QUESTION"


def _view(ctx: Lookup) -> CouncilView:
    return ctx.council(commune_of(ctx))


def ask_overview(data: Data, ctx: Lookup) -> Prompt:
    view = _view(ctx)
    lines: list[Say] = [_line(s) for s in view.upcoming] or [say("council.none")]
    # Following comes last: "1" is asking while a sitting is live and the decisions once it
    # ended, never "stop following" for a citizen who types 1 as they did during the sitting.
    options = []
    if view.live is not None:
        options.append(Option("ask", say("council.ask")))
    if view.last_ended is not None:
        options.append(Option("decisions", say("council.decisions")))
    options.append(Option("unfollow", say("council.unfollow")) if view.following
                   else Option("follow", say("council.follow")))
    return prompt(say("council.title", commune=ctx.citizen.commune_name or ""), *lines,
                  options=options)


def _line(session: SessionView) -> Say:
    if session.live:
        news = "\n".join(f"• {text}" for _, text in session.latest)
        return say("council.line_live_news" if news else "council.line_live",
                   title=session.title, link=session.stream_url or "", news=news)
    return say("council.line", title=session.title, starts_at=session.starts_at,
               place=session.place, kind=say(f"council.kind.{session.kind}"))


def on_overview(data: Data, msg: Msg, ctx: Lookup) -> Step:
    view = _view(ctx)
    if msg.choice == "ask" and view.live is not None:
        return Step.to(S.QUESTION, {"session_id": view.live.id})
    if msg.choice in ("follow", "unfollow"):
        following = msg.choice == "follow"
        done = say("council.followed") if following else say("council.unfollowed")
        return Step.finish(done, commands=(FollowTopic(ctx.citizen.id, TOPIC, following),))
    if msg.choice == "decisions" and view.last_ended is not None:
        ended = view.last_ended
        return Step.finish(say("council.decisions_of", title=ended.title,
                               decisions="\n".join(f"• {d}" for d in ended.decisions)
                               or say("council.no_decisions")))
    return Step.stay()


def ask_question(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("council.question.ask"))


def on_question(data: Data, msg: Msg, ctx: Lookup) -> Step:
    live = _view(ctx).live
    if live is None or live.id != data.get("session_id"):
        return Step.finish(say("council.question.closed"))
    voice = voice_of(msg)
    if voice is None:
        problem = check_text(msg, minimum=5, maximum=1000)
        if problem is not None:
            return Step.stay(problem)
    question = AskCouncil(live.id, ctx.citizen.id, "" if voice else msg.text.strip(), voice)
    heard = (TranscribeVoice(voice, ctx.citizen.id, ctx.citizen.speaks),) \
        if voice is not None and ctx.transcribes else ()  # moderators read it with the audio
    return Step.finish(say("council.question.sent"), commands=(question, *heard))


FLOW = Flow(name="council", start=S.OVERVIEW,
            states={S.OVERVIEW: StateSpec(ask_overview, on_overview),
                    S.QUESTION: StateSpec(ask_question, on_question)})
