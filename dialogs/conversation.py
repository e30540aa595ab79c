"""One turn of a conversation: global words, expiry and resume, then the current state's step.

Pure: takes the stored conversation, one message and the read-only facts; returns the next
conversation, what to say, the commands to carry out, and the thread the turn belongs to (new
threads' ids come from the factory the engine is given). The runner does the I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from core.commands import Command, IssueLinkCode, UpdateProfile, UseLinkCode
from core.geo import Point
from dialogs import globals as words
from dialogs.engine import (
    AttachmentRef,
    Flow,
    Lookup,
    Msg,
    Option,
    Prompt,
    Say,
    Step,
    prompt,
    say,
)
from dialogs.threads import FILING_FLOWS, KEY, new_thread_id, thread_in
from dialogs.views import status_lines

MENU = "menu"
ONBOARDING = "onboarding"
LINK = "link"  # a citizen who links a channel may not be onboarded on it yet
RESUME = "resume"
MENU_QUIET = timedelta(minutes=10)  # the menu left alone this long is free for a question


@dataclass(frozen=True)
class Conversation:
    """Where a citizen is: flow, state and the draft so far (None flow: nowhere yet)."""

    flow: str | None = None
    state: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Turn:
    """The outcome of one message: the next conversation, the words, and the commands."""

    conversation: Conversation
    says: tuple[Say, ...]
    prompt: Prompt | None
    commands: tuple[Command, ...] = ()
    thread: str | None = None  # the filing flow's thread it belongs to (dialogs/threads.py)


def onboarded(ctx: Lookup) -> bool:
    citizen = ctx.citizen
    return bool(citizen.consented and (citizen.commune_id or citizen.bound_commune_id))


class Engine:
    """Runs turns over a set of flows."""

    def __init__(self, flows: Mapping[str, Flow], *, timeout: timedelta,
                 new_thread: Callable[[], str] = new_thread_id) -> None:
        self.flows = flows
        self.timeout = timeout
        self.new_thread = new_thread

    def turn(self, current: Conversation, msg: Msg, ctx: Lookup) -> Turn:
        if current.flow is not None and not self._known(current):  # renamed by an upgrade
            lost = self.turn(Conversation(), msg, ctx)
            return replace(lost, says=(say("resume.lost"), *lost.says))
        if msg.heard is not None and current.flow is not None:  # the voice note it waits for
            return self._handled(current, self.apply(current, self._step(current, msg, ctx),
                                                     msg, ctx))
        if msg.invite is not None:
            return self._invited(current, msg.invite, ctx)
        command = words.match(msg.text) if msg.kind == "text" else None
        if command is not None:
            return self._global(command, current, ctx)
        if not onboarded(ctx) and current.flow not in (ONBOARDING, LINK):
            return self.enter(ONBOARDING, {}, ctx)
        if current.flow is None:
            return self.enter(MENU, {}, ctx)
        if current.flow == RESUME:
            return self._resume(current, msg, ctx)
        if self._expired(current, ctx) and current.flow != MENU:
            return self._offer_resume(current, msg)
        return self._handled(current, self.apply(current, self._step(current, msg, ctx), msg,
                                                 ctx))

    def _handled(self, current: Conversation, turn: Turn) -> Turn:
        """A message the current flow handled belongs to its thread; the menu's choice of a
        filing flow, to the thread that flow opens."""
        own = thread_in(current.data) if current.flow != RESUME else None
        if own is not None:
            return replace(turn, thread=own)
        if current.flow == MENU:
            return replace(turn, thread=_opened(turn))
        return turn

    def free(self, current: Conversation, now: datetime) -> bool:
        """Whether a question of Palabre's may open now: the citizen is nowhere, has left the
        menu alone a while (a number typed for the menu must not answer it), or left a draft
        long ago (it is offered back afterwards); never in the middle of something."""
        idle = now - current.updated_at if current.updated_at is not None else None
        if current.flow is None or idle is None:
            return True
        if current.flow == MENU:
            return idle >= MENU_QUIET
        return idle > self.timeout

    def _invited(self, current: Conversation, invite: tuple[str, Mapping[str, Any]],
                 ctx: Lookup) -> Turn:
        name, data = invite
        if name not in self.flows or not onboarded(ctx) or not self.free(current, ctx.now):
            return Turn(current, (), None)  # nothing said; the asker may try again later
        opened = dict(data)
        if current.flow not in (None, MENU):  # a draft left long ago: offered back after
            saved = dict(current.data) if current.flow == RESUME else {
                "flow": current.flow, "state": current.state, "data": dict(current.data)}
            opened["return_to"] = {"flow": RESUME, "state": "ASK", "data": saved}
        entered = self.enter(name, opened, ctx)  # "was it fixed?" opens in its submission's
        return replace(entered, thread=thread_in(entered.conversation.data))

    def _known(self, current: Conversation) -> bool:
        if current.flow == RESUME:
            saved = current.data
            return self._known(Conversation(flow=saved.get("flow"), state=saved.get("state")))
        flow = self.flows.get(current.flow or "")
        return flow is not None and any(s.value == current.state for s in flow.states)

    def _step(self, current: Conversation, msg: Msg, ctx: Lookup) -> Step:
        assert current.flow is not None and current.state is not None
        return self.flows[current.flow].spec(current.state).handle(current.data, msg, ctx)

    def apply(self, current: Conversation, step: Step, msg: Msg, ctx: Lookup) -> Turn:
        """Turn a step into the next conversation and its words."""
        if step.action == "stay":
            says = step.says or (default_hint(msg, self.ask(current, ctx)),)
            return Turn(current, says, self.ask(current, ctx), step.commands)
        if step.action == "to":
            moved = replace(current, state=step.target, data=dict(step.data or {}))
            return Turn(moved, step.says, self.ask(moved, ctx), step.commands)
        if step.action == "flow":
            entered = self.enter(step.target or MENU, step.data or {}, ctx)
            return replace(entered, says=step.says + entered.says, commands=step.commands)
        back = _return_to(current)
        if back is not None and self._known(back):  # e.g. the language changed mid-report
            return Turn(back, step.says, self.ask(back, ctx), step.commands)
        then = current.data.get("then")  # a link asked for this flow before onboarding
        if step.then_menu and then in words.START_FLOWS and then in self.flows:
            entered = self.enter(then, {}, ctx)
            return replace(entered, says=step.says + entered.says, commands=step.commands)
        if step.then_menu:
            menu = self.enter(MENU, {}, ctx)
            return replace(menu, says=step.says, commands=step.commands)
        return Turn(Conversation(), step.says, None, step.commands)

    def enter(self, name: str, data: Mapping[str, Any], ctx: Lookup) -> Turn:
        """Start a flow (a filing flow in a thread of its own)."""
        flow = self.flows[name]
        if name in FILING_FLOWS and thread_in(data) is None:
            data = {**data, KEY: self.new_thread()}
        entered = Conversation(flow=name, state=flow.entry(data, ctx), data=dict(data))
        return Turn(entered, (), self.ask(entered, ctx))

    def ask(self, current: Conversation, ctx: Lookup) -> Prompt | None:
        if current.flow is None or current.state is None:
            return None
        if current.flow == RESUME:
            return _resume_prompt(current)
        return self.flows[current.flow].spec(current.state).ask(current.data, ctx)

    def _expired(self, current: Conversation, ctx: Lookup) -> bool:
        return current.updated_at is not None and ctx.now - current.updated_at > self.timeout

    def _offer_resume(self, current: Conversation, msg: Msg) -> Turn:
        saved: dict[str, Any] = {"flow": current.flow, "state": current.state,
                                 "data": dict(current.data)}
        if msg.kind != "text":  # a pin, a photo, a voice note: not to be sent again
            saved["replay"] = msg_to_data(msg)
        paused = Conversation(flow=RESUME, state="ASK", data=saved)
        return Turn(paused, (say("resume.welcome_back"),), _resume_prompt(paused))

    def _resume(self, current: Conversation, msg: Msg, ctx: Lookup) -> Turn:
        if msg.choice == "continue":
            saved = current.data
            restored = Conversation(flow=saved["flow"], state=saved["state"], data=saved["data"])
            if "replay" in saved:  # what they sent after the silence goes where it belonged
                kept = msg_from_data(saved["replay"])
                return self._handled(restored, self.apply(restored, self._step(
                    restored, kept, ctx), kept, ctx))
            return Turn(restored, (), self.ask(restored, ctx), thread=thread_in(restored.data))
        if msg.choice == "menu":
            return self.enter(MENU, {}, ctx)
        return Turn(current, (default_hint(msg, _resume_prompt(current)),),
                    _resume_prompt(current))

    def _start(self, argument: str, ctx: Lookup) -> Turn:
        """Start again: broadcasts resume, and a link's flow (or reference) is opened."""
        opt_in = UpdateProfile(ctx.citizen.id, {"broadcast_opt_out": False})
        greeting: tuple[Say, ...] = (say("start.done"),) if ctx.citizen.opted_out else ()
        if argument in words.START_FLOWS:
            opened = self.enter(argument, {}, ctx)
            opened = replace(opened, thread=_opened(opened))
        else:
            opened = self.enter(MENU, {}, ctx)
            greeting += _status_says(argument, ctx) if argument else ()
        return replace(opened, says=greeting, commands=(opt_in,))

    def _global(self, command: words.Global, current: Conversation, ctx: Lookup) -> Turn:
        again = self.ask(current, ctx) if current.flow else None
        if command.name == "help":
            return Turn(current, (say("help.text"),), again)
        if command.name == "status" and (command.argument or not onboarded(ctx)):
            return Turn(current, _status_says(command.argument, ctx), again)
        if command.name == "language":
            draft = {"flow": current.flow, "state": current.state, "data": dict(current.data)}
            keep = current.flow not in (None, MENU, ONBOARDING, RESUME)
            return self.enter(ONBOARDING, {"only_language": True,
                                           **({"return_to": draft} if keep else {})}, ctx)
        if command.name == "commune" and ctx.citizen.bound_commune_id is None:
            return self.enter(ONBOARDING, {"only_commune": True}, ctx)
        if command.name == "link":
            return self._link(command.argument, current, ctx)
        if command.name == "stop":
            opt_out = UpdateProfile(ctx.citizen.id, {"broadcast_opt_out": True})
            return Turn(current, (say("stop.done"),), again, (opt_out,))
        if command.name == "open" and onboarded(ctx):
            opened = self.enter(command.argument, {}, ctx)
            return replace(opened, thread=_opened(opened))
        if not onboarded(ctx):
            wanted = command.argument if command.argument in words.START_FLOWS else None
            return self.enter(ONBOARDING, {"then": wanted} if wanted else {}, ctx)
        if command.name == "start":
            return self._start(command.argument, ctx)
        if command.name == "status":
            return self.enter("followup", {}, ctx)
        if command.name == "cancel" and current.flow not in (None, MENU):
            return replace(self.enter(MENU, {}, ctx), says=(say("cancel.done"),))
        return self.enter(MENU, {}, ctx)


    def _link(self, code: str, current: Conversation, ctx: Lookup) -> Turn:
        """LIER: a code to send from the other channel; LIER 482913, sent from it: whose
        account it joins, asked before they become one citizen (before onboarding too: the
        other channel's citizen brings their answers)."""
        identity = ctx.citizen.identity_id
        again = self.ask(current, ctx) if current.flow else None
        if not code:
            return Turn(current, (say("link.code"),), again, (IssueLinkCode(identity),))
        target = ctx.link_target(code)
        if target is None:  # refused, with why (and a wrong try counted)
            return Turn(current, (), again, (UseLinkCode(identity, code),))
        return self.enter(LINK, {"code": code, "target": target}, ctx)


