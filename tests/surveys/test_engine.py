"""The survey engine: visibility, navigation and judging answers, without Telegram or storage."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from surveys.engine import (
    Accepted,
    Problem,
    Progress,
    Rejected,
    advance,
    answer_text,
    button_answer,
    button_options,
    condition_holds,
    current_question,
    finish_multi,
    hidden_answers,
    previous_question,
    progress,
    skip,
    toggle,
    typed_answer,
    visible_questions,
)
from surveys.model import Condition, Question, Survey

# --- building surveys --------------------------------------------------------------------------


def make_survey(*questions: dict[str, Any]) -> Survey:
    return Survey.model_validate(
        {"id": "s", "title": "Survey", "intro": "Hello.", "questions": list(questions)}
    )


def make_question(data: dict[str, Any]) -> Question:
    return TypeAdapter(Question).validate_python(data)


def yesno(qid: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "type": "yesno", "text": f"{qid}?", **extra}


def choice(qid: str, *values: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "type": "choice", "text": f"{qid}?", "choices": list(values), **extra}


def multi(qid: str, *values: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "type": "multi", "text": f"{qid}?", "choices": list(values), **extra}


def scale(qid: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "type": "scale", "text": f"{qid}?", **extra}


def number(qid: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "type": "number", "text": f"{qid}?", **extra}


def text(qid: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "type": "text", "text": f"{qid}?", **extra}


def equals(qid: str, value: Any) -> dict[str, Any]:
    return {"question": qid, "equals": value}


def is_in(qid: str, *values: Any) -> dict[str, Any]:
    return {"question": qid, "in": list(values)}


def not_in(qid: str, *values: Any) -> dict[str, Any]:
    return {"question": qid, "not_in": list(values)}


def holds(condition: dict[str, Any], answers: dict[str, Any]) -> bool:
    return condition_holds(TypeAdapter(Condition).validate_python(condition), answers)


def ids(questions: list[Question]) -> list[str]:
    return [question.id for question in questions]


# --- conditions: equals, in, not_in ------------------------------------------------------------


def test_equals_holds_for_the_same_answer():
    assert holds(equals("a", "yes"), {"a": "yes"})


def test_equals_does_not_hold_for_another_answer():
    assert not holds(equals("a", "yes"), {"a": "no"})


def test_an_unanswered_question_does_not_satisfy_equals():
    assert not holds(equals("a", "yes"), {})


def test_a_skipped_question_does_not_satisfy_equals():
    assert not holds(equals("a", "yes"), {"a": None})


def test_in_holds_when_the_answer_is_one_of_the_values():
    assert holds(is_in("a", "x", "y"), {"a": "y"})
    assert not holds(is_in("a", "x", "y"), {"a": "z"})


def test_an_unanswered_or_skipped_question_does_not_satisfy_in():
    assert not holds(is_in("a", "x", "y"), {})
    assert not holds(is_in("a", "x", "y"), {"a": None})


def test_not_in_holds_when_the_answer_is_none_of_the_values():
    assert holds(not_in("a", "x", "y"), {"a": "z"})
    assert not holds(not_in("a", "x", "y"), {"a": "x"})


def test_not_in_holds_for_a_skipped_question():
    assert holds(not_in("a", "x"), {"a": None})


def test_not_in_holds_for_an_unanswered_question():
    assert holds(not_in("a", "x"), {"other": "x"})


def test_equals_on_a_multi_answer_means_it_includes_the_value():
    assert holds(equals("a", "y"), {"a": ["x", "y"]})
    assert not holds(equals("a", "z"), {"a": ["x", "y"]})


def test_in_on_a_multi_answer_means_it_includes_any_of_the_values():
    assert holds(is_in("a", "z", "x"), {"a": ["x", "y"]})
    assert not holds(is_in("a", "z", "w"), {"a": ["x", "y"]})


def test_not_in_on_a_multi_answer_means_it_includes_none_of_the_values():
    assert holds(not_in("a", "z", "w"), {"a": ["x", "y"]})
    assert not holds(not_in("a", "z", "y"), {"a": ["x", "y"]})


def test_a_whole_float_answer_equals_the_integer_in_the_condition():
    assert holds(equals("a", 3), {"a": 3.0})


def test_an_integer_answer_equals_a_whole_float_in_the_condition():
    assert holds(equals("a", 3.0), {"a": 3})
    assert holds(is_in("a", 1.0, 3.0), {"a": 3})
    assert not holds(not_in("a", 3.0), {"a": 3})


def test_a_fractional_answer_is_compared_exactly():
    assert holds(equals("a", 2.5), {"a": 2.5})
    assert not holds(equals("a", 2.5), {"a": 2})
    assert not holds(equals("a", 3), {"a": 3.5})


def test_all_holds_only_when_every_part_holds():
    condition = {"all": [equals("a", "yes"), equals("b", "no")]}
    assert holds(condition, {"a": "yes", "b": "no"})
    assert not holds(condition, {"a": "yes", "b": "yes"})
    assert not holds(condition, {"a": "no", "b": "no"})


def test_any_holds_when_at_least_one_part_holds():
    condition = {"any": [equals("a", "yes"), equals("b", "yes")]}
    assert holds(condition, {"a": "no", "b": "yes"})
    assert holds(condition, {"a": "yes", "b": "no"})
    assert not holds(condition, {"a": "no", "b": "no"})
    assert not holds(condition, {})


def test_all_and_any_nest():
    condition = {"all": [equals("a", "yes"), {"any": [equals("b", "x"), not_in("c", 1, 2)]}]}
    assert holds(condition, {"a": "yes", "b": "x", "c": 1})
    assert holds(condition, {"a": "yes", "b": "y", "c": 3})
    assert not holds(condition, {"a": "yes", "b": "y", "c": 2})
    assert not holds(condition, {"a": "no", "b": "x", "c": 3})


# --- visibility and the current question -------------------------------------------------------

FOLLOW_UP = make_survey(
    yesno("member"),
    yesno("active", show_if=equals("member", "yes")),
    choice("why-not", "time", "money", show_if=equals("member", "no")),
    text("more", required=False),
)


def test_the_first_question_comes_first():
    assert current_question(FOLLOW_UP, {}).id == "member"


def test_the_current_question_is_the_first_visible_one_without_an_answer():
    assert current_question(FOLLOW_UP, {"member": "yes"}).id == "active"
    assert current_question(FOLLOW_UP, {"member": "no"}).id == "why-not"


def test_a_skipped_question_counts_as_answered():
    assert current_question(FOLLOW_UP, {"member": "no", "why-not": None}).id == "more"


def test_a_hidden_question_is_passed_over():
    assert current_question(FOLLOW_UP, {"member": "yes", "active": "no"}).id == "more"


def test_an_unanswered_earlier_question_comes_before_a_later_answered_one():
    assert current_question(FOLLOW_UP, {"more": "hi"}).id == "member"


def test_a_completed_survey_has_no_current_question():
    assert current_question(FOLLOW_UP, {"member": "yes", "active": "no", "more": None}) is None


def test_the_survey_is_complete_when_only_hidden_questions_are_unanswered():
    survey = make_survey(yesno("a"), yesno("b", show_if=equals("a", "yes")))
    assert current_question(survey, {"a": "no"}) is None


def test_answers_to_unknown_questions_are_ignored():
    assert current_question(FOLLOW_UP, {"gone": "x"}).id == "member"


def test_visible_questions_follow_the_answers():
    assert ids(visible_questions(FOLLOW_UP, {})) == ["member", "more"]
    assert ids(visible_questions(FOLLOW_UP, {"member": "yes"})) == ["member", "active", "more"]
    assert ids(visible_questions(FOLLOW_UP, {"member": "no"})) == ["member", "why-not", "more"]


def test_a_question_shown_unless_an_answer_is_x_is_shown_before_that_answer():
    survey = make_survey(yesno("a"), yesno("b", show_if=not_in("a", "no")))
    assert ids(visible_questions(survey, {})) == ["a", "b"]
    assert ids(visible_questions(survey, {"a": "no"})) == ["a"]


# --- progress ----------------------------------------------------------------------------------


def test_progress_counts_the_visible_questions():
    assert progress(FOLLOW_UP, {}, "member") == Progress(position=1, total=2)
    assert progress(FOLLOW_UP, {"member": "yes"}, "active") == Progress(position=2, total=3)
    assert progress(FOLLOW_UP, {"member": "yes", "active": "no"}, "more") == Progress(3, 3)


def test_progress_total_grows_when_an_answer_reveals_questions():
    survey = make_survey(
        yesno("a"),
        yesno("b", show_if=equals("a", "yes")),
        yesno("c", show_if=equals("a", "yes")),
        yesno("d"),
    )
    assert progress(survey, {}, "a").total == 2
    assert progress(survey, {"a": "yes"}, "b") == Progress(position=2, total=4)
    assert progress(survey, {"a": "no"}, "d") == Progress(position=2, total=2)


def test_progress_of_a_question_that_is_not_shown_is_the_last_position():
    assert progress(FOLLOW_UP, {"member": "no"}, "active") == Progress(position=3, total=3)


# --- previous question -------------------------------------------------------------------------


def test_there_is_nothing_before_the_first_question():
    assert previous_question(FOLLOW_UP, {}, "member") is None


def test_the_previous_question_is_the_one_asked_before():
    assert previous_question(FOLLOW_UP, {"member": "yes"}, "active").id == "member"


def test_the_previous_question_skips_hidden_questions():
    answers = {"member": "yes", "active": "no"}
    assert previous_question(FOLLOW_UP, answers, "more").id == "active"
    answers = {"member": "no", "why-not": "time"}
    assert previous_question(FOLLOW_UP, answers, "more").id == "why-not"
    survey = make_survey(yesno("a"), yesno("b", show_if=equals("a", "yes")), yesno("c"))
    assert previous_question(survey, {"a": "no"}, "c").id == "a"


def test_the_previous_question_of_one_no_longer_shown_is_the_last_shown():
    assert previous_question(FOLLOW_UP, {"member": "no"}, "active").id == "more"


# --- hidden answers ----------------------------------------------------------------------------


def test_no_answers_are_hidden_when_they_agree():
    assert hidden_answers(FOLLOW_UP, {"member": "yes", "active": "no", "more": "x"}) == []


def test_an_answer_to_a_question_hidden_by_another_answer_is_hidden():
    assert hidden_answers(FOLLOW_UP, {"member": "no", "active": "yes", "more": "x"}) == ["active"]


def test_unanswered_hidden_questions_are_not_listed():
    assert hidden_answers(FOLLOW_UP, {"member": "no"}) == []


def test_hiding_a_question_also_hides_those_that_depended_on_it():
    survey = make_survey(
        yesno("a"),
        yesno("b", show_if=equals("a", "yes")),
        yesno("c", show_if=equals("b", "yes")),
        yesno("d", show_if={"any": [equals("c", "yes"), equals("a", "yes")]}),
        yesno("e"),
    )
    answers = {"a": "no", "b": "yes", "c": "yes", "d": "yes", "e": "no"}
    assert hidden_answers(survey, answers) == ["b", "c", "d"]


def test_a_question_shown_unless_a_hidden_answer_is_x_is_kept():
    survey = make_survey(
        yesno("a"),
        yesno("b", show_if=equals("a", "yes")),
        yesno("c", show_if=not_in("b", "yes")),
    )
    assert hidden_answers(survey, {"a": "no", "b": "yes", "c": "no"}) == ["b"]


def test_an_answer_to_a_question_shown_only_after_a_missing_answer_is_hidden():
    survey = make_survey(yesno("a"), yesno("b", show_if=equals("a", "yes")))
    assert hidden_answers(survey, {"b": "yes"}) == ["b"]


# --- advance -----------------------------------------------------------------------------------


def test_advance_stores_the_answer_and_names_the_next_question():
    step = advance(FOLLOW_UP, {}, "member", "yes")
    assert (step.question_id, step.value, step.dropped) == ("member", "yes", [])
    assert step.next_question.id == "active"


def test_advance_after_the_last_question_has_no_next_question():
    step = advance(FOLLOW_UP, {"member": "yes", "active": "no"}, "more", None)
    assert step.next_question is None
    assert step.dropped == []


def test_a_changed_answer_drops_the_answers_it_hides():
    answers = {"member": "yes", "active": "yes", "more": "hi"}
    step = advance(FOLLOW_UP, answers, "member", "no")
    assert step.dropped == ["active"]
    assert step.next_question.id == "why-not"


def test_a_changed_answer_drops_answers_in_a_chain():
    survey = make_survey(
        yesno("a"),
        yesno("b", show_if=equals("a", "yes")),
        yesno("c", show_if=equals("b", "yes")),
        yesno("d"),
    )
    step = advance(survey, {"a": "yes", "b": "yes", "c": "no", "d": "no"}, "a", "no")
    assert step.dropped == ["b", "c"]
    assert step.next_question is None


def test_the_next_question_ignores_answers_that_were_just_dropped():
    survey = make_survey(
        yesno("a"),
        yesno("b", show_if=equals("a", "yes")),
        yesno("c", show_if=equals("b", "yes")),
        yesno("d"),
    )
    step = advance(survey, {"a": "yes", "b": "yes"}, "a", "no")
    assert step.dropped == ["b"]
    assert step.next_question.id == "d"


def test_an_unchanged_answer_returns_to_where_the_member_was():
    answers = {"member": "no", "why-not": "time"}
    step = advance(FOLLOW_UP, answers, "member", "no")
    assert step.dropped == []
    assert step.next_question.id == "more"


def test_a_changed_answer_that_hides_nothing_keeps_later_answers():
    survey = make_survey(choice("a", "x", "y", "z"), yesno("b", show_if=is_in("a", "x", "y")))
    step = advance(survey, {"a": "x", "b": "yes"}, "a", "y")
    assert step.dropped == []
    assert step.next_question is None


def test_advance_does_not_change_the_answers_it_is_given():
    answers = {"member": "yes", "active": "yes"}
    advance(FOLLOW_UP, answers, "member", "no")
    assert answers == {"member": "yes", "active": "yes"}


def test_a_skip_is_stored_as_none_and_moves_on():
    step = advance(FOLLOW_UP, {"member": "yes", "active": "yes"}, "more", None)
    assert step.value is None
    assert step.next_question is None


# --- typed answers: text -----------------------------------------------------------------------

TEXT = make_question(text("t", max_length=5))


def test_typed_text_is_stripped():
    assert typed_answer(TEXT, "  hi \n") == Accepted("hi")


@pytest.mark.parametrize("typed", ["", "   ", "\n\t"])
def test_empty_text_is_rejected(typed):
    assert typed_answer(TEXT, typed) == Rejected(Problem.EMPTY)


def test_text_at_the_limit_is_accepted():
    assert typed_answer(TEXT, "abcde") == Accepted("abcde")


def test_text_over_the_limit_is_rejected_with_the_limit_and_length():
    assert typed_answer(TEXT, "abcdef") == Rejected(Problem.TOO_LONG, limit=5, actual=6)


def test_text_length_is_counted_after_stripping():
    assert typed_answer(TEXT, "   abcde   ") == Accepted("abcde")


def test_the_default_text_limit_is_1000_characters():
    question = make_question(text("t"))
    assert typed_answer(question, "x" * 1000) == Accepted("x" * 1000)
    assert typed_answer(question, "x" * 1001) == Rejected(Problem.TOO_LONG, 1000, 1001)


@pytest.mark.parametrize(
    "data",
    [yesno("q"), choice("q", "x", "y"), multi("q", "x", "y"), scale("q")],
    ids=["yesno", "choice", "multi", "scale"],
)
def test_typing_at_a_button_question_is_rejected(data):
    assert typed_answer(make_question(data), "yes") == Rejected(Problem.USE_BUTTONS)


# --- typed answers: numbers --------------------------------------------------------------------

NUMBER = make_question(number("n"))


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("42", 42),
        ("0", 0),
        ("-7", -7),
        ("+7", 7),
        ("3.5", 3.5),
        ("-0.25", -0.25),
        ("3.0", 3),
        ("1,000", 1000),
        ("1,234,567.5", 1234567.5),
        ("-1,000", -1000),
        ("1 000", 1000),
        ("1\u00a0000", 1000),
        ("  12  ", 12),
        ("007", 7),
        (".5", 0.5),
        ("5.", 5),
        ("12345678901234567890", 12345678901234567890),  # exact, not rounded through a float
    ],
)
def test_a_typed_number_is_accepted(typed, value):
    verdict = typed_answer(NUMBER, typed)
    assert verdict == Accepted(value)
    assert type(verdict.value) is type(value)


@pytest.mark.parametrize(
    "typed",
    ["abc", "12abc", "nan", "NaN", "inf", "-inf", "infinity", "1e5", "1,00", "12,34", "1,0000",
     "--1", "1.2.3", "0x10", "½", "9" * 400],
)  # fmt: skip
def test_something_that_is_not_a_plain_number_is_rejected(typed):
    assert typed_answer(NUMBER, typed) == Rejected(Problem.NOT_A_NUMBER)


def test_an_empty_number_is_rejected_as_empty():
    assert typed_answer(NUMBER, "  ") == Rejected(Problem.EMPTY)


BOUNDED = make_question(number("n", min=0, max=120))


def test_a_number_below_min_is_rejected_with_the_limit():
    assert typed_answer(BOUNDED, "-1") == Rejected(Problem.TOO_SMALL, limit=0, actual=-1)


def test_a_number_above_max_is_rejected_with_the_limit():
    assert typed_answer(BOUNDED, "120.5") == Rejected(Problem.TOO_LARGE, limit=120, actual=120.5)


def test_the_bounds_of_a_number_are_inclusive():
    assert typed_answer(BOUNDED, "0") == Accepted(0)
    assert typed_answer(BOUNDED, "120") == Accepted(120)


def test_thousands_separators_are_checked_against_the_bounds_by_value():
    assert typed_answer(BOUNDED, "1,000") == Rejected(Problem.TOO_LARGE, limit=120, actual=1000)


# --- buttons -----------------------------------------------------------------------------------


def test_yesno_buttons_are_yes_then_no():
    question = make_question(yesno("q"))
    assert button_answer(question, 0) == Accepted("yes")
    assert button_answer(question, 1) == Accepted("no")


def test_a_choice_button_gives_the_choice_value():
    question = make_question(
        choice("q", {"value": "n", "label": "North"}, {"value": "s", "label": "South"})
    )
    assert button_answer(question, 1) == Accepted("s")


def test_a_scale_button_gives_the_point_as_a_number():
    question = make_question(scale("q", min=0, max=10))
    assert button_options(question) == list(range(11))
    assert button_answer(question, 0) == Accepted(0)
    assert button_answer(question, 10) == Accepted(10)
    assert button_answer(make_question(scale("q")), 0) == Accepted(1)


@pytest.mark.parametrize("option", [-1, 2, 99])
def test_a_button_outside_the_options_is_rejected(option):
    question = make_question(yesno("q"))
    assert button_answer(question, option) == Rejected(Problem.NOT_AN_OPTION)


def test_the_button_after_the_last_scale_point_is_rejected():
    assert button_answer(make_question(scale("q")), 5) == Rejected(Problem.NOT_AN_OPTION)


@pytest.mark.parametrize(
    "data", [multi("q", "x", "y"), text("q"), number("q")], ids=["multi", "text", "number"]
)
def test_a_single_answer_button_is_rejected_where_it_does_not_belong(data):
    assert button_answer(make_question(data), 0) == Rejected(Problem.USE_BUTTONS)


# --- multi: toggle and done --------------------------------------------------------------------

MULTI = make_question(multi("m", "a", "b", "c", "d"))
AT_MOST_TWO = make_question(multi("m", "a", "b", "c", "d", max_choices=2))


def test_choosing_an_option_adds_it():
    assert toggle(MULTI, [], 1, True) == Accepted(["b"])


def test_choosing_an_option_again_changes_nothing():
    assert toggle(MULTI, ["b"], 1, True) == Accepted(["b"])


def test_unchoosing_an_option_removes_it():
    assert toggle(MULTI, ["a", "b"], 0, False) == Accepted(["b"])


def test_unchoosing_an_option_that_was_not_chosen_changes_nothing():
    assert toggle(MULTI, ["b"], 0, False) == Accepted(["b"])


def test_the_selection_keeps_the_survey_order():
    assert toggle(MULTI, ["d", "b"], 0, True) == Accepted(["a", "b", "d"])


def test_toggle_does_not_change_the_selection_it_is_given():
    selected = ["a"]
    toggle(MULTI, selected, 1, True)
    assert selected == ["a"]


def test_choosing_beyond_max_choices_is_rejected():
    assert toggle(AT_MOST_TWO, ["a", "b"], 2, True) == Rejected(Problem.TOO_MANY, limit=2, actual=3)


def test_choosing_again_at_max_choices_is_accepted():
    assert toggle(AT_MOST_TWO, ["a", "b"], 1, True) == Accepted(["a", "b"])


def test_unchoosing_at_max_choices_is_accepted():
    assert toggle(AT_MOST_TWO, ["a", "b"], 0, False) == Accepted(["b"])


@pytest.mark.parametrize("option", [-1, 4])
def test_toggling_outside_the_options_is_rejected(option):
    assert toggle(MULTI, [], option, True) == Rejected(Problem.NOT_AN_OPTION)


def test_toggling_a_question_that_is_not_multi_is_rejected():
    question = make_question(choice("q", "x", "y"))
    assert toggle(question, [], 0, True) == Rejected(Problem.USE_BUTTONS)


def test_done_with_nothing_chosen_is_rejected():
    assert finish_multi(MULTI, []) == Rejected(Problem.NONE_CHOSEN)


def test_done_gives_the_selection_in_survey_order():
    assert finish_multi(MULTI, ["c", "a"]) == Accepted(["a", "c"])


def test_done_on_a_question_that_is_not_multi_is_rejected():
    assert finish_multi(make_question(yesno("q")), ["yes"]) == Rejected(Problem.USE_BUTTONS)


# --- skip --------------------------------------------------------------------------------------


def test_a_required_question_cannot_be_skipped():
    assert skip(make_question(yesno("q"))) == Rejected(Problem.REQUIRED)


def test_an_optional_question_is_skipped_as_none():
    assert skip(make_question(text("q", required=False))) == Accepted(None)


# --- answer text -------------------------------------------------------------------------------


def test_a_skipped_answer_reads_as_skipped():
    assert answer_text(make_question(text("q", required=False)), None) == "(skipped)"


def test_a_choice_answer_reads_as_its_label():
    question = make_question(
        choice("q", {"value": "n", "label": "North"}, {"value": "s", "label": "South"})
    )
    assert answer_text(question, "s") == "South"


def test_a_multi_answer_reads_as_its_labels_in_order():
    question = make_question(
        multi(
            "q",
            {"value": "a", "label": "Housing"},
            {"value": "b", "label": "Transport"},
            {"value": "c", "label": "Schools"},
        )
    )
    assert answer_text(question, ["a", "c"]) == "Housing, Schools"


def test_a_value_the_survey_no_longer_has_reads_as_itself():
    assert answer_text(make_question(choice("q", "x", "y")), "gone") == "gone"


def test_yesno_answers_read_as_yes_and_no():
    question = make_question(yesno("q"))
    assert answer_text(question, "yes") == "Yes"
    assert answer_text(question, "no") == "No"


def test_numbers_read_as_typed():
    question = make_question(number("q"))
    assert answer_text(question, 42) == "42"
    assert answer_text(question, 2.5) == "2.5"
    assert answer_text(question, -0.25) == "-0.25"
    assert answer_text(make_question(scale("q")), 3) == "3"


def test_text_reads_as_typed():
    assert answer_text(make_question(text("q")), "Hello <b>") == "Hello <b>"


@pytest.mark.parametrize(("value", "shown"), [(12345.67, "12345.67"), (1234567.5, "1234567.5")])
def test_a_decimal_number_with_many_digits_reads_as_typed(value, shown):
    question = make_question(number("q"))
    assert typed_answer(question, shown) == Accepted(value)
    assert answer_text(question, value) == shown


# --- where the loader and the engine must agree ------------------------------------------------


def test_a_numeric_choice_value_compared_with_a_number_shows_the_follow_up():
    survey = make_survey(choice("rating", "1", "2"), yesno("why", show_if=equals("rating", 1)))
    step = advance(survey, {}, "rating", button_answer(survey.question("rating"), 0).value)
    assert step.next_question is not None
    assert step.next_question.id == "why"


def test_a_scale_point_compared_with_a_whole_float_shows_the_follow_up():
    survey = make_survey(scale("mood"), yesno("why", show_if=equals("mood", 1.0)))
    step = advance(survey, {}, "mood", button_answer(survey.question("mood"), 0).value)
    assert step.next_question.id == "why"


def test_a_typed_number_compared_with_a_whole_float_shows_the_follow_up():
    survey = make_survey(number("age"), yesno("why", show_if=is_in("age", 16.0, 17.0)))
    step = advance(survey, {}, "age", typed_answer(survey.question("age"), "16").value)
    assert step.next_question.id == "why"
