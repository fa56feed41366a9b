"""Organiser reports as published: what each question shows in a scope, after suppression. Pure.

Inputs are running totals (see `surveys.tally`), grouped by area or by a breakdown question's
answer; outputs are small records the organiser rendering and the charts turn into text and
pictures, and in which every hidden figure is already hidden.

Consistency across views matters as much as each view: every number any chat can see is part
of one system of relations, and a figure hidden in one place is hidden everywhere. So every
question's counts form one table by area (rows: the survey's area values, plus responses
without one; columns: options, scale points, themes, and values earlier versions offered),
suppressed once (`plan`); the overall report publishes that table's column totals, an area
chat its own row (and its survey list the area line's figure), and the breakdown by area the
whole table. Relations between tables are part of their suppression: a show_if follow-up's
number of answers is a known sum of its source's columns; a breakdown by another question
repeats the report's figures and is checked together with the table by area. Counts completed
lately are a table of their own by area. Every count is of people (storage counts each
member's latest completion).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import assert_never

from surveys import engine, report
from surveys.disclosure import Suppressed, System, pinned, suppress
from surveys.model import (
    OTHER_THEME,
    All,
    AnyOf,
    ChoiceQuestion,
    Equals,
    In,
    MultiQuestion,
    NotIn,
    NumberQuestion,
    Question,
    ScaleQuestion,
    Survey,
    TextQuestion,
    YesNoQuestion,
    compared_values,
    condition_references,
)
from surveys.report import NumberSummary
from surveys.tally import ANSWERED, COMPLETED, NO_AREA, area_question

# (row, question, value) -> completed responses; a row is an area or a breakdown answer
Tallies = Mapping[tuple[str, str, str], int]
# (area, answer to a breakdown question, question, value) -> completed responses
Cube = Mapping[tuple[str, str, str, str], int]
OTHER_ROWS_LABEL = "Others"  # answers too few to show alone, and no answer
NO_LONGER_OFFERED = "(no longer offered)"  # a value an earlier version of the survey had
# A number question's median and quartiles are shown only where each quarter of its answers
# holds k people: with fewer, the order statistics pin how many gave which values.
QUARTERS = 4


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
    value: str = ""  # what is stored for it


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
class Activity:
    """A survey's responses as storage counts them: started (in all), and per area the people
    whose counted response is completed, and of them those who completed it lately."""

    started: int
    completed: Mapping[str, int]
    recent: Mapping[str, int]


@dataclass(frozen=True)
class Counts:
    """Responses in a scope: started (unknown within an area), completed, completed lately
    (suppressed like any table: its rows are the areas, its columns lately and earlier)."""

    started: int | None
    completed: int
    completed_recently: Figure


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
    values: list[str] = field(default_factory=list)  # the stored value of each column
    # its numbers and their relations, for checking it together with tables that share some
    system: System | None = field(default=None, compare=False, repr=False)

    @property
    def hides_any(self) -> bool:
        """Whether any number of the table is hidden (or the whole table withheld)."""
        figures = [*self.row_totals, *self.column_totals, *(f for row in self.cells for f in row)]
        return self.too_few or not all(figure.shown for figure in figures)


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
    match question:
        case ChoiceQuestion() | MultiQuestion() | YesNoQuestion():
            return [(value, engine.answer_text(question, value)) for value in question.values()]
        case ScaleQuestion():
            return [(str(point), str(point)) for point in question.points()]
        case TextQuestion() if question.themes:
            return [(theme, theme) for theme in [*question.themes, OTHER_THEME]]
        case TextQuestion() | NumberQuestion():
            return []
        case _:
            assert_never(question)


def _one_column_per_answer(question: Question) -> bool:
    """Whether each answer counts under exactly one of the question's columns, so that a row's
    columns add up to the number who answered."""
    match question:
        case ChoiceQuestion() | YesNoQuestion() | ScaleQuestion():
            return True
        # several options, or several themes, or no columns at all
        case MultiQuestion() | TextQuestion() | NumberQuestion():
            return False
        case _:
            assert_never(question)


def counted_columns(question: Question, tallies: Tallies) -> list[tuple[str, str]]:
    """The question's columns, then every other value its answers are counted under: values
    that an earlier version of the survey offered. They stay columns (and inside the
    suppression): leaving them out would let the number who answered give them away."""
    current = columns(question)
    if not current:
        return []
    known = {value for value, _ in current}
    earlier = sorted(
        {
            value
            for (_, question_id, value), count in tallies.items()
            if question_id == question.id and value != ANSWERED and value not in known and count
        }
    )
    return current + [(value, f"{value} {NO_LONGER_OFFERED}") for value in earlier]


@dataclass(frozen=True)
class Unit:
    """A row of the tables by area or by a breakdown answer: one answer, or several published
    together (answers too small to show alone, with the responses that gave none)."""

    label: str
    values: frozenset[str]


# --- who is asked what: questions asked only of some (show_if) -------------------------------


@dataclass(frozen=True)
class Group:
    """Columns of a question whose sum a reader knows: those of `values`, or (`negated`) all
    the others, earlier versions' values included."""

    values: frozenset[str]
    negated: bool = False

    def columns_of(self, values: Sequence[str]) -> frozenset[int]:
        """The indices of this group's columns among a table's `values`."""
        return frozenset(
            i for i, value in enumerate(values) if (value in self.values) != self.negated
        )


