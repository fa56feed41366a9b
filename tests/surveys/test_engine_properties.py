"""Properties of the engine over random surveys and random members.

A survey here is a handful of yesno, choice and multi questions, some optional, each with a random
show_if built from earlier questions and their real values (what the loader allows). A member walks
it as the bot does: answer the question they are on through `advance`, or go Back one question.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from surveys.engine import (
    Accepted,
    Problem,
    Rejected,
    advance,
    condition_holds,
    current_question,
    hidden_answers,
    is_visible,
    previous_question,
    progress,
    toggle,
    typed_answer,
    visible_questions,
)
from surveys.model import Condition, MultiQuestion, Question, Survey, YesNoQuestion

SETTINGS = settings(max_examples=200, deadline=None)

# --- strategies --------------------------------------------------------------------------------

VALUES = ["red", "green", "blue", "grey"]


@st.composite
def leaves(draw, earlier: list[dict[str, Any]]) -> dict[str, Any]:
    """A comparison with one earlier question, using values that question can have."""
    # Leaning on the question just before makes chains (a -> b -> c) common.
    target = draw(st.one_of(st.just(earlier[-1]), st.sampled_from(earlier)))
    values = ["yes", "no"] if target["type"] == "yesno" else target["choices"]
    kind = draw(st.sampled_from(["equals", "in", "not_in"]))
    if kind == "equals":
        return {"question": target["id"], "equals": draw(st.sampled_from(values))}
    picked = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
    return {"question": target["id"], kind: picked}


def conditions(earlier: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        leaves(earlier),
        lambda inner: st.one_of(
            st.builds(lambda parts: {"all": parts}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda parts: {"any": parts}, st.lists(inner, min_size=1, max_size=3)),
        ),
        max_leaves=4,
    )


@st.composite
def surveys(draw) -> Survey:
    raw: list[dict[str, Any]] = []
    for index in range(draw(st.integers(min_value=1, max_value=8))):
        kind = draw(st.sampled_from(["yesno", "choice", "multi"]))
        question: dict[str, Any] = {"id": f"q{index}", "type": kind, "text": f"Question {index}?"}
        if kind != "yesno":
            size = draw(st.integers(min_value=2, max_value=len(VALUES)))
            question["choices"] = VALUES[:size]
        question["required"] = draw(st.booleans())
        if raw and draw(st.booleans()):
            question["show_if"] = draw(conditions(raw))
        raw.append(question)
    return Survey.model_validate({"id": "s", "title": "T", "intro": "I", "questions": raw})


def answers_to(question: Question) -> st.SearchStrategy[Any]:
    """Any answer the buttons of `question` can produce."""
    if isinstance(question, YesNoQuestion):
        given_values = st.sampled_from(["yes", "no"])
    elif isinstance(question, MultiQuestion):
        options = question.values()
        given_values = st.sets(st.sampled_from(options), min_size=1).map(
            lambda chosen: [value for value in options if value in chosen]
        )
    else:
        given_values = st.sampled_from(question.values())
    return st.one_of(given_values, st.none()) if not question.required else given_values


# --- invariants --------------------------------------------------------------------------------


def assert_consistent(survey: Survey, answers: dict[str, Any]) -> None:
    """No stored answer belongs to a hidden question, and the current question is sound."""
    assert hidden_answers(survey, answers) == []
    visible = visible_questions(survey, answers)
    visible_ids = [question.id for question in visible]
    assert set(answers) <= set(visible_ids)
    current = current_question(survey, answers)
    if current is None:
        assert set(visible_ids) == set(answers)
        return
    assert is_visible(current, answers)
    assert current.id not in answers
    before = visible_ids[: visible_ids.index(current.id)]
    assert all(question_id in answers for question_id in before)
    assert progress(survey, answers, current.id).position == len(before) + 1
    earlier = previous_question(survey, answers, current.id)
    if before:
        assert earlier is not None
        assert earlier.id == before[-1]
        assert is_visible(earlier, answers)
        assert earlier.id in answers
    else:
        assert earlier is None


@SETTINGS
@given(st.data())
def test_answering_forward_never_drops_and_ends_complete(data):
    survey = data.draw(surveys())
    answers: dict[str, Any] = {}
    on = current_question(survey, answers)
    assert on is not None
    assert on.id == survey.questions[0].id
    for _ in survey.questions:
        if on is None:
            break
        step = advance(survey, answers, on.id, data.draw(answers_to(on)))
        assert step.dropped == []
        answers[on.id] = step.value
        assert_consistent(survey, answers)
        assert step.next_question == current_question(survey, answers)
        on = step.next_question
    assert on is None
    assert current_question(survey, answers) is None
    assert set(answers) == {question.id for question in visible_questions(survey, answers)}


@SETTINGS
@given(st.data())
def test_walking_back_and_changing_answers_keeps_the_answers_consistent(data):
    survey = data.draw(surveys())
    answers: dict[str, Any] = {}
    on = survey.questions[0]  # the question on screen: after Back, an answered one
    for _ in range(data.draw(st.integers(min_value=1, max_value=20))):
        if on is None:
            break
        for _ in range(data.draw(st.sampled_from([0, 0, 1, 2, 3]))):  # Back, some times
            back = previous_question(survey, answers, on.id)
            if back is None:
                assert on.id == visible_questions(survey, answers)[0].id
                break
            assert is_visible(back, answers)
            assert back.id in answers
            # Giving the same answer again returns to where the member was.
            same = advance(survey, answers, back.id, answers[back.id])
            assert same.dropped == []
            assert same.next_question == current_question(survey, answers)
            on = back
        before = dict(answers)
        step = advance(survey, answers, on.id, data.draw(answers_to(on)))
        answers[on.id] = step.value
        for dropped in step.dropped:
            del answers[dropped]
        assert_consistent(survey, answers)
        # Exactly the answers that the change hid were dropped, and nothing else.
        assert on.id not in step.dropped
        assert set(step.dropped) == {
            question_id
            for question_id in before
            if not is_visible(survey.question(question_id), answers)
        }
        assert step.next_question == current_question(survey, answers)
        on = step.next_question


@SETTINGS
@given(st.data())
def test_changing_any_earlier_answer_drops_exactly_what_it_hides(data):
    survey = data.draw(surveys())
    answers: dict[str, Any] = {}
    on = current_question(survey, answers)
    for _ in range(data.draw(st.integers(min_value=1, max_value=len(survey.questions)))):
        if on is None:
            break
        answers[on.id] = data.draw(answers_to(on))
        on = current_question(survey, answers)
    assert_consistent(survey, answers)
    # The member goes Back as far as they like and gives another answer there.
    changed = data.draw(st.sampled_from(sorted(answers)))
    step = advance(survey, answers, changed, data.draw(answers_to(survey.question(changed))))
    after = {key: value for key, value in answers.items() if key not in step.dropped}
    after[changed] = step.value
    assert_consistent(survey, after)
    assert set(step.dropped) == {
        question_id
        for question_id in answers
        if not is_visible(survey.question(question_id), after)
    }
    assert step.next_question == current_question(survey, after)


# --- conditions --------------------------------------------------------------------------------

CONDITION = TypeAdapter(Condition)
ANSWER = st.one_of(
    st.none(),
    st.sampled_from(VALUES),
    st.integers(min_value=-3, max_value=3),
    st.lists(st.sampled_from(VALUES), unique=True),
)
COMPARED = st.one_of(st.sampled_from(VALUES), st.integers(min_value=-3, max_value=3))


def holds(condition: dict[str, Any], answers: dict[str, Any]) -> bool:
    return condition_holds(CONDITION.validate_python(condition), answers)


@SETTINGS
@given(answer=ANSWER, value=COMPARED)
def test_equals_is_in_with_one_value(answer, value):
    answers = {"a": answer}
    assert holds({"question": "a", "equals": value}, answers) == holds(
        {"question": "a", "in": [value]}, answers
    )


@SETTINGS
@given(answer=ANSWER, values=st.lists(COMPARED, min_size=1, max_size=4), answered=st.booleans())
def test_not_in_is_the_opposite_of_in(answer, values, answered):
    answers = {"a": answer} if answered else {}
    assert holds({"question": "a", "not_in": values}, answers) != holds(
        {"question": "a", "in": values}, answers
    )


@SETTINGS
@given(answer=st.integers(min_value=-3, max_value=3), value=st.integers(min_value=-3, max_value=3))
def test_whole_numbers_compare_alike_as_int_or_float(answer, value):
    expected = answer == value
    for given_answer in (answer, float(answer)):
        for compared in (value, float(value)):
            assert holds({"question": "a", "equals": compared}, {"a": given_answer}) == expected


@SETTINGS
@given(first=ANSWER, second=ANSWER, one=COMPARED, other=COMPARED)
def test_all_and_any_are_and_and_or(first, second, one, other):
    answers = {"a": first, "b": second}
    left, right = {"question": "a", "equals": one}, {"question": "b", "in": [other]}
    assert holds({"all": [left, right]}, answers) == (
        holds(left, answers) and holds(right, answers)
    )
    assert holds({"any": [left, right]}, answers) == (holds(left, answers) or holds(right, answers))


# --- typed numbers -----------------------------------------------------------------------------

NUMBER = TypeAdapter(Question).validate_python({"id": "n", "type": "number", "text": "N?"})


@SETTINGS
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_a_whole_number_is_read_back_as_that_int_with_or_without_separators(value):
    for typed in (str(value), f"{value:,}", f" {value} "):
        verdict = typed_answer(NUMBER, typed)
        assert verdict == Accepted(value)
        assert type(verdict.value) is int


@SETTINGS
@given(
    whole=st.integers(min_value=-(10**6), max_value=10**6),
    fraction=st.integers(min_value=1, max_value=9999),
)
def test_a_decimal_is_read_back_as_that_float(whole, fraction):
    typed = f"{whole}.{fraction:04d}"
    assert typed_answer(NUMBER, typed) == Accepted(float(typed))


@SETTINGS
@given(st.text(alphabet="abcxyz!?e_ ", min_size=1).filter(lambda s: s.strip()))
def test_letters_are_never_a_number(typed):
    assert typed_answer(NUMBER, typed) == Rejected(Problem.NOT_A_NUMBER)


# --- toggling a multi question -----------------------------------------------------------------

MULTI = TypeAdapter(Question).validate_python(
    {"id": "m", "type": "multi", "text": "M?", "choices": VALUES}
)
SELECTION = st.lists(st.sampled_from(VALUES), unique=True)
OPTION = st.integers(min_value=0, max_value=len(VALUES) - 1)


@SETTINGS
@given(selected=SELECTION, option=OPTION, chosen=st.booleans())
def test_toggle_sets_one_option_and_keeps_the_others_in_survey_order(selected, option, chosen):
    verdict = toggle(MULTI, selected, option, chosen)
    assert isinstance(verdict, Accepted)
    expected = (set(selected) | {VALUES[option]}) if chosen else (set(selected) - {VALUES[option]})
    assert verdict.value == [value for value in VALUES if value in expected]


@SETTINGS
@given(selected=SELECTION, option=OPTION, chosen=st.booleans())
def test_toggle_twice_is_toggle_once(selected, option, chosen):
    once = toggle(MULTI, selected, option, chosen)
    assert toggle(MULTI, once.value, option, chosen) == once


@SETTINGS
@given(
    selected=SELECTION,
    option=OPTION,
    limit=st.integers(min_value=1, max_value=len(VALUES)),
)
def test_toggle_never_goes_beyond_max_choices(selected, option, limit):
    question = MULTI.model_copy(update={"max_choices": limit})
    selected = selected[:limit]
    verdict = toggle(question, selected, option, True)
    if isinstance(verdict, Accepted):
        assert len(verdict.value) <= limit
    else:
        assert len(selected) == limit
        assert VALUES[option] not in selected
