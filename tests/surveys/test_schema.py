"""The JSON Schema of `python bot.py schema` accepts what the loader accepts and refuses what it
refuses, except the rules across fields that no JSON Schema can state (listed in the README)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from surveys.loader import SurveyYamlLoader, parse_survey, survey_json_schema
from surveys.model import (
    DEFAULT_REMINDERS,
    MAX_CHOICES,
    MAX_CONDITION_LEAVES,
    MAX_REMIND_AFTER_HOURS,
    MAX_REMINDERS,
)

LIBRARY = Path(__file__).resolve().parents[2] / "surveys" / "library"
SCHEMA = survey_json_schema()
HEADER = "id: members\ntitle: Members\nintro: A few questions.\n"
YESNO_A = "- {id: a, type: yesno, text: Member}\n"


def survey_text(questions: str, header: str = HEADER) -> str:
    return header + "questions:\n" + textwrap.indent(textwrap.dedent(questions).strip(), "  ")


def schema_errors(text: str) -> list[str]:
    """What an editor checking the file against the schema would flag."""
    # A YAML 1.2 editor reads an unquoted date as text; JSON has no date type.
    data: Any = json.loads(json.dumps(yaml.load(text, Loader=SurveyYamlLoader), default=str))
    return [error.message for error in Draft202012Validator(SCHEMA).iter_errors(data)]


def test_the_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.yaml")), ids=lambda path: path.name)
def test_the_bundled_surveys_meet_the_schema(path):
    text = path.read_text(encoding="utf-8")
    assert parse_survey(text, path.name).ok
    assert schema_errors(text) == []


def test_there_are_bundled_surveys_to_check():
    assert len(list(LIBRARY.glob("*.yaml"))) == 2


VALID = {
    "shorthand choices": "- {id: a, type: multi, text: A, choices: [Jobs, NHS]}",
    "numbers as choices and labels": (
        "- {id: a, type: choice, text: A, choices: [1, 2.5, {value: 10, label: 20}]}"
    ),
    "shorthand and full choices mixed": (
        "- {id: a, type: choice, text: A, choices: [Red, {value: b, label: Blue}]}"
    ),
    "a number as a question id": "- {id: 2026, type: yesno, text: A}",
    "conditions of every shape, nested": YESNO_A
    + textwrap.dedent(
        """
        - {id: n, type: number, text: N}
        - id: b
          type: text
          text: B
          show_if:
            all:
              - {question: a, equals: yes}
              - any:
                  - {question: n, in: [1, 2.5]}
                  - {question: a, not_in: ["no"]}
        """
    ),
    "dates, nulls and booleans": """
        - {id: a, type: multi, text: A, choices: [x, y], max_choices: null, show_if: null}
        - {id: b, type: yesno, text: B, required: false, breakdown: true}
        """,
    "themes": "- {id: a, type: text, text: A, themes: {housing: [rent, 10], nhs: [gp]}}",
}
VALID_HEADERS = {"dates, nulls and booleans": HEADER + "opens: 2026-12-01\nrepeatable: true\n"}


@pytest.mark.parametrize("name", VALID)
def test_what_validate_accepts_the_schema_accepts(name):
    text = survey_text(VALID[name], VALID_HEADERS.get(name, HEADER))
    assert parse_survey(text, "f.yaml").ok, parse_survey(text, "f.yaml").problems
    assert schema_errors(text) == []


TOO_MANY_CHOICES = ", ".join(f"c{i}" for i in range(MAX_CHOICES + 1))
INVALID = {
    "unknown field": "- {id: a, type: yesno, text: A, colour: red}",
    "missing required field": "- {id: a, type: yesno}",
    "wrong type": "- {id: a, type: scale, text: A, min: [1]}",
    "a bad slug id": "- {id: Bad Id, type: yesno, text: A}",
    "a negative number as id": "- {id: -5, type: yesno, text: A}",
    "too many choices": f"- {{id: a, type: choice, text: A, choices: [{TOO_MANY_CHOICES}]}}",
    "a list as a shorthand choice": "- {id: a, type: choice, text: A, choices: [[x], y]}",
    "a boolean as a shorthand choice": "- {id: a, type: choice, text: A, choices: [true, y]}",
    "blank text": '- {id: a, type: yesno, text: "   "}',
    "an unknown question type": "- {id: a, type: rating, text: A}",
    "yes for a boolean (YAML 1.2 reads text)": "- {id: a, type: yesno, text: A, required: yes}",
    "a condition without a comparison": YESNO_A + "- {id: b, type: yesno, text: B, "
    "show_if: {question: a}}",
    "a condition with two comparisons": YESNO_A + "- {id: b, type: yesno, text: B, "
    "show_if: {question: a, equals: yes, in: [yes]}}",
    "a condition comparing with true": YESNO_A + "- {id: b, type: yesno, text: B, "
    "show_if: {question: a, equals: true}}",
    "an empty all": YESNO_A + "- {id: b, type: yesno, text: B, show_if: {all: []}}",
    "a theme name that is not a slug": "- {id: a, type: text, text: A, themes: {Big Rent: [x]}}",
}


@pytest.mark.parametrize("name", INVALID)
def test_what_validate_refuses_the_schema_refuses(name):
    text = survey_text(INVALID[name])
    assert not parse_survey(text, "f.yaml").ok
    assert schema_errors(text) != []


MANY_COMPARISONS = ", ".join(["{question: a, equals: yes}"] * (MAX_CONDITION_LEAVES + 1))
ACROSS_FIELDS = {
    "scale max not above min": "- {id: a, type: scale, text: A, min: 5, max: 5}",
    "a scale of more than 11 points": "- {id: a, type: scale, text: A, min: 0, max: 11}",
    "number min above max": "- {id: a, type: number, text: A, min: 5, max: 1}",
    "max_choices above the choices": "- {id: a, type: multi, text: A, choices: [x, y], "
    "max_choices: 3}",
    "duplicate choice values": "- {id: a, type: choice, text: A, choices: [x, X]}",
    "duplicate question ids": YESNO_A + YESNO_A,
    "breakdown on a number question": "- {id: a, type: number, text: A, breakdown: true}",
    "a theme named other": "- {id: a, type: text, text: A, themes: {other: [x]}}",
    "show_if naming a later question": "- {id: b, type: yesno, text: B, "
    "show_if: {question: a, equals: yes}}\n" + YESNO_A,
    "show_if with a value the question cannot have": YESNO_A + "- {id: b, type: yesno, "
    "text: B, show_if: {question: a, equals: maybe}}",
    "show_if with too many comparisons": YESNO_A + "- {id: b, type: yesno, text: B, "
    f"show_if: {{any: [{MANY_COMPARISONS}]}}}}",
}


@pytest.mark.parametrize("name", ACROSS_FIELDS)
def test_rules_across_fields_are_checked_by_validate_alone(name):
    # The README's survey format section lists these; an editor cannot flag them.
    text = survey_text(ACROSS_FIELDS[name])
    assert not parse_survey(text, "f.yaml").ok
    assert schema_errors(text) == []


def test_closes_before_opens_is_checked_by_validate_alone():
    text = survey_text(YESNO_A, HEADER + "opens: 2026-12-01\ncloses: 2026-11-01\n")
    assert not parse_survey(text, "f.yaml").ok
    assert schema_errors(text) == []


# The reminder fields, in the survey's header: the one rule across fields a schema can state
# (reminders only with remind_after) is stated there too.
REMINDERS_VALID = {
    "remind_after alone": "remind_after: 48\n",
    "both, at their limits": "remind_after: 720\nreminders: 3\n",
    "no reminders at all": "remind_after: 1\nreminders: 0\n",
    "a null reminders without remind_after": "reminders: null\n",
}
REMINDERS_INVALID = {
    "reminders without remind_after": "reminders: 2\n",
    "reminders with a null remind_after": "remind_after: null\nreminders: 2\n",
    "remind_after of 0 hours": "remind_after: 0\n",
    "remind_after over 30 days": "remind_after: 721\n",
    "remind_after of a fraction of an hour": "remind_after: 1.5\n",
    "remind_after as true": "remind_after: true\n",
    "more than three reminders": "remind_after: 24\nreminders: 4\n",
    "reminders as true": "remind_after: 24\nreminders: true\n",
}


@pytest.mark.parametrize("name", REMINDERS_VALID)
def test_reminder_fields_validate_accepts_the_schema_accepts(name):
    text = survey_text(YESNO_A, HEADER + REMINDERS_VALID[name])
    assert parse_survey(text, "f.yaml").ok, parse_survey(text, "f.yaml").problems
    assert schema_errors(text) == []


@pytest.mark.parametrize("name", REMINDERS_INVALID)
def test_reminder_fields_validate_refuses_the_schema_refuses(name):
    text = survey_text(YESNO_A, HEADER + REMINDERS_INVALID[name])
    assert not parse_survey(text, "f.yaml").ok
    assert schema_errors(text) != []


def test_the_schema_documents_the_reminder_fields():
    fields = SCHEMA["properties"]
    for field in ("remind_after", "reminders"):
        assert fields[field]["description"], field
    (remind_after, _null) = fields["remind_after"]["anyOf"]
    (reminders, _null) = fields["reminders"]["anyOf"]
    assert (remind_after["minimum"], remind_after["maximum"]) == (1, MAX_REMIND_AFTER_HOURS)
    assert (reminders["minimum"], reminders["maximum"]) == (0, MAX_REMINDERS)
    assert f"default {DEFAULT_REMINDERS}" in fields["reminders"]["description"]
