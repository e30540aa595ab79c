"""Speech to text with a CTC model (wav2vec2, MMS or XLS-R fine-tunes) exported to ONNX and run
by onnxruntime on the CPU.

A CTC model is one language's: it is told nothing and detects nothing, so `hear` returns the
language it was given. The model is a folder that holds:

    model.onnx                 waveform [1, samples] float32 (and, if it asks, attention_mask
                               [1, samples] int64) → logits [1, frames, vocabulary]
    vocab.json or tokens.txt   Hugging Face's {token: id}, or sherpa-onnx's "token id" lines
    preprocessor_config.json   optional, as config.json: do_normalize, sampling_rate

The note is resampled to the model's rate (16 kHz unless the folder says otherwise), then
normalised to zero mean and unit variance once for the whole note, as Hugging Face's feature
extractor does (a window normalised alone would blow a quiet stretch up into noise the model
reads as letters). It is heard in windows of at most 30 s, each ending at the quietest 20 ms of
the last second before its limit, so that a cut seldom falls inside a word. The windows' frames
are joined before greedy decoding (the best token per frame, repeats collapsed, blanks dropped),
so a letter cut in two still comes out once.

The blank is `<pad>` (Hugging Face), else `[PAD]` (Hugging Face's fine-tuning recipe), else
`<blk>` or `<blank>` (sherpa-onnx), else id 0. `|` separates words (as does sentencepiece's
`▁` opening a word, in sherpa-onnx's exports); the other bracketed tokens
(`<s>`, `</s>`, `<unk>`, `[UNK]`) are dropped.

Confidence is the mean, over the frames where a token was emitted (not the blank), of the
model's probability for it (its softmax maximum); over all frames when none was; None when the
model gave no frame.

A missing folder, file or onnxruntime, or a model that does not take a waveform, is `no_model`.
A model.onnx that onnxruntime cannot load (damaged, half copied) or a vocabulary that cannot be
read is, as for the Whisper backends, an engine failure: `failed`, retryable, since the worker's
retries are bounded and a file being replaced may load the next time. Nothing is downloaded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from transcription.audio import SAMPLE_RATE, Audio
from transcription.backends import Heard, LazyModel, failed
from transcription.models import ModelNotInstalled

MODEL_FILE = "model.onnx"
VOCABULARY_FILES = ("vocab.json", "tokens.txt")
CONFIG_FILES = ("config.json", "preprocessor_config.json")  # the later one's settings win
HOLDS = ("it must hold model.onnx and vocab.json (or sherpa-onnx's tokens.txt), and may hold "
         "preprocessor_config.json")
BLANKS = ("<pad>", "[PAD]", "<blk>", "<blank>")
WORD_DELIMITER = "|"
WORD_START = "\u2581"  # sentencepiece's ▁ before a word's first piece (sherpa-onnx exports)
MASK_INPUT = "attention_mask"
WINDOW_SECONDS = 30.0  # wav2vec2's attention over a whole window grows with its square
SEARCH_SECONDS = 1.0  # how far before a window's limit its quietest point is looked for
FRAME_SECONDS = 0.02  # a wav2vec2 frame, the step of that search
MIN_SECONDS = 0.1  # a shorter window is padded with silence: the convolutions need 25 ms
NORMALIZE_EPSILON = 1e-7  # as Hugging Face's Wav2Vec2FeatureExtractor
LOW_PASS_TAPS = 101
LOW_PASS_MARGIN = 0.9  # the filter's cutoff, as a share of the new Nyquist frequency


@dataclass(frozen=True)
class Preprocessing:
    """How the model wants its waveform: the sample rate, and whether normalised."""

    sampling_rate: int = SAMPLE_RATE
    do_normalize: bool = True


@dataclass(frozen=True)
class Vocabulary:
    """The model's tokens by id, and which id is the CTC blank."""

    tokens: Mapping[int, str]
    blank: int

    def text(self, ids: Sequence[int]) -> str:
        """The words decoded ids spell: `|` a space, bracketed special tokens dropped."""
        pieces = (self.tokens.get(token_id, "") for token_id in ids)
        spelled = "".join(" " if piece == WORD_DELIMITER else piece.replace(WORD_START, " ")
                          for piece in pieces if not is_special(piece))
        return " ".join(spelled.split())


