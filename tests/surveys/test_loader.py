"""The survey loader: YAML text in, surveys or every problem (file, question, field) out."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import pytest
from pydantic import ValidationError

from surveys.loader import (
    MAX_FILE_BYTES,
    MAX_NESTING,
    FileProblem,
    LoadResult,
    canonical_json,
    content_hash,
    parse_files,
    parse_survey,
)
from surveys.model import (
    DEFAULT_REMINDERS,
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_LEAVES,
    MAX_CONDITION_VALUES,
    MAX_REMIND_AFTER_HOURS,
    MAX_REMINDERS,
    ChoiceQuestion,
    Equals,
    In,
    MultiQuestion,
    NumberQuestion,
    ScaleQuestion,
    Survey,
    TextQuestion,
    YesNoQuestion,
    condition_depth,
    condition_references,
)

FILE = "members.yaml"
HEADER = "id: members\ntitle: Members\nintro: A few questions.\n"


def survey_text(questions: str, header: str = HEADER) -> str:
    """A survey file with the given (indented or not) YAML question list."""
    return header + "questions:\n" + textwrap.indent(textwrap.dedent(questions).strip(), "  ")


def load(questions: str, header: str = HEADER) -> LoadResult:
    return parse_survey(survey_text(questions, header), FILE)


def only_problem(result: LoadResult) -> FileProblem:
    """The single problem of a result that must have failed for exactly one reason."""
    assert not result.ok
    assert result.surveys == []
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


def assert_problem(
    result: LoadResult, question: str | None, field: str, message_part: str
) -> FileProblem:
    problem = only_problem(result)
    assert problem.file == FILE
    assert problem.question == question
    assert problem.field == field
    assert message_part in problem.message
    return problem


def loaded(result: LoadResult):
    """The one survey of a result that must have loaded cleanly."""
    assert result.ok, result.problems
    assert len(result.surveys) == 1
    return result.surveys[0]


YESNO_A = "- {id: a, type: yesno, text: Member}\n"


# --- a valid file ------------------------------------------------------------------------------


def test_a_valid_file_loads_one_survey_with_its_questions_in_order():
    survey = loaded(
        load(
            """
            - {id: member, type: yesno, text: Are you a member}
            - id: region
              type: choice
              text: Where do you live
              choices: [North, South]
              breakdown: true
            - {id: mood, type: scale, text: How are you, min: 0, max: 10}
            - {id: topics, type: multi, text: Topics, choices: [a, b, c], max_choices: 2}
            - {id: age, type: number, text: Age, min: 16, max: 120}
            - {id: words, type: text, text: Anything else, required: false}
            """
        )
    )
    assert survey.id == "members"
    assert [type(q) for q in survey.questions] == [
        YesNoQuestion,
        ChoiceQuestion,
        ScaleQuestion,
        MultiQuestion,
        NumberQuestion,
        TextQuestion,
    ]
    assert [q.id for q in survey.questions] == [
        "member",
        "region",
        "mood",
        "topics",
        "age",
        "words",
    ]
    assert survey.question("region").breakdown is True
    assert survey.question("mood").points() == list(range(11))
    assert survey.question("topics").max_choices == 2
    assert survey.question("words").required is False


def test_shorthand_choices_use_the_label_as_value():
    question = loaded(load("- {id: a, type: choice, text: A, choices: [Red, Dark blue]}"))
    question = question.questions[0]
    assert [(c.value, c.label) for c in question.choices] == [
        ("Red", "Red"),
        ("Dark blue", "Dark blue"),
    ]


def test_shorthand_and_full_choices_can_be_mixed():
    survey = loaded(
        load("- {id: a, type: choice, text: A, choices: [Red, {value: b, label: Blue}]}")
    )
    assert survey.questions[0].values() == ["Red", "b"]
    assert survey.questions[0].label_of("b") == "Blue"


def test_yes_no_on_off_stay_strings_under_yaml_1_2():
    survey = loaded(load("- {id: a, type: choice, text: A, choices: [yes, no, on, off]}"))
    assert survey.questions[0].values() == ["yes", "no", "on", "off"]


def test_an_unquoted_yes_in_show_if_is_the_string_yes():
    survey = loaded(
        load(YESNO_A + "- {id: b, type: yesno, text: B, show_if: {question: a, equals: yes}}")
    )
    assert survey.questions[1].show_if == Equals(question="a", equals="yes")


def test_in_is_read_from_its_yaml_name():
    survey = loaded(
        load(YESNO_A + "- {id: b, type: yesno, text: B, show_if: {question: a, in: [yes, no]}}")
    )
    assert survey.questions[1].show_if == In(question="a", in_=["yes", "no"])


def test_numbers_as_labels_become_strings():
    survey = loaded(
        load(
            """
            - {id: a, type: choice, text: A, choices: [1, 2.5]}
            - id: b
              type: choice
              text: B
              choices: [{value: 10, label: 20}, {value: x, label: 3}]
            """
        )
    )
    a, b = survey.questions
    assert [(c.value, c.label) for c in a.choices] == [("1", "1"), ("2.5", "2.5")]
    assert [(c.value, c.label) for c in b.choices] == [("10", "20"), ("x", "3")]


def test_true_and_false_are_still_booleans():
    survey = loaded(load("- {id: a, type: yesno, text: A, required: false, breakdown: true}"))
    assert survey.questions[0].required is False
    assert survey.questions[0].breakdown is True


@pytest.mark.parametrize("field", ["required", "breakdown"])
def test_a_yes_where_true_or_false_belongs_is_reported(field):
    result = load(f"- {{id: a, type: yesno, text: A, {field}: yes}}")
    assert_problem(result, "a", field, "must be true or false")


def test_defaults_required_scale_one_to_five_and_text_length_1000():
    survey = loaded(
        load(
            """
            - {id: a, type: scale, text: A}
            - {id: b, type: text, text: B}
            - {id: c, type: number, text: C}
            """
        )
    )
    scale, text, number = survey.questions
    assert all(q.required for q in survey.questions)
    assert all(q.show_if is None and q.breakdown is False for q in survey.questions)
    assert (scale.min, scale.max) == (1, 5)
    assert scale.points() == [1, 2, 3, 4, 5]
    assert text.max_length == 1000
    assert (number.min, number.max) == (None, None)
    assert (survey.opens, survey.closes, survey.repeatable) == (None, None, False)


def test_label_and_text_whitespace_is_stripped():
    survey = loaded(load("- {id: a, type: choice, text: '  A  ', choices: ['  x ', y]}"))
    assert survey.questions[0].text == "A"
    assert survey.questions[0].values() == ["x", "y"]


def test_opens_and_closes_are_dates():
    header = HEADER + "opens: 2024-05-01\ncloses: 2024-05-31\n"
    survey = loaded(load(YESNO_A, header))
    assert (survey.opens, survey.closes) == (dt.date(2024, 5, 1), dt.date(2024, 5, 31))


def test_opens_and_closes_may_be_the_same_day():
    header = HEADER + "opens: 2024-05-01\ncloses: 2024-05-01\n"
    assert loaded(load(YESNO_A, header)).is_open(dt.date(2024, 5, 1))


def test_show_if_may_compare_a_number_question_with_a_number():
    loaded(
        load(
            """
            - {id: a, type: number, text: A}
            - {id: b, type: yesno, text: B, show_if: {question: a, not_in: [0, 2.5]}}
            """
        )
    )


def test_show_if_may_compare_a_scale_point_given_as_a_whole_float():
    loaded(
        load(
            """
            - {id: a, type: scale, text: A}
            - {id: b, type: yesno, text: B, show_if: {question: a, equals: 5.0}}
            """
        )
    )


def test_show_if_may_compare_a_numeric_choice_value_with_a_number():
    loaded(
        load(
            """
            - {id: a, type: choice, text: A, choices: [1, 2]}
            - {id: b, type: yesno, text: B, show_if: {question: a, equals: 1}}
            """
        )
    )


def test_a_thirty_two_character_id_is_allowed():
    loaded(load("- {id: " + "a" * 32 + ", type: yesno, text: A}"))


# --- file-level problems -----------------------------------------------------------------------


def test_invalid_yaml_is_one_problem_for_the_whole_file():
    result = parse_survey("id: s\ntitle: T\n intro: x\n", FILE)
    problem = assert_problem(result, None, "", "not valid YAML at line 3, column 7")
    assert "mapping values are not allowed" in problem.message


def test_a_yaml_error_is_told_in_one_line():
    problem = only_problem(parse_survey("id: s\ntitle: [unclosed\nintro: x\n", FILE))
    assert problem.message.startswith("not valid YAML at line 3")
    assert "\n" not in problem.message


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "", "42\n"])
def test_a_document_that_is_not_a_mapping_is_one_problem(text):
    assert_problem(parse_survey(text, FILE), None, "", "must be a mapping")


def test_the_file_name_appears_in_the_problem_and_its_text():
    problem = only_problem(parse_survey("- a\n", "surveys/elsewhere.yml"))
    assert problem.file == "surveys/elsewhere.yml"
    assert str(problem) == "surveys/elsewhere.yml: survey: must be a mapping of fields"


def test_a_problem_in_a_question_reads_with_its_question():
    problem = only_problem(load("- {id: a, type: yesno, text: A, colour: red}"))
    assert str(problem) == "members.yaml: question 'a', colour: unknown field"


# --- survey header problems ----------------------------------------------------------------------


def test_an_unknown_top_level_field_is_reported():
    assert_problem(load(YESNO_A, HEADER + "colour: red\n"), None, "colour", "unknown field")


@pytest.mark.parametrize("survey_id", ["Members", "my survey", "-members", "über", "a" * 33])
def test_a_survey_id_that_is_not_a_slug_is_reported(survey_id):
    header = HEADER.replace("id: members", f"id: '{survey_id}'")
    problem = assert_problem(load(YESNO_A, header), None, "id", "")
    assert "must use only a-z, 0-9 and '-'" in problem.message or "at most 32" in problem.message


def test_a_survey_id_longer_than_32_characters_is_reported():
    header = HEADER.replace("id: members", "id: " + "m" * 33)
    assert_problem(load(YESNO_A, header), None, "id", "at most 32 characters")


@pytest.mark.parametrize("field", ["id", "title", "intro"])
def test_a_missing_survey_field_is_reported(field):
    header = "".join(line + "\n" for line in HEADER.splitlines() if not line.startswith(field))
    assert_problem(load(YESNO_A, header), None, field, "required field is missing")


def test_missing_questions_are_reported():
    assert_problem(parse_survey(HEADER, FILE), None, "questions", "required field is missing")


def test_an_empty_question_list_is_reported():
    assert_problem(parse_survey(HEADER + "questions: []\n", FILE), None, "questions", "at least 1")


def test_closes_before_opens_is_reported():
    header = HEADER + "opens: 2024-05-10\ncloses: 2024-05-09\n"
    assert_problem(load(YESNO_A, header), None, "closes", "closes is before opens")


def test_closes_before_opens_is_reported_alongside_question_problems():
    header = HEADER + "opens: 2024-05-10\ncloses: 2024-05-09\n"
    result = load("- {id: a, type: yesno, text: A, colour: red}", header)
    assert {(p.question, p.field) for p in result.problems} == {("a", "colour"), (None, "closes")}


def test_opens_and_closes_on_the_same_day_are_fine_alongside_question_problems():
    header = HEADER + "opens: 2024-05-10\ncloses: 2024-05-10\n"
    result = load("- {id: a, type: yesno, text: A, colour: red}", header)
    assert result.problems == [FileProblem(FILE, "a", "colour", "unknown field")]


# --- reminders -----------------------------------------------------------------------------------


def reminder_header(lines: str) -> str:
    return HEADER + textwrap.dedent(lines).strip() + "\n"


def test_a_survey_without_remind_after_sends_no_reminders():
    survey = loaded(load(YESNO_A))
    assert (survey.remind_after, survey.reminders, survey.reminders_allowed) == (None, None, 0)


def test_remind_after_alone_allows_the_default_single_reminder():
    survey = loaded(load(YESNO_A, reminder_header("remind_after: 48")))
    assert (survey.remind_after, survey.reminders) == (48, DEFAULT_REMINDERS) == (48, 1)
    assert survey.reminders_allowed == 1


@pytest.mark.parametrize(
    ("remind_after", "reminders"),
    [(1, 0), (24, 1), (72, 2), (MAX_REMIND_AFTER_HOURS, MAX_REMINDERS), ("24", "2"), (24.0, 3)],
)
def test_remind_after_and_reminders_within_their_ranges_load(remind_after, reminders):
    header = reminder_header(f"remind_after: {remind_after!r}\nreminders: {reminders!r}")
    survey = loaded(load(YESNO_A, header))
    assert (survey.remind_after, survey.reminders) == (int(remind_after), int(reminders))
    assert survey.reminders_allowed == int(reminders)


def test_a_null_reminders_without_remind_after_is_as_if_absent():
    survey = loaded(load(YESNO_A, reminder_header("reminders: null")))
    assert survey.reminders_allowed == 0


def test_reminders_without_remind_after_is_reported_saying_so():
    problem = assert_problem(
        load(YESNO_A, reminder_header("reminders: 2")), None, "reminders", "needs remind_after"
    )
    assert str(problem) == (
        "members.yaml: reminders: needs remind_after, the hours a response waits before a reminder"
    )


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("remind_after: 0", "remind_after", "greater than or equal to 1"),
        ("remind_after: -24", "remind_after", "greater than or equal to 1"),
        ("remind_after: 721", "remind_after", "less than or equal to 720"),
        ("remind_after: 1.5", "remind_after", "valid integer"),
        ("remind_after: two days", "remind_after", "valid integer"),
        ("remind_after: [24]", "remind_after", "valid integer"),
        ("remind_after: true", "remind_after", "must be a whole number, not true/false"),
        ("remind_after: 24\nreminders: 4", "reminders", "less than or equal to 3"),
        ("remind_after: 24\nreminders: -1", "reminders", "greater than or equal to 0"),
        (
            "remind_after: 24\nreminders: true",
            "reminders",
            "must be a whole number, not true/false",
        ),
    ],
)
def test_a_remind_after_or_reminders_out_of_range_is_one_problem(line, field, message):
    assert_problem(load(YESNO_A, reminder_header(line)), None, field, message)


def test_an_invalid_remind_after_is_not_also_reported_as_missing_for_reminders():
    header = reminder_header("remind_after: 0\nreminders: 2")
    assert_problem(load(YESNO_A, header), None, "remind_after", "greater than or equal to 1")


def test_reminder_problems_are_reported_alongside_question_problems():
    result = load("- {id: a, type: yesno, text: A, colour: red}", reminder_header("reminders: 2"))
    assert {(p.question, p.field) for p in result.problems} == {
        ("a", "colour"),
        (None, "reminders"),
    }


def test_the_stored_version_carries_the_reminder_fields():
    survey = loaded(load(YESNO_A, reminder_header("remind_after: 48")))
    stored = json.loads(canonical_json(survey))

    assert (stored["remind_after"], stored["reminders"]) == (48, 1)
    assert Survey.model_validate_json(canonical_json(survey)) == survey


def test_the_default_reminder_count_is_written_out_so_both_spellings_are_one_version():
    implicit = loaded(load(YESNO_A, reminder_header("remind_after: 48")))
    explicit = loaded(load(YESNO_A, reminder_header("remind_after: 48\nreminders: 1")))
    assert content_hash(implicit) == content_hash(explicit)


def test_a_survey_without_reminders_keeps_the_version_it_had_before_they_existed():
    # Stored versions are found by hash: a field that is absent must not change it.
    survey = loaded(load(YESNO_A))
    assert "remind" not in canonical_json(survey)


# --- question problems ---------------------------------------------------------------------------


def test_duplicate_question_ids_are_reported_on_the_repeated_question():
    result = load(
        """
        - {id: a, type: yesno, text: First}
        - {id: a, type: yesno, text: Second}
        """
    )
    assert_problem(result, "a", "id", "duplicate question id")


def test_a_question_id_used_three_times_is_reported_for_each_repeat():
    result = load(
        """
        - {id: a, type: yesno, text: First}
        - {id: a, type: yesno, text: Second}
        - {id: a, type: yesno, text: Third}
        """
    )
    # Two repeats of the same id: the same FileProblem twice is shown once.
    assert result.problems == [FileProblem(FILE, "a", "id", "duplicate question id")]


def test_duplicate_ids_of_questions_that_are_both_invalid_are_still_reported():
    result = load(
        """
        - {id: a, type: yesno, text: First, colour: red}
        - {id: a, type: yesno, text: Second, colour: blue}
        """
    )
    assert set(result.problems) == {
        FileProblem(FILE, "a", "colour", "unknown field"),
        FileProblem(FILE, "a", "id", "duplicate question id"),
    }


def test_a_duplicate_id_is_reported_even_when_one_copy_is_invalid():
    result = load(
        """
        - {id: a, type: yesno, text: First}
        - {id: a, type: yesno, text: Second, colour: blue}
        """
    )
    assert FileProblem(FILE, "a", "id", "duplicate question id") in result.problems


def test_two_questions_without_an_id_are_not_called_duplicates():
    result = load(
        """
        - {type: yesno, text: First}
        - {type: yesno, text: Second}
        """
    )
    assert set(result.problems) == {
        FileProblem(FILE, "#1", "id", "required field is missing"),
        FileProblem(FILE, "#2", "id", "required field is missing"),
    }


def test_a_list_used_twice_as_id_is_a_problem_not_a_crash():
    result = load(
        """
        - {id: [a], type: yesno, text: First}
        - {id: [a], type: yesno, text: Second}
        """
    )
    assert not result.ok
    assert {("#1", "id"), ("#2", "id")} <= {(p.question, p.field) for p in result.problems}


def test_an_unknown_question_field_is_reported_with_its_question():
    assert_problem(
        load("- {id: a, type: yesno, text: A, colour: red}"), "a", "colour", "unknown field"
    )


def test_a_field_of_another_question_type_is_unknown():
    assert_problem(
        load("- {id: a, type: yesno, text: A, choices: [x, y]}"), "a", "choices", "unknown field"
    )


@pytest.mark.parametrize("question_id", ["Age", "my_age", "my age", "-age", "âge"])
def test_a_question_id_that_is_not_a_slug_is_reported(question_id):
    result = load(f"- {{id: '{question_id}', type: yesno, text: A}}")
    assert_problem(result, question_id, "id", "must use only a-z, 0-9 and '-'")


def test_a_question_id_longer_than_32_characters_is_reported():
    long_id = "q" * 33
    assert_problem(load(f"- {{id: {long_id}, type: yesno, text: A}}"), long_id, "id", "at most 32")


def test_a_question_without_a_usable_id_is_named_by_its_position():
    result = load(YESNO_A + "- {id: 7, type: yesno, text: B, colour: red}")
    assert {(p.question, p.field) for p in result.problems} == {("#2", "colour")}


def test_an_unknown_question_type_is_reported_on_type():
    problem = assert_problem(
        load("- {id: a, type: rating, text: A}"), "a", "type", "unknown type 'rating'"
    )
    assert "'choice'" in problem.message


def test_a_missing_question_type_is_reported_on_type():
    assert_problem(load("- {id: a, text: A}"), "a", "type", "type is missing")


def test_a_question_that_is_not_a_mapping_is_reported_on_type():
    assert_problem(load("- just a question?"), "#1", "type", "dictionary")


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("{type: yesno, text: A}", "id"),
        ("{id: a, type: yesno}", "text"),
        ("{id: a, type: choice, text: A}", "choices"),
        ("{id: a, type: multi, text: A}", "choices"),
    ],
)
def test_a_missing_required_question_field_is_reported(question, field):
    problem = only_problem(load(f"- {question}"))
    assert (problem.file, problem.field) == (FILE, field)
    assert problem.question in {"a", "#1"}
    assert problem.message == "required field is missing"


def test_blank_question_text_is_reported():
    assert_problem(load("- {id: a, type: yesno, text: '   '}"), "a", "text", "at least 1")


def test_empty_choices_are_reported():
    assert_problem(
        load("- {id: a, type: choice, text: A, choices: []}"), "a", "choices", "at least 2"
    )


def test_a_single_choice_is_reported():
    assert_problem(
        load("- {id: a, type: multi, text: A, choices: [x]}"), "a", "choices", "at least 2"
    )


def test_more_than_twenty_choices_are_reported():
    choices = ", ".join(f"c{i}" for i in range(21))
    result = load(f"- {{id: a, type: choice, text: A, choices: [{choices}]}}")
    assert_problem(result, "a", "choices", "at most 20")


def test_duplicate_choice_values_are_reported_ignoring_case():
    result = load(
        "- {id: a, type: choice, text: A, choices: [{value: x, label: X1}, {value: X, label: X2}]}"
    )
    assert_problem(result, "a", "choices", "duplicate choice value 'X'")


def test_duplicate_choice_labels_are_reported_ignoring_case():
    result = load(
        "- {id: a, type: multi, text: A, "
        "choices: [{value: x, label: Same}, {value: y, label: SAME}]}"
    )
    assert_problem(result, "a", "choices", "duplicate choice label 'SAME'")


def test_duplicate_shorthand_choices_are_reported():
    result = load("- {id: a, type: choice, text: A, choices: [North, north]}")
    assert_problem(result, "a", "choices", "duplicate choice value")


def test_a_boolean_choice_is_reported_on_its_value_and_label():
    result = load("- {id: a, type: choice, text: A, choices: [x, true]}")
    assert not result.ok
    assert {(p.question, p.field) for p in result.problems} == {
        ("a", "choices.1.value"),
        ("a", "choices.1.label"),
    }


@pytest.mark.parametrize(("low", "high"), [(5, 2), (3, 3)])
def test_a_scale_with_min_not_below_max_is_reported(low, high):
    result = load(f"- {{id: a, type: scale, text: A, min: {low}, max: {high}}}")
    assert_problem(result, "a", "max", f"must be greater than min ({low})")


def test_a_scale_wider_than_eleven_points_is_reported():
    result = load("- {id: a, type: scale, text: A, min: 0, max: 11}")
    assert_problem(result, "a", "max", "at most 11 points")


def test_a_scale_min_above_the_default_max_is_reported():
    assert_problem(load("- {id: a, type: scale, text: A, min: 7}"), "a", "max", "greater than min")


def test_a_scale_made_too_wide_by_min_alone_is_reported():
    assert_problem(load("- {id: a, type: scale, text: A, min: -10}"), "a", "max", "at most 11")


@pytest.mark.parametrize(("low", "high"), [(10, 2.5), (3, 2.5), (-1, -1.5)])
def test_a_number_with_min_above_max_is_reported(low, high):
    result = load(f"- {{id: a, type: number, text: A, min: {low}, max: {high}}}")
    assert_problem(result, "a", "max", f"is less than min ({low})")


def test_a_number_with_min_equal_to_max_is_allowed():
    loaded(load("- {id: a, type: number, text: A, min: 3, max: 3}"))


def test_max_choices_above_the_number_of_choices_is_reported():
    result = load("- {id: a, type: multi, text: A, choices: [x, y, z], max_choices: 4}")
    assert_problem(result, "a", "max_choices", "is 4 but there are only 3 choices")


def test_max_choices_equal_to_the_number_of_choices_is_allowed():
    loaded(load("- {id: a, type: multi, text: A, choices: [x, y, z], max_choices: 3}"))


def test_max_choices_of_zero_is_reported():
    result = load("- {id: a, type: multi, text: A, choices: [x, y], max_choices: 0}")
    assert_problem(result, "a", "max_choices", "greater than or equal to 1")


@pytest.mark.parametrize("question_type", ["text", "number", "scale", "multi"])
def test_breakdown_on_a_question_that_cannot_split_is_reported(question_type):
    extra = ", choices: [x, y]" if question_type == "multi" else ""
    result = load(f"- {{id: a, type: {question_type}, text: A, breakdown: true{extra}}}")
    assert_problem(result, "a", "breakdown", "only choice and yesno")


# --- show_if problems ----------------------------------------------------------------------------


def test_show_if_naming_a_later_question_is_reported():
    result = load(
        """
        - {id: a, type: yesno, text: A, show_if: {question: b, equals: yes}}
        - {id: b, type: yesno, text: B}
        """
    )
    assert_problem(result, "a", "show_if", "refers to a later question 'b'")


def test_show_if_naming_its_own_question_is_reported_as_later():
    result = load("- {id: a, type: yesno, text: A, show_if: {question: a, equals: yes}}")
    assert_problem(result, "a", "show_if", "later question 'a'")


def test_show_if_naming_an_unknown_question_is_reported():
    result = load(YESNO_A + "- {id: b, type: yesno, text: B, show_if: {question: zz, equals: yes}}")
    assert_problem(result, "b", "show_if", "refers to an unknown question 'zz'")


def test_show_if_naming_a_later_invalid_question_calls_it_later():
    result = load(
        """
        - {id: a, type: yesno, text: A, show_if: {question: b, equals: yes}}
        - {id: b, type: yesno, text: B, colour: red}
        """
    )
    assert set(result.problems) == {
        FileProblem(FILE, "b", "colour", "unknown field"),
        FileProblem(
            FILE, "a", "show_if", "refers to a later question 'b'; only earlier ones can be used"
        ),
    }


def test_show_if_naming_an_earlier_invalid_question_is_not_called_later():
    result = load(
        """
        - {id: a, type: yesno, text: A, colour: red}
        - {id: b, type: yesno, text: B, show_if: {question: a, equals: yes}}
        """
    )
    assert not any("later" in p.message for p in result.problems), result.problems


def test_show_if_with_an_unknown_choice_value_is_reported():
    result = load(
        """
        - {id: a, type: choice, text: A, choices: [red, blue]}
        - {id: b, type: yesno, text: B, show_if: {question: a, equals: green}}
        """
    )
    assert_problem(result, "b", "show_if", "'green' is not a value of question 'a'")


def test_show_if_compares_choice_values_not_labels():
    result = load(
        """
        - {id: a, type: choice, text: A, choices: [{value: r, label: Red}, {value: b, label: Blue}]}
        - {id: b, type: yesno, text: B, show_if: {question: a, equals: Red}}
        """
    )
    assert_problem(result, "b", "show_if", "'Red' is not a value of question 'a' (it has: r, b)")


def test_show_if_values_are_case_sensitive():
    result = load(
        """
        - {id: a, type: multi, text: A, choices: [red, blue]}
        - {id: b, type: yesno, text: B, show_if: {question: a, in: [Red]}}
        """
    )
    assert_problem(result, "b", "show_if", "'Red' is not a value")


def test_show_if_with_a_yesno_value_other_than_yes_or_no_is_reported():
    result = load(
        YESNO_A + "- {id: b, type: yesno, text: B, show_if: {question: a, in: [yes, maybe]}}"
    )
    assert_problem(
        result, "b", "show_if", "'maybe' is not a value of question 'a' (it has: yes, no)"
    )


def test_show_if_with_a_boolean_is_reported():
    result = load(YESNO_A + "- {id: b, type: yesno, text: B, show_if: {question: a, equals: true}}")
    assert_problem(result, "b", "show_if.equals", "must be a single value")


def test_show_if_with_a_list_where_one_value_belongs_is_reported():
    result = load(
        YESNO_A + "- {id: b, type: yesno, text: B, show_if: {question: a, equals: [yes]}}"
    )
    assert_problem(result, "b", "show_if.equals", "must be a single value")


@pytest.mark.parametrize("point", ["0", "6", "2.5", "'3'"])
def test_show_if_with_a_point_outside_the_scale_is_reported(point):
    result = load(
        f"""
        - {{id: a, type: scale, text: A}}
        - {{id: b, type: yesno, text: B, show_if: {{question: a, not_in: [1, {point}]}}}}
        """
    )
    assert_problem(result, "b", "show_if", "is not a point of scale question 'a'")


def test_show_if_comparing_a_number_question_with_text_is_reported():
    result = load(
        """
        - {id: a, type: number, text: A}
        - {id: b, type: yesno, text: B, show_if: {question: a, equals: many}}
        """
    )
    assert_problem(result, "b", "show_if", "'many' is not a number")


def test_show_if_on_a_free_text_question_is_reported():
    result = load(
        """
        - {id: a, type: text, text: A}
        - {id: b, type: yesno, text: B, show_if: {question: a, equals: hello}}
        """
    )
    assert_problem(result, "b", "show_if", "question 'a' is free text")


def test_a_bad_leaf_nested_in_all_and_any_is_reported():
    result = load(
        YESNO_A + "- {id: b, type: yesno, text: B, show_if: "
        "{all: [{question: a, equals: yes}, {any: [{question: a, equals: perhaps}]}]}}"
    )
    assert_problem(result, "b", "show_if", "'perhaps' is not a value of question 'a'")


def test_a_later_question_nested_in_any_is_reported():
    result = load(
        YESNO_A + "- {id: b, type: yesno, text: B, show_if: "
        "{any: [{question: a, equals: yes}, {question: c, equals: no}]}}\n"
        + "- {id: c, type: yesno, text: C}"
    )
    assert_problem(result, "b", "show_if", "later question 'c'")


def test_a_missing_field_nested_in_all_and_any_is_located_by_the_file_path():
    result = load(
        YESNO_A + "- {id: b, type: yesno, text: B, show_if: "
        "{all: [{question: a, equals: yes}, {any: [{equals: yes}]}]}}"
    )
    assert_problem(result, "b", "show_if.all.1.any.0.question", "required field is missing")


def test_a_condition_without_a_comparison_is_reported():
    result = load(YESNO_A + "- {id: b, type: yesno, text: B, show_if: {all: [{question: a}]}}")
    assert_problem(result, "b", "show_if.all.0", "a condition needs one of")


def test_an_unknown_field_in_a_condition_is_located_without_pydantic_tags():
    result = load(
        YESNO_A + "- {id: b, type: yesno, text: B, show_if: {question: a, in: [yes], x: 1}}"
    )
    assert_problem(result, "b", "show_if.x", "unknown field")


def test_an_empty_in_list_is_reported():
    result = load(YESNO_A + "- {id: b, type: yesno, text: B, show_if: {question: a, in: []}}")
    assert_problem(result, "b", "show_if.in", "at least 1")


def test_show_if_at_the_limits_loads():
    comparisons = ", ".join(["{question: a, equals: yes}"] * (MAX_CONDITION_LEAVES - 1))
    nested = "{question: a, in: [yes]}"
    for level in range(MAX_CONDITION_DEPTH - 1):
        nested = f"{{{'all' if level % 2 else 'any'}: [{nested}]}}"
    survey = loaded(
        load(
            YESNO_A
            + f"- {{id: b, type: yesno, text: B, show_if: {{any: [{comparisons}, {nested}]}}}}"
        )
    )
    assert condition_depth(survey.questions[1].show_if) == MAX_CONDITION_DEPTH
    assert len(condition_references(survey.questions[1].show_if)) == MAX_CONDITION_LEAVES


def test_show_if_with_too_many_comparisons_is_reported():
    comparisons = ", ".join(["{question: a, equals: yes}"] * (MAX_CONDITION_LEAVES + 1))
    result = load(YESNO_A + f"- {{id: b, type: yesno, text: B, show_if: {{any: [{comparisons}]}}}}")
    assert_problem(result, "b", "show_if", f"has {MAX_CONDITION_LEAVES + 1} comparisons")


def test_show_if_nested_too_deep_is_reported():
    nested = "{question: a, equals: yes}"
    for _ in range(MAX_CONDITION_DEPTH + 1):
        nested = f"{{all: [{nested}]}}"
    result = load(YESNO_A + f"- {{id: b, type: yesno, text: B, show_if: {nested}}}")
    assert_problem(result, "b", "show_if", f"more than {MAX_CONDITION_DEPTH} levels deep")


def test_an_in_list_longer_than_any_question_has_values_is_reported():
    values = ", ".join(["yes"] * (MAX_CONDITION_VALUES + 1))
    result = load(
        YESNO_A + f"- {{id: b, type: yesno, text: B, show_if: {{question: a, in: [{values}]}}}}"
    )
    assert_problem(result, "b", "show_if.in", f"at most {MAX_CONDITION_VALUES} items")


# --- hostile files -----------------------------------------------------------------------------


def billion_laughs(levels: int = 6) -> str:
    """A survey of a few hundred bytes whose show_if stands for 10**levels comparisons, by
    aliases of aliases."""
    definitions = ["- &l0 {question: a, equals: yes}"]
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*l{level - 1}"] * 10)
        definitions.append(f"- &l{level} {{any: [{aliases}]}}")
    header = HEADER + "laughs:\n" + textwrap.indent("\n".join(definitions), "  ") + "\n"
    return survey_text(YESNO_A + f"- {{id: b, type: yesno, text: B, show_if: *l{levels}}}", header)


def test_a_billion_laughs_of_aliases_is_refused_at_the_first_alias():
    text = billion_laughs()
    assert len(text) < 1000
    line = next(n for n, content in enumerate(text.splitlines(), 1) if "*l0" in content)
    column = text.splitlines()[line - 1].index("*l0") + 1

    result = parse_survey(text, FILE)

    problem = assert_problem(result, None, "", "")
    assert str(problem) == (
        f"{FILE}: survey: alias *l0 at line {line}, column {column}: "
        "aliases are not part of the survey format; write the value out in full"
    )


def test_any_alias_is_refused_even_a_harmless_one():
    header = "id: members\ntitle: &title Members\nintro: *title\n"
    result = load(YESNO_A, header)
    assert_problem(result, None, "", "alias *title at line 3, column 8")


@pytest.mark.parametrize(
    "nested",
    ["[" * 10_000 + "]" * 10_000, "{a: " * 10_000 + "b" + "}" * 10_000],
    ids=["list", "mapping"],
)
def test_a_file_nested_ten_thousand_deep_is_a_problem_not_a_recursion_error(nested):
    result = parse_survey(HEADER + f"questions: {nested}\n", FILE)
    assert_problem(result, None, "", f"nesting deeper than {MAX_NESTING} levels at line 4")


def test_a_file_over_the_size_limit_is_refused_unparsed():
    text = survey_text(YESNO_A)
    padding = "#" * (MAX_FILE_BYTES - len(text.encode()))
    at_the_limit = text + "\n" + padding[1:]
    over_the_limit = at_the_limit + "#"

    assert len(at_the_limit.encode()) == MAX_FILE_BYTES
    loaded(parse_survey(at_the_limit, FILE))
    assert_problem(parse_survey(over_the_limit, FILE), None, "", "larger than 256 KiB")
    assert_problem(parse_survey(over_the_limit.encode(), FILE), None, "", "larger than 256 KiB")


def test_the_size_limit_counts_bytes_not_characters():
    text = survey_text(YESNO_A) + "\n#" + "é" * (MAX_FILE_BYTES // 2)
    assert len(text) < MAX_FILE_BYTES < len(text.encode())
    assert_problem(parse_survey(text, FILE), None, "", "larger than 256 KiB")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("opens: 2026-02-30", "unreadable date at line 4, column 8: day is out of range"),
        ("opens: !!int soon", "unreadable integer at line 4, column 8: invalid literal"),
        ("opens: " + "9" * 5000, "unreadable integer at line 4, column 8: Exceeds the limit"),
    ],
    ids=["impossible date", "tagged text", "integer of 5000 digits"],
)
def test_a_value_yaml_cannot_build_is_a_problem_not_a_crash(line, message):
    assert_problem(load(YESNO_A, HEADER + line + "\n"), None, "", message)


def test_bytes_that_are_not_utf8_are_a_problem():
    result = parse_survey(survey_text(YESNO_A).encode() + b"\n# \xff\n", FILE)
    assert_problem(result, None, "", "not valid YAML")


def test_a_stored_version_nested_too_deep_is_a_validation_error_not_a_crash():
    # Stored versions are re-read with Survey.model_validate_json: pydantic's JSON parser
    # stops at its own recursion limit, well before Python's.
    condition = '{"all": [' * 10_000 + '{"question": "a", "equals": "yes"}' + "]}" * 10_000
    definition = (
        '{"id": "s", "title": "T", "intro": "I", "questions": ['
        '{"id": "a", "type": "yesno", "text": "A"}, '
        f'{{"id": "b", "type": "yesno", "text": "B", "show_if": {condition}}}]}}'
    )
    with pytest.raises(ValidationError, match="recursion limit exceeded"):
        Survey.model_validate_json(definition)


def test_a_stored_version_with_too_big_a_show_if_is_refused():
    condition = (
        '{"all": [' * (MAX_CONDITION_DEPTH + 1)
        + '{"question": "a", "equals": "yes"}'
        + "]}" * (MAX_CONDITION_DEPTH + 1)
    )
    definition = (
        '{"id": "s", "title": "T", "intro": "I", "questions": ['
        '{"id": "a", "type": "yesno", "text": "A"}, '
        f'{{"id": "b", "type": "yesno", "text": "B", "show_if": {condition}}}]}}'
    )
    with pytest.raises(ValidationError, match="levels deep"):
        Survey.model_validate_json(definition)


# --- several problems at once ------------------------------------------------------------------


def test_every_problem_in_a_file_is_reported_at_once():
    header = HEADER.replace("id: members", "id: Members") + "colour: red\n"
    result = load(
        """
        - {id: a, type: yesno, text: A}
        - {id: a, type: yesno, text: Again}
        - {id: c, type: scale, text: C, min: 5, max: 1}
        - {id: d, type: yesno, text: D, show_if: {question: a, equals: maybe}}
        - {id: e, type: text, text: E, breakdown: true}
        - {id: f, type: multi, text: F, choices: [x, X]}
        - {id: g, type: yesno, text: G, show_if: {question: h, equals: yes}}
        - {id: h, type: rating, text: H}
        """,
        header,
    )
    assert result.surveys == []
    assert {p.file for p in result.problems} == {FILE}
    assert sorted((p.question or "", p.field) for p in result.problems) == [
        ("", "colour"),
        ("", "id"),
        ("a", "id"),
        ("c", "max"),
        ("d", "show_if"),
        ("e", "breakdown"),
        ("f", "choices"),
        ("g", "show_if"),
        ("h", "type"),
    ]


def test_problems_are_not_repeated():
    result = load(
        """
        - {id: a, type: yesno, text: A}
        - {id: b, type: yesno, text: B, show_if: {question: a, in: [maybe, maybe]}}
        """
    )
    assert len(result.problems) == len(set(result.problems)) == 1


# --- several files -----------------------------------------------------------------------------


def test_several_files_load_in_order():
    other = survey_text(YESNO_A, HEADER.replace("id: members", "id: others"))
    result = parse_files([("a.yaml", survey_text(YESNO_A)), ("b.yaml", other)])
    assert result.ok
    assert [s.id for s in result.surveys] == ["members", "others"]


def test_a_survey_id_used_by_two_files_is_reported_on_the_second():
    result = parse_files([("a.yaml", survey_text(YESNO_A)), ("b.yaml", survey_text(YESNO_A))])
    assert [s.id for s in result.surveys] == ["members"]
    assert result.problems == [
        FileProblem("b.yaml", None, "id", "survey id 'members' is already used by a.yaml")
    ]


def test_problems_of_every_file_are_collected_and_good_files_still_load():
    result = parse_files(
        [
            ("bad.yaml", "- not a mapping\n"),
            ("good.yaml", survey_text(YESNO_A)),
            ("worse.yaml", survey_text("- {id: a, type: yesno, text: A, colour: red}")),
        ]
    )
    assert not result.ok
    assert [s.id for s in result.surveys] == ["members"]
    assert [(p.file, p.field) for p in result.problems] == [
        ("bad.yaml", ""),
        ("worse.yaml", "colour"),
    ]
