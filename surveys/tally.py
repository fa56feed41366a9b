"""What a completed response adds to the running totals that reports read. Pure.

Reports must stay fast at national scale, so they never scan answers: when a response is
completed, storage adds one to a tally for every (split, question, value) it counts in, and a
report reads a few thousand tally rows whatever the number of responses. This module decides
those keys, so that the answer path and the bulk path count the same way.

A key's split is OVERALL or a breakdown question (other than the area question: tallies carry
the area already) and the response's answer to it; its value is
ANSWERED (the question was answered, not skipped), a stored option, a scale point, a number,
or a theme of a text question's codebook; the question COMPLETED with the value ANSWERED counts
completed responses. Every response also carries an area: its answer to
the survey's area question (the first breakdown question), or NO_AREA.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import NamedTuple, assert_never, cast

from surveys.model import (
    OTHER_THEME,
    ChoiceQuestion,
    MultiQuestion,
    NumberQuestion,
    Question,
    ScaleQuestion,
    Survey,
    TextQuestion,
    YesNoQuestion,
)
from surveys.themes import Codebook

ANSWERED = ""  # no option, point, number or theme is empty, so this value cannot clash
COMPLETED = ""  # no question id is empty: (COMPLETED, ANSWERED) counts completed responses
OVERALL = ("", "")
NO_AREA = ""

Answers = Mapping[str, object]


class Key(NamedTuple):
    """One tally a completed response adds one to (a tuple, so storage takes it as it is)."""

    split_question: str
    split_value: str
    question_id: str
    value: str


def area_question(survey: Survey) -> Question | None:
    """The question whose answer scopes organiser chats to an area: the first breakdown."""
    return next((question for question in survey.questions if question.breakdown), None)


def area_of(survey: Survey, answers: Answers) -> str:
    """The response's area (NO_AREA when the survey has none or the member skipped it)."""
    question = area_question(survey)
    answer = answers.get(question.id) if question else None
    return NO_AREA if answer is None else str(answer)


def keys(survey: Survey, answers: Answers) -> list[Key]:
    """Every tally a completed response with these answers counts in."""
    area = area_question(survey)  # its answer is the area every tally carries: no split needed
    splits = [OVERALL] + [
        (question.id, str(answers[question.id]))
        for question in survey.questions
        if question.breakdown and question is not area and answers.get(question.id) is not None
    ]
    counted = [(COMPLETED, ANSWERED)] + [
        (question.id, value)
        for question in survey.questions
        if answers.get(question.id) is not None
        for value in [ANSWERED, *values_counted(question, answers[question.id])]
    ]
    return [
        Key(split, split_value, qid, value)
        for split, split_value in splits
        for qid, value in counted
    ]


def values_counted(question: Question, answer: object) -> list[str]:
    """The values an answer counts under (besides ANSWERED)."""
    match question:
        case ChoiceQuestion() | YesNoQuestion() | ScaleQuestion():
            return [str(answer)]
        case MultiQuestion():
            # Stored by this question's own judging: a list of its values.
            return [str(value) for value in cast(list[str], answer)]
        case NumberQuestion():
            return [number_key(float(cast(int | float, answer)))]
        case TextQuestion() if question.themes:
            return sorted(codebook(question).themes_of(str(answer))) or [OTHER_THEME]
        case TextQuestion():  # no codebook: counted only as answered, the text never reported
            return []
        case _:
            assert_never(question)


def number_key(number: float) -> str:
    """A number as one text per value: 3 and 3.0 count together."""
    return str(int(number)) if number.is_integer() else repr(number)


def codebook(question: TextQuestion) -> Codebook:
    """The compiled codebook of a text question (compiled once per codebook)."""
    return _compiled(
        tuple((name, tuple(phrases)) for name, phrases in (question.themes or {}).items())
    )


@cache
def _compiled(themes: tuple[tuple[str, tuple[str, ...]], ...]) -> Codebook:
    return Codebook({name: list(phrases) for name, phrases in themes})
