"""A voice note where a flow wants words: a worker hears it, the citizen confirms what it said.

A flow adds two states, LISTENING (waiting for the worker) and HEARD (« J'ai compris : … »),
and says where to go back for another try and what to do with the description. Waiting never
blocks the citizen: they may keep the audio without text or type instead, and a note that
could not be heard well stays attached for the moderators to listen to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum

from core.commands import TranscribeVoice
from dialogs.engine import Data, Lookup, Msg, Option, Prompt, Say, StateSpec, Step, prompt, say
from dialogs.flows.common import check_text, voice_of

Done = Callable[[Data, Lookup], Step]
# Why a note gave no words (core.ports.TranscriptionError.reason, or "unclear" for low
# confidence); each has its message "voice.<reason>".
REASONS = ("too_long", "undecodable", "empty", "silent", "no_model", "failed", "unclear")
SAY_AGAIN = ("silent", "empty")  # nothing was heard: better to record it again


@dataclass(frozen=True)
class Listening:
    """The voice states of one flow: where they sit, where to retry, what comes after."""

    listening: Enum
    heard: Enum
    again: Enum  # the state that asked for the description
    done: Done  # the description (maybe "") is in data["description"]

    def start(self, data: Data, msg: Msg, ctx: Lookup) -> Step | None:
        """A voice note, when a worker can hear it: wait for the words; None otherwise."""
        voice = voice_of(msg)
        if voice is None or not ctx.transcribes:
            return None
        attached = [*data.get("attachment_ids", []), voice]
        listen = TranscribeVoice(voice, ctx.citizen.id, ctx.citizen.speaks)
        return Step.to(self.listening, {**data, "attachment_ids": attached, "listening": voice,
                                        "voice": True}, say("voice.listening"),
                       commands=(listen,))

    def specs(self) -> dict[Enum, StateSpec]:
        return {self.listening: StateSpec(ask_listening, self.on_listening),
                self.heard: StateSpec(ask_heard, self.on_heard)}

    def on_listening(self, data: Data, msg: Msg, ctx: Lookup) -> Step:
        heard = msg.heard
        if heard is not None and heard.attachment_id == data.get("listening"):
            return self._heard(data, ctx, heard.text if heard.confident else "", heard.reason)
        return self._instead(data, msg, ctx) or Step.stay(say("voice.still_listening"))

    def _heard(self, data: Data, ctx: Lookup, text: str, reason: str | None) -> Step:
        waited = _without(data, "listening")
        if text:
            return Step.to(self.heard, {**waited, "heard": text})
        if reason in SAY_AGAIN:
            return Step.to(self.again, _drop_voice(waited, data["listening"]),
                           say(f"voice.{reason}"))
        known = reason if reason in REASONS else "unclear"
        return self._finish(waited, ctx, "", say(f"voice.{known}"))

    def on_heard(self, data: Data, msg: Msg, ctx: Lookup) -> Step:
        if msg.choice == "yes":
            return self._finish(data, ctx, data.get("heard", ""))
        if msg.choice == "keep":
            return self._finish(data, ctx, "", say("voice.kept"))
        if msg.choice == "retry":
            voice = data["attachment_ids"][-1]
            return Step.to(self.again, _drop_voice(_without(data, "heard"), voice),
                           say("voice.again"))
        return self._instead(data, msg, ctx) or Step.stay()

    def _instead(self, data: Data, msg: Msg, ctx: Lookup) -> Step | None:
        """While waiting or confirming: keep the audio, another note, or typed words."""
        if msg.choice == "keep":
            return self._finish(data, ctx, "", say("voice.kept"))
        another = self.start(_without(data, "listening", "heard"), msg, ctx)
        if another is not None:
            return another
        if msg.kind == "text" and msg.choice is None and check_text(msg) is None:
            return self._finish(data, ctx, msg.text.strip())
        return None

    def _finish(self, data: Data, ctx: Lookup, description: str, *says: Say) -> Step:
        step = self.done({**_without(data, "listening", "heard"), "description": description},
                         ctx)
        return replace(step, says=says + step.says)


def ask_listening(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("voice.waiting"), options=[Option("keep", say("voice.keep"))])


def ask_heard(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("voice.heard", text=data.get("heard", "")),
                  options=[Option("yes", say("voice.yes")), Option("retry", say("voice.retry")),
                           Option("keep", say("voice.keep"))])


def _without(data: Data, *keys: str) -> dict[str, object]:
    return {k: v for k, v in data.items() if k not in keys}


def _drop_voice(data: Data, voice: int) -> dict[str, object]:
    kept = [a for a in data.get("attachment_ids", []) if a != voice]
    return {**_without(data, "voice"), "attachment_ids": kept}
