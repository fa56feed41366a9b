"""The survey engine: which question comes next, what counts as a valid answer.

Pure functions over a `Survey` and the member's answers so far (question id -> value; a key whose
value is None means the member skipped that question). Everything here is decided without
Telegram, SQL or a clock, so the rules are tested directly.

Navigation rule: the current question is always the first visible question that has no answer
yet. Visibility of a question depends only on earlier answers (the loader guarantees show_if
refers back), so this is well defined, and after Back the member returns to where they were.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import assert_never

from surveys.model import (
    All,
    AnyOf,
    ChoiceQuestion,
    Condition,
    Equals,
    In,
    MultiQuestion,
    NotIn,
    NumberQuestion,
    Question,
    ScaleQuestion,
    Survey,
    TextQuestion,
    YesNoQuestion,
)

AnswerValue = str | int | float | list[str] | None
Answers = Mapping[str, AnswerValue]


# --- visibility and navigation -----------------------------------------------------------------


def condition_holds(condition: Condition, answers: Answers) -> bool:
    """Evaluate show_if data against the answers; an unanswered question matches nothing."""
    if isinstance(condition, All):
        return all(condition_holds(part, answers) for part in condition.all)
    if isinstance(condition, AnyOf):
        return any(condition_holds(part, answers) for part in condition.any)
    given = _as_set(answers.get(condition.question))
    if isinstance(condition, Equals):
        return normal(condition.equals) in given
    if isinstance(condition, In):
        return bool(given & {normal(value) for value in condition.in_})
    if isinstance(condition, NotIn):
        return not given & {normal(value) for value in condition.not_in}
    raise TypeError(f"not a condition: {condition!r}")


def normal(value: object) -> str:
    """One comparable form: choice value "1" and number 1 alike, 3 and 3.0 alike."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _as_set(value: AnswerValue) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list):
        return {normal(item) for item in value}
    return {normal(value)}


def is_visible(question: Question, answers: Answers) -> bool:
    """Whether the member should be asked this question, given their answers."""
    return question.show_if is None or condition_holds(question.show_if, answers)


def visible_questions(survey: Survey, answers: Answers) -> list[Question]:
    """The questions this member is asked, in order, as far as their answers tell now."""
    return [question for question in survey.questions if is_visible(question, answers)]


def current_question(survey: Survey, answers: Answers) -> Question | None:
    """The first visible question without an answer; None once the survey is complete."""
    for question in visible_questions(survey, answers):
        if question.id not in answers:
            return question
    return None


def previous_question(survey: Survey, answers: Answers, current_id: str) -> Question | None:
    """The visible question asked before `current_id`; None at the first question."""
    earlier: Question | None = None
    for question in visible_questions(survey, answers):
        if question.id == current_id:
            return earlier
        earlier = question
    return earlier


def hidden_answers(survey: Survey, answers: Answers) -> list[str]:
    """Ids of answered questions that the answers themselves now hide (to be removed).

    Walks in order so that hiding one question also hides those that depended on it.
    """
    kept: dict[str, AnswerValue] = {}
    hidden: list[str] = []
    for question in survey.questions:
        if question.id not in answers:
            continue
        if is_visible(question, kept):
            kept[question.id] = answers[question.id]
        else:
            hidden.append(question.id)
    return hidden


@dataclass(frozen=True)
class Progress:
    """Where the member stands: `position` of `total` visible questions (1-based)."""

    position: int
    total: int


def progress(survey: Survey, answers: Answers, question_id: str) -> Progress:
    """Position of a question among the questions this member is asked.

    Later questions may appear or disappear as the member answers, so the total is the
    best estimate from the answers so far.
    """
    shown = [question.id for question in visible_questions(survey, answers)]
    position = shown.index(question_id) + 1 if question_id in shown else len(shown)
    return Progress(position=position, total=len(shown))


# --- answers -----------------------------------------------------------------------------------


class Problem(enum.Enum):
    """Why an answer was not accepted; the handlers turn these into member texts."""

    USE_BUTTONS = "use_buttons"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_A_NUMBER = "not_a_number"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    NOT_AN_OPTION = "not_an_option"
    TOO_MANY = "too_many"
    NONE_CHOSEN = "none_chosen"
    REQUIRED = "required"


@dataclass(frozen=True)
class Accepted:
    """A valid answer, as it is stored."""

    value: AnswerValue


@dataclass(frozen=True)
class Rejected:
    """An answer that was not accepted; `limit` and `actual` qualify the problem."""

    problem: Problem
    limit: float | None = None
    actual: float | None = None


Verdict = Accepted | Rejected

MAX_NUMBER_LENGTH = 30  # longer is a slip of the keyboard, not a count
# 12, -3, 12.5, .5, 5., 1,000 and 1,000.25 (a comma only between thousands).
_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d*)?")


def typed_answer(question: Question, text: str) -> Verdict:
    """Judge a typed message as the answer to `question`."""
    text = text.strip()
    match question:
        case ChoiceQuestion() | MultiQuestion() | ScaleQuestion() | YesNoQuestion():
            return Rejected(Problem.USE_BUTTONS)
        case TextQuestion() | NumberQuestion() if not text:
            return Rejected(Problem.EMPTY)
        case TextQuestion():
            return _text_answer(question, text)
        case NumberQuestion():
            return _number_answer(question, text)
        case _:
            assert_never(question)


