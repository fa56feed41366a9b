"""No number hidden anywhere can be worked out from every view together, whatever the survey does.

The adversary sees every view a chat can get: the overall report (counts, lines, completed
lately), each area chat's report and its survey list, the breakdowns by area (everyone's and
each area chat's) and by the other breakdown question, the milestones (the overall count).
Each published number counts a set of respondent classes (an area, an answer to each question,
completed lately or not); the adversary knows every shown number, that a "<k" is 1 to k - 1,
that any other hidden number is at least 1 (zeros are shown), and solves for whole-number
counts per class. Every hidden number must take at least two values among those solutions.

The surveys drawn have what earlier leaks hid behind: a follow-up asked only of some answers
(`show_if` with equals, in or not_in, on the source question or on the area), an option that an
earlier version had and the current one dropped (answers under it still count), and members
who completed a repeatable survey more than once (only their latest completion counts, as
storage keeps it). Each hidden number's least and greatest value are found exactly, by integer
programming over the class counts (SciPy's HiGHS), so no leak in an example drawn is missed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from surveys import engine, tally
from surveys.model import Survey
from surveys.summary import (
    Activity,
    Breakdown,
    Figure,
    QuestionReport,
    Table,
    breakdown,
    columns,
    scope_completed,
    survey_report,
)

FIELDS = ("area", "b", "q", "f", "recent")
Class = tuple[Any, ...]
Constraint = tuple[tuple[int, ...], int, int]
DROPPED = "w"  # the option an earlier version of q had


def possible(survey_: Survey, cls: Class) -> bool:
    """Whether a respondent could have these answers: the follow-up answered only where shown
    (and, when required, wherever shown). Readers know the survey."""
    answers = dict(zip(FIELDS, cls, strict=True))
    shown = shows_follow_up(survey_, answers)
    answered = answers["f"] is not None
    return answered <= shown and (answered or not shown or not survey_.question("f").required)


def survey_with(condition: dict[str, Any], with_b: bool, required: bool = False) -> Survey:
    questions: list[dict[str, Any]] = [
        {
            "id": "area",
            "type": "choice",
            "text": "Area?",
            "breakdown": True,
            "required": False,
            "choices": ["a", "b", "c"],
        },
    ]
    if with_b:
        questions.append(
            {"id": "b", "type": "yesno", "text": "B?", "breakdown": True, "required": False}
        )
    questions += [
        {"id": "q", "type": "choice", "text": "Q?", "required": False, "choices": ["x", "y", "z"]},
        {"id": "f", "type": "yesno", "text": "Sure?", "required": required, "show_if": condition},
    ]
    return Survey.model_validate(
        {"id": "s", "title": "S", "intro": "I", "repeatable": True, "questions": questions}
    )


CONDITIONS = [
    {"question": "q", "equals": "x"},
    {"question": "q", "in": ["x", "y"]},
    {"question": "q", "not_in": ["z"]},
    {"question": "area", "equals": "a"},
    {"question": "area", "not_in": ["c"]},
    {"all": [{"question": "q", "equals": "x"}, {"question": "area", "in": ["a", "b"]}]},
]


def shows_follow_up(survey_: Survey, answers: dict[str, Any]) -> bool:
    return engine.is_visible(survey_.question("f"), answers)


@st.composite
def cases(draw) -> tuple[Survey, list[dict[str, Any]], int]:
    """A survey, its counted completions (each member's latest) and k."""
    with_b, required = draw(st.booleans()), draw(st.booleans())
    survey_ = survey_with(draw(st.sampled_from(CONDITIONS)), with_b, required)
    answers = {
        "area": st.sampled_from(["a", "b", "c", None]),
        "q": st.sampled_from(["x", "y", "z", DROPPED, None]),
        "f": st.sampled_from(["yes", "no"] if required else ["yes", "no", None]),
        "recent": st.booleans(),
        "member": st.integers(1, 14),
    } | ({"b": st.sampled_from(["yes", "no", None])} if with_b else {})
    completions = draw(st.lists(st.fixed_dictionaries(answers), max_size=16))
    latest = {c["member"]: c for c in completions}  # storage counts each member's latest
    responses = []
    for completion in latest.values():
        response = {key: value for key, value in completion.items() if key != "member"}
        response.setdefault("b", None)
        if not shows_follow_up(survey_, response):
            response["f"] = None
        responses.append(response)
    return survey_, responses, draw(st.integers(3, 5))


class Stored:
    """What storage would hold: tallies by area and by b, and the activity counts."""

    def __init__(self, survey_: Survey, responses: Sequence[dict[str, Any]]) -> None:
        self.rows: Counter[tuple[str, ...]] = Counter()
        completed: Counter[str] = Counter()
        recent: Counter[str] = Counter()
        for response in responses:
            given = {k: v for k, v in response.items() if k != "recent" and v is not None}
            area = tally.area_of(survey_, given)
            completed[area] += 1
            recent[area] += response["recent"]
            self.rows.update((area, *key) for key in tally.keys(survey_, given))
        self.activity = Activity(
            sum(completed.values()), dict(completed), {a: n for a, n in recent.items() if n}
        )

    def cube(self, split: str) -> dict[tuple[str, str, str, str], int]:
        """As `Store.reports.tallies_by_area_and_answer`."""
        grouped: Counter[tuple[str, ...]] = Counter()
        for (area, split_q, split_v, question, value), n in self.rows.items():
            if split_q == split:
                grouped[area, split_v, question, value] += n
        return dict(grouped)

    def tallies(self, split: str = "") -> dict[tuple[str, str, str], int]:
        grouped: Counter[tuple[str, str, str]] = Counter()
        for (area, split_q, split_v, question, value), n in self.rows.items():
            if split_q == split:
                grouped[(split_v if split else area), question, value] += n
        return dict(grouped)


@dataclass
class Seen:
    """Every published number as the classes it counts, and what the adversary knows of it."""

    classes: list[Class]
    truth: list[int]
    known: dict[frozenset[int], tuple[int, int]] = field(default_factory=dict)
    hidden: dict[frozenset[int], int] = field(default_factory=dict)  # and small counts unshown
    where: dict[frozenset[int], str] = field(default_factory=dict)
    k: int = 5

    def members(self, **allowed: Any) -> frozenset[int]:
        """Classes whose fields take the allowed values (a set, or one value; "answered": any
        value but None)."""

        def fits(cls: Class) -> bool:
            for name, wanted in allowed.items():
                value = cls[FIELDS.index(name)]
                if wanted == "answered":
                    if value is None:
                        return False
                elif isinstance(wanted, frozenset | set):
                    if value not in wanted:
                        return False
                elif value != wanted:
                    return False
            return True

        return frozenset(i for i, cls in enumerate(self.classes) if fits(cls))

    def add(self, members: frozenset[int], figure: Figure | int, where: str) -> None:
        count = figure.count if isinstance(figure, Figure) else figure
        assert count == sum(self.truth[i] for i in members), (where, count)
        if isinstance(figure, Figure) and not figure.shown:
            bounds = (1, self.k - 1) if figure.small else (1, sum(self.truth))
            self.hidden[members] = count
        else:
            assert not 0 < count < self.k, (where, "a count under k shown")
            bounds = (count, count)
        low, high = self.known.get(members, (0, sum(self.truth)))
        narrowed = (max(low, bounds[0]), min(high, bounds[1]))
        assert narrowed[0] <= count <= narrowed[1], (where, "published two ways")
        self.known[members] = narrowed
        self.where.setdefault(members, where)

    def add_report(self, report: QuestionReport, scope: dict[str, Any], where: str) -> None:
        if report.too_few:
            return
        qid = report.question.id
        self.add(self.members(**scope, **{qid: "answered"}), report.answered, f"{where} {qid} n")
        for line in report.lines:
            members = self.members(**scope, **{qid: line.value})
            self.add(members, line.figure, f"{where} {qid}={line.value}")

    def add_table(self, table: Table, scope: dict, by: str, units: dict, where: str) -> None:
        if table.too_few:
            return
        qid = table.question.id
        for (label, _), total, cells in zip(table.rows, table.row_totals, table.cells, strict=True):
            row = scope | {by: units[label]}
            self.add(self.members(**row, **{qid: "answered"}), total, f"{where} {label} n")
            for value, cell in zip(table.values, cells, strict=True):
                self.add(self.members(**row, **{qid: value}), cell, f"{where} {label} {value}")
        present = {label for _, label in table.rows}
        for label, values in units.items():  # rows left out: nobody there answered
            if label not in present:
                row = scope | {by: values}
                self.add(self.members(**row, **{qid: "answered"}), 0, f"{where} {label} none")
        self.add(self.members(**scope, **{qid: "answered"}), table.total, f"{where} n")
        for value, total in zip(table.values, table.column_totals, strict=True):
            self.add(self.members(**scope, **{qid: value}), total, f"{where} all {value}")


def unit_values(split: Breakdown) -> dict[str, frozenset]:
    """The rows of a breakdown as the values they hold, read from its published tables: each
    row labelled with an option's label is that value; "Others" holds the rest; "X and others"
    holds X's value and the rest (the reader knows how rows are formed, see the README)."""
    value_of = {label: value for value, label in columns(split.by)}
    labels = {label for table in split.tables for _, label in table.rows}
    single = {label: value_of[label] for label in labels if label in value_of}
    joined = [label for label in labels if label.endswith(" and others")]
    units: dict[str, frozenset] = {label: frozenset({value}) for label, value in single.items()}
    shown = set(single.values()) | {value_of[label.removesuffix(" and others")] for label in joined}
    rest = frozenset({*value_of.values(), None} - shown)
    for label in joined:
        units[label] = rest | {value_of[label.removesuffix(" and others")]}
    if not joined:
        units["Others"] = rest
    return units


def publication(survey_: Survey, responses: list[dict[str, Any]], k: int) -> Seen | None:
    """Every number every view publishes; None when the survey shows only "too few"."""
    stored = Stored(survey_, responses)
    values = {
        "area": ["a", "b", "c", None],
        "b": ["yes", "no", None],
        "q": ["x", "y", "z", DROPPED, None],
        "f": ["yes", "no", None],
        "recent": [True, False],
    }
    classes = [cls for cls in product(*(values[name] for name in FIELDS)) if possible(survey_, cls)]
    per_class = Counter(tuple(r[name] for name in FIELDS) for r in responses)
    seen = Seen(classes, [per_class[c] for c in classes], k=k)
    by_area = stored.tallies()
    overall = survey_report(survey_, by_area, stored.activity, k)
    if overall.too_few:
        return None
    seen.add(seen.members(), overall.counts.completed, "completed (and milestones)")
    seen.add(seen.members(recent=True), overall.counts.completed_recently, "recent")
    for report in overall.questions:
        seen.add_report(report, {}, "overall")
    for area in ["a", "b", "c"]:
        listed = scope_completed(survey_, by_area, k, area)
        if listed is not None:  # else the survey list shows no count
            seen.add(seen.members(area=area), listed, f"{area} survey list")
        report = survey_report(survey_, by_area, stored.activity, k, area)
        if report.too_few:
            continue
        seen.add(seen.members(area=area), report.counts.completed, f"{area} completed")
        seen.add(
            seen.members(area=area, recent=True), report.counts.completed_recently, f"{area} recent"
        )
        for question_report in report.questions:
            seen.add_report(question_report, {"area": area}, area)
    splits = ["area"] + (["b"] if "b" in [q.id for q in survey_.questions] else [])
    for by in splits:
        by_answers = {split: stored.cube(split) for split in splits if split != "area"}
        for area in [None, "a", "b", "c"] if by == "area" else [None]:
            split = breakdown(survey_, survey_.question(by), by_area, by_answers, k, area)
            if split.too_few:
                continue
            units = unit_values(split)
            if area is not None:  # an area chat's breakdown by area is its own row
                units = {label: values for label, values in units.items() if area in values}
            scope = {} if area is None else {"area": area}
            for table in split.tables:
                seen.add_table(table, scope, by, units, f"by {by} in {area or 'all'}")
    for members, count in small_counts(seen, values).items():
        if members not in seen.known:
            seen.hidden[members] = count
            seen.where[members] = "a count no view publishes"
    return seen


def small_counts(seen: Seen, values: dict[str, list[Any]]) -> dict[frozenset[int], int]:
    """Counts of 1 to k - 1 that no view publishes itself but a reader may work out: one answer
    to one question, in all or in one area (an answer no column shows, say)."""
    counts = {}
    for name in ("area", "b", "q", "f"):
        for value in values[name]:
            for area in [None, "a", "b", "c"]:
                scope = {} if area is None or name == "area" else {"area": area}
                members = seen.members(**scope, **{name: value})
                count = sum(seen.truth[i] for i in members)
                if 0 < count < seen.k and value is not None:
                    counts[members] = count
    return counts


def values_found(seen: Seen) -> dict[frozenset[int], set[int]]:
    """For each hidden number, the least and the most it can be among the whole-number class
    counts that meet everything the adversary knows (integer programs, solved exactly)."""
    matrix = np.array(
        [[1 if i in members else 0 for i in range(len(seen.classes))] for members in seen.known]
    )
    known = LinearConstraint(
        matrix, [low for low, _ in seen.known.values()], [high for _, high in seen.known.values()]
    )
    integers = np.ones(len(seen.classes))
    found = {}
    for members in seen.hidden:
        target = np.array([1.0 if i in members else 0.0 for i in range(len(seen.classes))])
        extremes = set()
        for sign in (1, -1):
            result = milp(
                sign * target, constraints=known, integrality=integers, bounds=Bounds(0, np.inf)
            )
            assert result.success, result.message
            extremes.add(round(sign * result.fun))
        found[members] = extremes
    return found


FOLLOW_UP_OF_ALL_BUT_ONE = (
    survey_with({"question": "q", "not_in": ["z"]}, False),
    [{"area": "a", "b": None, "q": "x", "f": "yes", "recent": True}] * 6
    + [{"area": "b", "b": None, "q": "y", "f": "no", "recent": True}] * 5
    + [{"area": "c", "b": None, "q": "z", "f": None, "recent": False}],
    5,
)
DROPPED_OPTION = (
    survey_with({"question": "q", "equals": "x"}, False),
    [{"area": "a", "b": None, "q": "x", "f": "yes", "recent": True}] * 6
    + [{"area": "b", "b": None, "q": "y", "f": None, "recent": True}] * 5
    + [{"area": "b", "b": None, "q": DROPPED, "f": None, "recent": True}],
    5,
)


@settings(max_examples=100, deadline=None)
@example(FOLLOW_UP_OF_ALL_BUT_ONE)
@example(DROPPED_OPTION)
@given(cases())
def test_no_hidden_number_can_be_worked_out_from_every_view_together(case):
    survey_, responses, k = case
    seen = publication(survey_, responses, k)
    if seen is None:
        return

    found = values_found(seen)

    for members, values in found.items():
        assert len(values) > 1, (k, responses, seen.where[members], values)