@dataclass(frozen=True)
class Follower:
    """A question asked only of those whose answers meet its show_if.

    `group`: when the condition is one comparison with a question whose answers are counted
    one to a column, the columns of that question that show it: the follower's number of
    answers in a row is then their sum there (those who skipped the source, shown a `not_in`
    follower, are a known number too). None otherwise: the number is not a sum of published
    counts, and the follower is withheld where a count of its sources is hidden."""

    question: Question
    sources: frozenset[str]
    group: Group | None


def followers(survey: Survey) -> dict[str, list[Follower]]:
    """For each question, the questions asked depending on its answer, in survey order."""
    found: dict[str, list[Follower]] = {}
    for question in survey.questions:
        condition = question.show_if
        if condition is None:
            continue
        sources = frozenset(leaf.question for leaf in condition_references(condition))
        group = None
        if not isinstance(condition, All | AnyOf):
            group = _shown_values(survey.question(condition.question), condition)
        for source in sorted(sources):
            found.setdefault(source, []).append(Follower(question, sources, group))
    return found


def _shown_values(source: Question, condition: Equals | In | NotIn) -> Group | None:
    """The source's values that show the follower, where its count is their sum."""
    if not columns(source):
        return None
    compared = frozenset(engine.normal(value) for value in compared_values(condition))
    if not _one_column_per_answer(source):  # several answers each: only one value is a count
        return Group(compared) if len(compared) == 1 and not isinstance(condition, NotIn) else None
    return Group(compared, negated=isinstance(condition, NotIn))


# --- the plan: every table by area, suppressed once for every view ----------------------------


@dataclass
class Plan:
    """What every view of a survey publishes, decided once: the rows of the tables by area,
    each question's table by them, and the followers withheld everywhere."""

    units: list[Unit]
    grouped: dict[tuple[str, str, str], int]
    tables: dict[str, Table]
    withheld: set[str]
    groups: dict[str, list[Group]]  # known column sums each question's tables keep


def plan(survey: Survey, by_area: Tallies, k: int) -> Plan:
    """Suppress every question's table by area, the area question's own line first (its
    shown areas are the rows of the rest).

    A follower with a `group` adds the sums of its source's columns to the source's tables; a
    follower whose sums would give a hidden count of its source away is withheld instead, in
    every view. A follower without one is withheld where a count of its sources is hidden."""
    area_q = area_question(survey)
    asked_after = followers(survey)
    withheld: set[str] = set()
    groups: dict[str, list[Group]] = {}
    tables: dict[str, Table] = {}
    units = [Unit("", frozenset({NO_AREA}))]
    if area_q is not None:
        line, groups[area_q.id] = _area_line(area_q, by_area, k, asked_after, withheld)
        tables[area_q.id] = line
        units = _units(area_q, line, by_area, k)
    grouped = _grouped(by_area, units)
    rows = _row_keys(units)
    for question in survey.questions:
        if question is area_q:
            continue
        tables[question.id], groups[question.id] = _with_followers(
            partial(_table, question, rows, grouped, k),
            asked_after.get(question.id, []),
            withheld,
        )
    _withhold_where_sources_hide(survey, asked_after, tables, withheld)
    _withhold_number_followers(survey, asked_after, grouped, units, k, withheld)
    withheld = _with_followers_of(asked_after, withheld)
    for question_id in withheld:
        tables[question_id] = replace(tables[question_id], too_few=True)
    return Plan(units, grouped, tables, withheld, groups)


