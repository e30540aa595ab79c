"""A tiny CTC model built here for tests, and the notes it hears: nothing downloaded or trained.

The model cuts the waveform into 20 ms frames and measures in each the energy at one frequency
per token, against a sine and a cosine template so that the phase does not matter. A token's
logit is the log of its energy; the blank's is the log of a fixed floor, so a silent frame is
blank. Every frequency is a multiple of 50 Hz, a whole number of cycles in a frame: a template
is deaf to the other tokens' tones and to a constant offset. A note made of one tone per token,
each lasting whole frames, is heard token by token at any loudness over the floor, so
normalising it to unit variance (as the backend does) changes nothing but that loudness.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FRAME_SECONDS = 0.02
FLOOR = 100.0  # the blank's energy: a tone of amplitude 0.3 in a 16 kHz frame has 2,304
EPSILON = 1e-6  # keeps log() finite in silence
MARGIN_SECONDS = 0.1  # silence before and after a note
# Each token's tone; the blank and any other token have none
TONES = {"<s>": 300, "</s>": 450, "<unk>": 600, "|": 750, "a": 900, "l": 1050, "o": 1200,
         "m": 1350, "i": 1500, "d": 1650, "e": 1800, "[UNK]": 600}
# Hugging Face's layout: the blank <pad> first, specials, the word delimiter, letters
VOCAB = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, "a": 5, "l": 6, "o": 7, "m": 8,
         "i": 9, "d": 10, "e": 11}
# sherpa-onnx's: the blank is <blk>
SHERPA_VOCAB = {("<blk>" if token == "<pad>" else token): index
                for token, index in VOCAB.items()}
# Hugging Face's fine-tuning recipe: letters first, then [UNK] and the blank [PAD] last
RECIPE_VOCAB = {"|": 0, "a": 1, "d": 2, "e": 3, "i": 4, "l": 5, "m": 6, "o": 7, "[UNK]": 8,
                "[PAD]": 9}


def build(vocab: Mapping[str, int], *, rate: int = 16_000,
          attention_mask: bool = False) -> onnx.ModelProto:
    """The model: waveform [1, samples] (times attention_mask if declared) → logits
    [1, frames, vocabulary]; the samples after the last whole frame are dropped."""
    frame = int(rate * FRAME_SECONDS)
    nodes = [*_masked(attention_mask), *_framed(frame), *_energies()]
    inputs = [helper.make_tensor_value_info("input_values", TensorProto.FLOAT, [1, "samples"])]
    if attention_mask:
        inputs.append(helper.make_tensor_value_info("attention_mask", TensorProto.INT64,
                                                    [1, "samples"]))
    output = helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                           [1, "frames", len(vocab)])
    graph = helper.make_graph(nodes, "tiny_ctc", inputs, [output],
                              initializer=_weights(vocab, rate, frame))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _masked(attention_mask: bool) -> list[onnx.NodeProto]:
    """`waveform`: the input, multiplied by the attention mask when there is one."""
    if not attention_mask:
        return [helper.make_node("Identity", ["input_values"], ["waveform"])]
    return [helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["input_values", "mask"], ["waveform"])]


def _framed(frame: int) -> list[onnx.NodeProto]:
    """`frames` [1, T, frame]: the waveform's whole frames, the rest dropped."""
    return [helper.make_node("Shape", ["waveform"], ["shape"]),
            helper.make_node("Slice", ["shape", "one", "two"], ["length"]),
            helper.make_node("Div", ["length", "frame"], ["count"]),
            helper.make_node("Mul", ["count", "frame"], ["usable"]),
            helper.make_node("Slice", ["waveform", "zero", "usable", "one"], ["whole"]),
            helper.make_node("Reshape", ["whole", "frame_shape"], ["frames"])]


def _energies() -> list[onnx.NodeProto]:
    """`logits`: log(energy at each token's frequency + its floor)."""
    return [helper.make_node("MatMul", ["frames", "sines"], ["sine"]),
            helper.make_node("MatMul", ["frames", "cosines"], ["cosine"]),
            helper.make_node("Mul", ["sine", "sine"], ["sine2"]),
            helper.make_node("Mul", ["cosine", "cosine"], ["cosine2"]),
            helper.make_node("Add", ["sine2", "cosine2"], ["energy"]),
            helper.make_node("Add", ["energy", "floors"], ["floored"]),
            helper.make_node("Log", ["floored"], ["logits"])]


def _weights(vocab: Mapping[str, int], rate: int, frame: int) -> list[TensorProto]:
    """The graph's constants: the templates, the floors, the framing numbers."""
    size = max(vocab.values()) + 1
    sines, cosines = np.zeros((frame, size)), np.zeros((frame, size))
    floors = np.full(size, EPSILON)
    for token, index in vocab.items():
        if token in TONES:
            phase = 2 * np.pi * TONES[token] * np.arange(frame) / rate
            sines[:, index], cosines[:, index] = np.sin(phase), np.cos(phase)
        elif token in ("<pad>", "<blk>", "[PAD]"):
            floors[index] = FLOOR
    return [_constant("sines", sines),
            _constant("cosines", cosines),
            _constant("floors", floors),
            _constant("frame", np.array([frame], dtype=np.int64)),
            _constant("frame_shape", np.array([1, -1, frame], dtype=np.int64)),
            _constant("zero", np.array([0], dtype=np.int64)),
            _constant("one", np.array([1], dtype=np.int64)),
            _constant("two", np.array([2], dtype=np.int64))]


def _constant(name: str, values: np.ndarray) -> TensorProto:
    if values.dtype == np.float64:
        values = values.astype(np.float32)
    return numpy_helper.from_array(values, name)


def write_model(folder: Path, *, vocab: Mapping[str, int] = VOCAB, rate: int = 16_000,
                tokens_txt: bool = False, attention_mask: bool = False,
                do_normalize: bool = True) -> Path:
    """A model folder as the backend reads it: model.onnx, vocab.json (or sherpa-onnx's
    tokens.txt) and preprocessor_config.json."""
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(build(vocab, rate=rate, attention_mask=attention_mask), str(folder / "model.onnx"))
    if tokens_txt:
        lines = [f"{token} {index}\n" for token, index in vocab.items()]
        (folder / "tokens.txt").write_text("".join(lines), encoding="utf-8")
    else:
        (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    config = {"feature_extractor_type": "Wav2Vec2FeatureExtractor", "feature_size": 1,
              "do_normalize": do_normalize, "sampling_rate": rate, "padding_value": 0.0,
              "return_attention_mask": attention_mask}
    (folder / "preprocessor_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def spell(text: str, *, blank: str = "<pad>") -> list[str]:
    """The tokens a CTC model emits for a text, a blank after each: "allo" → a _ l _ l _ o _."""
    return [token for char in text for token in ("|" if char == " " else char, blank)]


def note(tokens: Sequence[str], *, rate: int = 16_000, frames: int = 3,
         amplitude: float = 0.3) -> np.ndarray:
    """A note the tiny model hears as `tokens`: each token's tone (silence for a token without
    one) for `frames` frames, between two margins of silence."""
    length = int(rate * FRAME_SECONDS) * frames
    t = np.arange(length) / rate
    margin = np.zeros(int(rate * MARGIN_SECONDS))
    tones = [amplitude * np.sin(2 * np.pi * TONES[token] * t) if token in TONES
             else np.zeros(length) for token in tokens]
    return np.concatenate([margin, *tones, margin]).astype(np.float32)
