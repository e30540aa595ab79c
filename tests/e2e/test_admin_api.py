"""The moderators' API over HTTP: authentication, the commune/role matrix, the inbox, and each
action's effect on the citizen (the message waiting in their outbox, in their language)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.geo import Point
from core.messages.models import OutboxRecord
from core.messages.neutral import IncomingFile
from core.moderation import service as moderation
from core.moderation.models import AuditEntry, Role
from palabre.web import create_web_app
from tests.talk import Talker

JPEG = b"\xff\xd8\xff\xe0" + bytes(100)


@dataclass
class Staff:
    admin: dict[str, str]
    cotonou: dict[str, str]
    calavi: dict[str, str]
    analyst: dict[str, str]
    nosy: dict[str, str]  # a Cotonou moderator allowed to see contacts


def _account(app, name: str, role: Role, communes=(), contacts=False) -> dict[str, str]:
    with app.uow_factory() as uow:
        account = moderation.add_moderator(uow=uow, name=name, role=role, communes=communes,
                                           can_see_contacts=contacts)
        token = moderation.issue_token(uow=uow, moderator=account).token
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff(app) -> Staff:
    return Staff(admin=_account(app, "root", Role.ADMIN),
                 cotonou=_account(app, "awa", Role.MODERATOR, ["BJ-LI-COT"]),
                 calavi=_account(app, "koffi", Role.MODERATOR, ["BJ-AQ-ABO"]),
                 analyst=_account(app, "stat", Role.ANALYST, ["BJ-LI-COT"]),
                 nosy=_account(app, "sena", Role.MODERATOR, ["BJ-LI-COT"], contacts=True))


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(create_web_app(app))


def _report(talker: Talker, text: str = "Caniveau bouché devant l'école", *, photo: bool = False,
            language: str = "1") -> str:
    talker.onboard(language=language)
    talker.send("1")
    talker.send("2")
    talker.send(location=Point(6.3703, 2.3912))
    if photo:
        talker.send(files=(IncomingFile("photo", "image/jpeg", JPEG, "trou.jpg"),))
    else:
        talker.send("1")
    talker.send(text)
    offered = [c.id for c in talker.last_message().choices]
    if "new" in offered:  # a similar report nearby: this one is another problem
        talker.send(str(offered.index("new") + 1))
    done = talker.send("1")
    return done.split("référence ")[1].split(".")[0] if "référence" in done else \
        done.split("recorded as ")[1].split(".")[0]


def _outbox(app, address: str) -> list[str]:
    with app.uow_factory() as uow:
        rows = uow.session.exec(select(OutboxRecord).where(OutboxRecord.address == address)
                                .order_by(OutboxRecord.id)).all()
        return [r.text for r in rows]


def test_no_token_or_a_wrong_one_is_refused_then_slowed_down(client, staff) -> None:
    client.app.state.failed_authentications.delay = 0.0  # throttled answers are not held back
    assert client.get("/api/v1/submissions").status_code == 401
    for _ in range(5):
        wrong = client.get("/api/v1/submissions", headers={"Authorization": "Bearer plb_nope"})
        assert wrong.status_code == 401 and "token" in wrong.json()["detail"]
    slowed = client.get("/api/v1/submissions", headers={"Authorization": "Bearer plb_nope"})
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) >= 1
    # A valid token behind the same address is served at once: only failures are slowed.
    assert client.get("/api/v1/submissions", headers=staff.admin).status_code == 200


def test_a_revoked_token_stops_working(app, client, staff) -> None:
    assert client.get("/api/v1/submissions", headers=staff.cotonou).status_code == 200
    with app.uow_factory() as uow:
        token = moderation.tokens_of(uow=uow, moderator=moderation.get_moderator(
            uow=uow, name="awa"))[0]
        moderation.revoke_token(uow=uow, token_id=token.id)
        uow.commit()
    assert client.get("/api/v1/submissions", headers=staff.cotonou).status_code == 401


def test_moderators_see_only_their_communes_and_analysts_not_the_inbox(app, messenger, client,
                                                                      staff) -> None:
    reference = _report(Talker(app, messenger, "ama"))
    assert [s["reference"] for s in client.get(
        "/api/v1/submissions", headers=staff.cotonou).json()["data"]] == [reference]
    assert client.get("/api/v1/submissions", headers=staff.calavi).json()["data"] == []
    hidden = client.get(f"/api/v1/submissions/{reference}", headers=staff.calavi)
    assert hidden.status_code == 404 and reference in hidden.json()["detail"]
    assert client.get("/api/v1/submissions", headers=staff.analyst).status_code == 403
    assert client.get(f"/api/v1/submissions/{reference}", headers=staff.admin).status_code == 200


def test_detail_masks_the_number_which_an_account_may_reveal_with_a_reason(
        app, messenger, client, staff) -> None:
    reference = _report(Talker(app, messenger, "22997123456"), photo=True)
    masked = client.get(f"/api/v1/submissions/{reference}", headers=staff.cotonou).json()
    assert masked["citizen"]["address"] == "229••••••56"
    assert masked["citizen"]["may_reveal"] is False
    allowed = client.get(f"/api/v1/submissions/{reference}", headers=staff.nosy).json()
    assert allowed["citizen"]["address"] == "229••••••56" and allowed["citizen"]["may_reveal"]
    revealed = client.post(f"/api/v1/submissions/{reference}/citizen/contact",
                           headers=staff.nosy, json={"reason": "Préciser l'adresse exacte"})
    assert revealed.json()["address"] == "22997123456"
    assert masked["latitude"] == pytest.approx(6.3703)
    assert [m["direction"] for m in masked["messages"]][:2] == ["in", "out"]
    photo = masked["attachments"][0]
    assert photo["kind"] == "photo" and photo["size"] == len(JPEG)
    download = client.get(photo["url"], headers=staff.cotonou)
    assert download.status_code == 200 and download.content == JPEG
    assert client.get(photo["url"], headers=staff.calavi).status_code == 404


def test_a_status_change_reaches_the_citizen_in_their_language(app, messenger, client,
                                                              staff) -> None:
    reference = _report(Talker(app, messenger, "kofi"), language="2")
    changed = client.post(f"/api/v1/submissions/{reference}/status", headers=staff.cotonou,
                          json={"status": "in_progress", "public_note": "Team on Thursday",
                                "internal_note": "budget line 12"})
    assert changed.status_code == 200 and changed.json()["status"] == "in_progress"
    assert changed.json()["first_response_at"] is not None
    told = _outbox(app, "kofi")[-1]
    assert "is now: in progress" in told and "Team on Thursday" in told
    assert "budget line 12" not in told
    refused = client.post(f"/api/v1/submissions/{reference}/status", headers=staff.cotonou,
                          json={"status": "new"})
    assert refused.status_code == 409  # nothing goes back to "new"
    refused = client.post(f"/api/v1/submissions/{reference}/status", headers=staff.cotonou,
                          json={"status": "closed"})
    assert refused.status_code == 409 and "cannot go from in_progress to closed" in \
        refused.json()["detail"]


def test_a_claim_keeps_other_moderators_off_for_five_minutes(app, messenger, client, staff,
                                                            clock) -> None:
    reference = _report(Talker(app, messenger, "ama"))
    assert client.post(f"/api/v1/submissions/{reference}/claim",
                       headers=staff.cotonou).json()["claimed_by"] == "awa"
    blocked = client.post(f"/api/v1/submissions/{reference}/replies", headers=staff.nosy,
                          json={"text": "Bonjour"})
    assert blocked.status_code == 409 and "awa" in blocked.json()["detail"]
    clock.advance(minutes=6)
    assert client.post(f"/api/v1/submissions/{reference}/replies", headers=staff.nosy,
                       json={"text": "Nous arrivons"}).status_code == 200
    assert "« Nous arrivons »" in _outbox(app, "ama")[-1]


def test_merging_tells_the_reporter_who_then_follows_the_original(app, messenger, client,
                                                                 staff) -> None:
    first = _report(Talker(app, messenger, "ama"))
    second = _report(Talker(app, messenger, "kojo"), "Le caniveau de l'école déborde")
    merged = client.post(f"/api/v1/submissions/{second}/merge", headers=staff.cotonou,
                         json={"into": first})
    assert merged.status_code == 200
    assert merged.json()["status"] == "duplicate" and merged.json()["duplicate_of"] == first
    assert f"même problème que {first}" in _outbox(app, "kojo")[-1]
    detail = client.get(f"/api/v1/submissions/{first}", headers=staff.cotonou).json()
    assert detail["duplicates"] == [second] and detail["followers"] == 1
    client.post(f"/api/v1/submissions/{first}/status", headers=staff.cotonou,
                json={"status": "resolved"})
    assert "résolu" in _outbox(app, "kojo")[-1]
    assert client.post(f"/api/v1/submissions/{first}/merge", headers=staff.cotonou,
                       json={"into": first}).status_code == 422


def test_triage_fields_filters_and_the_audit_trail(app, messenger, client, staff) -> None:
    reference = _report(Talker(app, messenger, "ama"), photo=True)
    other = _report(Talker(app, messenger, "kojo"), "Lampadaire en panne")
    headers = staff.cotonou
    assert client.put(f"/api/v1/submissions/{reference}/assignee", headers=headers,
                      json={"assignee": "sena"}).json()["assignee"] == "sena"
    assert client.put(f"/api/v1/submissions/{reference}/assignee", headers=headers,
                      json={"assignee": "koffi"}).status_code == 422  # not of Cotonou
    client.put(f"/api/v1/submissions/{reference}/priority", headers=headers,
               json={"priority": "urgent"})
    client.put(f"/api/v1/submissions/{reference}/labels", headers=headers,
               json={"labels": ["inondation", " saison des pluies "]})
    listed = client.get("/api/v1/submissions", headers=headers, params={
        "priority": "urgent", "label": "inondation", "has_photo": True}).json()["data"]
    assert [s["reference"] for s in listed] == [reference]
    assert listed[0]["labels"] == ["inondation", "saison des pluies"]
    assert [s["reference"] for s in client.get("/api/v1/submissions", headers=headers, params={
        "unassigned": True}).json()["data"]] == [other]
    assert [s["reference"] for s in client.get("/api/v1/submissions", headers=headers, params={
        "q": "lampadaire"}).json()["data"]] == [other]
    client.put(f"/api/v1/submissions/{other}/hidden", headers=headers, json={"value": True})
    assert other not in str(client.get("/api/v1/submissions", headers=headers).json())
    with app.uow_factory() as uow:
        actions = [a.action for a in uow.session.exec(select(AuditEntry)).all()]
    assert actions == ["assign", "priority", "labels", "hide"]


def test_keyset_pages_cover_everything_once(app, messenger, client, staff, clock) -> None:
    references = []
    for name in ("a1", "a2", "a3", "a4", "a5"):
        references.append(_report(Talker(app, messenger, name), f"Problème signalé par {name}"))
        clock.advance(minutes=1)
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/submissions", headers=staff.admin,
                          params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [s["reference"] for s in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(references))
    broken = client.get("/api/v1/submissions", headers=staff.admin, params={"cursor": "xyz"})
    assert broken.status_code == 422 and "cursor" in broken.json()["detail"]


def test_blocking_a_citizen_stops_answers_but_keeps_messages(app, messenger, client,
                                                            staff) -> None:
    ama = Talker(app, messenger, "ama")
    reference = _report(ama)
    assert client.put(f"/api/v1/submissions/{reference}/citizen/blocked", headers=staff.cotonou,
                      json={"value": True}).json()["citizen"]["blocked"] is True
    assert ama.send("menu") == ""
    detail = client.get(f"/api/v1/submissions/{reference}", headers=staff.cotonou).json()
    assert detail["citizen"]["blocked"] is True


def test_a_nul_character_is_refused_not_a_server_error(client, staff) -> None:
    for params in ({"commune": "BJ\x00"}, {"q": "caniveau\x00"}):
        answer = client.get("/api/v1/submissions", headers=staff.admin, params=params)
        assert answer.status_code in (200, 422), answer.text
    exported = client.get("/api/v1/exports/submissions.csv", headers=staff.admin,
                          params={"commune": "BJ\x00"})
    assert exported.status_code in (200, 422), exported.text


def test_searching_a_reference_finds_it_however_it_is_typed(app, messenger, client,
                                                            staff) -> None:
    reference = _report(Talker(app, messenger, "ama"))
    _report(Talker(app, messenger, "kojo"), "Lampadaire en panne")
    loose = reference.lower().replace("-", " ").replace(" 000", " ")
    for typed in (reference, loose):
        found = client.get("/api/v1/submissions", headers=staff.cotonou,
                           params={"q": typed}).json()["data"]
        assert [s["reference"] for s in found] == [reference], typed
