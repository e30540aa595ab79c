"""The CTC backend end to end: a tiny ONNX model built here (tests/tiny_ctc.py) hears notes
made of its tones through onnxruntime, the real resampling, windowing and greedy decoding."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from onnx import TensorProto, helper

from core.ports import TranscriptionError
from tests import speech, tiny_ctc
from transcription.audio import SAMPLE_RATE, Audio, decode
from transcription.ctc import CtcOnnx, Frames, confidence, resample, windows

WORDS = "allo mama"


def audio(samples: np.ndarray) -> Audio:
    return Audio(samples, len(samples) / SAMPLE_RATE)


def sentence(blank: str = "<pad>") -> list[str]:
    """WORDS between <s> and </s>, an <unk> in the middle: the tokens a model would emit."""
    first, second = WORDS.split()
    return ["<s>", blank, *tiny_ctc.spell(first + " ", blank=blank), "<unk>", blank,
            *tiny_ctc.spell(second, blank=blank), "</s>"]


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return tiny_ctc.write_model(tmp_path / "ctc")


# --- what is heard ----------------------------------------------------------------------------


def test_a_note_is_heard_as_its_words(model: Path) -> None:
    heard = CtcOnnx(str(model)).hear(audio(tiny_ctc.note(sentence())), language="fon")

    assert heard.text == WORDS  # ll: a blank between; |: a space; <s>, <unk>, </s>: dropped


def test_a_letter_held_without_a_blank_between_is_heard_once(model: Path) -> None:
    held = tiny_ctc.note(["a", "l", "l", "o"], frames=2)

    assert CtcOnnx(str(model)).hear(audio(held), language="fon").text == "alo"


@pytest.mark.parametrize(("vocab", "blank", "tokens_txt"), [
    (tiny_ctc.SHERPA_VOCAB, "<blk>", True),
    (tiny_ctc.RECIPE_VOCAB, "[PAD]", False),
], ids=["sherpa-tokens.txt", "recipe-vocab.json-pad-last"])
def test_other_vocabularies_and_blanks(tmp_path: Path, vocab: dict[str, int], blank: str,
                                       tokens_txt: bool) -> None:
    folder = tiny_ctc.write_model(tmp_path / "ctc", vocab=vocab, tokens_txt=tokens_txt)
    note = tiny_ctc.note(sentence(blank))

    assert CtcOnnx(str(folder)).hear(audio(note), language="fon").text == WORDS


def test_a_model_that_asks_for_an_attention_mask_is_given_ones(tmp_path: Path) -> None:
    folder = tiny_ctc.write_model(tmp_path / "ctc", attention_mask=True)

    heard = CtcOnnx(str(folder)).hear(audio(tiny_ctc.note(sentence())), language="fon")

    assert heard.text == WORDS  # the graph multiplies the waveform by the mask


def test_a_model_at_8_khz_hears_the_note_resampled(tmp_path: Path) -> None:
    folder = tiny_ctc.write_model(tmp_path / "ctc8k", rate=8_000)

    heard = CtcOnnx(str(folder)).hear(audio(tiny_ctc.note(sentence())), language="fon")

    assert heard.text == WORDS


def test_an_8_khz_wav_file_is_decoded_then_heard(tmp_path: Path) -> None:
    folder = tiny_ctc.write_model(tmp_path / "ctc8k", rate=8_000)
    path = write_pcm_wav(tmp_path / "note.wav", tiny_ctc.note(sentence(), rate=8_000), 8_000)

    decoded = decode(path, max_seconds=60)
    heard = CtcOnnx(str(folder)).hear(decoded, language="fon")

    assert heard.text == WORDS
    assert decoded.duration_s == pytest.approx(len(sentence()) * 0.06 + 0.2, abs=0.01)


def test_a_quiet_note_is_heard_because_it_is_normalised(tmp_path: Path) -> None:
    quiet = audio(tiny_ctc.note(sentence(), amplitude=0.003))  # under the blank's floor
    normalised = tiny_ctc.write_model(tmp_path / "normalised")
    raw = tiny_ctc.write_model(tmp_path / "raw", do_normalize=False)

    assert CtcOnnx(str(normalised)).hear(quiet, language="fon").text == WORDS
    assert CtcOnnx(str(raw)).hear(quiet, language="fon").text == ""


@pytest.mark.parametrize("language", ["fon", "yo", None])
def test_the_language_given_is_the_language_returned(model: Path, language: str | None) -> None:
    heard = CtcOnnx(str(model)).hear(audio(tiny_ctc.note(sentence())), language=language)

    assert heard.language == language


# --- long notes -------------------------------------------------------------------------------


def test_a_note_longer_than_a_window_is_heard_whole(model: Path) -> None:
    text = " ".join([WORDS] * 4)
    long = tiny_ctc.note(tiny_ctc.spell(text))
    assert len(long) / SAMPLE_RATE > 4

    heard = CtcOnnx(str(model), window_seconds=1.0).hear(audio(long), language="fon")

    assert heard.text == text
    assert heard.confidence is not None and heard.confidence > 0.9


def test_windows_are_cut_in_silence_and_lose_nothing() -> None:
    samples = tiny_ctc.note(tiny_ctc.spell(" ".join([WORDS] * 4)))

    pieces = windows(samples, SAMPLE_RATE, 1.0)

    assert len(pieces) > 4
    assert all(len(piece) <= SAMPLE_RATE for piece in pieces)
    assert np.array_equal(np.concatenate(pieces), samples)
    for cut in np.cumsum([len(piece) for piece in pieces[:-1]]):
        assert not samples[cut - 160:cut + 160].any()  # the middle of a silent 20 ms


def test_a_note_shorter_than_a_window_is_one_window() -> None:
    samples = tiny_ctc.note(tiny_ctc.spell("a"))

    assert [len(piece) for piece in windows(samples, SAMPLE_RATE, 30.0)] == [len(samples)]


# --- resampling -------------------------------------------------------------------------------


def test_resampling_down_keeps_a_tone_and_stops_what_would_fold_back() -> None:
    kept = speech.tone(1.0, hertz=1_000)
    folding = speech.tone(1.0, hertz=6_000)  # over 8 kHz's Nyquist: would come back as 2 kHz

    assert len(resample(kept, 16_000, 8_000)) == 8_000
    assert rms(resample(kept, 16_000, 8_000)) == pytest.approx(rms(kept), rel=0.05)
    assert rms(resample(folding, 16_000, 8_000)) < rms(folding) / 100


def test_resampling_up_keeps_a_tone() -> None:
    low = speech.tone(1.0, rate=8_000, hertz=1_000)

    up = resample(low, 8_000, 16_000)

    assert len(up) == 16_000
    assert np.abs(up[100:-100] - speech.tone(1.0, hertz=1_000)[100:-100]).max() < 0.05


# --- confidence -------------------------------------------------------------------------------


def test_confidence_is_between_0_and_1_and_falls_with_noise(model: Path) -> None:
    clean = tiny_ctc.note(sentence())
    noise = np.random.default_rng(7).normal(0, 0.15, len(clean)).astype(np.float32)
    backend = CtcOnnx(str(model))

    sure = backend.hear(audio(clean), language="fon").confidence
    unsure = backend.hear(audio(clean + noise), language="fon").confidence

    assert sure is not None and unsure is not None
    assert 0.9 < sure <= 1.0
    assert 0.0 <= unsure < sure


def test_confidence_without_any_token_is_over_every_frame_and_none_without_frames() -> None:
    blank_only = Frames(np.array([0, 0, 0]), np.array([0.5, 0.7, 0.9]))
    nothing = Frames(np.array([], dtype=np.int64), np.array([]))

    assert confidence(blank_only, blank=0) == pytest.approx(0.7)
    assert confidence(nothing, blank=0) is None


def test_a_silent_note_is_heard_as_nothing(model: Path) -> None:
    heard = CtcOnnx(str(model)).hear(audio(np.zeros(SAMPLE_RATE, np.float32)), language="fon")

    assert heard.text == ""
    assert heard.confidence is not None and 0.0 <= heard.confidence <= 1.0


# --- models that cannot be used ---------------------------------------------------------------


def test_a_missing_folder_is_no_model(tmp_path: Path) -> None:
    backend = CtcOnnx(str(tmp_path / "absent"))

    with pytest.raises(TranscriptionError) as raised:
        backend.hear(audio(tiny_ctc.note(sentence())), language="fon")

    assert raised.value.reason == "no_model" and not raised.value.retryable
    assert "does not exist" in str(raised.value) and "model.onnx" in str(raised.value)


def test_a_folder_without_vocabulary_is_no_model_naming_it(model: Path) -> None:
    (model / "vocab.json").unlink()

    with pytest.raises(TranscriptionError) as raised:
        CtcOnnx(str(model)).hear(audio(tiny_ctc.note(sentence())), language="fon")

    assert raised.value.reason == "no_model"
    assert "lacks vocab.json or tokens.txt" in str(raised.value)


def test_a_damaged_model_file_is_a_retryable_failure(model: Path) -> None:
    (model / "model.onnx").write_bytes(b"\x08\x07not an onnx graph" * 10)

    with pytest.raises(TranscriptionError) as raised:
        CtcOnnx(str(model)).hear(audio(tiny_ctc.note(sentence())), language="fon")

    assert raised.value.reason == "failed" and raised.value.retryable


def test_a_model_that_does_not_take_a_waveform_is_no_model(model: Path) -> None:
    features = helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, "frames", 80])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "frames", 80])
    graph = helper.make_graph([helper.make_node("Identity", ["features"], ["logits"])], "mel",
                              [features], [logits])
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx_model.ir_version = 8
    (model / "model.onnx").write_bytes(onnx_model.SerializeToString())

    with pytest.raises(TranscriptionError) as raised:
        CtcOnnx(str(model)).hear(audio(tiny_ctc.note(sentence())), language="fon")

    assert raised.value.reason == "no_model" and "features" in str(raised.value)


def test_load_opens_the_model_before_any_note(model: Path) -> None:
    backend = CtcOnnx(str(model))
    backend.load()
    (model / "model.onnx").unlink()  # already loaded: the file is no longer needed

    assert backend.hear(audio(tiny_ctc.note(sentence())), language="fon").text == WORDS


# --- helpers ----------------------------------------------------------------------------------


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples[200:-200], dtype=np.float64))))


def write_pcm_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """16-bit mono PCM WAV written by PyAV (ffmpeg's muxer), at `rate`."""
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=rate, layout="mono")
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = rate
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def test_sentencepiece_pieces_open_words_as_sherpa_onnx_exports_spell_them() -> None:
    from transcription.ctc import Vocabulary

    pieces = Vocabulary({0: "<blk>", 1: "▁al", 2: "lo", 3: "▁ma", 4: "ma", 5: "<unk>"}, 0)

    assert pieces.text([1, 2, 5, 3, 4]) == "allo mama"
