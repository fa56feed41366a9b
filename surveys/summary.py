"""Organiser reports as published: what each question shows in a scope, after suppression. Pure.

Inputs are running totals (see `surveys.tally`), grouped by area or by a breakdown question's
answer; outputs are small records the organiser rendering and the charts turn into text and
pictures, and in which every hidden figure is already hidden.

Consistency across views matters as much as each view: a figure hidden in one place must not be
shown in another. So every question's counts form one table by area (rows: the survey's area
values, plus responses without one; columns: options, scale points or themes), suppressed once;
the overall report publishes that table's column totals, an area chat its own row, and the
breakdown by area the whole table. A breakdown by another question is its own table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from surveys import engine, report
from surveys.disclosure import Suppressed, suppress
from surveys.model import (
    OTHER_THEME,
    ChoiceQuestion,
    MultiQuestion,
    NumberQuestion,
    Question,
    ScaleQuestion,
    Survey,
    TextQuestion,
    YesNoQuestion,
)
from surveys.report import NumberSummary
from surveys.tally import ANSWERED, NO_AREA, area_question

# (row, question, value) -> completed responses; a row is an area or a breakdown answer
Tallies = Mapping[tuple[str, str, str], int]
NO_ANSWER_LABEL = "No answer"


@dataclass(frozen=True)
class Figure:
    """One published count: shown, or hidden as small (1..k-1) or to protect another."""

    count: int
    shown: bool = True
    small: bool = False


@dataclass(frozen=True)
class Line:
    """One option, scale point or theme of a question in a scope."""

    label: str
    figure: Figure
    share: float | None  # of those who answered (None when hidden)


@dataclass(frozen=True)
class QuestionReport:
    """One question in a scope: how many answered, and what may be shown of their answers."""

    question: Question
    answered: int
    too_few: bool
    lines: list[Line]
    mean: float | None = None  # scale; None when withheld (a hidden point could be worked out)
    numbers: NumberSummary | None = None  # number questions


@dataclass(frozen=True)
class Counts:
    """Responses in a scope: started (unknown within an area), completed, completed lately."""

    started: int | None
    completed: int
    completed_recently: int


@dataclass(frozen=True)
class SurveyReport:
    """A survey's report for one scope (every response, or one area's)."""

    survey: Survey
    k: int
    area: str | None
    counts: Counts
    too_few: bool
    questions: list[QuestionReport]

    @property
    def completion_rate(self) -> float | None:
        """Completed as a share of started, where started is known."""
        if self.counts.started is None:
            return None
        return report.completion_rate(self.counts.started, self.counts.completed)


@dataclass(frozen=True)
class Table:
    """One question's counts by row (area or breakdown answer) and column, as published."""

    question: Question
    rows: list[tuple[str, str]]  # (stored value, label)
    columns: list[str]
    cells: list[list[Figure]]
    row_totals: list[Figure]
    column_totals: list[Figure]
    total: int
    too_few: bool


@dataclass(frozen=True)
class Breakdown:
    """A survey's questions split by the answers to one breakdown question."""

    survey: Survey
    by: Question
    k: int
    area: str | None
    too_few: bool
    tables: list[Table]


def columns(question: Question) -> list[tuple[str, str]]:
    """(stored value, label) of what a question's answers are counted under, in survey order.

    Number questions and text without a codebook have none: only how many answered."""
    if isinstance(question, ChoiceQuestion | MultiQuestion | YesNoQuestion):
        return [(value, engine.answer_text(question, value)) for value in question.values()]
    if isinstance(question, ScaleQuestion):
        return [(str(point), str(point)) for point in question.points()]
    if isinstance(question, TextQuestion) and question.themes:
        return [(theme, theme) for theme in [*question.themes, OTHER_THEME]]
    return []


def row_labels(question: Question) -> list[tuple[str, str]]:
    """(stored value, label) of the rows a breakdown question splits into, then no answer."""
    return [*columns(question), (NO_AREA, NO_ANSWER_LABEL)]


def survey_report(
    survey: Survey, by_area: Tallies, counts: Counts, k: int, area: str | None = None
) -> SurveyReport:
    """The report of every response (`area` None) or of one area's, from tallies by area."""
    area_q = area_question(survey)
    rows = row_labels(area_q) if area_q else [(NO_AREA, "")]
    if counts.completed < k:
        return SurveyReport(survey, k, area, counts, True, [])
    questions = [
        _question_report(question, _table(question, rows, by_area, k), by_area, area)
        for question in survey.questions
        if not (area is not None and question is area_q)  # an area chat's own area: one value
    ]
    return SurveyReport(survey, k, area, counts, False, questions)


