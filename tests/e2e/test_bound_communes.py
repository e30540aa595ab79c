"""A bot or number bound to a commune: its citizens belong to that commune everywhere (the
flows, announcements, statistics), whether or not the process migrated the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from core.broadcasts import service as broadcasts
from core.citizens.models import Citizen
from palabre import cli
from palabre.bootstrap import App, bootstrap, prepare
from palabre.settings import Settings
from tests.talk import Talker

BOHICON = "BJ-ZO-BOH"


@pytest.fixture
def bound(app, settings, clock, messenger) -> Iterator[App]:
    """Palabre with the console bound to Bohicon (PALABRE_CONSOLE_COMMUNE)."""
    chosen = Settings(**{**settings.model_dump(), "console_commune": "Bohicon"}, _env_file=None)
    application = bootstrap(chosen, clock=clock, messengers={"console": messenger})
    prepare(application)
    yield application
    application.close()


def _onboard_bound(talker: Talker) -> str:
    talker.send("Bonjour")
    asked = talker.send("1")  # français: no commune question
    talker.send("1")  # consent
    talker.send("5")  # skip the inclusion questions
    return asked


def test_a_citizen_of_a_bound_channel_is_stored_in_its_commune(bound, messenger) -> None:
    ama = Talker(bound, messenger, "ama")
    assert "commune" not in _onboard_bound(ama).lower().split("\n")[0]
    with bound.uow_factory() as uow:
        citizen = uow.session.exec(select(Citizen)).one()
        assert citizen.commune_id == BOHICON
        announcement = broadcasts.create(uow=uow, new=broadcasts.NewBroadcast(
            commune_id=BOHICON, text="Réunion publique samedi", created_by="awa"))
        assert announcement.recipients == 1


def test_citizens_who_came_before_the_fix_are_given_the_bound_commune(bound,
                                                                     messenger) -> None:
    ama = Talker(bound, messenger, "ama")
    _onboard_bound(ama)
    with bound.uow_factory() as uow:  # as a citizen stored by an earlier version
        citizen = uow.session.exec(select(Citizen)).one()
        citizen.commune_id = None
        uow.session.add(citizen)
        uow.commit()
    prepare(bound)  # the next start
    with bound.uow_factory() as uow:
        assert uow.session.exec(select(Citizen.commune_id)).one() == BOHICON


def test_a_process_that_does_not_migrate_keeps_the_bindings(bound, database_url, tmp_path,
                                                           monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name, value in {"PALABRE_DATABASE_URL": database_url, "PALABRE_AUTO_MIGRATE": "false",
                        "PALABRE_CONSOLE_COMMUNE": "Bohicon", "PALABRE_MEDIA_DIR": "media",
                        "PALABRE_TRANSCRIPTION_ROUTES": ""}.items():
        monkeypatch.setenv(name, value)
    started = cli._app()
    try:
        assert started.dialogs.bound_communes == {("console", "console"): BOHICON}
    finally:
        started.close()
