"""Survey answers and results on both databases: answers out of range refused, a second set
refused, nothing counted twice, groups under five people hidden (and the next smallest when
only one is), the CSV without who answered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core import errors
from core.citizens.models import Citizen
from core.citizens.service import erase_citizen
from core.surveys import results as survey_results
from core.surveys import service as surveys
from core.surveys.models import QuestionKind, SurveyAnswer
from tests.talk import Talker

COTONOU = "BJ-LI-COT"
AKPAKPA, GBEGAMEY = "BJ-LI-COT-01", "BJ-LI-COT-02"


def open_survey(app) -> tuple[int, list[int]]:
    with app.uow_factory() as uow:
        row = surveys.define(uow=uow, new=surveys.NewSurvey(
            commune_id=COTONOU, title={"fr": "Le service foncier"}, created_by="awa",
            questions=[surveys.NewQuestion(QuestionKind.RATING, {"fr": "Votre note ?"}),
                       surveys.NewQuestion(QuestionKind.YES_NO, {"fr": "Dossier traité ?"}),
                       surveys.NewQuestion(QuestionKind.FREE, {"fr": "Un mot ?"})]))
        assert row.id is not None
        surveys.launch(uow=uow, survey_id=row.id, actor="awa",
                       closes_at=uow.clock.now() + timedelta(days=7))
        asked = [q.id for q in surveys.questions(uow=uow, survey_id=row.id) if q.id]
        uow.commit()
        return row.id, asked


def citizen(app, messenger, name: str, gender: str | None) -> int:
    Talker(app, messenger, address=name).onboard()
    with app.uow_factory() as uow:
        person = uow.session.exec(select(Citizen).order_by(Citizen.id.desc())).first()
        assert person is not None and person.id is not None
        person.gender = gender
        uow.session.add(person)
        uow.commit()
        return person.id


def answer_all(app, survey_id: int, asked: list[int], who: int, rating: int, fixed: int,
               arrondissement: str | None) -> None:
    with app.uow_factory() as uow:
        surveys.start(uow=uow, survey_id=survey_id, citizen_id=who, channel="console",
                      arrondissement_id=arrondissement)
        surveys.answer(uow=uow, survey_id=survey_id, citizen_id=who, question_id=asked[0],
                       value=rating)
        surveys.answer(uow=uow, survey_id=survey_id, citizen_id=who, question_id=asked[1],
                       value=fixed)
        surveys.answer(uow=uow, survey_id=survey_id, citizen_id=who, question_id=asked[2],
                       text=f"Merci ({rating})")
        surveys.complete(uow=uow, survey_id=survey_id, citizen_id=who)
        uow.commit()


def test_bad_answers_are_refused_and_a_second_set_is_not_counted(app, messenger) -> None:
    survey_id, asked = open_survey(app)
    ama = citizen(app, messenger, "ama", None)
    for question, value, text in ((asked[0], 6, ""), (asked[0], 0, ""), (asked[1], 2, ""),
                                  (asked[2], None, "  ")):
        with app.uow_factory() as uow, pytest.raises(errors.Invalid):
            surveys.answer(uow=uow, survey_id=survey_id, citizen_id=ama,
                           question_id=question, value=value, text=text)
    with app.uow_factory() as uow, pytest.raises(errors.Invalid, match=r"\[2, 3\]"):
        surveys.answer(uow=uow, survey_id=survey_id, citizen_id=ama, question_id=asked[0],
                       value=3)
        surveys.complete(uow=uow, survey_id=survey_id, citizen_id=ama)
    answer_all(app, survey_id, asked, ama, 4, 1, AKPAKPA)
    with app.uow_factory() as uow, pytest.raises(errors.SurveyAnswered):
        surveys.answer(uow=uow, survey_id=survey_id, citizen_id=ama, question_id=asked[0],
                       value=1)
    with app.uow_factory() as uow:
        found = survey_results.results(uow=uow, survey_id=survey_id)
        stored = uow.session.exec(select(SurveyAnswer)).all()
    assert (found.started, found.completed) == (1, 1)
    assert [q.answered for q in found.questions] == [1, 1, 1]  # the refused ones: not counted
    assert len(stored) == 3


def test_small_groups_are_hidden_in_the_results_and_the_export(app, messenger) -> None:
    survey_id, asked = open_survey(app)
    people = ([("female", 5, AKPAKPA)] * 6 + [("male", 3, AKPAKPA)] * 5
              + [(None, 1, GBEGAMEY)])
    for number, (gender, rating, place) in enumerate(people):
        who = citizen(app, messenger, f"c{number}", gender)
        answer_all(app, survey_id, asked, who, rating, 1 if rating > 2 else 0, place)

    with app.uow_factory() as uow:
        found = survey_results.results(uow=uow, survey_id=survey_id)
        rows = list(survey_results.export_rows(uow=uow, survey_id=survey_id))

    assert found.completed == 12 and found.response_rate is None  # nobody was invited
    assert not found.withheld
    assert found.questions[0].average == round((6 * 5 + 5 * 3 + 1) / 12, 2)
    # one group under five (not said: 1) hides the next smallest too (male: 5); hidden
    # groups are left out, with how many people they hold together
    assert list(found.breakdowns["gender"]) == ["female"]
    female = found.breakdowns["gender"]["female"]
    assert female.completed == 6 and female.averages == {1: 5.0, 2: 1.0}
    assert found.hidden["gender"] == 6
    assert found.breakdowns["arrondissement"] == {} and found.hidden["arrondissement"] == 12
    assert [a["text"] for a in found.questions[2].free_answers][:2] == ["Merci (5)",
                                                                         "Merci (5)"]

    header, *lines = rows
    assert header[:5] == ["response", "completed_on", "arrondissement", "gender", "age_band"]
    assert len(lines) == 12 * 3
    assert {line[3] for line in lines} == {"female", ""}
    assert {line[2] for line in lines} == {""}  # 11 and 1: both hidden
    assert {line[0] for line in lines} == {str(n) for n in range(1, 13)}  # no citizen ids


def test_a_citizen_who_erases_their_data_takes_their_answers_with_them(app, messenger) -> None:
    survey_id, asked = open_survey(app)
    ama = citizen(app, messenger, "ama", "female")
    answer_all(app, survey_id, asked, ama, 2, 0, None)
    with app.uow_factory() as uow:
        erase_citizen(uow=uow, citizen_id=ama)
        uow.commit()
    with app.uow_factory() as uow:
        found = survey_results.results(uow=uow, survey_id=survey_id)
        left = uow.session.exec(select(SurveyAnswer)).all()
    assert (found.started, found.completed, left) == (0, 0, [])


def test_two_small_groups_hide_a_third_and_the_export_hides_small_combinations(
        app, messenger) -> None:
    survey_id, asked = open_survey(app)
    people = ([("female", AKPAKPA)] * 5 + [("female", GBEGAMEY)] + [("male", AKPAKPA)]
              + [("male", GBEGAMEY)] * 4 + [("other", AKPAKPA), ("x", GBEGAMEY)])
    for number, (gender, place) in enumerate(people):
        who = citizen(app, messenger, f"p{number}", gender)
        answer_all(app, survey_id, asked, who, 4, 1, place)
    with app.uow_factory() as uow:
        found = survey_results.results(uow=uow, survey_id=survey_id)
        rows = list(survey_results.export_rows(uow=uow, survey_id=survey_id))[1:]
    # "other" (1) and "x" (1) hold 2 together: the next smallest (male, 5) goes too
    assert list(found.breakdowns["gender"]) == ["female"] and found.hidden["gender"] == 7
    assert set(found.breakdowns["arrondissement"]) == {AKPAKPA, GBEGAMEY}
    # shown alone, Gbégamey (5) and female (6) are big enough, but one woman of Gbégamey
    # would stand out: only combinations five people share are written
    shown = {(line[2], line[3]) for line in rows if line[2] or line[3]}
    assert shown == {(AKPAKPA, "female"), (GBEGAMEY, "")}  # 4 men and "x": gender hidden
    assert sum(1 for line in rows if line[2]) == 10 * 3  # ten sets, three questions each


def test_under_five_completed_sets_the_figures_are_withheld(app, messenger) -> None:
    survey_id, asked = open_survey(app)
    for number in range(4):
        answer_all(app, survey_id, asked, citizen(app, messenger, f"w{number}", "female"),
                   2, 0, AKPAKPA)
    with app.uow_factory() as uow:
        found = survey_results.results(uow=uow, survey_id=survey_id)
    assert found.withheld and found.completed == 4
    assert found.questions[0].distribution == {} and found.questions[0].average is None
    assert found.questions[0].answered == 4 and found.breakdowns == {}
    assert len(found.questions[2].free_answers) == 4
