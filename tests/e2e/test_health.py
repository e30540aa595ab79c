"""/healthz tells a monitor or a load balancer whether this server can work."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from palabre.bootstrap import bootstrap
from palabre.settings import Settings
from palabre.web import create_web_app


def test_a_server_whose_database_answers_is_healthy(app) -> None:
    with TestClient(create_web_app(app)) as client:
        answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": app.engine.dialect.name}


def test_a_server_whose_database_is_down_answers_503(tmp_path, caplog) -> None:
    settings = Settings(_env_file=None, media_dir=tmp_path, transcription_routes="",
                        database_url="postgresql://palabre@127.0.0.1:1/palabre")  # nobody there
    down = bootstrap(settings)
    try:
        with TestClient(create_web_app(down)) as client, caplog.at_level(logging.WARNING):
            answer = client.get("/healthz")
    finally:
        down.close()
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "database": "postgresql"}
    assert "the database does not answer (OperationalError)" in caplog.text
