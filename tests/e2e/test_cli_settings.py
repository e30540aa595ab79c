"""A setting that cannot work is said in one line naming its variable (no traceback), and
`palabre models check` loads each transcription route and says which can hear."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from palabre.cli import main

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before faster-whisper loads huggingface_hub


@pytest.fixture
def env(settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PALABRE_MEDIA_DIR", str(settings.media_dir))
    monkeypatch.setenv("PALABRE_TRANSCRIPTION_MODEL_DIR", str(settings.media_dir / "models"))
    return monkeypatch


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("PALABRE_TRANSCRIPTION_ROUTES", "fon=whisper-magic",
     "PALABRE_TRANSCRIPTION_ROUTES: speech route 'fon=whisper-magic': expected "
     "language=backend:model"),
    ("PALABRE_LOG_LEVEL", "LOUD", "PALABRE_LOG_LEVEL: Input should be 'DEBUG'"),
])
def test_a_setting_that_cannot_work_is_one_clear_line(env, variable: str, value: str,
                                                      said: str) -> None:
    env.setenv(variable, value)
    result = CliRunner().invoke(main, ["digest", "--commune", "Cotonou"])
    assert result.exit_code == 1
    assert said in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_models_check_says_which_route_can_hear(env) -> None:
    env.setenv("PALABRE_TRANSCRIPTION_ROUTES",
               "fr=faster-whisper:bundled-base,fon=faster-whisper:/nowhere/models/fon")
    result = CliRunner().invoke(main, ["models", "check"])
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("fr=faster-whisper:bundled-base: ok, loaded in ")
    assert lines[1].startswith("fon=faster-whisper:/nowhere/models/fon: cannot load (")
    assert result.exit_code == 1 and "1 route(s) cannot hear anything" in result.output
