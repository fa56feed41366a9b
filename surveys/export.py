"""The layout of a survey's CSV export: respondent pseudonyms, columns and cells. Pure.

One row per response, one column per question of the current survey file (a multi question gets
one 0/1 column per option), so a spreadsheet can filter and count without parsing lists. The
respondent column is a keyed hash of the member's row id: rows of one member can be matched,
but nobody without the key can tell who they are. Answers become text that a spreadsheet reads
as data: a member's typed text that looks like a formula is defused.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Protocol, assert_never

from surveys.engine import format_number
from surveys.model import (
    ChoiceQuestion,
    MultiQuestion,
    NumberQuestion,
    Question,
    ScaleQuestion,
    Survey,
    TextQuestion,
    YesNoQuestion,
)

# `counted`: 1 for the completion reports count (each member's latest), 0 for the rest, so that
# totals worked out from the file are the reports' totals, about people.
FIXED_COLUMNS = ["respondent", "status", "counted", "started_at", "completed_at"]
PSEUDONYM_LENGTH = 16  # hex characters: 64 bits, so two members practically never share one
# Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV Injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportableResponse(Protocol):
    """What a row needs of a response (storage.export.ExportedResponse has it)."""

    @property
    def status(self) -> str: ...

    @property
    def started_at(self) -> str: ...

    @property
    def completed_at(self) -> str | None: ...

    @property
    def counted(self) -> bool: ...

    @property
    def answers(self) -> Mapping[str, object]: ...


def pseudonym(key: bytes, member_id: int | None) -> str:
    """The respondent id of a member: stable for one key, irreversible without it. Empty for
    a response that retention unlinked from its member: it belongs to no one any more."""
    if member_id is None:
        return ""
    digest = hmac.new(key, str(member_id).encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]


def header(survey: Survey) -> list[str]:
    """The column names: the response's own columns, then the questions in survey order."""
    return [*FIXED_COLUMNS, *(name for q in survey.questions for name in _column_names(q))]


def row(survey: Survey, respondent: str, response: ExportableResponse) -> list[str]:
    """One response's cells, matching `header(survey)`; unanswered and skipped cells are empty.

    Answers to questions that are no longer in the survey are left out: the export follows the
    current file.
    """
    counted = "1" if response.status == "completed" and response.counted else "0"
    cells = [
        respondent,
        response.status,
        counted,
        response.started_at,
        response.completed_at or "",
    ]
    for question in survey.questions:
        cells.extend(_answer_cells(question, response.answers.get(question.id)))
    return cells


def _column_names(question: Question) -> list[str]:
    match question:
        case MultiQuestion():
            return [f"{question.id}:{value}" for value in question.values()]
        case (
            ChoiceQuestion() | YesNoQuestion() | ScaleQuestion() | NumberQuestion() | TextQuestion()
        ):
            return [question.id]
        case _:
            assert_never(question)


def _answer_cells(question: Question, value: object) -> list[str]:
    """The cells of one question: one, or one per option of a multi question.

    Anything but a number or one of the survey's own values is defused. Checking the value
    rather than only the question type also covers an answer given while the question had
    another type (a question id reused for a text question, say).
    """
    if value is None:
        return [""] * len(_column_names(question))
    match question:
        case MultiQuestion():
            return _option_cells(question, value)
        case ChoiceQuestion() | YesNoQuestion():
            text = _text(value)
            return [text if text in question.values() else _defused(text)]
        case ScaleQuestion() | NumberQuestion():
            return [_text(value) if isinstance(value, int | float) else _defused(_text(value))]
        case TextQuestion():
            return [_defused(_text(value))]
        case _:
            assert_never(question)


def _option_cells(question: MultiQuestion, value: object) -> list[str]:
    """1 for each option ticked, 0 for the others."""
    # A single value would only come from a version where the question was not yet multi.
    chosen = set(value) if isinstance(value, list) else {value}
    return ["1" if option in chosen else "0" for option in question.values()]


def _text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, int | float):
        return format_number(value)
    return str(value)


def _defused(text: str) -> str:
    """Text a spreadsheet shows as typed: a leading apostrophe stops a formula from running."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text
