"""Bar charts of an organiser report, as PNG images for Telegram albums.

Reports arrive already suppressed (`surveys.summary`); a hidden figure is drawn as no bar and
labelled "<k" or "hidden", so its count never reaches the picture. Rendering uses matplotlib's
object-oriented API with the Agg canvas: no pyplot, no display, no global figure registry, and
nothing fetched from the network. It is CPU-bound, so callers should run it off the event loop
(e.g. `asyncio.to_thread`).

Captions are plain text: send them with `parse_mode=None`, overriding the bot's HTML default.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from io import BytesIO
from typing import assert_never

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from handlers.render import utf16_length
from surveys.model import (
    ChoiceQuestion,
    MultiQuestion,
    NumberQuestion,
    Question,
    ScaleQuestion,
    TextQuestion,
    YesNoQuestion,
)
from surveys.summary import Line, QuestionReport, SurveyReport

MAX_ALBUM = 10  # Telegram's media group size
MAX_CAPTION_LENGTH = 1024  # Telegram counts UTF-16 code units
HIDDEN = "hidden"  # hidden to protect a small count elsewhere

LABEL_WIDTH = 28
TITLE_WIDTH = 60
SUBTITLE_WIDTH = 90
WIDTH_INCHES = 8.0
DPI = 100
BAR_COLOUR = "#3b6ea5"
MUTED_COLOUR = "#666666"
SUBTITLE_OFFSET = 6  # points above the axes
SUBTITLE_LINE = 13  # points a 9-point subtitle line takes
TITLE_GAP = 5  # points between the subtitle and the title above it
ANSWERED_AXIS = "% of those who answered"
MULTI_AXIS = "% of respondents (several answers allowed)"


@dataclass(frozen=True)
class Chart:
    """One question's chart: the PNG image and its plain-text caption."""

    png: bytes
    caption: str


def report_charts(summary: SurveyReport) -> list[Chart]:
    """One chart per button question that has something to show, in question order."""
    return [
        Chart(_png(question, summary), caption(question))
        for question in summary.questions
        if _charted(question.question) and not question.too_few and question.lines
    ]


def _charted(question: Question) -> bool:
    """Whether a question's report is drawn: the button questions, whose lines are its options."""
    match question:
        case ChoiceQuestion() | MultiQuestion() | ScaleQuestion() | YesNoQuestion():
            return True
        case TextQuestion() | NumberQuestion():  # themes and figures read better as text
            return False
        case _:
            assert_never(question)


def albums(charts: list[Chart]) -> list[list[Chart]]:
    """The charts in groups Telegram can send as one media group each."""
    return [charts[start : start + MAX_ALBUM] for start in range(0, len(charts), MAX_ALBUM)]


def bar_texts(question: QuestionReport, k: int) -> list[str]:
    """What is written at the end of each bar: count and percent, or why it is hidden."""
    return [_bar_text(line, k) for line in question.lines]


def caption(question: QuestionReport) -> str:
    """The question and how many answered it, cut to fit a Telegram caption."""
    suffix = f" (n={question.answered:,})"
    return _fit(question.question.text, MAX_CAPTION_LENGTH - utf16_length(suffix)) + suffix


def _bar_text(line: Line, k: int) -> str:
    if not line.figure.shown or line.share is None:
        return f"<{k}" if line.figure.small else HIDDEN
    return f"{line.figure.count:,} ({line.share:.0%})"


