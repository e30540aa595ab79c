"""Which backend and model hears which language, parsed from one settings string.

    fr=faster-whisper:bundled-base,yo=faster-whisper:bundled-base,
    fon=ctc:/srv/models/mms-fon,*=faster-whisper:bundled-base

Each item is `language=backend:model`; `*` hears every other language Whisper knows. A
Whisper model named or bundled only hears the languages Whisper was trained on, so routing Fon,
Goun, Adja, Bariba, Dendi or Mina to one is refused. A model given as a path is taken to be a
fine-tune for its route's language and accepted for any language; when Whisper has no token for
that language the model is left to pick its own (a fine-tune on one language always picks it)
and the transcript says the route's language. A `ctc` model (transcription.ctc: a wav2vec2 or
MMS fine-tune exported to ONNX) is a folder, one language's, and can be routed to any language
but `*`: it detects nothing.

The citizen's language is always decoded as that language when the chosen model knows it
(left to detection, a short French note comes back as Thai); detection is only for a note
whose language nobody knows. A language no route can hear is never handed to another
language's model: the note stays audio for the mairie.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core import languages
from transcription.models import BUNDLED, is_english_only, is_path

FALLBACK = "*"
CTC = "ctc"
BACKENDS = ("faster-whisper", "openai-whisper", CTC)
# Whisper's own language codes (tokenizer order), as faster-whisper and openai-whisper know them
WHISPER_LANGUAGES = frozenset("""
    af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw he
    hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl
    nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz
    vi yi yo zh yue""".split())


@dataclass(frozen=True)
class Route:
    """One language's backend and model; `*` detects the language."""

    language: str
    backend: str
    model: str

    @property
    def key(self) -> tuple[str, str]:
        """Routes with the same key share one loaded model."""
        return self.backend, self.model

    @property
    def forced_language(self) -> str | None:
        """The language to make the model hear, or None to let it choose."""
        if self.backend == CTC:
            return self.language  # a CTC model is its one language's
        return self.language if self.language in WHISPER_LANGUAGES else None

    def knows(self, language: str) -> bool:
        """Whether this route's model was trained on the language (Whisper's list)."""
        if is_english_only(self.model):
            return language == "en"
        return language in WHISPER_LANGUAGES


@dataclass(frozen=True)
class Choice:
    """The route for a note, and the language its model is told to hear (None: it detects)."""

    route: Route
    language: str | None


@dataclass(frozen=True)
class Routes:
    """The routing table: a route per language and an optional fallback."""

    by_language: Mapping[str, Route] = field(default_factory=dict)
    fallback: Route | None = None

    def choose(self, hint: str | None) -> Choice | None:
        """The hint's own route; else the fallback told to hear the hint's language, when
        its model knows it; for no hint, the fallback detecting; otherwise None."""
        language = normal_language(hint) if hint else None
        if language is not None and language in self.by_language:
            route = self.by_language[language]
            return Choice(route, route.forced_language)
        if self.fallback is None:
            return None
        if language is None:
            return Choice(self.fallback, None)
        return Choice(self.fallback, language) if self.fallback.knows(language) else None

    def all(self) -> list[Route]:
        """Every route, the fallback last."""
        return [*self.by_language.values(), *([self.fallback] if self.fallback else [])]


def normal_language(hint: str) -> str:
    """A language tag reduced to its lowercase primary subtag: "fr-BJ" → "fr"."""
    return hint.strip().replace("_", "-").split("-")[0].lower()


def parse_routes(setting: str) -> Routes:
    """The routing table a settings string describes; ValueError naming the first bad item."""
    by_language: dict[str, Route] = {}
    fallback = None
    for item in (part.strip() for part in setting.split(",")):
        if not item:
            continue
        route = parse_route(item)
        if route.language in by_language or (route.language == FALLBACK and fallback):
            raise ValueError(f"speech route {item!r}: {route.language} is routed twice")
        if route.language == FALLBACK:
            fallback = route
        else:
            by_language[route.language] = route
    return Routes(by_language, fallback)


def parse_route(item: str) -> Route:
    """One `language=backend:model` item, checked; ValueError naming it."""
    language, equals, target = (part.strip() for part in item.partition("="))
    backend, colon, model = (part.strip() for part in target.partition(":"))
    if not (equals and colon and language and backend and model):
        raise ValueError(f"speech route {item!r}: expected language=backend:model, "
                         "e.g. fr=faster-whisper:bundled-base")
    route = Route(language.lower(), backend.lower(), model)
    problem = _problem(route)
    if problem:
        raise ValueError(f"speech route {item!r}: {problem}")
    return route


def _problem(route: Route) -> str | None:
    """What is wrong with a route, or None."""
    if route.language != FALLBACK and not languages.is_code(route.language):
        return "the language must be an ISO 639 code such as fr, yo or fon, or * for the rest"
    if route.backend not in BACKENDS:
        return f"unknown backend {route.backend!r}; known: {', '.join(BACKENDS)}"
    return _model_problem(route) or _language_problem(route)


def _model_problem(route: Route) -> str | None:
    """A model the backend cannot load."""
    if route.backend == CTC and not is_path(route.model):
        return ("a ctc model is a folder path holding model.onnx and vocab.json (or "
                "tokens.txt), e.g. fon=ctc:/srv/models/mms-fon")
    if route.backend == "openai-whisper" and route.model in BUNDLED:
        return (f"{route.model} is a faster-whisper (CTranslate2) model; openai-whisper needs a "
                "model name such as small or a .pt checkpoint")
    if route.backend == "faster-whisper" and route.model.endswith(".pt"):
        return ("a .pt checkpoint is for openai-whisper; faster-whisper needs a CTranslate2 "
                "model folder, a model name or bundled-base")
    return None


def _language_problem(route: Route) -> str | None:
    """A language the model cannot hear."""
    if route.backend == CTC:
        return ("a ctc model hears its one language and cannot detect any: route it to that "
                "language, not *") if route.language == FALLBACK else None
    if is_english_only(route.model) and route.language not in ("en", FALLBACK):
        return f"{route.model} hears English only"
    if route.language in WHISPER_LANGUAGES or route.language == FALLBACK:
        return None
    if is_path(route.model):
        return None  # a fine-tuned model for that language
    return (f"Whisper does not know the language {route.language!r}; route it to a model "
            "fine-tuned for it (a path) or to another backend")