def _area_line(
    area_q: Question,
    by_area: Tallies,
    k: int,
    asked_after: Mapping[str, list[Follower]],
    withheld: set[str],
) -> tuple[Table, list[Group]]:
    """The area question's own line (one row: everyone), with its followers' known sums."""
    return _with_followers(
        lambda kept: _everyone_table(area_q, by_area, k, kept),
        asked_after.get(area_q.id, []),
        withheld,
    )


def _with_followers(
    build: Callable[[list[Group]], Table],
    asked_after: list[Follower],
    withheld: set[str],
) -> tuple[Table, list[Group]]:
    """The source's table with the sums its followers publish, each follower taken in turn
    and withheld (added to `withheld`) where its sums leave the table unsafe."""
    kept: list[Group] = []
    table = build(kept)
    if table.too_few:  # a sum of counts withheld here would still be a count of people
        withheld.update(follower.question.id for follower in asked_after)
        return table, kept
    for follower in asked_after:
        if follower.group is None or follower.question.id in withheld:
            continue
        trial = build([*kept, follower.group])
        if trial.too_few:
            withheld.add(follower.question.id)
        else:
            kept.append(follower.group)
            table = trial
    return table, kept


def _with_followers_of(asked_after: Mapping[str, list[Follower]], withheld: set[str]) -> set[str]:
    """`withheld` and every question asked depending on one of them, at any remove: a
    follower's number of answers is at most its source's count of the answers that show it
    (its source's, if it is required), so publishing it bounds a count of a withheld question
    from below, and through it a hidden count of that question's own source."""
    closed = set(withheld)
    pending = list(withheld)
    while pending:
        for follower in asked_after.get(pending.pop(), []):
            if follower.question.id not in closed:
                closed.add(follower.question.id)
                pending.append(follower.question.id)
    return closed


def _withhold_where_sources_hide(
    survey: Survey,
    asked_after: dict[str, list[Follower]],
    tables: Mapping[str, Table],
    withheld: set[str],
) -> None:
    """Withhold each follower that is no sum of published counts while any count of one of
    its sources is hidden (its number of answers could be a small count's complement), and
    each that depends on a breakdown question other than the area one: its number of answers
    is then a cell of a breakdown by that question, hidden or not."""
    area_q = area_question(survey)
    for source, listed in asked_after.items():
        source_table = tables.get(source)
        question = survey.question(source)
        hides = source_table is None or source_table.hides_any
        crosses = question.breakdown and question is not area_q
        for follower in listed:
            if follower.group is None and (hides or crosses):
                withheld.add(follower.question.id)


def _withhold_number_followers(
    survey: Survey,
    asked_after: Mapping[str, list[Follower]],
    grouped: Tallies,
    units: list[Unit],
    k: int,
    withheld: set[str],
) -> None:
    """Withhold each follow-up of a number question whose number of answers, or the rest of
    that question's answers, is a count from 1 to k - 1 in some row or in all (a number
    question publishes how many answered; the follow-up's count and that make its rest)."""
    for source, listed in asked_after.items():
        if not _counted_by_value_without_columns(survey.question(source)):
            continue
        for follower in listed:
            condition = follower.question.show_if
            if isinstance(condition, All | AnyOf) or condition is None:
                continue  # withheld where a source count is hidden; a number's never is
            compared = {engine.normal(value) for value in compared_values(condition)}
            negated = isinstance(condition, NotIn)
            for rows in [[unit.label] for unit in units] + [[unit.label for unit in units]]:
                values = _scoped_values(grouped, source, rows)
                shown = sum(
                    n for v, n in values.items() if (engine.normal(float(v)) in compared) != negated
                )
                rest = sum(values.values()) - shown
                if 0 < shown < k or 0 < rest < k:
                    withheld.add(follower.question.id)


