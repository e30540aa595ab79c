"""First contact: language, commune, consent, then optional inclusion questions."""

from __future__ import annotations

from enum import Enum

from core.commands import UpdateProfile
from dialogs.engine import Data, Flow, Lookup, Msg, Option, Prompt, StateSpec, Step, prompt, say
from dialogs.flows.common import options, picked


class S(Enum):
    LANGUAGE = "LANGUAGE"
    COMMUNE = "COMMUNE"
    CONSENT = "CONSENT"
    GENDER = "GENDER"
    AGE = "AGE"
    DISABILITY = "DISABILITY"


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
                   ) -> Step:
    if not commune_known and not (ctx.citizen.commune_id or ctx.citizen.bound_commune_id):
        return Step.to(S.COMMUNE, data, commands=(command,))
    if not ctx.citizen.consented:
        return Step.to(S.CONSENT, data, commands=(command,))
    return Step.finish(say("onboarding.done"), commands=(command,))


def ask_language(data: Data, ctx: Lookup) -> Prompt:
    opening = say("language.ask") if data.get("only_language") else say("onboarding.welcome")
    return prompt(opening, options=options(ctx.languages(), "lang"))


def on_language(data: Data, msg: Msg, ctx: Lookup) -> Step:
    language = picked(msg, "lang")
    if language is None:
        return Step.stay()
    command = UpdateProfile(ctx.citizen.id, {"language": language})
    if data.get("only_language") and _complete(ctx):
        return Step.finish(say("language.done"), commands=(command,))
    kept = {"then": data["then"]} if data.get("then") else {}  # where a link leads after
    return _after_profile(kept, ctx, commune_known=False, command=command)


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
           "disability": ("disability", None)}


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
    },
)
