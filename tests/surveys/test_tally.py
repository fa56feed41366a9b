"""Running-total keys: what one completed response adds to the tallies reports read."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.model import Survey
from surveys.tally import (
    ANSWERED,
    COMPLETED,
    NO_AREA,
    OVERALL,
    Key,
    area_of,
    area_question,
    keys,
)


def survey(*questions: dict[str, Any]) -> Survey:
    return Survey.model_validate(
        {"id": "s", "title": "S", "intro": "Hello", "questions": list(questions)}
    )


COMPLETED_KEY = (COMPLETED, ANSWERED)  # (question, value) counting the completed response


def overall_values(survey_: Survey, answers: dict[str, object]) -> set[tuple[str, str]]:
    """(question, value) of every key under the OVERALL split, but the completed response's."""
    return {
        (key.question_id, key.value)
        for key in keys(survey_, answers)
        if (key.split_question, key.split_value) == OVERALL
    } - {COMPLETED_KEY}


REGION = {
    "id": "region",
    "type": "choice",
    "text": "Where?",
    "choices": ["north", "south"],
    "breakdown": True,
    "required": False,
}
MEMBER = {"id": "member", "type": "yesno", "text": "Member?", "breakdown": True, "required": False}


@pytest.mark.parametrize(
    ("question", "answer", "values"),
    [
        ({"type": "choice", "choices": ["red", "blue"]}, "blue", {"blue"}),
        ({"type": "yesno"}, "no", {"no"}),
        ({"type": "multi", "choices": ["a", "b", "c"]}, ["a", "c"], {"a", "c"}),
        ({"type": "scale", "min": 1, "max": 5}, 4, {"4"}),
        ({"type": "number"}, 3.0, {"3"}),
        ({"type": "number"}, 3, {"3"}),
        ({"type": "number"}, 2.5, {"2.5"}),
    ],
    ids=["choice", "yesno", "multi", "scale", "number-float", "number-int", "number-fraction"],
)
def test_an_answer_counts_as_answered_and_under_each_value_it_holds(question, answer, values):
    one = survey({"id": "q", "text": "Q?", **question})

    assert overall_values(one, {"q": answer}) == {("q", ANSWERED)} | {("q", v) for v in values}


def test_a_multi_answer_counts_once_under_each_ticked_option_and_once_as_answered():
    one = survey({"id": "q", "type": "multi", "text": "Q?", "choices": ["a", "b", "c"]})

    counted = [key.value for key in keys(one, {"q": ["c", "a"]}) if key.question_id == "q"]

    assert sorted(counted) == sorted([ANSWERED, "a", "c"])


CODED_TEXT = {
    "id": "why",
    "type": "text",
    "text": "Why?",
    "themes": {"housing": ["rent", "landlord"], "transport": ["bus"]},
}


@pytest.mark.parametrize(
    ("answer", "themes"),
    [
        ("The rent is too high", {"housing"}),
        ("My landlord and the bus", {"housing", "transport"}),
        ("Nothing in particular", {"other"}),
    ],
)
def test_coded_text_counts_under_its_themes_or_other(answer, themes):
    one = survey(CODED_TEXT)

    assert overall_values(one, {"why": answer}) == {("why", ANSWERED)} | {
        ("why", theme) for theme in themes
    }


def test_text_without_a_codebook_counts_only_as_answered():
    one = survey({"id": "why", "type": "text", "text": "Why?"})

    assert overall_values(one, {"why": "Because the rent is too high"}) == {("why", ANSWERED)}


def test_a_skipped_answer_counts_nowhere_but_the_response_still_counts_as_completed():
    two = survey(
        {"id": "q1", "type": "choice", "text": "Q1?", "choices": ["a", "b"], "required": False},
        {"id": "q2", "type": "yesno", "text": "Q2?"},
    )

    counted = keys(two, {"q1": None, "q2": "yes"})

    assert {key.question_id for key in counted} == {COMPLETED, "q2"}
    assert keys(two, {"q1": None}) == [Key(*OVERALL, *COMPLETED_KEY)]