def _counted_by_value_without_columns(question: Question) -> bool:
    """Whether a show_if can compare answers that the question's report has no columns for
    (so that the follow-ups' counts are no known sum of published ones): numbers."""
    match question:
        case NumberQuestion():
            return True
        # compared by their columns, or (text) never compared
        case (
            ChoiceQuestion() | MultiQuestion() | YesNoQuestion() | ScaleQuestion() | TextQuestion()
        ):
            return False
        case _:
            assert_never(question)


def survey_report(
    survey: Survey, by_area: Tallies, activity: Activity, k: int, area: str | None = None
) -> SurveyReport:
    """The report of every response (`area` None) or of one area's, from tallies by area.

    An area chat whose area is published only together with others (it has fewer than k
    responses, or protects another that has) sees only that it has too few."""
    everyone = sum(activity.completed.values())
    if everyone < k:
        return SurveyReport(survey, k, area, _counts(activity, [], everyone, k, area), True, [])
    area_q = area_question(survey)
    decided = plan(survey, by_area, k)
    unit = _own_unit(decided.units, area)
    counts = _counts(activity, decided.units, everyone, k, area)
    if area is not None and unit is None:
        return SurveyReport(survey, k, area, counts, True, [])
    questions = [
        _question_report(question, decided.tables[question.id], decided.grouped, unit, k)
        for question in survey.questions
        if not (area is not None and question is area_q)  # an area chat's own area: one value
    ]
    return SurveyReport(survey, k, area, counts, False, questions)


def scope_completed(survey: Survey, by_area: Tallies, k: int, area: str | None) -> Figure | None:
    """How many completed a survey, as a chat of this scope may see it (a survey list's count):
    for an area, as the area question's line in the overall report shows it; None where that
    line is withheld (even a hidden count would say "at least one")."""
    completed = {row: n for (row, question, _), n in by_area.items() if question == COMPLETED}
    everyone = sum(completed.values())
    if area is None:
        return Figure(everyone, shown=everyone >= k or everyone == 0, small=True)
    area_q = area_question(survey)
    if everyone < k or area_q is None:
        return None
    line, _ = _area_line(area_q, by_area, k, followers(survey), set())  # not every table
    if line.too_few:
        return None
    figures = dict(zip(line.values, line.column_totals, strict=True))
    return figures.get(area, Figure(0))


def _counts(
    activity: Activity, units: list[Unit], everyone: int, k: int, area: str | None
) -> Counts:
    """The scope's counts. Those completed lately, by area, are a table of their own: rows the
    units, columns lately and earlier (row totals are the units' counts, published anyway)."""
    if everyone < k:  # how many started would bound a "<k" completed count: shown with 0 only
        started = activity.started if everyone == 0 else None
        recently = sum(activity.recent.values())
        return Counts(started, everyone, Figure(recently, shown=False, small=True))
    by_unit = [
        (
            sum(activity.recent.get(value, 0) for value in unit.values),
            sum(
                activity.completed.get(value, 0) - activity.recent.get(value, 0)
                for value in unit.values
            ),
        )
        for unit in units
    ]
    table = [list(row) for row in by_unit]
    hidden = suppress(table, k)
    safe = hidden.safe and not hidden.hidden_row_totals  # row totals are shown elsewhere
    unit = _own_unit(units, area)
    if area is None:
        completed, recent = everyone, _column_total(table, 0, hidden)
    elif unit is None:  # the chat sees only that its area has too few
        return Counts(None, activity.completed.get(area, 0), Figure(0, shown=False))
    else:
        index = units.index(unit)
        completed, recent = sum(table[index]), _figure(table[index][0], (index, 0), hidden)
    if not safe:  # withheld, but for zeros, which are always shown
        recent = Figure(recent.count, shown=recent.count == 0)
    return Counts(activity.started if area is None else None, completed, recent)


