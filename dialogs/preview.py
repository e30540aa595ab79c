"""How the bot will ask a survey's questions, in a language, as a text-only channel shows
them (numbered choices): for the moderator who writes the survey, before it is launched."""

from __future__ import annotations

from core.communes.models import label
from core.messages.neutral import Choice
from core.surveys.models import SurveyQuestion
from dialogs.engine import QuestionView
from dialogs.flows.survey import question_prompt
from dialogs.i18n import Catalogs
from dialogs.render import numbered_text


def survey_preview(catalogs: Catalogs, asked: list[SurveyQuestion], language: str) -> list[str]:
    """Each question's message, as a citizen reading `language` receives it."""
    shown = []
    for question in asked:
        view = QuestionView(id=question.id or 0, position=question.position, kind=question.kind,
                            text=label(question.text, language),
                            choices=tuple(label(c, language) for c in question.choices))
        asked_now = question_prompt(view, len(asked))
        text = "\n\n".join(catalogs.render(language, s) for s in asked_now.says)
        choices = tuple(Choice(o.id, catalogs.label(language, o)) for o in asked_now.options)
        shown.append(numbered_text(text, choices).text)
    return shown
