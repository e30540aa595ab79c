"""Reporting a problem on public property: category, place, photo, description (typed, or a
voice note heard and confirmed), confirm."""

from __future__ import annotations

from enum import Enum
from typing import Any

from core.commands import FollowSubmission, SubmitReport
from core.communes.centres import elsewhere
from core.geo import Point, in_benin
from dialogs.engine import Data, Flow, Lookup, Msg, Option, Prompt, StateSpec, Step, prompt, say
from dialogs.flows.common import check_text, commune_of, options, picked, skip, voice_of
from dialogs.flows.voice import Listening
from dialogs.views import one_line


class S(Enum):
    CATEGORY = "CATEGORY"
    LOCATION = "LOCATION"
    FAR_PIN = "FAR_PIN"
    ARRONDISSEMENT = "ARRONDISSEMENT"
    PLACE = "PLACE"
    PHOTO = "PHOTO"
    DESCRIPTION = "DESCRIPTION"
    LISTENING = "LISTENING"
    HEARD = "HEARD"
    SIMILAR = "SIMILAR"
    CONFIRM = "CONFIRM"


def ask_category(data: Data, ctx: Lookup) -> Prompt:
    categories = ctx.categories(commune_of(ctx))
    return prompt(say("report.category.ask"), options=options(categories, "cat"))


def on_category(data: Data, msg: Msg, ctx: Lookup) -> Step:
    chosen = picked(msg, "cat")
    if chosen is None:
        return Step.stay()
    label = dict(ctx.categories(commune_of(ctx))).get(int(chosen), "")
    return Step.to(S.LOCATION, {**data, "category_id": int(chosen), "category": label})


def ask_location(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("report.location.ask"),
                  options=options(ctx.arrondissements(commune_of(ctx)), "arr"), expects="location")


def on_location(data: Data, msg: Msg, ctx: Lookup) -> Step:
    """Take a pin, an arrondissement (number or name), or a place to situate later."""
    if msg.location is not None:
        if not in_benin(msg.location):
            return Step.stay(say("report.location.outside"))
        pin = {"latitude": msg.location.latitude, "longitude": msg.location.longitude,
               "place_text": msg.place_text}
        far = elsewhere(commune_of(ctx), msg.location)
        if far is not None:  # another commune's pin, most likely: asked before it is kept
            return Step.to(S.FAR_PIN, {**data, **pin, "far": [far.commune, far.km,
                                                             far.nearest]})
        return Step.to(S.PHOTO, {**data, **pin}, say("report.location.thanks"))
    arrondissement = _arrondissement(msg, ctx)
    if arrondissement is not None:
        return Step.to(S.PLACE, {**data, **arrondissement})
    if msg.text.isdigit():  # a number beyond the list: say how many there are
        return Step.stay()
    problem = check_text(msg, minimum=3, maximum=300)
    if problem is not None:
        return Step.stay(problem if msg.kind in ("text", "sticker") else
                         say("report.location.retry"))
    return Step.to(S.ARRONDISSEMENT, {**data, "place_text": msg.text.strip()})


def ask_far_pin(data: Data, ctx: Lookup) -> Prompt:
    commune, km, nearest = data["far"]
    return prompt(say("report.location.far", commune=commune, km=km, nearest=nearest),
                  options=[Option("keep", say("report.location.far.keep")),
                           Option("again", say("report.location.far.again"))])


def on_far_pin(data: Data, msg: Msg, ctx: Lookup) -> Step:
    """Keep the pin as it is, or drop it and situate the problem again (a new pin sent
    straight away is taken as the answer)."""
    kept = {k: v for k, v in data.items() if k != "far"}
    if msg.choice == "keep":
        return Step.to(S.PHOTO, kept, say("report.location.thanks"))
    if msg.location is not None:
        return on_location(kept, msg, ctx)
    if msg.choice == "again":
        pinless = {k: v for k, v in kept.items() if k not in ("latitude", "longitude",
                                                              "place_text")}
        return Step.to(S.LOCATION, pinless)
    return Step.stay()


def _arrondissement(msg: Msg, ctx: Lookup) -> dict[str, Any] | None:
    chosen = picked(msg, "arr")
    names = dict(ctx.arrondissements(commune_of(ctx)))
    if chosen is not None:
        return {"arrondissement_id": chosen, "arrondissement": names.get(chosen, "")}
    if msg.kind == "text" and msg.text:
        found = ctx.match_arrondissement(commune_of(ctx), msg.text)
        if found is not None:
            return {"arrondissement_id": found[0], "arrondissement": found[1]}
    return None


def ask_arrondissement(data: Data, ctx: Lookup) -> Prompt:
    choices = options(ctx.arrondissements(commune_of(ctx)), "arr")
    return prompt(say("report.arrondissement.ask", place=data.get("place_text", "")),
                  options=[*choices, Option("unknown", say("report.arrondissement.unknown"))])


