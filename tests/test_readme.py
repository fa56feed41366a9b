"""The README stays true: its survey example is valid (to `validate` and to the JSON Schema) and
its settings table is complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bot
from surveys.loader import MAX_FILE_BYTES, MAX_NESTING, parse_survey
from surveys.model import (
    MAX_CHOICES,
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_LEAVES,
    MAX_CONDITION_VALUES,
)
from tests.surveys.test_schema import schema_errors

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (Path(__file__).parent.parent / ".env.example").read_text(encoding="utf-8")
SURVEY_EXAMPLES = re.findall(r"```yaml\n(.*?)```", README, re.DOTALL)


def test_the_survey_example_is_a_valid_survey() -> None:
    result = parse_survey(SURVEY_EXAMPLES[0], "README.md")

    assert result.problems == []
    assert {q.type for q in result.surveys[0].questions} == {
        "choice",
        "multi",
        "scale",
        "yesno",
        "number",
        "text",
    }


@pytest.mark.parametrize("example", SURVEY_EXAMPLES)
def test_every_survey_example_meets_the_json_schema(example: str) -> None:
    assert parse_survey(example, "README.md").ok
    assert schema_errors(example) == []


def test_the_survey_file_limits_are_documented() -> None:
    text = " ".join(README.split())
    assert f"a survey file is at most {MAX_FILE_BYTES // 1024} KiB" in text
    assert f"nests at most {MAX_NESTING} levels" in text
    assert f"has at most {MAX_CONDITION_LEAVES} comparisons" in text
    assert f"nests `all`/`any` at most {MAX_CONDITION_DEPTH} deep" in text
    assert f"lists at most {MAX_CONDITION_VALUES} values" in text
    assert f"`choices` (choice, multi; 2 to {MAX_CHOICES}," in text


def test_every_setting_is_documented() -> None:
    variables = {f"DOORSTEP_{name.upper()}" for name in bot.Settings.model_fields}

    for variable in variables:
        assert f"`{variable}`" in README, variable
        assert f"{variable}=" in ENV_EXAMPLE, variable
