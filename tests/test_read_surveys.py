"""bot.read_surveys: hostile files in a survey folder are problems with their file, never a crash,
and the good surveys beside them still load."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

import bot
from surveys.loader import MAX_FILE_BYTES

GOOD_SURVEY = """\
id: good
title: Good
intro: Fine.
questions:
  - {id: a, type: yesno, text: Member}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A survey folder holding one good survey."""
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "good.yaml").write_text(GOOD_SURVEY, encoding="utf-8")
    return surveys


def test_hostile_files_are_problems_and_the_good_survey_still_loads(folder):
    (folder / "alias.yaml").write_text(GOOD_SURVEY.replace("Fine.", "&laugh Fine.") + "x: *laugh\n")
    (folder / "deep.yaml").write_text("questions: " + "[" * 10_000 + "]" * 10_000 + "\n")
    (folder / "huge.yaml").write_text(GOOD_SURVEY + "#" * MAX_FILE_BYTES + "\n")
    (folder / "latin1.yaml").write_bytes(GOOD_SURVEY.replace("Fine.", "Café.").encode("latin-1"))

    result = bot.read_surveys(folder)

    assert [survey.id for survey in result.surveys] == ["good"]
    problems = {Path(problem.file).name: problem.message for problem in result.problems}
    assert problems.keys() == {"alias.yaml", "deep.yaml", "huge.yaml", "latin1.yaml"}
    assert problems["alias.yaml"].startswith("alias *laugh at line 6")
    assert problems["deep.yaml"].startswith("nesting deeper than")
    assert problems["huge.yaml"].startswith("is larger than 256 KiB")
    assert problems["latin1.yaml"].startswith("not valid YAML")


def test_a_huge_file_is_refused_without_being_read_whole(folder):
    huge = folder / "huge.yaml"
    with huge.open("wb") as stream:
        os.truncate(stream.fileno(), 256 * MAX_FILE_BYTES)  # 64 MiB, sparse: nothing written

    tracemalloc.start()
    try:
        result = bot.read_surveys(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [(problem.file, problem.message) for problem in result.problems] == [
        (str(huge), "is larger than 256 KiB, the most a survey file may be")
    ]
    assert peak < 4 * MAX_FILE_BYTES


def test_validate_reports_a_hostile_file_in_one_line(folder, capsys):
    (folder / "deep.yaml").write_text("questions: " + "{a: " * 10_000 + "}" * 10_000 + "\n")

    assert bot.main(["validate", str(folder)]) == bot.EXIT_INVALID_SURVEYS

    assert capsys.readouterr().err.splitlines() == [
        f"{folder / 'deep.yaml'}: survey: nesting deeper than 20 levels at line 1, column 85: "
        "a survey needs far fewer"
    ]
