"""A council sitting run from the console, from planning to decisions: a refused time said
beside its field; moved, then live; an update with a phone camera's photo (too heavy for
WhatsApp as taken) reaching a follower, its delivery shown; a citizen's typed and spoken
questions in order, numbered as the citizens were told, the voice playable with its
transcript, marked answered; ended with decisions the followers hear; another commune's
sittings out of reach."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.council.models import CouncilUpdate
from core.messages.neutral import IncomingFile
from core.moderation.models import AuditEntry
from palabre import scheduler
from tests import speech
from tests.e2e.console_client import account, hidden_fields, signed_in, signed_in_browser
from tests.talk import Talker

LIST = "/console/council"


@pytest.fixture
def client(app) -> TestClient:
    return signed_in_browser(app)


def _post(client: TestClient, page_path: str, action: str, fields: dict | None = None,
          files: dict | None = None):
    page = client.get(page_path)
    return client.post(action, data={**hidden_fields(page, action), **(fields or {})},
                       files=files, follow_redirects=False)


def _plan(client: TestClient, **fields: str):
    return _post(client, LIST, LIST, {"kind": "ordinary", "title": "Session de mars",
                                      "when": "2026-03-20T09:00", "place": "Hôtel de ville",
                                      "agenda": "Budget 2026\nMarché de Dantokpa", **fields})


def camera_photo() -> bytes:
    """What a phone's camera makes: 2,000 × 1,500 pixels of detail, several MB as PNG."""
    import av

    pixels = np.random.default_rng(7).integers(0, 255, (1500, 2000, 3), dtype=np.uint8)
    out = io.BytesIO()
    with av.open(out, "w", format="image2pipe") as sink:
        stream = sink.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = 2000, 1500, "rgb24"
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            sink.mux(packet)
    return out.getvalue()


def _deliver(app) -> None:
    scheduler.queue_due_broadcasts(app)
    app.pipeline.deliver()


def test_a_sitting_from_planning_to_decisions(app, client, messenger, clock,
                                              tmp_path: Path) -> None:
    ama = Talker(app, messenger, "ama")
    ama.onboard()
    ama.send("conseil")
    ama.send("1")  # follow
    ama.replies()

    late = _plan(client, when="2026-03-13T09:00", title="Gardée telle quelle")
    assert late.status_code == 422
    assert 'id="starts_at-problem" role="alert">Cette heure est déjà passée.' in late.text
    assert 'value="Gardée telle quelle"' in late.text

    planned = _plan(client)
    page_path = planned.headers["location"].split("?")[0]
    page = client.get(planned.headers["location"]).text
    assert "Séance prévue" in page and "1 citoyen(s) suivent le conseil" in page
    moved = _post(client, page_path, f"{page_path}/edit", {
        "kind": "ordinary", "title": "Session de mars", "when": "2026-03-21T10:00",
        "place": "Hôtel de ville", "agenda": "Budget 2026"})
    assert moved.status_code == 303
    backwards = _post(client, page_path, f"{page_path}/edit", {
        "kind": "ordinary", "title": "Session de mars", "when": "2026-03-01T10:00"})
    assert backwards.status_code == 422 and "Cette heure est déjà passée." in backwards.text
    _deliver(app)
    assert "21 mars 2026 10:00" in ama.replies()  # told of the new time, in Benin's time

    _post(client, page_path, f"{page_path}/live")
    _deliver(app)
    assert "a commencé : Session de mars" in ama.replies()

    photo = camera_photo()
    assert len(photo) > 5_000_000  # over what WhatsApp takes
    posted = _post(client, page_path, f"{page_path}/updates",
                   {"text": "Le budget 2026 est adopté."},
                   files={"photo": ("IMG_2041.png", photo, "image/png")})
    assert posted.status_code == 303, posted.text
    _deliver(app)
    (sent,) = [m for m in messenger.sent if m.address == "ama" and m.media_path]
    assert "Le budget 2026 est adopté." in sent.text
    with app.uow_factory() as uow:
        update = uow.session.exec(select(CouncilUpdate)).one()
        stored = uow.media.absolute(update.photo_path).read_bytes()
    assert stored.startswith(b"\xff\xd8\xff") and len(stored) < 5_000_000  # a JPEG now
    shown = client.get(page_path).text
    assert "1 destinataire(s) · 0 en attente · 1 parti(s) · 0 échec(s)" in shown

    ama.send("conseil")
    ama.send("1")  # ask, while it is live
    ama.send("Quand commencent les travaux du marché ?")
    voice = speech.encode(speech.tone(2.0), 16_000, tmp_path / "q", "ogg-opus").read_bytes()
    ama.send("conseil")
    ama.send("1")
    ama.send(files=(IncomingFile("voice", "audio/ogg; codecs=opus", voice, "q.ogg"),))

    page = client.get(page_path).text
    asked = page.split('id="questions"')[1].split("</section>")[0]
    assert re.search(r"n° 1</strong>.*?Quand commencent les travaux du marché \?", asked,
                     re.DOTALL)
    assert "n° 2</strong>" in asked and 'preload="none"' in asked
    audio = re.search(r'<audio controls preload="none" src="([^"]+)"', asked).group(1)
    played = client.get(audio)
    assert played.status_code == 200 and played.content == voice
    answered = re.search(r'action="([^"]+/answered)"', asked).group(1)
    _post(client, page_path, answered)
    assert "répondue par awa" in client.get(page_path).text

    _post(client, page_path, f"{page_path}/end",
          {"decisions": "Budget 2026 adopté\nTravaux du marché en mai"})
    _deliver(app)
    told = ama.replies()
    assert "Budget 2026 adopté" in told and "Travaux du marché en mai" in told
    ended = client.get(page_path).text
    assert "terminée" in ended and "Travaux du marché en mai" in ended
    with app.uow_factory() as uow:
        actions = {e.action for e in uow.session.exec(select(AuditEntry)).all()}
    assert {"council_session_created", "council_session_changed", "council_session_go_live",
            "council_update_posted", "council_session_end"} <= actions


def test_another_communes_sittings_are_out_of_reach(app, client) -> None:
    page_path = _plan(client).headers["location"].split("?")[0]
    account(app, "bio", communes=("BJ-ZO-BOH",))
    other = TestClient(client.app)
    signed_in(other, "bio")
    assert other.get(page_path).status_code == 404
    assert "Session de mars" not in other.get(LIST).text
    page = other.get(LIST)
    action = f"{page_path}/live"
    assert other.post(action, data=hidden_fields(page, LIST)).status_code == 404