def breakdown(
    survey: Survey,
    by: Question,
    by_area: Tallies,
    by_answers: Mapping[str, Cube],
    k: int,
    area: str | None,
) -> Breakdown:
    """Every other question split by the answers to `by`.

    `by_area` are the tallies by area; `by_answers` those split by each breakdown question
    other than the area question, by its id, keyed (area, answer to it, question, value). The
    rows are `by`'s answers that its line in the overall report shows, then one row for the
    others and for responses that skipped it, so that no row is smaller than the report lets
    one see, and each column adds up to the figure the report shows. By the area question, the
    tables are the very ones the reports show (an area chat: its own row of them). By another
    question the tables are published only to chats that see every area (an area chat's table
    plus the others' would
    give away what the national one hides); see `_split_tables` for which.
    """
    area_q = area_question(survey)
    decided = plan(survey, by_area, k)
    # Two breakdown questions' cross-table is published once, in the breakdown by area: a
    # breakdown by another question leaves the other breakdown questions out (its table of them
    # would be the same counts suppressed another way).
    others = [
        question
        for question in survey.questions
        if question is not by and (by is area_q or not question.breakdown)
    ]
    by_units = decided.units
    if by is area_q:
        tables = [decided.tables[question.id] for question in others]
        if area is not None:
            tables = [_own_row(table, _own_unit(decided.units, area)) for table in tables]
    elif area is not None:
        tables = [replace(decided.tables[question.id], too_few=True) for question in others]
    else:
        by_units, by_tables = _split_tables(survey, decided, by_area, by_answers, k)[by.id]
        tables = [by_tables[question.id] for question in others]
    tables = [table for table in tables if table.total]
    total = max((table.total for table in tables), default=0)
    unsplit = by_units == [Unit("", by_units[0].values)] if by_units else True
    return Breakdown(survey, by, k, area, total < k or unsplit, tables)


def _split_tables(
    survey: Survey, decided: Plan, by_area: Tallies, by_answers: Mapping[str, Cube], k: int
) -> dict[str, tuple[list[Unit], dict[str, Table]]]:
    """Every question's table by each breakdown question other than the area question: its
    rows and tables, by breakdown question.

    Such a table publishes the report's figures again as its column totals, so each is checked
    together with the table by area and the tables by earlier breakdown questions already
    published (one system of numbers, the same column totals shared), in survey order; it is
    withheld as too few unless its column totals are hidden exactly where the report hides
    them, it keeps the same known sums of columns, and the whole system stays safe."""
    area_q = area_question(survey)
    systems = {q_id: table.system for q_id, table in decided.tables.items()}
    splits: dict[str, tuple[list[Unit], dict[str, Table]]] = {}
    for by in survey.questions:
        if not by.breakdown or by is area_q:
            continue
        cube = by_answers.get(by.id, {})
        rows = _with_unsplit(_over_areas(cube), by_area)
        by_units = _units(by, decided.tables[by.id], rows, k)
        by_grouped = _grouped(rows, by_units)
        thin = _thin(cube, by_area, decided.units, by_units, k)
        tables: dict[str, Table] = {}
        for question in survey.questions:
            if question.breakdown:
                continue
            scope = decided.tables[question.id]
            split = _agreeing(
                _table(question, _row_keys(by_units), by_grouped, k, decided.groups[question.id]),
                scope,
            )
            joined = _joined(systems.get(question.id), split, scope, by.id)
            if joined is None or pinned(joined, k) or question.id in thin or scope.hides_any:
                split = replace(split, too_few=True)
            else:
                systems[question.id] = joined
            tables[question.id] = split
        splits[by.id] = by_units, _withheld_by_sources(survey, tables)
    return splits


def _over_areas(cube: Cube) -> dict[tuple[str, str, str], int]:
    """A split's tallies added up over the areas."""
    summed: dict[tuple[str, str, str], int] = {}
    for (_, split, question, value), count in cube.items():
        summed[split, question, value] = summed.get((split, question, value), 0) + count
    return summed


