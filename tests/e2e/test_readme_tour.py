"""The README's five-minute tour, run as written: each of its shell blocks, in a fresh
directory where `scripts/run` stands for the installed `palabre` command (what the real
script runs once it has made .venv)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.serving import free_port, fresh_environment, wait_healthy

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE_REFERENCE = "COT-SIG-26-0001"  # what the README shows; another year gives another


def _tour() -> list[str]:
    text = README.read_text()
    tour = text.split("\n## A five-minute tour\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", tour, flags=re.DOTALL)


def _install_run_script(directory: Path) -> None:
    script = directory / "scripts" / "run"
    script.parent.mkdir()
    script.write_text(f'#!/bin/sh\nif [ $# -eq 0 ]; then set -- serve; fi\n'
                      f'exec "{sys.executable}" -m palabre "$@"\n')
    script.chmod(0o755)


def _shell(block: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=cwd, env=env,
                          text=True, capture_output=True, timeout=180)
    assert done.returncode == 0, f"{block}\n{done.stderr}"
    return done.stdout


def test_the_tour_has_the_steps_the_readme_tells() -> None:
    blocks = _tour()
    assert len(blocks) == 5, blocks
    assert "scripts/run chat --as ama" in blocks[0] and "submissions status" in blocks[1]
    assert "curl" in blocks[4]


def test_the_readme_tour_runs_as_written(tmp_path) -> None:
    report, triage, told, account, api = _tour()
    env = fresh_environment()
    _install_run_script(tmp_path)

    filed = _shell(report, tmp_path, env)
    reference = re.search(r"référence (COT-SIG-\d\d-\d{4})", filed).group(1)  # type: ignore[union-attr]
    listing = _shell(triage.replace(EXAMPLE_REFERENCE, reference), tmp_path, env)
    assert reference in listing and "in_progress" in listing

    said = _shell(told.replace(EXAMPLE_REFERENCE, reference), tmp_path, env)
    promised = [line[2:] for line in told.splitlines() if line.startswith("# ")]
    assert promised and all(line.replace(EXAMPLE_REFERENCE, reference) in said
                            for line in promised), said

    token = re.search(r"plb_[\w-]+", _shell(account, tmp_path, env)).group(0)  # type: ignore[union-attr]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "palabre", "serve", "--no-console"],
                              cwd=tmp_path, text=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE,
                              env={**env, "PALABRE_PORT": str(port),
                                   "PALABRE_TRANSCRIPTION_WORKERS": "0"})
    try:
        wait_healthy(server, port)
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=10)
        call = (api.replace("plb_…", token).replace(EXAMPLE_REFERENCE, reference)
                .replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
        answer = json.loads(_shell(call, tmp_path, env))
        public = httpx.get(f"http://127.0.0.1:{port}/c/cotonou", timeout=10)
    finally:
        server.terminate()
        server.communicate(timeout=60)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert answer["reference"] == reference and answer["status"] == "in_progress"
    assert answer["latitude"] == 6.3703 and answer["public"] is True
    assert answer["citizen"]["address"] == "•••" and "ama" not in json.dumps(answer["citizen"])
    assert any("caniveau" in (m["text"] or "") for m in answer["messages"])
    assert public.status_code == 200 and "Le caniveau déborde devant l&#39;école" in public.text
    assert "Une équipe passe jeudi" in public.text, public.text
    assert not re.search(r"\bama\b", public.text, flags=re.IGNORECASE)  # no name
