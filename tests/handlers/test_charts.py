"""Report charts: one PNG per button question, hidden counts never written, albums of ten."""

from __future__ import annotations

import pytest

from handlers.charts import (
    HIDDEN,
    MAX_ALBUM,
    MAX_CAPTION_LENGTH,
    Chart,
    albums,
    bar_texts,
    caption,
    report_charts,
)
from handlers.render import utf16_length
from surveys.model import Survey
from surveys.summary import Counts, Figure, Line, QuestionReport, SurveyReport

K = 5
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOSTILE = "<b>& $5 or $10, </i> $unbalanced \\frac"

SURVEY = Survey.model_validate(
    {
        "id": "housing",
        "title": "Housing <survey> & rents",
        "intro": "A few questions about where you live.",
        "questions": [
            {
                "id": "tenure",
                "type": "choice",
                "text": "Do you rent or own?",
                "choices": [
                    "Rent",
                    "Own",
                    HOSTILE,
                    "A very long option label that needs wrapping over several lines",
                ],
            },
            {
                "id": "issues",
                "type": "multi",
                "text": "Which problems have you had?",
                "choices": ["Damp", "Repairs", "Rent rises"],
            },
            {"id": "comment", "type": "text", "text": "Anything else?"},
            {
                "id": "satisfied",
                "type": "scale",
                "text": "How satisfied are you with your home?",
                "min_label": "Not at all",
                "max_label": "Very",
            },
            {"id": "age", "type": "number", "text": "How old are you?"},
            {"id": "union", "type": "yesno", "text": "Would you join a tenants' union?"},
            {"id": "region", "type": "choice", "text": "Where?", "choices": ["North", "South"]},
        ],
    }
)


def _lines(answered: int, *figures: Figure, labels: list[str] | None = None) -> list[Line]:
    labels = labels or [str(number) for number in range(1, len(figures) + 1)]
    return [
        Line(label, figure, figure.count / answered if figure.shown else None)
        for label, figure in zip(labels, figures, strict=True)
    ]


TENURE = QuestionReport(
    SURVEY.question("tenure"),
    1234,
    False,
    _lines(
        1234,
        Figure(1000),
        Figure(3, shown=False, small=True),
        Figure(200, shown=False),
        Figure(31),
        labels=[choice.label for choice in SURVEY.question("tenure").choices],
    ),
)
ISSUES = QuestionReport(
    SURVEY.question("issues"),
    40,
    False,
    _lines(40, Figure(30), Figure(40), Figure(12), labels=["Damp", "Repairs", "Rent rises"]),
)
COMMENT = QuestionReport(SURVEY.question("comment"), 40, False, [])
SATISFIED = QuestionReport(
    SURVEY.question("satisfied"),
    40,
    False,
    _lines(40, Figure(10), Figure(10), Figure(10), Figure(5), Figure(5)),
)
AGE = QuestionReport(SURVEY.question("age"), 40, False, [])
UNION = QuestionReport(
    SURVEY.question("union"), 40, False, _lines(40, Figure(25), Figure(15), labels=["Yes", "No"])
)
REGION = QuestionReport(SURVEY.question("region"), 3, True, [])


def _report(*questions: QuestionReport, area: str | None = None) -> SurveyReport:
    return SurveyReport(
        SURVEY, K, area, Counts(50, 40, Figure(2, shown=False, small=True)), False, list(questions)
    )


@pytest.fixture(scope="module")
def charts() -> list[Chart]:
    return report_charts(_report(TENURE, ISSUES, COMMENT, SATISFIED, AGE, UNION, REGION))


def test_one_png_per_chartable_question_in_order(charts):
    assert [chart.caption for chart in charts] == [
        "Do you rent or own? (n=1,234)",
        "Which problems have you had? (n=40)",
        "How satisfied are you with your home? (n=40)",
        "Would you join a tenants' union? (n=40)",
    ]
    assert all(chart.png.startswith(PNG_SIGNATURE) for chart in charts)


def test_text_number_too_few_and_empty_questions_get_no_chart():
    empty = QuestionReport(SURVEY.question("union"), 40, False, [])
    assert report_charts(_report(COMMENT, AGE, REGION, empty)) == []


def test_area_and_hostile_text_render():
    [chart] = report_charts(_report(TENURE, area="North & <South> $x$"))
    assert chart.png.startswith(PNG_SIGNATURE)


def test_hidden_counts_are_never_written():
    texts = bar_texts(TENURE, K)
    assert texts == ["1,000 (81%)", "<5", HIDDEN, "31 (3%)"]
    assert not any("200" in text for text in texts)


def test_shown_texts_carry_count_and_percent():
    assert bar_texts(ISSUES, K) == ["30 (75%)", "40 (100%)", "12 (30%)"]


def test_long_caption_is_cut_within_telegram_limit():
    question = SURVEY.question("tenure").model_copy(update={"text": "😀" * 1500})
    text = caption(QuestionReport(question, 12345, False, []))
    assert utf16_length(text) <= MAX_CAPTION_LENGTH
    assert text.endswith("… (n=12,345)")


@pytest.mark.parametrize(
    ("count", "sizes"), [(0, []), (10, [10]), (11, [10, 1]), (23, [10, 10, 3])]
)
def test_albums_hold_at_most_ten(count, sizes):
    charts = [Chart(b"", str(number)) for number in range(count)]
    groups = albums(charts)
    assert [len(group) for group in groups] == sizes
    assert all(len(group) <= MAX_ALBUM for group in groups)
    assert [chart for group in groups for chart in group] == charts