def _thin(
    cube: Cube, by_area: Tallies, area_units: list[Unit], split_units: list[Unit], k: int
) -> set[str]:
    """The questions with a count from 1 to k - 1 among their three-way cells (area row, split
    row, value or no answer). A question's tables by area and by the split, and the split
    question's own table by area, are that cube's faces: readers combining them can come down
    to such a cell, which no two-way check sees. So a question's table by the split is
    published only where none is small (and its table by area hides nothing)."""
    area_of = {value: unit.label for unit in area_units for value in unit.values}
    split_of = {value: unit.label for unit in split_units for value in unit.values}
    cells: dict[tuple[str, str, str, str], int] = {}

    def add(area: str, split: str, question: str, value: str, count: int) -> None:
        if area in area_of and split in split_of:
            key = (area_of[area], split_of[split], question, value)
            cells[key] = cells.get(key, 0) + count

    split_parts: dict[tuple[str, str, str], int] = {}
    for (area, split, question, value), count in cube.items():
        add(area, split, question, value, count)
        split_parts[area, question, value] = split_parts.get((area, question, value), 0) + count
    for (area, question, value), count in by_area.items():  # those who skipped the split
        add(area, NO_AREA, question, value, count - split_parts.get((area, question, value), 0))
    thin = set()
    for (area, split, question, value), count in cells.items():
        if question == COMPLETED:
            continue
        unanswered = cells.get((area, split, COMPLETED, ANSWERED), 0) - (
            count if value == ANSWERED else 0
        )
        if 0 < count < k or (value == ANSWERED and 0 < unanswered < k):
            thin.add(question)
    return thin


def _with_unsplit(by_answer: Tallies, by_area: Tallies) -> dict[tuple[str, str, str], int]:
    """Tallies split by a question's answers, and under NO_AREA what responses that skipped
    it add (every total less its split parts)."""
    rows = dict(by_answer)
    for (_, question, value), count in _merged(by_area).items():
        unsplit = count - sum(
            n for (_, q, v), n in by_answer.items() if (q, v) == (question, value)
        )
        if unsplit:
            rows[NO_AREA, question, value] = unsplit
    return rows


def _joined(system: System | None, split: Table, scope: Table, name: str) -> System | None:
    """The system of `scope`'s numbers (with whatever was joined to it) and `split`'s, which
    publishes the same column totals; None when `split` is withheld anyway."""
    if split.too_few or system is None or split.system is None:
        return None
    split_rows, scope_rows = len(split.rows), len(scope.rows)
    same: dict[Hashable, Hashable] = {
        (split_rows, c): (scope_rows, c) for c in range(len(split.values) + 1)
    }
    return system.joined(split.system, name, same)


def _withheld_by_sources(survey: Survey, tables: dict[str, Table]) -> dict[str, Table]:
    """A breakdown's tables, by question, less followers that are no sum of published counts
    where a count of one of their sources is hidden in the same breakdown, and less every
    follower of a withheld question (see `_with_followers_of`)."""
    asked_after = followers(survey)
    withheld = {question_id for question_id, table in tables.items() if table.too_few}
    for source, listed in asked_after.items():
        source_table = tables.get(source)
        hides = source_table is None or source_table.hides_any
        withheld |= {f.question.id for f in listed if f.group is None and hides}
    withheld = _with_followers_of(asked_after, withheld)
    return {
        question_id: replace(table, too_few=True) if question_id in withheld else table
        for question_id, table in tables.items()
    }