def _opened(turn: Turn) -> str | None:
    """The thread of the filing flow a turn has just entered, if it entered one."""
    entered = turn.conversation
    return thread_in(entered.data) if entered.flow in FILING_FLOWS else None


def _status_says(argument: str, ctx: Lookup) -> tuple[Say, ...]:
    if not argument:
        return (say("status.usage"),)
    found = ctx.submission(argument)
    if found is None:
        return (say("error.submission_not_found", reference=argument.upper()),)
    return status_lines(found)


def _return_to(current: Conversation) -> Conversation | None:
    saved = current.data.get("return_to")
    if not saved:
        return None
    return Conversation(flow=saved["flow"], state=saved["state"], data=saved["data"])


def msg_to_data(msg: Msg) -> dict[str, Any]:
    """A message as plain data, to keep in a conversation's state."""
    location = msg.location
    return {"kind": msg.kind, "text": msg.text, "place_text": msg.place_text,
            "location": [location.latitude, location.longitude] if location else None,
            "attachments": [[a.id, a.kind, a.content_type] for a in msg.attachments]}


def msg_from_data(data: Mapping[str, Any]) -> Msg:
    location = data.get("location")
    return Msg(kind=data["kind"], text=data.get("text", ""), place_text=data.get("place_text"),
               location=Point(location[0], location[1]) if location else None,
               attachments=tuple(AttachmentRef(int(i), k, c) for i, k, c in
                                 data.get("attachments", [])))


def _resume_prompt(current: Conversation) -> Prompt:
    return prompt(say("resume.ask", flow=say(f"flow.{current.data.get('flow')}")),
                  options=[Option("continue", say("resume.continue")),
                           Option("menu", say("resume.menu"))])


def default_hint(msg: Msg, asked: Prompt | None) -> Say:
    """A short helpful reply for input the step could not use."""
    if msg.kind == "sticker":
        return say("error.sticker")
    if msg.kind in ("other",) or (msg.kind == "text" and not msg.text):
        return say("error.empty")
    if asked is not None and asked.options:
        if msg.kind == "text" and msg.text.strip().isdigit():
            return say("error.choose_number", count=len(asked.options))
        return say("error.choose")
    if msg.kind != "text":
        return say("error.text_expected")
    return say("error.not_understood")
