"""The `palabre` command as an operator and a citizen run it, in a fresh directory: a scripted
`palabre chat` files a geolocated report, `palabre submissions status` notifies that citizen's
console, `palabre serve` answers health checks and keeps its log out of the conversation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serving import free_port, fresh_environment, wait_healthy

PALABRE = [sys.executable, "-m", "palabre"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh embedded database in an empty directory, as on a new machine."""
    return fresh_environment()


def run(args: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> str:
    done = subprocess.run([*PALABRE, *args], cwd=cwd, env=env, input=stdin, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_scripted_chat_files_a_report_and_the_operator_notifies_it(tmp_path, env) -> None:
    photo = tmp_path / "caniveau.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(500))
    script = "\n".join(["Bonjour", "1", "Cotonou", "1", "5", "1", "2",
                        "/location 6.3703 2.3912 Carrefour Vedoko", f"/photo {photo}",
                        "Le caniveau déborde devant l'école", "1", ""])
    transcript = run(["chat", "--as", "ama"], tmp_path, env, stdin=script)
    assert "[ama] /location 6.3703 2.3912 Carrefour Vedoko" in transcript
    reference = re.search(r"référence (COT-SIG-\d\d-\d{4})", transcript)
    assert reference is not None, transcript
    assert (tmp_path / "palabre.db").exists()
    assert list((tmp_path / "media").rglob("*.jpg"))

    listing = run(["submissions", "list"], tmp_path, env)
    assert reference.group(1) in listing and "new" in listing
    changed = run(["submissions", "status", reference.group(1), "in_progress",
                   "--note", "Une équipe passe jeudi"], tmp_path, env)
    assert "in_progress" in changed

    later = run(["chat", "--as", "ama"], tmp_path, env, stdin="")
    assert f"Votre demande {reference.group(1)} est maintenant : en cours de traitement" in later
    assert "Une équipe passe jeudi" in later
    assert run(["chat", "--as", "kojo"], tmp_path, env, stdin="") == ""  # not someone else's


def test_bad_console_commands_get_usage_and_the_chat_goes_on(tmp_path, env) -> None:
    transcript = run(["chat", "--as", "ama"], tmp_path, env,
                     stdin="/location nowhere\n/photo /does/not/exist.jpg\nBonjour\n")
    assert "usage: /location" in transcript
    assert "cannot read /does/not/exist.jpg" in transcript
    assert "Bienvenue sur Palabre" in transcript


def test_operator_gets_a_clear_error_for_an_invalid_transition(tmp_path, env) -> None:
    run(["db", "upgrade"], tmp_path, env)
    done = subprocess.run([*PALABRE, "submissions", "status", "COT-SIG-26-0404", "resolved"],
                          cwd=tmp_path, env=env, text=True, capture_output=True, timeout=120)
    assert done.returncode != 0 and "COT-SIG-26-0404" in done.stderr


def test_serve_with_a_scripted_console_chat(tmp_path, env) -> None:
    env = {**env, "PALABRE_PORT": str(free_port())}
    transcript = run(["serve"], tmp_path, env, stdin="Bonjour\n2\n")
    assert "Palabre is listening on http://127.0.0.1:" in transcript
    assert "Welcome to Palabre" in transcript and "Which is your commune" in transcript


def test_serve_answers_health_checks_and_logs_to_the_terminal(tmp_path, env) -> None:
    port = free_port()
    server = subprocess.Popen([*PALABRE, "serve", "--no-console"], cwd=tmp_path,
                              env={**env, "PALABRE_PORT": str(port), "PALABRE_LOG_LEVEL": "INFO",
                                   "PALABRE_TRANSCRIPTION_WORKERS": "1"},
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert wait_healthy(server, port) == {"status": "ok", "database": "sqlite"}
    finally:
        server.terminate()  # as systemd stops it: its transcription worker stops too
        _, log = server.communicate(timeout=60)
    assert '"GET /healthz HTTP/1.1" 200' in log and "INFO palabre.bootstrap: loaded" in log
    assert re.search(r"transcription worker \S+ stopped", log), log
    assert not (tmp_path / "palabre.log").exists()


def test_a_console_session_shows_only_the_conversation(tmp_path, env) -> None:
    """`scripts/run` as a newcomer starts it: the server's own lines go to palabre.log."""
    port = free_port()
    server = subprocess.Popen([*PALABRE, "serve"], cwd=tmp_path, text=True,
                              env={**env, "PALABRE_PORT": str(port), "PALABRE_LOG_LEVEL": "INFO",
                                   "PALABRE_TRANSCRIPTION_WORKERS": "1"},
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        assert wait_healthy(server, port)["status"] == "ok"
        chat, terminal_log = server.communicate("Bonjour\n2\n/quit\n", timeout=60)
    finally:
        server.kill() if server.poll() is None else None
    assert terminal_log == ""
    said = [line for line in chat.splitlines() if line.strip()]
    assert said[0].startswith("Voice notes: 1 transcription worker(s)")
    assert said[1].startswith("Palabre is listening on") and "log: palabre.log" in said[1]
    assert said[2:4] == ["[demo] Bonjour", "[palabre → demo]"]
    assert "Which is your commune" in chat and " INFO " not in chat
    log = (tmp_path / "palabre.log").read_text()
    assert '"GET /healthz HTTP/1.1" 200' in log and "INFO palabre.bootstrap: loaded" in log
    assert "INFO palabre.scheduler: scheduler leading" in log


def test_an_operator_disabling_a_commune_is_not_undone_by_the_next_command(tmp_path,
                                                                           env) -> None:
    run(["communes", "disable", "Toffo"], tmp_path, env)
    assert "Toffo" not in run(["communes", "list"], tmp_path, env)
    run(["communes", "enable", "Parakou"], tmp_path, env)
    assert "Parakou" in run(["communes", "list"], tmp_path, env)
