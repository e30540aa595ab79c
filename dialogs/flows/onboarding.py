"""First contact: the language spoken, commune, consent, then optional inclusion questions.

The citizen picks the language they speak among those the operator lists
(PALABRE_SPOKEN_LANGUAGES: French, English, Fon, Yoruba, Goun…); their voice notes are heard in
it. They read it too when it has a catalog; otherwise what they already read, French at first.
"""

from __future__ import annotations

from enum import Enum

from core.commands import UpdateProfile
from dialogs.engine import (
    Data,
    Flow,
    Lookup,
    Msg,
    Option,
    Prompt,
    Say,
    StateSpec,
    Step,
    prompt,
    say,
)
from dialogs.flows.common import options, picked


class S(Enum):
    LANGUAGE = "LANGUAGE"
    COMMUNE = "COMMUNE"
    CONSENT = "CONSENT"
    GENDER = "GENDER"
    AGE = "AGE"
    DISABILITY = "DISABILITY"
    VOICE_DATA = "VOICE_DATA"


GENDERS = ("woman", "man", "other")
AGE_BANDS = ("under_18", "18_24", "25_34", "35_49", "50_plus")
DISABILITY = ("yes", "no")


def first_state(data: Data, ctx: Lookup) -> S:
    citizen = ctx.citizen
    if data.get("only_language") or not citizen.language_chosen:
        return S.LANGUAGE
    if data.get("only_commune") or not (citizen.commune_id or citizen.bound_commune_id):
        return S.COMMUNE
    return S.CONSENT


def _after_profile(data: Data, ctx: Lookup, *, commune_known: bool, command: UpdateProfile,
                   told: Say | None = None) -> Step:
    said = (told,) if told else ()
    if not commune_known and not (ctx.citizen.commune_id or ctx.citizen.bound_commune_id):
        return Step.to(S.COMMUNE, data, *said, commands=(command,))
    if not ctx.citizen.consented:
        return Step.to(S.CONSENT, data, *said, commands=(command,))
    return Step.finish(*said, say("onboarding.done"), commands=(command,))


def ask_language(data: Data, ctx: Lookup) -> Prompt:
    opening = say("language.ask") if data.get("only_language") else say("onboarding.welcome")
    return prompt(opening, options=options(ctx.spoken_languages(), "lang"))


def on_language(data: Data, msg: Msg, ctx: Lookup) -> Step:
    spoken = picked(msg, "lang")
    if spoken is None:
        return Step.stay()
    reading = _reading(spoken, ctx)
    command = UpdateProfile(ctx.citizen.id, {"spoken_language": spoken, "language": reading})
    names = dict(ctx.spoken_languages())
    told = (say("language.done") if spoken == reading
            else say("language.spoken_only", language=names.get(spoken, spoken)))
    if data.get("only_language") and _complete(ctx):
        return Step.finish(told, commands=(command,))
    kept = {"then": data["then"]} if data.get("then") else {}  # where a link leads after
    return _after_profile(kept, ctx, commune_known=False, command=command,
                          told=None if spoken == reading else told)


def _reading(spoken: str, ctx: Lookup) -> str:
    """What a speaker of `spoken` reads: it, if it has a catalog; else what they read
    already, French for a newcomer."""
    catalogs = [language for language, _ in ctx.languages()]  # French first
    if spoken in catalogs:
        return spoken
    return ctx.citizen.language if ctx.citizen.language_chosen else catalogs[0]


def _complete(ctx: Lookup) -> bool:
    citizen = ctx.citizen
    return citizen.consented and bool(citizen.commune_id or citizen.bound_commune_id)


def ask_commune(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("onboarding.commune.ask"), options=options(ctx.communes(), "commune"))


def on_commune(data: Data, msg: Msg, ctx: Lookup) -> Step:
    commune_id = picked(msg, "commune")
    if commune_id is None and msg.kind == "text" and msg.text:
        found = ctx.find_commune(msg.text)
        if found is None:
            return Step.stay(say("onboarding.commune.unknown", text=msg.text[:60]))
        commune_id = found[0]
    if commune_id is None:
        return Step.stay()
    command = UpdateProfile(ctx.citizen.id, {"commune_id": commune_id})
    return _after_profile(data, ctx, commune_known=True, command=command)


def ask_consent(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("onboarding.consent.ask"),
                  options=[Option("accept", say("onboarding.consent.accept")),
                           Option("refuse", say("onboarding.consent.refuse"))])


def on_consent(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice == "refuse":
        return Step.finish(say("onboarding.consent.refused"), then_menu=False)
    if msg.choice != "accept":
        return Step.stay()
    command = UpdateProfile(ctx.citizen.id, {"consent_at": ctx.now})
    return Step.to(S.GENDER, data, say("onboarding.consent.thanks"), commands=(command,))


def _inclusion_ask(key: str, values: tuple[str, ...]) -> StateSpec:
    def ask(data: Data, ctx: Lookup) -> Prompt:
        choices = [Option(f"v:{v}", say(f"onboarding.{key}.{v}")) for v in values]
        choices += [Option("skip", say("common.skip")), Option("skip_all", say("common.skip_all"))]
        return prompt(say(f"onboarding.{key}.ask"), options=choices)
    return StateSpec(ask=ask, handle=lambda data, msg, ctx: _on_inclusion(key, data, msg, ctx))


_FIELDS = {"gender": ("gender", S.AGE), "age": ("age_band", S.DISABILITY),
           "disability": ("disability", S.VOICE_DATA)}


def _on_inclusion(key: str, data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice == "skip_all":
        return Step.finish(say("onboarding.done"))
    value = picked(msg, "v")
    if value is None and msg.choice != "skip":
        return Step.stay()
    field, following = _FIELDS[key]
    commands = (UpdateProfile(ctx.citizen.id, {field: value}),) if value else ()
    if following is None:
        return Step.finish(say("onboarding.done"), commands=commands)
    return Step.to(following, data, commands=commands)


def ask_voice_data(data: Data, ctx: Lookup) -> Prompt:
    """Whether their voice notes, with the mairie's corrected text, may train speech models
    for the language they speak (asked last, optional; changed in « mes données »)."""
    language = dict(ctx.spoken_languages()).get(ctx.citizen.speaks, ctx.citizen.speaks)
    return prompt(say("onboarding.voice_data.ask", language=language),
                  options=[Option("v:yes", say("onboarding.voice_data.yes")),
                           Option("v:no", say("onboarding.voice_data.no"))])


def on_voice_data(data: Data, msg: Msg, ctx: Lookup) -> Step:
    answer = picked(msg, "v")
    if answer is None:
        return Step.stay()
    commands = (UpdateProfile(ctx.citizen.id, {"voice_data_consent_at": ctx.now}),) \
        if answer == "yes" else ()
    return Step.finish(say("onboarding.done"), commands=commands)


FLOW = Flow(
    name="onboarding",
    start=S.LANGUAGE,
    first_state=first_state,
    states={
        S.LANGUAGE: StateSpec(ask_language, on_language),
        S.COMMUNE: StateSpec(ask_commune, on_commune),
        S.CONSENT: StateSpec(ask_consent, on_consent),
        S.GENDER: _inclusion_ask("gender", GENDERS),
        S.AGE: _inclusion_ask("age", AGE_BANDS),
        S.DISABILITY: _inclusion_ask("disability", DISABILITY),
        S.VOICE_DATA: StateSpec(ask_voice_data, on_voice_data),
    },
)
