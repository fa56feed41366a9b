"""Export layout: pseudonyms, columns (multi options spread out), cells, the formula guard."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from surveys.export import header, pseudonym, row
from surveys.model import Survey

KEY = b"export-key"
SURVEY = Survey.model_validate(
    {
        "id": "s",
        "title": "T",
        "intro": "I",
        "questions": [
            {"id": "area", "type": "choice", "text": "Where?", "choices": ["north", "-1"]},
            {"id": "member", "type": "yesno", "text": "Member?"},
            {"id": "priorities", "type": "multi", "text": "What?", "choices": ["Housing", "NHS"]},
            {"id": "hope", "type": "scale", "text": "Hope?", "min": -2, "max": 2},
            {"id": "age", "type": "number", "text": "Age?"},
            {"id": "comment", "type": "text", "text": "Else?", "required": False},
        ],
    }
)
FIXED = ["respondent", "status", "counted", "started_at", "completed_at"]
STARTED = "2025-03-01T12:00:00+00:00"
COMPLETED = "2025-03-01T12:05:00+00:00"


@dataclass(frozen=True)
class Response:
    status: str = "completed"
    started_at: str = STARTED
    completed_at: str | None = COMPLETED
    answers: dict[str, object] = field(default_factory=dict)
    counted: bool = True


def answers_of(answers: dict[str, object]) -> dict[str, str]:
    """The question cells of a completed response, by column name."""
    cells = row(SURVEY, "r", Response(answers=answers))
    return dict(zip(header(SURVEY), cells, strict=True))


# --- pseudonyms --------------------------------------------------------------------------------


def test_a_pseudonym_is_16_hex_characters_and_stable() -> None:
    first = pseudonym(KEY, 7)

    assert first == pseudonym(KEY, 7)
    assert len(first) == 16
    assert set(first) <= set("0123456789abcdef")


def test_pseudonyms_differ_per_member_and_per_key() -> None:
    assert pseudonym(KEY, 7) != pseudonym(KEY, 8)
    assert pseudonym(KEY, 7) != pseudonym(b"another-key", 7)


def test_a_pseudonym_does_not_contain_the_member_id() -> None:
    member_id = 123456789

    assert str(member_id) not in pseudonym(KEY, member_id)


# --- columns -----------------------------------------------------------------------------------


def test_header_has_a_column_per_question_and_per_multi_option_in_survey_order() -> None:
    assert header(SURVEY) == [
        *FIXED,
        "area",
        "member",
        "priorities:Housing",
        "priorities:NHS",
        "hope",
        "age",
        "comment",
    ]


def test_a_row_matches_the_header() -> None:
    assert len(row(SURVEY, "r", Response())) == len(header(SURVEY))


# --- cells -------------------------------------------------------------------------------------


def test_the_response_columns_keep_the_stored_timestamps() -> None:
    cells = row(SURVEY, "abc", Response())

    assert cells[:5] == ["abc", "completed", "1", STARTED, COMPLETED]


def test_a_completion_a_later_one_replaced_is_not_counted() -> None:
    cells = row(SURVEY, "abc", Response(counted=False))

    assert cells[:3] == ["abc", "completed", "0"]


def test_an_unfinished_response_has_an_empty_completed_at() -> None:
    cells = row(SURVEY, "abc", Response(status="in_progress", completed_at=None))

    assert cells[:5] == ["abc", "in_progress", "0", STARTED, ""]


def test_every_type_of_answer_becomes_its_text() -> None:
    cells = answers_of(
        {
            "area": "north",
            "member": "yes",
            "priorities": ["NHS"],
            "hope": -2,
            "age": 34.5,
            "comment": "More buses",
        }
    )

    assert cells == {
        "respondent": "r",
        "status": "completed",
        "counted": "1",
        "started_at": STARTED,
        "completed_at": COMPLETED,
        "area": "north",
        "member": "yes",
        "priorities:Housing": "0",
        "priorities:NHS": "1",
        "hope": "-2",
        "age": "34.5",
        "comment": "More buses",
    }


@pytest.mark.parametrize(("value", "cell"), [(40.0, "40"), (1234567.5, "1234567.5"), (-3, "-3")])
def test_numbers_are_written_as_people_write_them(value: float, cell: str) -> None:
    assert answers_of({"age": value})["age"] == cell


def test_unanswered_and_skipped_questions_are_empty_cells() -> None:
    cells = answers_of({"comment": None, "priorities": None})

    assert [cells[name] for name in header(SURVEY)[len(FIXED) :]] == [""] * 7


def test_answers_to_questions_no_longer_in_the_survey_are_left_out() -> None:
    with_old = row(SURVEY, "r", Response(answers={"area": "north", "removed": "=x"}))

    assert with_old == row(SURVEY, "r", Response(answers={"area": "north"}))


# --- the formula guard -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["=1+1", "+44 20", "-minus", "@SUM(A1)", "\tx", "\rx"])
def test_typed_text_that_a_spreadsheet_would_run_gets_a_leading_apostrophe(typed: str) -> None:
    assert answers_of({"comment": typed})["comment"] == "'" + typed


def test_typed_text_with_a_formula_character_later_on_is_kept() -> None:
    assert answers_of({"comment": "a=b-c"})["comment"] == "a=b-c"


def test_numbers_and_the_surveys_own_values_are_not_guarded() -> None:
    cells = answers_of({"area": "-1", "hope": -1, "age": -3})

    assert (cells["area"], cells["hope"], cells["age"]) == ("-1", "-1", "-3")


def test_an_answer_from_when_the_question_was_text_is_guarded() -> None:
    assert answers_of({"age": "=HYPERLINK(x)"})["age"] == "'=HYPERLINK(x)"
