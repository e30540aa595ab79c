"""What an operator's Prometheus and log collector read: GET /metrics from the shared
database (queues, latencies, workers alive, 429s), behind a token when one is set; log lines
as JSON on request."""

from __future__ import annotations

import json
import logging
import re

from fastapi.testclient import TestClient
from pydantic import SecretStr

from core.messages.neutral import InboundMessage
from core.messages.pace import SharedPace
from palabre import logs
from palabre.bootstrap import bootstrap
from palabre.settings import Settings
from palabre.web import create_web_app


def _value(body: str, name: str, labels: str = "") -> float:
    found = re.search(rf"^{re.escape(name + labels)} (\S+)$", body, re.M)
    assert found, f"{name}{labels} not in\n{body}"
    return float(found.group(1))


def test_metrics_show_the_queues_the_latencies_and_the_workers(app, clock) -> None:
    for number in range(3):
        app.pipeline.receive(InboundMessage(channel="console", address=f"c{number}",
                                            external_id=f"m{number}", text="Bonjour"))
    clock.advance(seconds=2)
    assert app.pipeline.dialogs.process_next() == 1  # one turn, two left waiting
    web = TestClient(create_web_app(app))

    body = web.get("/metrics").text

    assert _value(body, "palabre_queue_depth", '{queue="turns"}') == 2
    assert _value(body, "palabre_queue_oldest_seconds", '{queue="turns"}') == 2.0
    assert _value(body, "palabre_queue_depth", '{queue="deliveries"}') == 1  # its reply
    assert _value(body, "palabre_turn_seconds_count") == 1
    assert _value(body, "palabre_turn_seconds", '{quantile="0.99"}') == 2.0
    assert "# TYPE palabre_turn_seconds summary" in body

    app.pipeline.deliver()  # a delivering process beats
    body = web.get("/metrics").text
    assert _value(body, "palabre_workers_alive", '{roles="deliveries"}') == 1
    assert _value(body, "palabre_queue_depth", '{queue="deliveries"}') == 0
    assert _value(body, "palabre_delivery_seconds_count") == 1
    if app.engine.dialect.name == "postgresql":
        assert _value(body, "palabre_scheduler_leaders") == 0  # no scheduler runs here


def test_a_429_is_counted_for_its_bot(app) -> None:
    pace = SharedPace(app.engine)
    pace.pause("telegram:123456789", 10.0)
    pace.pause("telegram:123456789", 20.0)
    body = TestClient(create_web_app(app)).get("/metrics").text
    assert _value(body, "palabre_provider_429_total", '{key="telegram:123456789"}') == 2


def test_metrics_ask_for_the_token_when_one_is_set(settings, clock) -> None:
    guarded = bootstrap(Settings(**{**settings.model_dump(),
                                    "metrics_token": SecretStr("s3cret-metrics")},
                                 _env_file=None), clock=clock)
    try:
        web = TestClient(create_web_app(guarded))
        assert web.get("/metrics").status_code == 401
        assert web.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        answer = web.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    finally:
        guarded.close()


def test_log_lines_come_as_json_on_request(capsys) -> None:
    logs.setup("INFO", form="json")
    try:
        logging.getLogger("palabre.test").warning("citizen %s waited", "ama")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("palabre.test").exception("it failed")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        logs.setup("INFO")
    assert lines[0]["message"] == "citizen ama waited" and lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "palabre.test" and lines[0]["time"].endswith("+00:00")
    assert {"host", "pid", "process"} <= set(lines[0])
    assert "ValueError: boom" in lines[1]["exception"]
