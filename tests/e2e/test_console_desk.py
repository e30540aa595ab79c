"""The triage desk in a browser's way: a citizen's real report in the inbox and on its page,
a status change and a reply that reach the citizen, and what must never happen (another
commune's item, a script in a citizen's words, a form forged by another site)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.geo import Point
from core.moderation.models import AuditEntry, Role
from palabre.web import create_web_app
from tests.e2e.console_client import (
    account,
    csrf_of,
    hidden_fields,
    post_form,
    signed_in,
    signed_in_browser,
)
from tests.e2e.test_privacy import _report
from tests.talk import Talker


@pytest.fixture
def client(app) -> TestClient:
    return signed_in_browser(app)


@pytest.fixture
def ama(app, messenger) -> Talker:
    talker = Talker(app, messenger, "ama")
    talker.onboard()
    return talker


def test_the_inbox_shows_a_citizens_report_in_its_folders(client, ama) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")

    page = client.get("/console/")

    assert page.status_code == 200 and reference in page.text
    assert "Le caniveau déborde devant l&#39;école" in page.text
    assert "Caniveau, inondation" in page.text  # its category, in the moderator's language
    counts = dict(re.findall(r'folder=(\w+)".*?class="count">(\d+)<', page.text))
    assert counts == {"all": "1", "new": "1", "mine": "0", "unassigned": "1", "overdue": "0",
                      "reopened": "0"}
    assert reference not in client.get("/console/?folder=mine").text
    assert reference in client.get("/console/?q=caniveau").text
    assert reference not in client.get("/console/?q=lampadaire").text
    assert reference not in client.get("/console/?status=resolved").text


def test_a_submission_shows_its_conversation_and_the_citizen_masked(client, ama) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")

    page = client.get(f"/console/s/{reference}")

    assert page.status_code == 200
    assert "6.37030, 2.39120" in page.text  # the pin, readable without any map
    assert "De quel problème s&#39;agit-il ?" in page.text  # the bot's question, its own flow
    assert "<i>[une position]</i>" in page.text  # the pin the citizen sent, said in words
    # Received at 09:30 UTC: 10:30 on the mairie's clocks.
    assert re.search(r'<dd><time datetime="[^"]+">\d\d/\d\d/2026 10:30</time></dd>', page.text)
    assert "••• (console)" in page.text and not re.search(r"\bama\b", page.text)  # masked


def test_a_status_change_tells_the_citizen_and_is_audited(app, client, ama) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")

    done = post_form(client, f"/console/s/{reference}", f"/console/s/{reference}/status",
                     {"status": "in_progress", "public_note": "Une équipe passe jeudi",
                      "internal_note": "ligne budgétaire 12"})

    assert done.status_code == 303
    assert done.headers["location"] == f"/console/s/{reference}?done=status"
    told = ama.replies()
    assert "en cours de traitement" in told and "Une équipe passe jeudi" in told
    assert "ligne budgétaire" not in told
    page = client.get(done.headers["location"])
    assert "le citoyen est prévenu" in page.text and "ligne budgétaire 12" in page.text
    with app.uow_factory() as uow:
        actions = [(e.actor, e.action) for e in uow.session.exec(select(AuditEntry)).all()]
    assert ("awa", "status") in actions


def test_a_move_the_lifecycle_refuses_is_said_plainly(client, ama) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")
    refused = post_form(client, f"/console/s/{reference}", f"/console/s/{reference}/status",
                        {"status": "closed"})
    assert refused.status_code == 409 and "Impossible" in refused.text
    assert "new" in client.get(f"/console/s/{reference}").text


def test_a_reply_reaches_the_citizen(client, ama) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")
    sent = post_form(client, f"/console/s/{reference}", f"/console/s/{reference}/reply",
                     {"text": "Merci, pouvez-vous préciser le numéro de la rue ?"})
    assert sent.status_code == 303
    assert "préciser le numéro de la rue" in ama.replies()
    empty = post_form(client, f"/console/s/{reference}", f"/console/s/{reference}/reply",
                      {"text": "  "})
    assert empty.status_code == 422 and "réponse type" in empty.text


def test_another_communes_submission_is_not_found(app, client, messenger) -> None:
    koffi = Talker(app, messenger, "koffi")
    koffi.onboard(commune="Abomey-Calavi")
    reference = _report(koffi, "Lampadaire éteint")

    page = client.get(f"/console/s/{reference}")

    assert page.status_code == 404 and "Introuvable" in page.text
    assert reference not in client.get("/console/").text
    forged = post_form(client, "/console/", f"/console/s/{reference}/status",
                       {"status": "acknowledged", "once": "a-nonce-of-her-own-making"})
    assert forged.status_code == 404


def test_a_script_in_a_citizens_words_is_shown_as_text(client, ama) -> None:
    reference = _report(ama, '<script>alert("x")</script><img src=x onerror=alert(1)>')

    for page in (client.get("/console/"), client.get(f"/console/s/{reference}")):
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


def test_a_form_sent_by_another_site_changes_nothing(client, ama) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")
    forged = client.post(f"/console/s/{reference}/status", follow_redirects=False,
                         data={"status": "rejected", "csrf": "guessed"})
    assert forged.status_code == 403
    heading = client.get(f"/console/s/{reference}").text.split("<h1>")[1].split("</h1>")[0]
    assert "rejeté" not in heading and 's-new">nouveau' in heading
    page = client.get(f"/console/s/{reference}")
    assert csrf_of(page)


def test_an_analyst_cannot_open_a_submission(app, client, ama) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")
    account(app, "stat", Role.ANALYST)
    analyst = TestClient(create_web_app(app))
    signed_in(analyst, "stat")
    assert analyst.get(f"/console/s/{reference}").status_code == 403


def _queries(app, client, path: str) -> int:
    from sqlalchemy import event

    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731  # (conn, cursor, statement…)
    event.listen(app.engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(app.engine, "before_cursor_execute", listener)
    return len(seen)


def _many(app, how_many: int) -> None:
    from core.submissions import service as submissions
    from core.submissions.models import Kind

    with app.uow_factory() as uow:
        for number in range(how_many):
            submissions.submit(uow=uow, new=submissions.NewSubmission(
                kind=Kind.REPORT, commune_id="BJ-LI-COT", channel="console", citizen_id=None,
                description=f"Lampadaire {number}", arrondissement_id="BJ-LI-COT-01"))
        uow.commit()


def test_the_inbox_page_costs_the_same_queries_for_3_items_or_30(app, client) -> None:
    _many(app, 3)
    few = _queries(app, client, "/console/")
    _many(app, 27)
    many = _queries(app, client, "/console/")
    assert "Lampadaire 26" in client.get("/console/").text
    assert many == few, (few, many)


def test_a_note_stays_inside_the_mairie(client, ama) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")
    post_form(client, f"/console/s/{reference}", f"/console/s/{reference}/note",
              {"text": "Voir avec le service technique"})
    assert "Voir avec le service technique" in client.get(f"/console/s/{reference}").text
    assert "service technique" not in ama.replies()


def test_another_moderators_claim_is_said_plainly(app, client, ama) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")
    assert post_form(client, f"/console/s/{reference}", f"/console/s/{reference}/claim",
                     {}).status_code == 303
    account(app, "sena")
    colleague = TestClient(create_web_app(app))
    signed_in(colleague, "sena")
    page = colleague.get(f"/console/s/{reference}")
    assert "Pris par" in page.text and "awa" in page.text
    refused = post_form(colleague, f"/console/s/{reference}", f"/console/s/{reference}/status",
                        {"status": "acknowledged"})
    assert refused.status_code == 409 and "awa" in refused.text


def test_assigning_labelling_and_prioritising_show_in_the_inbox(client, ama) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")
    page = f"/console/s/{reference}"
    post_form(client, page, f"{page}/assignee", {"assignee": "me"})
    post_form(client, page, f"{page}/priority", {"value": "high"})
    post_form(client, page, f"{page}/labels", {"value": "voirie, Akpakpa"})

    shown = client.get(page).text
    assert "haute" in shown and "Akpakpa, voirie" in shown
    assert reference in client.get("/console/?folder=mine").text
    assert reference not in client.get("/console/?folder=unassigned").text


def test_an_item_hidden_as_abuse_leaves_the_inbox(client, ama) -> None:
    reference = _report(ama, "Insultes")
    post_form(client, f"/console/s/{reference}", f"/console/s/{reference}/hidden",
              {"value": "true"})
    assert reference not in client.get("/console/").text
    assert "oui, comme abus" in client.get(f"/console/s/{reference}").text


def test_a_report_is_merged_into_a_similar_one_nearby(app, client, ama, messenger) -> None:
    first = _report(ama, "Le caniveau déborde devant l'école")
    kojo = Talker(app, messenger, "kojo")
    kojo.onboard()
    second = _report(kojo, "Caniveau plein", Point(6.3704, 2.3913))  # another problem, he says

    page = client.get(f"/console/s/{second}").text
    assert f"Fusionner dans {first}" in page
    merged = post_form(client, f"/console/s/{second}", f"/console/s/{second}/merge",
                       {"into": first})

    assert merged.status_code == 303
    assert "doublon" in client.get(f"/console/s/{second}").text
    assert first in kojo.replies()


def _new_reference(text: str) -> str | None:
    found = re.search(r"référence (\w{3}-\w{3}-\d\d-\d{4})", text)
    return found.group(1) if found else None


def test_a_photo_is_shown_as_a_small_thumbnail(app, client, ama, tmp_path) -> None:
    import io

    import av

    from core.messages.neutral import IncomingFile

    big = tmp_path / "big.jpg"
    with av.open(str(big), "w", format="image2") as out:
        stream = out.add_stream("mjpeg", rate=1)
        stream.width, stream.height, stream.pix_fmt = 1600, 1200, "yuvj420p"
        frame = av.VideoFrame(1600, 1200, "yuvj420p")
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    ama.send("1")
    ama.send("2")
    ama.send(location=Point(6.3703, 2.3912))
    ama.send(files=(IncomingFile("photo", "image/jpeg", big.read_bytes(), "big.jpg"),))
    ama.send("Caniveau")
    reference = _new_reference(ama.send("1"))
    page = client.get(f"/console/s/{reference}").text
    file_id = re.search(r'/console/files/(\d+)\?size=thumb', page).group(1)

    thumb = client.get(f"/console/files/{file_id}?size=thumb")
    full = client.get(f"/console/files/{file_id}")

    assert thumb.headers["content-type"] == "image/jpeg"
    with av.open(io.BytesIO(thumb.content)) as small:
        assert next(small.decode(video=0)).width == 320
    assert len(thumb.content) < len(full.content)
    assert "sandbox" in full.headers["content-security-policy"]


def test_a_form_sent_twice_acts_once(client, ama) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")
    page = client.get(f"/console/s/{reference}")
    action = f"/console/s/{reference}/reply"
    fields = {**hidden_fields(page, action), "text": "Merci, nous passons demain."}

    first = client.post(action, data=fields, follow_redirects=False)
    again = client.post(action, data=fields, follow_redirects=False)  # a double click

    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == f"/console/s/{reference}?done=reply"
    assert ama.replies().count("Merci, nous passons demain.") == 1
    without = {key: value for key, value in fields.items() if key != "once"}
    assert client.post(action, data=without, follow_redirects=False).status_code == 403


def test_the_inbox_is_told_of_new_items_without_reloading(app, client, ama, messenger) -> None:
    _report(ama, "Le caniveau déborde devant l'école")
    page = client.get("/console/").text
    poll = re.search(r'data-poll="([^"]+)"', page).group(1).replace("&amp;", "&")

    quiet = client.get(poll)
    assert quiet.json() == {"new": 0}
    unchanged = client.get(poll, headers={"If-None-Match": quiet.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""

    kojo = Talker(app, messenger, "kojo")
    kojo.onboard()
    _report(kojo, "Lampadaire éteint", Point(6.40, 2.45))
    arrived = client.get(poll, headers={"If-None-Match": quiet.headers["etag"]})
    assert arrived.status_code == 200 and arrived.json() == {"new": 1}


def test_the_filter_form_as_a_browser_sends_it(client, ama) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")
    sent = client.get("/console/?folder=all&q=&status=&kind=")
    assert sent.status_code == 200 and reference in sent.text
    assert reference in client.get("/console/?folder=new&q=&status=new&kind=report").text
    assert reference not in client.get("/console/?status=new&kind=idea").text


def test_every_filter_of_the_api_narrows_the_inbox(app, client, ama, messenger) -> None:
    from core.messages.neutral import IncomingFile
    from tests import speech

    drain = _report(ama, "Caniveau bouché")
    ama.send("1")
    ama.send("3")  # street lights
    ama.send(location=Point(6.41, 2.45))
    picture = speech.picture(app.settings.media_dir.parent / "lampe.jpg").read_bytes()
    ama.send(files=(IncomingFile("photo", "image/jpeg", picture, "lampe.jpg"),))
    ama.send("Lampadaire éteint")
    lamp = _new_reference(ama.send("1"))
    page = client.get("/console/").text
    lights = re.search(r'<option value="(\d+)">Éclairage public</option>', page).group(1)
    post_form(client, f"/console/s/{drain}", f"/console/s/{drain}/assignee", {"assignee": "me"})

    def shown(query: str) -> set[str]:
        listed = client.get(f"/console/?{query}").text
        return {ref for ref in (drain, lamp) if f"/console/s/{ref}\"" in listed}

    assert shown(f"category={lights}") == {lamp}
    assert shown("photo=1") == {lamp}
    assert shown("assignee=me") == {drain}
    assert shown("since=2026-03-14&until=2026-03-14") == {drain, lamp}
    assert shown("since=2026-03-15") == set()
    assert shown("priority=high") == set()
    assert shown("category=&arrondissement=&assignee=&priority=&label=&since=&until=") == {
        drain, lamp}


def test_an_item_still_new_past_the_escalation_delay_is_marked_overdue(client, ama,
                                                                        clock) -> None:
    reference = _report(ama, "Le caniveau déborde devant l'école")
    fresh = client.get("/console/").text
    assert "en retard" not in fresh.split("<ol")[1] and "à l&#39;instant</time>" in fresh
    clock.advance(hours=49)
    signed_in(client, "awa")  # her session ended while she was away
    listed = client.get("/console/").text
    assert reference in listed and 'class="late">en retard' in listed
    assert "il y a 2 j</time>" in listed