@dataclass(frozen=True)
class Frames:
    """Per frame of model output: the most likely token id and its probability."""

    ids: np.ndarray
    probabilities: np.ndarray

    @classmethod
    def of(cls, logits: np.ndarray) -> Frames:
        """The best token of each row of [frames, vocabulary] logits, and its softmax."""
        if logits.ndim != 2:
            raise ValueError(f"expected logits [1, frames, vocabulary], got {logits.shape}")
        exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
        return cls(logits.argmax(axis=1), 1.0 / exponentials.sum(axis=1))

    @classmethod
    def joined(cls, parts: Sequence[Frames]) -> Frames:
        """The frames of consecutive windows, end to end."""
        return cls(np.concatenate([part.ids for part in parts]),
                   np.concatenate([part.probabilities for part in parts]))


@dataclass(frozen=True)
class Engine:
    """A loaded CTC model: its onnxruntime session, vocabulary and preprocessing."""

    session: Any
    input_name: str
    output_name: str
    wants_mask: bool
    vocabulary: Vocabulary
    preprocessing: Preprocessing

    def listen(self, samples: np.ndarray, *, window_seconds: float) -> Frames:
        """The model's frames for 16 kHz samples, window after window."""
        rate = self.preprocessing.sampling_rate
        waveform = prepared(samples, self.preprocessing)
        return Frames.joined([self.frames(padded(piece, rate))
                              for piece in windows(waveform, rate, window_seconds)])

    def frames(self, waveform: np.ndarray) -> Frames:
        """The model's frames for one window of prepared samples."""
        feed = {self.input_name: waveform.reshape(1, -1)}
        if self.wants_mask:
            feed[MASK_INPUT] = np.ones((1, len(waveform)), dtype=np.int64)
        logits = self.session.run([self.output_name], feed)[0]
        return Frames.of(np.asarray(logits, dtype=np.float32)[0])


class CtcOnnx:
    """A CTC model exported to ONNX, greedy-decoded on the CPU by onnxruntime."""

    name = "ctc"

    def __init__(self, model: str, *, cpu_threads: int = 0,
                 window_seconds: float = WINDOW_SECONDS) -> None:
        if window_seconds < MIN_SECONDS:
            raise ValueError(f"a ctc window must last at least {MIN_SECONDS} s")
        self.model = model
        self.window_seconds = window_seconds
        folder = Path(model).expanduser()
        self._lazy = LazyModel(lambda: load_engine(folder, cpu_threads=cpu_threads))

    def load(self) -> None:
        self._lazy.get()

    def hear(self, audio: Audio, *, language: str | None) -> Heard:
        engine: Engine = self._lazy.for_use(self.name)
        try:
            frames = engine.listen(audio.samples, window_seconds=self.window_seconds)
        except Exception as error:  # onnxruntime failing, MemoryError
            raise failed(self.name, "transcribing", error) from error
        blank = engine.vocabulary.blank
        text = engine.vocabulary.text(greedy(frames.ids, blank))
        return Heard(text, language, confidence(frames, blank))


# --- decoding ---------------------------------------------------------------------------------


def is_special(token: str) -> bool:
    """Whether a token is a bracketed special one such as <s>, <unk> or [UNK]."""
    return len(token) > 2 and (token[0], token[-1]) in (("<", ">"), ("[", "]"))


