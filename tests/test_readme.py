"""The README stays true: its survey example is valid (to `validate` and to the JSON Schema) and
its settings table is complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bot
from surveys.loader import parse_survey
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


def test_every_setting_is_documented() -> None:
    variables = {f"DOORSTEP_{name.upper()}" for name in bot.Settings.model_fields}

    for variable in variables:
        assert f"`{variable}`" in README, variable
        assert f"{variable}=" in ENV_EXAMPLE, variable