def test_a_question_never_reached_counts_nowhere():
    two = survey(
        {"id": "q1", "type": "yesno", "text": "Q1?"},
        {"id": "q2", "type": "yesno", "text": "Q2?"},
    )

    assert {key.question_id for key in keys(two, {"q1": "no"})} == {COMPLETED, "q1"}


def test_every_count_is_made_overall_and_within_each_breakdown_but_the_area_question():
    three = survey(REGION, MEMBER, {"id": "q", "type": "yesno", "text": "Q?"})

    counted = keys(three, {"region": "north", "member": "yes", "q": "no"})

    splits = {(key.split_question, key.split_value) for key in counted}
    assert splits == {OVERALL, ("member", "yes")}
    per_split = {
        split: sorted((key.question_id, key.value) for key in counted if key[:2] == split)
        for split in splits
    }
    assert per_split[OVERALL] == per_split["member", "yes"]
    assert per_split[OVERALL] == sorted(
        [
            COMPLETED_KEY,
            ("region", ANSWERED),
            ("region", "north"),
            ("member", ANSWERED),
            ("member", "yes"),
            ("q", ANSWERED),
            ("q", "no"),
        ]
    )


def test_a_skipped_breakdown_question_adds_no_split_of_its_own():
    three = survey(REGION, MEMBER, {"id": "q", "type": "yesno", "text": "Q?"})

    counted = keys(three, {"region": "north", "member": None, "q": "no"})

    assert {(key.split_question, key.split_value) for key in counted} == {OVERALL}
    assert Key("", "", "q", "no") in counted


def test_several_breakdown_questions_each_split_the_counts():
    extra = {**MEMBER, "id": "union", "text": "Union?"}
    survey_ = survey(REGION, MEMBER, extra)

    counted = keys(survey_, {"region": "south", "member": "no", "union": "yes"})

    assert {(key.split_question, key.split_value) for key in counted} == {
        OVERALL,
        ("member", "no"),
        ("union", "yes"),
    }
    # three splits, each counting the completed response and three questions answered (each
    # ANSWERED and its value)
    assert len(counted) == 3 * (1 + 3 * 2)


def test_the_area_is_the_answer_to_the_first_breakdown_question():
    survey_ = survey({"id": "q", "type": "yesno", "text": "Q?"}, REGION, MEMBER)

    assert area_question(survey_).id == "region"
    assert area_of(survey_, {"q": "yes", "region": "south", "member": "no"}) == "south"


def test_a_yesno_area_question_gives_yes_or_no_as_the_area():
    survey_ = survey(MEMBER)

    assert area_of(survey_, {"member": "yes"}) == "yes"


def test_a_skipped_area_question_leaves_the_response_without_an_area():
    survey_ = survey(REGION, MEMBER)

    assert area_of(survey_, {"region": None, "member": "yes"}) == NO_AREA
    assert area_of(survey_, {"member": "yes"}) == NO_AREA


def test_a_survey_without_a_breakdown_question_has_no_areas():
    survey_ = survey({"id": "q", "type": "choice", "text": "Q?", "choices": ["a", "b"]})

    assert area_question(survey_) is None
    assert area_of(survey_, {"q": "a"}) == NO_AREA
    assert {(key.split_question, key.split_value) for key in keys(survey_, {"q": "a"})} == {OVERALL}


def test_a_completed_response_counts_once_as_completed_in_every_split_it_is_in():
    three = survey(REGION, MEMBER, {"id": "q", "type": "yesno", "text": "Q?", "required": False})

    counted = keys(three, {"region": "north", "member": "no", "q": None})

    assert [key for key in counted if key.question_id == COMPLETED] == [
        Key(*OVERALL, COMPLETED, ANSWERED),
        Key("member", "no", COMPLETED, ANSWERED),
    ]


def test_a_response_that_answered_nothing_counts_only_as_completed():
    two = survey(REGION, MEMBER)

    assert keys(two, {}) == [Key(*OVERALL, COMPLETED, ANSWERED)]