def greedy(ids: np.ndarray, blank: int) -> list[int]:
    """CTC's best path: repeats in a row collapsed into one, then blanks dropped."""
    if len(ids) == 0:
        return []
    starts = np.concatenate(([True], ids[1:] != ids[:-1]))
    return [int(token_id) for token_id in ids[starts] if token_id != blank]


def confidence(frames: Frames, blank: int) -> float | None:
    """The mean probability of the emitted frames' tokens (of all frames if none), in 0-1."""
    if len(frames.ids) == 0:
        return None
    emitted = frames.ids != blank
    chosen = frames.probabilities[emitted] if emitted.any() else frames.probabilities
    return float(np.clip(chosen.mean(), 0.0, 1.0))


# --- the waveform -----------------------------------------------------------------------------


def prepared(samples: np.ndarray, preprocessing: Preprocessing) -> np.ndarray:
    """16 kHz samples as the model wants them: at its rate, normalised if it asks."""
    waveform = resample(samples, SAMPLE_RATE, preprocessing.sampling_rate)
    return normalized(waveform) if preprocessing.do_normalize else waveform


def normalized(samples: np.ndarray) -> np.ndarray:
    """The samples at zero mean and unit variance."""
    if samples.size == 0:
        return samples
    mean, variance = samples.mean(dtype=np.float64), samples.var(dtype=np.float64)
    return ((samples - mean) / np.sqrt(variance + NORMALIZE_EPSILON)).astype(np.float32)


def resample(samples: np.ndarray, source: int, target: int) -> np.ndarray:
    """Samples at `source` Hz brought to `target` Hz by linear interpolation; going down, they
    are first low-passed under the new Nyquist frequency (what lies above would fold back)."""
    if source == target or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    if target < source:
        samples = np.convolve(samples, low_pass(LOW_PASS_MARGIN * target / source / 2),
                              mode="same")
    positions = np.arange(round(len(samples) * target / source)) * (source / target)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def low_pass(cutoff: float) -> np.ndarray:
    """A Hamming-windowed sinc filter passing what lies under `cutoff` cycles per sample."""
    offsets = np.arange(LOW_PASS_TAPS) - (LOW_PASS_TAPS - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * offsets) * np.hamming(LOW_PASS_TAPS)
    return kernel / kernel.sum()