def breakdown(
    survey: Survey, by: Question, by_area: Tallies, by_answer: Tallies, k: int, area: str | None
) -> Breakdown:
    """Every other question split by the answers to `by`.

    `by_area` are the tallies by area; `by_answer` those split by `by` (within `area` when the
    chat has one), unless `by` is the area question itself, whose split is `by_area`. Responses
    that skipped `by` form a "No answer" row, so that each column adds up to what the overall
    report shows and nothing is left to subtract.
    """
    in_scope = {key: n for key, n in by_area.items() if area is None or key[0] == area}
    if by is area_question(survey):
        rows = in_scope
    else:
        rows = dict(by_answer)
        for (_, question, value), count in _merged(in_scope).items():
            unsplit = count - sum(
                n for (_, q, v), n in by_answer.items() if (q, v) == (question, value)
            )
            if unsplit:
                rows[NO_AREA, question, value] = unsplit
    tables = [
        _table(question, row_labels(by), rows, k)
        for question in survey.questions
        if question is not by
    ]
    tables = [table for table in tables if table.total]
    total = max((table.total for table in tables), default=0)
    return Breakdown(survey, by, k, area, total < k, tables)


def _merged(tallies: Tallies) -> dict[tuple[str, str, str], int]:
    """Tallies added up over their rows (under the row '')."""
    merged: dict[tuple[str, str, str], int] = {}
    for (_, question, value), count in tallies.items():
        merged["", question, value] = merged.get(("", question, value), 0) + count
    return merged


def _table(question: Question, rows: Sequence[tuple[str, str]], tallies: Tallies, k: int) -> Table:
    """The question's table by row, suppressed; rows where nobody answered it are left out."""
    present = [(key, label) for key, label in rows if tallies.get((key, question.id, ANSWERED))]
    values = [value for value, _ in columns(question)]
    totals = [tallies[key, question.id, ANSWERED] for key, _ in present]
    # Questions counted only by how many answered still publish row totals: one empty column.
    counts = [
        [tallies.get((key, question.id, value), 0) for value in values] or [0] for key, _ in present
    ]
    single_answer = isinstance(question, ChoiceQuestion | YesNoQuestion | ScaleQuestion)
    rows_sum = single_answer and all(map(_sums_to, counts, totals))
    hidden = suppress(counts or [[0]], k, row_totals=None if rows_sum else totals or [0])
    return Table(
        question,
        present,
        [label for _, label in columns(question)],
        [[_figure(n, (r, c), hidden) for c, n in enumerate(row)] for r, row in enumerate(counts)]
        if values
        else [[] for _ in present],
        [_total(n, r in hidden.hidden_row_totals, k) for r, n in enumerate(totals)],
        [
            _total(sum(row[c] for row in counts), c in hidden.hidden_column_totals, k)
            for c in range(len(values))
        ],
        sum(totals),
        hidden.too_few,
    )


def _sums_to(row: list[int], total: int) -> bool:
    return sum(row) == total


def _figure(count: int, cell: tuple[int, int], hidden: Suppressed) -> Figure:
    return Figure(count, cell not in hidden.hidden, cell in hidden.primary)


def _total(count: int, hidden: bool, k: int) -> Figure:
    return Figure(count, not hidden, hidden and count < k)


def _question_report(
    question: Question, table: Table, tallies: Tallies, area: str | None
) -> QuestionReport:
    """The question as one scope sees it: the table's column totals, or the area's own row."""
    keys = [key for key, _ in table.rows]
    if area is None:
        answered, figures, scope = table.total, table.column_totals, keys
        too_few = table.too_few
    elif area in keys:
        index = keys.index(area)
        answered, figures, scope = table.row_totals[index].count, table.cells[index], [area]
        too_few = table.too_few or not table.row_totals[index].shown
    else:
        answered, figures, scope, too_few = 0, [], [], True
    if too_few:
        return QuestionReport(question, answered, True, [])
    lines = [
        Line(label, figure, figure.count / answered if figure.shown else None)
        for label, figure in zip(table.columns, figures, strict=True)
    ]
    values = _scoped_values(tallies, question.id, scope)
    mean = None
    if isinstance(question, ScaleQuestion) and all(line.figure.shown for line in lines):
        mean = report.scale_summary(question.points(), {int(v): n for v, n in values.items()}).mean
    numbers = None
    if isinstance(question, NumberQuestion):
        numbers = report.number_summary([(float(v), n) for v, n in values.items()])
    return QuestionReport(question, answered, False, lines, mean, numbers)


def _scoped_values(tallies: Tallies, question_id: str, rows: Sequence[str]) -> dict[str, int]:
    """Each value's count over the rows in scope (ANSWERED left out)."""
    values: dict[str, int] = {}
    for (row, question, value), count in tallies.items():
        if question == question_id and value != ANSWERED and row in rows:
            values[value] = values.get(value, 0) + count
    return values