def _text_answer(question: TextQuestion, text: str) -> Verdict:
    if len(text) > question.max_length:
        return Rejected(Problem.TOO_LONG, limit=question.max_length, actual=len(text))
    return Accepted(text)


def _number_answer(question: NumberQuestion, text: str) -> Verdict:
    compact = text.replace(" ", "").replace("\u00a0", "")
    if (
        len(compact) > MAX_NUMBER_LENGTH
        or not _NUMBER.fullmatch(compact)
        or not any(c.isdigit() for c in compact)
    ):
        return Rejected(Problem.NOT_A_NUMBER)
    exact = Decimal(compact.replace(",", ""))
    number: int | float = int(exact) if exact == exact.to_integral_value() else float(exact)
    if question.min is not None and number < question.min:
        return Rejected(Problem.TOO_SMALL, limit=question.min, actual=number)
    if question.max is not None and number > question.max:
        return Rejected(Problem.TOO_LARGE, limit=question.max, actual=number)
    return Accepted(number)


def button_options(question: Question) -> list[str | int]:
    """The values behind a question's answer buttons, in button order (index = button)."""
    match question:
        case ChoiceQuestion() | MultiQuestion() | YesNoQuestion():
            return list(question.values())
        case ScaleQuestion():
            return list(question.points())
        case TextQuestion() | NumberQuestion():
            return []
        case _:
            assert_never(question)


def answered_with_buttons(question: Question) -> bool:
    """Whether members answer the question by tapping (else by typing)."""
    return bool(button_options(question))


def button_answer(question: Question, option: int) -> Verdict:
    """Judge a tapped answer button (choice, yesno, scale) by its position."""
    match question:
        case ChoiceQuestion() | YesNoQuestion() | ScaleQuestion():
            options = button_options(question)
            if not 0 <= option < len(options):
                return Rejected(Problem.NOT_AN_OPTION)
            return Accepted(options[option])
        case MultiQuestion() | TextQuestion() | NumberQuestion():  # toggled, or typed
            return Rejected(Problem.USE_BUTTONS)
        case _:
            assert_never(question)


def toggle(question: Question, selected: list[str], option: int, chosen: bool) -> Verdict:
    """The selection of a multi question after setting one option on or off.

    Setting (rather than flipping) keeps a redelivered tap harmless. The result keeps the
    survey's order of options.
    """
    multi = _toggled(question)
    if multi is None:
        return Rejected(Problem.USE_BUTTONS)
    options = multi.values()
    if not 0 <= option < len(options):
        return Rejected(Problem.NOT_AN_OPTION)
    wanted = set(selected) - {options[option]}
    if chosen:
        wanted.add(options[option])
    if multi.max_choices is not None and len(wanted) > multi.max_choices:
        return Rejected(Problem.TOO_MANY, limit=multi.max_choices, actual=len(wanted))
    return Accepted([value for value in options if value in wanted])


def finish_multi(question: Question, selected: list[str]) -> Verdict:
    """Judge Done on a multi question: at least one option must be chosen."""
    multi = _toggled(question)
    if multi is None:
        return Rejected(Problem.USE_BUTTONS)
    chosen = [value for value in multi.values() if value in selected]
    if not chosen:
        return Rejected(Problem.NONE_CHOSEN)
    return Accepted(chosen)


def _toggled(question: Question) -> MultiQuestion | None:
    """The question if it is answered by toggling options and tapping Done, else None."""
    match question:
        case MultiQuestion():
            return question
        case (
            ChoiceQuestion() | YesNoQuestion() | ScaleQuestion() | TextQuestion() | NumberQuestion()
        ):
            return None
        case _:
            assert_never(question)


def skip(question: Question) -> Verdict:
    """Judge Skip: only optional questions can be skipped (stored as None)."""
    if question.required:
        return Rejected(Problem.REQUIRED)
    return Accepted(None)


# --- one step ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """The outcome of accepting an answer: what to store, what to drop, what comes next."""

    question_id: str
    value: AnswerValue
    dropped: list[str]
    next_question: Question | None


def advance(survey: Survey, answers: Answers, question_id: str, value: AnswerValue) -> Step:
    """Apply an accepted answer: remove answers it hides and find the next question."""
    updated = dict(answers)
    updated[question_id] = value
    dropped = hidden_answers(survey, updated)
    for hidden_id in dropped:
        del updated[hidden_id]
    return Step(question_id, value, dropped, current_question(survey, updated))


def answer_text(question: Question, value: AnswerValue) -> str:
    """An answer in words, as the member chose or typed it (for recaps and edited messages)."""
    if value is None:
        return "(skipped)"
    match question:
        case ChoiceQuestion() | MultiQuestion():
            values = value if isinstance(value, list) else [value]
            return ", ".join(question.label_of(str(item)) for item in values)
        case YesNoQuestion():
            return "Yes" if value == "yes" else "No"
        case ScaleQuestion() | NumberQuestion() | TextQuestion():
            # The value, not the type, decides: an answer may predate a change of type.
            return format_number(value) if isinstance(value, int | float) else str(value)
        case _:
            assert_never(question)


def format_number(number: float) -> str:
    """A number as a person writes it: 12, 12.5, 1234567.5 (never 1.23457e+06)."""
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if isinstance(number, int):
        return str(number)
    return f"{Decimal(repr(number)):f}"