def windows(samples: np.ndarray, rate: int, seconds: float) -> list[np.ndarray]:
    """The samples cut into windows of at most `seconds`, each cut at the quietest 20 ms of
    the last second before its limit (of its second half, for a window under 2 s)."""
    limit = int(seconds * rate)
    search = min(int(SEARCH_SECONDS * rate), limit // 2)
    frame = max(1, int(FRAME_SECONDS * rate))
    pieces: list[np.ndarray] = []
    start = 0
    while len(samples) - start > limit:
        end = quietest(samples, start + limit - search, start + limit, frame)
        pieces.append(samples[start:end])
        start = end
    return [*pieces, samples[start:]]


def quietest(samples: np.ndarray, low: int, high: int, frame: int) -> int:
    """The middle of the `frame`-long stretch of least energy between `low` and `high`."""
    count = (high - low) // frame
    if count == 0:
        return high
    stretches = samples[low:low + count * frame].reshape(count, frame)
    energy = np.square(stretches, dtype=np.float64).sum(axis=1)
    return low + int(np.argmin(energy)) * frame + frame // 2


def padded(waveform: np.ndarray, rate: int) -> np.ndarray:
    """A window at least MIN_SECONDS long, silence added after it."""
    short = int(MIN_SECONDS * rate) - len(waveform)
    return np.pad(waveform, (0, short)) if short > 0 else waveform


# --- loading ----------------------------------------------------------------------------------


def load_engine(folder: Path, *, cpu_threads: int) -> Engine:
    """The model in `folder`, opened; ModelNotInstalled saying what is missing or wrong."""
    model, vocabulary = model_files(folder)
    session = open_session(model, cpu_threads=cpu_threads)
    wants_mask = check_inputs(session, model)
    return Engine(session, session.get_inputs()[0].name, session.get_outputs()[0].name,
                  wants_mask, read_vocabulary(vocabulary), read_preprocessing(folder))


def model_files(folder: Path) -> tuple[Path, Path]:
    """The folder's model.onnx and vocabulary file, or ModelNotInstalled naming what lacks."""
    if not folder.is_dir():
        raise ModelNotInstalled(f"ctc model folder {folder} does not exist: {HOLDS}")
    model = folder / MODEL_FILE
    vocabularies = [folder / name for name in VOCABULARY_FILES if (folder / name).is_file()]
    missing = [] if model.is_file() else [MODEL_FILE]
    missing += [] if vocabularies else [" or ".join(VOCABULARY_FILES)]
    if missing:
        raise ModelNotInstalled(f"ctc model folder {folder} lacks {' and '.join(missing)}: "
                                f"{HOLDS}")
    return model, vocabularies[0]


def open_session(model: Path, *, cpu_threads: int) -> Any:
    """An onnxruntime session on the CPU, with `cpu_threads` threads when over 0."""
    try:
        import onnxruntime
    except ImportError as error:
        raise ModelNotInstalled("the ctc backend needs its package: pip install onnxruntime"
                                ) from error
    options = onnxruntime.SessionOptions()
    if cpu_threads > 0:
        options.intra_op_num_threads = cpu_threads
    return onnxruntime.InferenceSession(str(model), sess_options=options,
                                        providers=["CPUExecutionProvider"])


def check_inputs(session: Any, model: Path) -> bool:
    """Whether the model also wants an attention mask; ModelNotInstalled unless it takes a
    float waveform [batch, samples] first and nothing else but attention_mask."""
    inputs = session.get_inputs()
    names = [node.name for node in inputs]
    waveform = bool(inputs) and inputs[0].type == "tensor(float)" and len(inputs[0].shape) == 2
    if not waveform or names[1:] not in ([], [MASK_INPUT]):
        described = ", ".join(f"{node.name} {node.type} {node.shape}" for node in inputs)
        raise ModelNotInstalled(f"{model} takes {described or 'no input'}; the ctc backend "
                                "feeds a float waveform [1, samples] and, if asked, "
                                "attention_mask")
    return names[1:] == [MASK_INPUT]


def read_vocabulary(path: Path) -> Vocabulary:
    """vocab.json's or tokens.txt's tokens, and the blank among them."""
    tokens = json_tokens(path) if path.suffix == ".json" else listed_tokens(path)
    by_name = {token: token_id for token_id, token in tokens.items()}
    blank = next((by_name[name] for name in BLANKS if name in by_name), 0)
    return Vocabulary(tokens, blank)


def json_tokens(path: Path) -> dict[int, str]:
    """vocab.json's {token: id}; MMS's {language: {token: id}} only when it has one language."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data and all(isinstance(value, dict) for value in data.values()):
        if len(data) != 1:
            raise ModelNotInstalled(f"{path} holds the vocabularies of {', '.join(data)}: "
                                    "export the model with its one language's vocabulary")
        data = next(iter(data.values()))
    return {int(token_id): token for token, token_id in data.items()}


def listed_tokens(path: Path) -> dict[int, str]:
    """tokens.txt's "token id" lines (the token may itself be a space)."""
    tokens = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            token, _, token_id = line.rpartition(" ")
            tokens[int(token_id)] = token
    return tokens


def read_preprocessing(folder: Path) -> Preprocessing:
    """The sample rate and normalisation the folder's config files ask for, else 16 kHz and
    normalised."""
    settings: dict[str, Any] = {}
    for name in CONFIG_FILES:
        if (folder / name).is_file():
            settings.update(json.loads((folder / name).read_text(encoding="utf-8")))
    return Preprocessing(int(settings.get("sampling_rate", SAMPLE_RATE)),
                         bool(settings.get("do_normalize", True)))