def _fit(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 code units, ending in an ellipsis when cut."""
    if utf16_length(text) <= limit:
        return text
    kept, used = [], 1  # room for the ellipsis
    for character in text:
        used += utf16_length(character)
        if used > limit:
            break
        kept.append(character)
    return "".join(kept).rstrip() + "…"


def _png(question: QuestionReport, summary: SurveyReport) -> bytes:
    """The question's horizontal bar chart, rendered to PNG bytes."""
    labels = [textwrap.fill(label, LABEL_WIDTH) for label in _labels(question)]
    figure = Figure(figsize=(WIDTH_INCHES, _height(labels)), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    try:
        _draw(figure, question, labels, summary)
        buffer = BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
        return buffer.getvalue()
    finally:
        # Artists and their figure refer to each other; clearing breaks the cycles at once
        # instead of leaving a large figure for the cyclic garbage collector.
        figure.clear()


def _labels(question: QuestionReport) -> list[str]:
    """Bar labels; a scale's end points also carry their words (min_label, max_label)."""
    match asked := question.question:
        case ScaleQuestion():
            ends = {str(asked.min): asked.min_label, str(asked.max): asked.max_label}
            return [
                f"{line.label} – {ends[line.label]}" if ends.get(line.label) else line.label
                for line in question.lines
            ]
        case (
            ChoiceQuestion() | MultiQuestion() | YesNoQuestion() | TextQuestion() | NumberQuestion()
        ):
            return [line.label for line in question.lines]
        case _:
            assert_never(asked)


def _height(labels: list[str]) -> float:
    """Inches: room for the titles, half an inch a bar, more for labels wrapped over lines."""
    extra_lines = sum(label.count("\n") for label in labels)
    return 1.5 + 0.5 * len(labels) + 0.15 * extra_lines


def _draw(
    figure: Figure, question: QuestionReport, labels: list[str], summary: SurveyReport
) -> None:
    """Bars, their texts, axes and titles on a fresh figure."""
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    # A hidden figure has no share: no bar, only its text.
    shares = [100 * (line.share or 0.0) if line.figure.shown else 0.0 for line in question.lines]
    axes.barh(positions, shares, color=BAR_COLOUR, height=0.6)
    # Survey text may hold "$": with maths parsing on it would be typeset, or fail to render.
    axes.set_yticks(positions, labels=labels, parse_math=False)
    axes.invert_yaxis()  # survey order, top to bottom
    _write_bar_texts(axes, question, shares, summary.k)
    _style_axes(axes, question)
    _titles(axes, question, summary)


def _write_bar_texts(axes: Axes, question: QuestionReport, shares: list[float], k: int) -> None:
    """Each bar's text just past its end; hidden ones muted, at the start of an empty bar."""
    for position, (share, text, line) in enumerate(
        zip(shares, bar_texts(question, k), question.lines, strict=True)
    ):
        hidden = not line.figure.shown
        axes.text(
            share + 1,
            position,
            text,
            va="center",
            fontsize=9,
            color=MUTED_COLOUR if hidden else "black",
            fontstyle="italic" if hidden else "normal",
            clip_on=False,  # a bar near 100% has its text beyond the axis
            parse_math=False,
        )


def _style_axes(axes: Axes, question: QuestionReport) -> None:
    """A fixed 0 to 100 % scale, so that charts compare at a glance, and a light frame."""
    axes.set_xlim(0, 100)
    axes.set_xticks(range(0, 101, 20))
    axes.set_xlabel(_axis_label(question.question))
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(axis="y", length=0)
    axes.set_axisbelow(True)
    axes.grid(axis="x", color="#dddddd", linewidth=0.8)


def _axis_label(question: Question) -> str:
    """What the bars' percentages are of: shares of a multi question add up to more than 100."""
    match question:
        case MultiQuestion():
            return MULTI_AXIS
        case (
            ChoiceQuestion() | YesNoQuestion() | ScaleQuestion() | TextQuestion() | NumberQuestion()
        ):
            return ANSWERED_AXIS
        case _:
            assert_never(question)


def _titles(axes: Axes, question: QuestionReport, summary: SurveyReport) -> None:
    """The question in bold, and under it n, the survey and the area."""
    details = [f"n = {question.answered:,}", summary.survey.title]
    if summary.area is not None:
        details.append(summary.area)
    subtitle = textwrap.wrap(" · ".join(details), SUBTITLE_WIDTH)
    axes.set_title(
        textwrap.fill(question.question.text, TITLE_WIDTH),
        loc="left",
        fontweight="bold",
        fontsize=12,
        pad=SUBTITLE_OFFSET + SUBTITLE_LINE * len(subtitle) + TITLE_GAP,  # room for the subtitle
        parse_math=False,
    )
    axes.annotate(
        "\n".join(subtitle),
        xy=(0, 1),
        xycoords="axes fraction",
        xytext=(0, SUBTITLE_OFFSET),
        textcoords="offset points",
        va="bottom",
        fontsize=9,
        color=MUTED_COLOUR,
        parse_math=False,
    )
