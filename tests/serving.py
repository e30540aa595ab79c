"""Running `palabre` as a newcomer would: in a fresh directory, as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import httpx


def fresh_environment() -> dict[str, str]:
    """This process's environment without any Palabre setting: the embedded defaults."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PALABRE_")}
    clean.pop("DATABASE_URL", None)
    return {**clean, "PALABRE_LOG_LEVEL": "WARNING"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(server: subprocess.Popen, port: int) -> dict:
    """/healthz's answer, once the server started by `server` listens."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
        except httpx.TransportError:
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
