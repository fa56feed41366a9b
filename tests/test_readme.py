"""The README stays true: its survey example is valid and its settings table is complete."""

from __future__ import annotations

import re
from pathlib import Path

import bot
from surveys.loader import parse_survey

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (Path(__file__).parent.parent / ".env.example").read_text(encoding="utf-8")


def test_the_survey_example_is_a_valid_survey() -> None:
    example = re.search(r"```yaml\n(.*?)```", README, re.DOTALL).group(1)
    result = parse_survey(example, "README.md")

    assert result.problems == []
    assert {q.type for q in result.surveys[0].questions} == {
        "choice",
        "multi",
        "scale",
        "yesno",
        "number",
        "text",
    }


def test_every_setting_is_documented() -> None:
    variables = {f"DOORSTEP_{name.upper()}" for name in bot.Settings.model_fields}

    for variable in variables:
        assert f"`{variable}`" in README, variable
        assert f"{variable}=" in ENV_EXAMPLE, variable