def on_arrondissement(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice == "unknown":
        return Step.to(S.PHOTO, data)
    arrondissement = _arrondissement(msg, ctx)
    if arrondissement is None:
        return Step.stay()
    return Step.to(S.PHOTO, {**data, **arrondissement})


def ask_place(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("report.place.ask", arrondissement=data.get("arrondissement", "")),
                  options=[skip()])


def on_place(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice == "skip":
        return Step.to(S.PHOTO, data)
    problem = check_text(msg, minimum=2, maximum=300)
    if problem is not None:
        return Step.stay(problem)
    return Step.to(S.PHOTO, {**data, "place_text": msg.text.strip()})


def ask_photo(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("report.photo.ask"), options=[skip("report.photo.skip")])


def on_photo(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice == "skip":
        return Step.to(S.DESCRIPTION, data)
    photo = msg.attachment("photo") or next(
        (a for a in msg.attachments if a.content_type.startswith("image/")), None)
    if photo is None:
        return Step.stay(say("report.photo.retry"))
    attached = [*data.get("attachment_ids", []), photo.id]
    return Step.to(S.DESCRIPTION, {**data, "attachment_ids": attached, "photo": True},
                   say("report.photo.thanks"))


def ask_description(data: Data, ctx: Lookup) -> Prompt:
    return prompt(say("report.description.ask"))


def on_description(data: Data, msg: Msg, ctx: Lookup) -> Step:
    listening = VOICE.start(data, msg, ctx)
    if listening is not None:
        return listening
    voice = voice_of(msg)
    if voice is not None:  # no worker hears voice notes here: the audio goes as it is
        described = {**data, "attachment_ids": [*data.get("attachment_ids", []), voice],
                     "voice": True, "description": ""}
    else:
        problem = check_text(msg)
        if problem is not None:
            return Step.stay(problem)
        described = {**data, "description": msg.text.strip()}
    return _offer_similar(described, ctx)


def _offer_similar(data: Data, ctx: Lookup) -> Step:
    similar = ctx.similar_reports(commune_of(ctx), data["category_id"], _point(data),
                                  data.get("arrondissement_id"))
    if similar:
        return Step.to(S.SIMILAR, {**data, "similar": [s.reference for s in similar]})
    return Step.to(S.CONFIRM, data)


def _point(data: Data) -> Point | None:
    if data.get("latitude") is None or data.get("longitude") is None:
        return None
    return Point(data["latitude"], data["longitude"])


def ask_similar(data: Data, ctx: Lookup) -> Prompt:
    views = [v for v in (ctx.submission(ref) for ref in data.get("similar", [])) if v]
    lines = tuple(one_line(v) for v in views)
    choices = [Option(f"follow:{v.reference}", say("report.similar.follow", reference=v.reference))
               for v in views]
    return prompt(say("report.similar.ask"), *lines,
                  options=[*choices, Option("new", say("report.similar.new"))])


def on_similar(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice == "new":
        return Step.to(S.CONFIRM, data)
    reference = picked(msg, "follow")
    if reference is None:
        return Step.stay()
    follow = FollowSubmission(ctx.citizen.id, reference)
    return Step.finish(say("report.similar.followed", reference=reference), commands=(follow,))


def ask_confirm(data: Data, ctx: Lookup) -> Prompt:
    summary = say("report.confirm.summary", category=data.get("category", ""),
                  place=_place(data), photo=say("common.yes" if data.get("photo") else "common.no"),
                  description=data.get("description") or say("report.confirm.voice"))
    return prompt(summary, say("report.confirm.visibility"),
                  options=[Option("send", say("report.confirm.send")),
                           Option("send_private", say("report.confirm.send_private")),
                           Option("cancel", say("report.confirm.cancel"))])


def _place(data: Data) -> str:
    parts = []
    if data.get("latitude") is not None:
        parts.append(f"{data['latitude']:.5f}, {data['longitude']:.5f}")
    for key in ("arrondissement", "place_text"):
        if data.get(key):
            parts.append(str(data[key]))
    return " — ".join(parts)


def on_confirm(data: Data, msg: Msg, ctx: Lookup) -> Step:
    if msg.choice == "cancel":
        return Step.finish(say("cancel.done"))
    if msg.choice not in ("send", "send_private"):
        return Step.stay()
    citizen = ctx.citizen
    command = SubmitReport(
        citizen_id=citizen.id, identity_id=citizen.identity_id, channel=citizen.channel,
        commune_id=commune_of(ctx), category_id=data["category_id"],
        description=data.get("description", ""), arrondissement_id=data.get("arrondissement_id"),
        latitude=data.get("latitude"), longitude=data.get("longitude"),
        place_text=data.get("place_text"), attachment_ids=tuple(data.get("attachment_ids", [])),
        public=msg.choice == "send")
    return Step.finish(say("report.done"), commands=(command,))


VOICE = Listening(listening=S.LISTENING, heard=S.HEARD, again=S.DESCRIPTION,
                  done=_offer_similar)

FLOW = Flow(
    name="report",
    start=S.CATEGORY,
    states={
        S.CATEGORY: StateSpec(ask_category, on_category),
        S.LOCATION: StateSpec(ask_location, on_location),
        S.FAR_PIN: StateSpec(ask_far_pin, on_far_pin),
        S.ARRONDISSEMENT: StateSpec(ask_arrondissement, on_arrondissement),
        S.PLACE: StateSpec(ask_place, on_place),
        S.PHOTO: StateSpec(ask_photo, on_photo),
        S.DESCRIPTION: StateSpec(ask_description, on_description),
        **VOICE.specs(),
        S.SIMILAR: StateSpec(ask_similar, on_similar),
        S.CONFIRM: StateSpec(ask_confirm, on_confirm),
    },
)