def _units(question: Question, line: Table, tallies: Tallies, k: int) -> list[Unit]:
    """One unit per answer `line` shows (in survey order), then one for the answers it hides and
    responses without an answer; when those are fewer than k (yet some), they join the
    smallest shown unit, whose own figure is then no longer given in tables."""
    completed = {key: n for (key, question_id, _), n in tallies.items() if question_id == COMPLETED}
    if line.too_few:  # the line itself is withheld: nothing may be split by its answers
        return [Unit("", frozenset(completed))]
    shown = {
        value
        for value, figure in zip(line.values, line.column_totals, strict=True)
        if figure.shown and completed.get(value)
    }
    labels = dict(zip(line.values, line.columns, strict=True))
    units = [Unit(labels[value], frozenset({value})) for value in line.values if value in shown]
    rest = frozenset(completed) - shown
    rest_count = sum(completed[value] for value in rest)
    if not rest_count:
        return units
    if rest_count >= k or not units:
        return [*units, Unit(OTHER_ROWS_LABEL, rest)]
    smallest = min(units, key=lambda unit: sum(completed[value] for value in unit.values))
    joined = Unit(f"{smallest.label} and others", smallest.values | rest)
    return [joined if unit is smallest else unit for unit in units]


def _own_unit(units: list[Unit], area: str | None) -> Unit | None:
    """The unit that is exactly this area (None for an area published only with others)."""
    return next((unit for unit in units if unit.values == {area}), None)


def _grouped(tallies: Tallies, units: list[Unit]) -> dict[tuple[str, str, str], int]:
    """Tallies added up over each unit's rows, keyed by the unit's label."""
    unit_of = {value: unit.label for unit in units for value in unit.values}
    grouped: dict[tuple[str, str, str], int] = {}
    for (row, question, value), count in tallies.items():
        if row in unit_of:
            key = (unit_of[row], question, value)
            grouped[key] = grouped.get(key, 0) + count
    return grouped


def _row_keys(units: list[Unit]) -> list[tuple[str, str]]:
    return [(unit.label, unit.label) for unit in units]


def _everyone_table(
    question: Question, by_area: Tallies, k: int, groups: Sequence[Group] = ()
) -> Table:
    """A question's table with one row: every response."""
    everyone = [Unit("", frozenset(key for key, _, _ in by_area))]
    return _table(question, _row_keys(everyone), _grouped(by_area, everyone), k, groups)


def _own_row(table: Table, unit: Unit | None) -> Table:
    """An area's row of a table by area, as a table of its own, hidden as in the whole table
    (suppressing the row alone could show what the whole table hides). Too few when the area is
    published only with others, or the whole table's row total is hidden."""
    keys = [key for key, _ in table.rows]
    if unit is None or unit.label not in keys:  # nobody in the area answered: no table
        return Table(table.question, [], table.columns, [], [], [], 0, True, table.values)
    index = keys.index(unit.label)
    total = table.row_totals[index]
    return Table(
        table.question,
        [table.rows[index]],
        table.columns,
        [table.cells[index]],
        [total],
        list(table.cells[index]),  # one row: each column adds up to its one cell
        total.count,
        table.too_few or not total.shown,
        table.values,
    )


def _agreeing(table: Table, scope: Table) -> Table:
    """`table` with its column totals as `scope` (the same question's table by area, in the same
    scope) publishes them, "<k" marks included; withheld as too few unless it hides them exactly
    where `scope` does (else one would give away what the other hides)."""
    agrees = (
        not scope.too_few
        and table.values == scope.values
        and [t.shown for t in table.column_totals] == [t.shown for t in scope.column_totals]
    )
    if table.too_few or not agrees:
        return replace(table, too_few=True)
    return replace(table, column_totals=list(scope.column_totals))


def _merged(tallies: Tallies) -> dict[tuple[str, str, str], int]:
    """Tallies added up over their rows (under the row '')."""
    merged: dict[tuple[str, str, str], int] = {}
    for (_, question, value), count in tallies.items():
        merged["", question, value] = merged.get(("", question, value), 0) + count
    return merged


