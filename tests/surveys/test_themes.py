"""Theme coding of free text: whole words and phrases, any case, several themes, "other"."""

from __future__ import annotations

import pytest

from surveys.loader import parse_survey
from surveys.themes import Codebook

CODEBOOK = Codebook(
    {
        "housing": ["rent", "landlord", "housing", "council house"],
        "nhs": ["nhs", "hospital", "gp"],
    }
)


@pytest.mark.parametrize(
    ("answer", "themes"),
    [
        ("The RENT is too high", {"housing"}),
        ("my landlord, and the GP waiting list", {"housing", "nhs"}),
        ("we need a council   house", {"housing"}),
        ("my parent works at the hospital", {"nhs"}),  # "rent" inside "parent" is not rent
        ("rental prices", set()),  # nor "rent" inside "rental"
        ("NHS!", {"nhs"}),
        ("a council-house waiting list", {"housing"}),  # hyphen or space, alike
        ("my landlord\u2019s agent", {"housing"}),  # a typographic apostrophe
        ("cafe\u0301 closed", set()),
        ("buses", set()),
    ],
)
def test_an_answer_carries_the_themes_whose_words_it_contains(answer, themes) -> None:
    assert CODEBOOK.themes_of(answer) == themes


def test_apostrophes_hyphens_and_composed_letters_match_alike() -> None:
    codebook = Codebook({"work": ["zero-hours", "don't"], "food": ["food bank", "caf\u00e9"]})

    assert codebook.themes_of("on zero hours contracts") == {"work"}
    assert codebook.themes_of("I don\u2019t know") == {"work"}
    assert codebook.themes_of("the food-bank") == {"food"}
    assert codebook.themes_of("the cafe\u0301") == {"food"}  # e + combining accent


def test_phrases_with_regex_characters_are_plain_text() -> None:
    assert Codebook({"money": ["£5.00", "c++"]}).themes_of("it costs £5.00") == {"money"}
    assert Codebook({"money": ["£5.00"]}).themes_of("it costs £5x00") == set()


def test_a_survey_file_declares_a_codebook_on_a_text_question() -> None:
    result = parse_survey(
        "id: s\ntitle: T\nintro: I\nquestions:\n"
        "  - id: heard\n    type: text\n    text: What do you hear?\n"
        "    themes: {housing: [rent, landlord], nhs: [gp]}\n",
        "s.yaml",
    )

    assert result.problems == []
    assert result.surveys[0].questions[0].themes == {"housing": ["rent", "landlord"], "nhs": ["gp"]}


@pytest.mark.parametrize(
    ("themes", "field", "message"),
    [
        ("{other: [x]}", "themes", "'other' is the name reports give"),
        ("{housing: []}", "themes.housing", "at least 1 item"),
        ("{Housing: [rent]}", "themes.Housing", "a-z, 0-9"),
    ],
)
def test_a_bad_codebook_is_reported_with_its_field(themes, field, message) -> None:
    result = parse_survey(
        "id: s\ntitle: T\nintro: I\nquestions:\n"
        f"  - id: heard\n    type: text\n    text: Heard?\n    themes: {themes}\n",
        "s.yaml",
    )

    (problem,) = result.problems
    assert (problem.question, problem.field) == ("heard", field)
    assert message in problem.message
