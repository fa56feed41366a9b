"""Every question type is handled everywhere its type decides something.

The type checker proves the `match` statements exhaustive; these tests keep the examples complete
and which types are answered with buttons in step with what a typed answer is refused for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import TypeAdapter

from surveys import engine, export, summary, tally
from surveys.model import TYPE_TAGS, Question, Survey

EXAMPLES: dict[str, dict[str, Any]] = {
    "choice": {"choices": ["North", "South"]},
    "multi": {"choices": ["Rent", "Buses", "Parks"]},
    "scale": {"min": 1, "max": 5},
    "yesno": {},
    "text": {"themes": {"housing": ["rent"]}},
    "number": {"min": 0},
}
ANSWERS: dict[str, engine.AnswerValue] = {
    "choice": "North",
    "multi": ["Rent", "Parks"],
    "scale": 4,
    "yesno": "yes",
    "text": "The rent is too high",
    "number": 12,
}


def example(kind: str) -> Question:
    data = {"id": f"q-{kind}", "text": f"A {kind} question", "type": kind, **EXAMPLES[kind]}
    return TypeAdapter(Question).validate_python(data)


def test_there_is_an_example_of_every_question_type():
    assert set(EXAMPLES) == set(ANSWERS) == TYPE_TAGS


@pytest.mark.parametrize("kind", EXAMPLES)
def test_button_types_are_those_a_typed_answer_is_refused_for(kind):
    question = example(kind)
    refused = engine.typed_answer(question, "12") == engine.Rejected(engine.Problem.USE_BUTTONS)
    assert engine.answered_with_buttons(question) == refused


@dataclass(frozen=True)
class Completed:
    answers: dict[str, object]
    status: str = "completed"
    started_at: str = "2025-03-01T12:00:00+00:00"
    completed_at: str | None = "2025-03-01T12:05:00+00:00"
    counted: bool = True


@pytest.mark.parametrize("kind", EXAMPLES)
def test_an_answer_of_every_type_is_worded_counted_and_exported(kind):
    question = example(kind)
    answer = ANSWERS[kind]
    survey = Survey(id="s", title="S", intro="I", questions=[question])

    columns = [value for value, _ in summary.columns(question)]
    assert engine.answer_text(question, answer)
    assert set(tally.values_counted(question, answer)) <= set(columns) or not columns
    cells = export.row(survey, "", Completed({question.id: answer}))
    assert len(cells) == len(export.header(survey))