def _table(
    question: Question,
    rows: Sequence[tuple[str, str]],
    tallies: Tallies,
    k: int,
    groups: Sequence[Group] = (),
) -> Table:
    """The question's table by row, suppressed with the known sums of `groups` of its values;
    rows where nobody answered it are left out."""
    present = [(key, label) for key, label in rows if tallies.get((key, question.id, ANSWERED))]
    counted = counted_columns(question, tallies)
    values = [value for value, _ in counted]
    totals = [tallies[key, question.id, ANSWERED] for key, _ in present]
    # Questions counted only by how many answered still publish row totals: one empty column.
    counts = [
        [tallies.get((key, question.id, value), 0) for value in values] or [0] for key, _ in present
    ]
    rows_sum = _one_column_per_answer(question) and all(map(_sums_to, counts, totals))
    known = [group.columns_of(values) for group in groups]
    hidden = suppress(
        counts or [[0]],
        k,
        row_totals=None if rows_sum else totals or [0],
        groups=[group for group in known if group],
    )
    return Table(
        question,
        present,
        [label for _, label in counted],
        [[_figure(n, (r, c), hidden) for c, n in enumerate(row)] for r, row in enumerate(counts)]
        if values
        else [[] for _ in present],
        [Figure(n, r not in hidden.hidden_row_totals) for r, n in enumerate(totals)],
        [_column_total(counts, c, hidden) for c in range(len(values))],
        sum(totals),
        # A row's total is how many in that row answered: for a question everyone answers, the
        # row's count of responses, which other views show. Suppression that needs it hidden
        # cannot be trusted across views, so the whole question is withheld instead; so is a
        # table that no hiding keeps safe.
        hidden.too_few or bool(hidden.hidden_row_totals) or not hidden.safe,
        values,
        hidden.system,
    )


def _sums_to(row: list[int], total: int) -> bool:
    return sum(row) == total


def _figure(count: int, cell: tuple[int, int], hidden: Suppressed) -> Figure:
    return Figure(count, cell not in hidden.hidden, cell in hidden.primary)


def _column_total(counts: list[list[int]], column: int, hidden: Suppressed) -> Figure:
    """A column's total as published. A hidden total is marked "<k" only where it is a single
    row's cell that may be ("<k" on a sum of several hidden cells would bound each of them)."""
    count = sum(row[column] for row in counts)
    shown = column not in hidden.hidden_column_totals
    small = not shown and len(counts) == 1 and (0, column) in hidden.primary
    return Figure(count, shown, small)


def _question_report(
    question: Question, table: Table, grouped: Tallies, unit: Unit | None, k: int
) -> QuestionReport:
    """The question as one scope sees it: the table's column totals, or the area's own row."""
    keys = [key for key, _ in table.rows]
    if unit is None:
        answered, figures, scope = table.total, table.column_totals, keys
        too_few = table.too_few
    elif unit.label in keys:
        index = keys.index(unit.label)
        answered, figures, scope = table.row_totals[index].count, table.cells[index], [unit.label]
        too_few = table.too_few or not table.row_totals[index].shown
    else:
        answered, figures, scope, too_few = 0, [], [], True
    if too_few:
        return QuestionReport(question, answered, True, [])
    lines = [
        Line(label, figure, figure.count / answered if figure.shown else None, value)
        for label, figure, value in zip(table.columns, figures, table.values, strict=True)
    ]
    mean: float | None = None  # only these two need the values, not the table's counts
    numbers: NumberSummary | None = None
    match question:
        case ScaleQuestion() if all(line.figure.shown for line in lines):
            values = _scoped_values(grouped, question.id, scope)
            points = {int(v): n for v, n in values.items()}
            mean = report.scale_summary(question.points(), points).mean
        case NumberQuestion() if answered >= QUARTERS * k:
            values = _scoped_values(grouped, question.id, scope)
            numbers = report.number_summary([(float(v), n) for v, n in values.items()])
        case ChoiceQuestion() | MultiQuestion() | YesNoQuestion() | TextQuestion():
            pass  # their lines say it all
        case ScaleQuestion() | NumberQuestion():
            pass  # withheld: a hidden point, or too few answers per quarter
        case _:
            assert_never(question)
    return QuestionReport(question, answered, False, lines, mean, numbers)


def _scoped_values(tallies: Tallies, question_id: str, rows: Sequence[str]) -> dict[str, int]:
    """Each value's count over the rows in scope (ANSWERED left out)."""
    values: dict[str, int] = {}
    for (row, question, value), count in tallies.items():
        if question == question_id and value != ANSWERED and row in rows:
            values[value] = values.get(value, 0) + count
    return values
