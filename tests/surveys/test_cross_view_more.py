"""The cross-view adversary of `test_cross_view` over survey shapes it does not draw.

Same reader model (every view a chat can get; every shown number; "<k" is 1 to k - 1; any
other hidden number at least 1; exact integer programs over respondent classes), generalised to
any survey: a class is one answer per question (a multi answer is a set of options, a text
answer its set of themes, a number one of a few values) and completed lately or not. Shapes
drawn: multi-choice and scale sources of show_if, chains of follow-ups, follow-ups of the area
question and of another breakdown question, two non-area breakdown questions, optional and
required follow-ups, text questions with themes, number questions, k from 2 to 5 and up to 30
responses. Counts no view publishes that a reader must not work out include, besides one answer
to one question, the people who chose two given options of a multi question.

Number questions' medians and quartiles are not linear in the class counts and are left out of
the integer programs (see `test_number_summaries_alone_could_pin_a_small_count`).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from itertools import chain, combinations, combinations_with_replacement, product
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys import engine, report, tally
from surveys.disclosure import suppress
from surveys.model import (
    OTHER_THEME,
    ChoiceQuestion,
    MultiQuestion,
    NumberQuestion,
    ScaleQuestion,
    Survey,
    TextQuestion,
)
from surveys.summary import Activity, breakdown, columns, scope_completed, survey_report
from tests.surveys.test_cross_view import Seen, unit_values, values_found

DROPPED = "w"
THEMES = {"pay": ["pay"], "rent": ["rent"]}
NUMBERS = [1.0, 2.0, 3.0]


def _subsets(items: Sequence[str]) -> list[tuple[str, ...]]:
    return [
        tuple(sorted(c)) for c in chain.from_iterable(combinations(items, r) for r in range(1, 4))
    ]


def domain(survey_: Survey, question) -> list[Any]:
    """Every answer a class may hold for a question (None: not answered)."""
    if isinstance(question, MultiQuestion):
        return [None, *_subsets(question.values())]
    if isinstance(question, TextQuestion):
        return [None, *_subsets(list(THEMES)), (OTHER_THEME,)]
    if isinstance(question, NumberQuestion):
        return [None, *NUMBERS]
    values = [value for value, _ in columns(question)]
    extra = [DROPPED] if isinstance(question, ChoiceQuestion) and question.id == "q" else []
    return [None, *values, *extra]


def engine_answer(question, value: Any) -> Any:
    """The answer as storage holds it (for visibility and tallies)."""
    if value is None:
        return None
    if isinstance(question, MultiQuestion):
        return list(value)
    if isinstance(question, TextQuestion):
        words = [THEMES[t][0] for t in value if t in THEMES]
        return " ".join(words) or "nothing"
    if isinstance(question, NumberQuestion):
        return value
    if isinstance(question, ScaleQuestion):
        return int(value)
    return value


def as_answers(survey_: Survey, response: dict[str, Any]) -> dict[str, Any]:
    return {
        q.id: engine_answer(q, response.get(q.id))
        for q in survey_.questions
        if response.get(q.id) is not None
    }


def possible(survey_: Survey, answers: dict[str, Any]) -> bool:
    """Answered only where shown, and wherever shown when required (readers know the survey)."""
    given = as_answers(survey_, answers)
    for question in survey_.questions:
        shown = engine.is_visible(question, given)
        answered = question.id in given
        if answered and not shown:
            return False
        if shown and not answered and question.required:
            return False
    return True


def tidy(survey_: Survey, response: dict[str, Any]) -> dict[str, Any]:
    """Drop answers to questions the response does not show (in order), as the engine does."""
    kept: dict[str, Any] = {}
    for question in survey_.questions:
        value = response.get(question.id)
        shown = engine.is_visible(question, as_answers(survey_, kept))
        kept[question.id] = value if shown else None
    kept["recent"] = response["recent"]
    return kept


class GeneralSeen(Seen):
    """`Seen` over any survey's fields: a multi or themes field holds a set of values."""

    fields: list[str]
    sets: set[str]

    def members(self, **allowed: Any) -> frozenset[int]:
        def holds(value: Any, wanted: Any, is_set: bool) -> bool:
            if wanted == "answered":
                return value is not None
            if isinstance(wanted, frozenset | set):
                return any(holds(value, w, is_set) for w in wanted)
            if is_set and wanted is not None:
                return value is not None and wanted in value
            return value == wanted

        def fits(cls) -> bool:
            return all(
                holds(cls[self.fields.index(name)], wanted, name in self.sets)
                for name, wanted in allowed.items()
            )

        return frozenset(i for i, cls in enumerate(self.classes) if fits(cls))


def stored(survey_: Survey, responses: Sequence[dict[str, Any]]):
    """Tallies by area, by each other breakdown question, and the activity (as storage)."""
    rows: Counter[tuple[str, ...]] = Counter()
    completed: Counter[str] = Counter()
    recent: Counter[str] = Counter()
    for response in responses:
        given = as_answers(survey_, response)
        area = tally.area_of(survey_, given)
        completed[area] += 1
        recent[area] += response["recent"]
        rows.update((area, *key) for key in tally.keys(survey_, given))
    activity = Activity(
        sum(completed.values()), dict(completed), {a: n for a, n in recent.items() if n}
    )

    def tallies(split: str = "") -> dict[tuple[str, ...], int]:
        """By area, or (split given) by area and answer, as storage reads them."""
        grouped: Counter[tuple[str, ...]] = Counter()
        for (area, split_q, split_v, question, value), n in rows.items():
            if split_q == split:
                grouped[(area, split_v) if split else (area,), question, value] += n
        return {(*key[0], *key[1:]): n for key, n in grouped.items()}

    return tallies, activity


def publication(survey_: Survey, responses: list[dict[str, Any]], k: int) -> Seen | None:
    """Every number every view publishes (as `test_cross_view.publication`, any survey)."""
    responses = [tidy(survey_, r) for r in responses]
    tallies, activity = stored(survey_, responses)
    fields = [q.id for q in survey_.questions] + ["recent"]
    domains = [domain(survey_, q) for q in survey_.questions] + [[True, False]]
    classes = [
        cls for cls in product(*domains) if possible(survey_, dict(zip(fields, cls, strict=True)))
    ]
    per_class = Counter(tuple(r[name] for name in fields) for r in responses)
    assert all(c in set(classes) for c in per_class), "a response outside the classes"
    seen = GeneralSeen(classes, [per_class[c] for c in classes], k=k)
    seen.fields = fields
    seen.sets = {q.id for q in survey_.questions if isinstance(q, MultiQuestion | TextQuestion)}
    by_area = tallies()
    area_q = tally.area_question(survey_)
    areas = [v for v, _ in columns(area_q)] if area_q else []
    overall = survey_report(survey_, by_area, activity, k)
    if overall.too_few:
        return None
    seen.add(seen.members(), overall.counts.completed, "completed (and milestones)")
    seen.add(seen.members(recent=True), overall.counts.completed_recently, "recent")
    for question_report in overall.questions:
        seen.add_report(question_report, {}, "overall")
    for area in areas:
        listed = scope_completed(survey_, by_area, k, area)
        if listed is not None:
            seen.add(seen.members(**{area_q.id: area}), listed, f"{area} survey list")
        report = survey_report(survey_, by_area, activity, k, area)
        if report.too_few:
            continue
        scope = {area_q.id: area}
        seen.add(seen.members(**scope), report.counts.completed, f"{area} completed")
        seen.add(
            seen.members(**scope, recent=True), report.counts.completed_recently, f"{area} recent"
        )
        for question_report in report.questions:
            seen.add_report(question_report, scope, area)
    splits = [q for q in survey_.questions if q.breakdown]
    by_answers = {q.id: tallies(q.id) for q in splits if q is not area_q}
    for by in splits:
        for area in [None, *areas] if by is area_q else [None]:
            split = breakdown(survey_, by, by_area, by_answers, k, area)
            if split.too_few:
                continue
            units = unit_values(split)
            if area is not None:
                units = {label: values for label, values in units.items() if area in values}
            scope = {} if area is None else {area_q.id: area}
            for table in split.tables:
                seen.add_table(table, scope, by.id, units, f"by {by.id} in {area or 'all'}")
    for (members, what), count in small_counts(seen, survey_, areas, area_q).items():
        if members not in seen.known:
            seen.hidden[members] = count
            seen.where[members] = f"a count no view publishes: {what}"
    return seen


def small_counts(seen: GeneralSeen, survey_: Survey, areas, area_q) -> dict[frozenset[int], int]:
    """Counts of 1 to k - 1 no view publishes: one answer to one question (in all or an area),
    and the people who chose both of two options of a multi question (in all)."""
    wanted: list[dict[str, Any]] = []
    for question in survey_.questions:
        values = [v for v, _ in columns(question)] or ["answered"]
        if isinstance(question, NumberQuestion):
            values += NUMBERS + [frozenset(set(NUMBERS) - {v}) for v in NUMBERS]
        if isinstance(question, ChoiceQuestion) and question.id == "q":
            values.append(DROPPED)
        for value in values:
            for area in [None, *areas]:
                scope = {} if area is None or question is area_q else {area_q.id: area}
                wanted.append({**scope, question.id: value})
        if isinstance(question, MultiQuestion):
            for a, b in combinations(question.values(), 2):
                wanted.append({"__both__": (question.id, a, b)})
    counts = {}
    for allowed in wanted:
        if "__both__" in allowed:
            qid, a, b = allowed["__both__"]
            members = seen.members(**{qid: a}) & seen.members(**{qid: b})
        else:
            members = seen.members(**allowed)
        count = sum(seen.truth[i] for i in members)
        if 0 < count < seen.k:
            counts[members, ",".join(f"{n}={v}" for n, v in allowed.items())] = count
    return counts


def leaks(
    survey_: Survey,
    responses: list[dict[str, Any]],
    k: int,
    overlaps: bool = True,
    crosses: Sequence[tuple[str, ...]] = (),
) -> list[tuple]:
    """Each hidden (or unpublished small) number that takes one value only, with where
    (`overlaps`: counting those who chose two options of a multi question, see leak 2;
    `crosses`: also the small cells of these questions' cross-table, see leak 9)."""
    seen = publication(survey_, responses, k)
    if seen is None:
        return []
    for names in crosses:
        answers = [
            [v for v in domain(survey_, survey_.question(n)) if v is not None] for n in names
        ]
        for combination in product(*answers):
            members = seen.members(**dict(zip(names, combination, strict=True)))
            count = sum(seen.truth[i] for i in members)
            if 0 < count < k and members not in seen.known:
                seen.hidden[members] = count
                seen.where[members] = f"a cell no view publishes: {combination}"
    return [
        (seen.where[members], sorted(values), seen.hidden[members])
        for members, values in values_found(seen).items()
        if len(values) < 2 and (overlaps or "__both__" not in seen.where[members])
    ]


# --- surveys ---------------------------------------------------------------------------------


def make(questions: list[dict[str, Any]]) -> Survey:
    return Survey.model_validate(
        {"id": "s", "title": "S", "intro": "I", "repeatable": True, "questions": questions}
    )


AREA = {
    "id": "area",
    "type": "choice",
    "text": "Area?",
    "breakdown": True,
    "required": False,
    "choices": ["a", "b", "c"],
}
B1 = {"id": "b1", "type": "yesno", "text": "B1?", "breakdown": True, "required": False}
B2 = {"id": "b2", "type": "choice", "text": "B2?", "breakdown": True, "required": False,
      "choices": ["m", "n"]}  # fmt: skip
CHOICE_Q = {
    "id": "q",
    "type": "choice",
    "text": "Q?",
    "required": False,
    "choices": ["x", "y", "z"],
}
MULTI_Q = {"id": "q", "type": "multi", "text": "Q?", "required": False, "choices": ["x", "y", "z"]}
SCALE_Q = {"id": "q", "type": "scale", "text": "Q?", "required": False, "min": 1, "max": 3}
TEXT_Q = {"id": "t", "type": "text", "text": "T?", "required": False, "themes": THEMES}
NUMBER_Q = {"id": "n", "type": "number", "text": "N?", "required": False}


def follow(fid: str, condition: dict[str, Any], required: bool) -> dict[str, Any]:
    return {"id": fid, "type": "yesno", "text": f"{fid}?", "required": required,
            "show_if": condition}  # fmt: skip


SOURCES = {"choice": CHOICE_Q, "multi": MULTI_Q, "scale": SCALE_Q}
CONDITIONS = {
    "choice": [
        {"question": "q", "equals": "x"},
        {"question": "q", "in": ["x", "y"]},
        {"question": "q", "not_in": ["z"]},
    ],
    "multi": [
        {"question": "q", "equals": "x"},
        {"question": "q", "in": ["x", "y"]},
        {"question": "q", "not_in": ["z"]},
        {"question": "q", "not_in": ["y", "z"]},
    ],
    "scale": [
        {"question": "q", "equals": 3},
        {"question": "q", "in": [2, 3]},
        {"question": "q", "not_in": [1]},
    ],
}


def other_conditions(x: Any) -> list[dict[str, Any]]:
    """Conditions on the area, on another breakdown question, or on q and another (`x`: one
    of q's values)."""
    return [
        {"question": "area", "equals": "a"},
        {"question": "area", "in": ["a", "b"]},
        {"question": "b1", "equals": "yes"},
        {"all": [{"question": "q", "equals": x}, {"question": "b1", "equals": "yes"}]},
        {"all": [{"question": "q", "equals": x}, {"question": "area", "equals": "a"}]},
        {"any": [{"question": "q", "equals": x}, {"question": "area", "equals": "a"}]},
    ]


@st.composite
def shapes(
    draw, kinds: Sequence[str] = ("choice", "scale"), with_text: bool = False, known: bool = True
) -> Survey:
    """A survey; `known`: also the shapes of the leaks found (chains, not_in: leaks 10, 12)."""
    kind = draw(st.sampled_from(sorted(kinds)))
    breakdowns = draw(st.sampled_from([[], [B1], [B1, B2]]))
    if breakdowns and draw(st.booleans()):  # a breakdown question asked only in some areas
        breakdowns = [{**B1, "show_if": {"question": "area", "not_in": ["c"]}}, *breakdowns[1:]]
    questions = [AREA, *breakdowns, SOURCES[kind]]
    condition_pool = [c for c in CONDITIONS[kind] if known or "not_in" not in c] + [
        c
        for c in other_conditions(3 if kind == "scale" else "x")
        if breakdowns or "b1" not in str(c)
    ]
    questions.append(follow("f", draw(st.sampled_from(condition_pool)), draw(st.booleans())))
    if known and draw(st.booleans()):  # a chain: f2 shown if f = yes
        questions.append(follow("f2", {"question": "f", "equals": "yes"}, draw(st.booleans())))
    # Text with themes leaks on its own (leak 3, below): drawn only where asked for.
    extra = draw(st.sampled_from([None, NUMBER_Q, *([TEXT_Q] if with_text else [])]))
    if extra is not None:
        questions.append(extra)
    return make(questions)


@st.composite
def cases(draw, kinds: Sequence[str] = ("choice", "scale"), known: bool = True):
    survey_ = draw(shapes(kinds, known=known))
    # A few answers per question, so that cells are small but not all of them empty.
    strategies = {
        q.id: st.sampled_from(
            draw(st.lists(st.sampled_from(domain(survey_, q)), min_size=1, max_size=4, unique=True))
        )
        for q in survey_.questions
    } | {
        "recent": st.booleans(),
        "member": st.integers(1, 30),
    }
    completions = draw(st.lists(st.fixed_dictionaries(strategies), max_size=30))
    latest = {c["member"]: c for c in completions}
    responses = []
    for completion in latest.values():
        response = tidy(survey_, {k: v for k, v in completion.items() if k != "member"})
        if possible(survey_, response):
            responses.append(response)
    return survey_, responses, draw(st.integers(2, 5))


def respond(survey_: Survey, recent: bool = False, **answers: Any) -> dict[str, Any]:
    return {q.id: answers.get(q.id) for q in survey_.questions} | {"recent": recent}


# --- leaks found, minimised --------------------------------------------------------------------

# 1. A multi source with `in` (or `not_in` of two): the follow-up's number answered is the
#    people who chose x OR y (9); with the published x and y columns (5 and 5) it gives away
#    those who chose BOTH (5 + 5 - 9 = 1), a count no view publishes (z is chosen too, so the
#    multi table alone does not give it, unlike leak 2). `_withhold_where_sources_hide` only looks
#    at hidden cells of the source; none is hidden here.
MULTI_IN = make([AREA, MULTI_Q, follow("f", {"question": "q", "in": ["x", "y"]}, True)])
MULTI_IN_CASE = (
    MULTI_IN,
    [respond(MULTI_IN, area="a", q=("x",), f="yes")] * 4
    + [respond(MULTI_IN, area="a", q=("y",), f="yes")] * 4
    + [respond(MULTI_IN, area="a", q=("x", "y"), f="yes")]
    + [respond(MULTI_IN, area="a", q=("z",))] * 5,
    5,
)

# 2. A multi question on its own: where only two options are chosen (a two-option multi, or
#    the third at a shown 0), n = x + y - both, so both = 6 + 5 - 10 = 1. The suppressor's
#    multi model knows no relation between n and the cells (nor that every answer picks one).
TWO_OPTIONS = make(
    [AREA, {"id": "q", "type": "multi", "text": "Q?", "required": False, "choices": ["x", "y"]}]
)
TWO_OPTIONS_CASE = (
    TWO_OPTIONS,
    [respond(TWO_OPTIONS, area="a", q=("x",))] * 5
    + [respond(TWO_OPTIONS, area="a", q=("y",))] * 4
    + [respond(TWO_OPTIONS, area="a", q=("x", "y"))],
    5,
)

# 3. Text with themes: "other" is exclusive (no theme matched), so n = other + those with a
#    theme; with "rent" shown as 0, pay = n - other = 5 - 3 = 2 (< k = 3, hidden as "<3").
#    The table is suppressed as a multi one (rows do not add up), which misses this.
THEMED = make([AREA, TEXT_Q])
THEMED_CASE = (
    THEMED,
    [respond(THEMED, area="a", t=("other",))] * 3
    + [respond(THEMED, area="a", t=("pay",))] * 2
    + [respond(THEMED, area="b", t=("rent",))] * 3,
    3,
)

# 4. A follow-up shown if all of (q = x, b1 = yes), b1 a breakdown question but not the area:
#    the overall report publishes its n = people with q = x and b1 = yes (8); the breakdown by
#    b1 hides (No, x) = 1 as "<3" and (Yes, x) = 8 to protect it; q's x total (9) less the
#    follow-up's n gives (No, x) = 1 away. The check of sources looks only at tables by area.
B1_YES = {"question": "b1", "equals": "yes"}
CROSS = make(
    [
        AREA,
        B1,
        CHOICE_Q,
        follow("f", {"all": [{"question": "q", "equals": "x"}, B1_YES]}, True),
    ]
)  # fmt: skip
CROSS_CASE = (
    CROSS,
    [respond(CROSS, area="a", b1="yes", q="x", f="yes")] * 5
    + [respond(CROSS, area="a", b1="no", q="x")]
    + [respond(CROSS, area="a", b1="no", q="y")] * 3
    + [respond(CROSS, area="b", b1="no", q="y")] * 6
    + [respond(CROSS, area="b", b1="yes", q="z")] * 5
    + [respond(CROSS, area="c", b1="yes", q="x", f="no")] * 3
    + [respond(CROSS, area="c", b1="no", q="z")] * 3,
    3,
)

# 7. A follow-up of a number question (shown if n = 3, required): its n (10) is the people who
#    answered 3; the number question's n (11) less it gives away that 1 answered otherwise.
#    A number source has no columns, so its follower has no group, and it is withheld only
#    where the source's table hides something (a number table hides only small row totals).
NUMBER_SOURCE = make([AREA, NUMBER_Q, follow("f", {"question": "n", "equals": 3}, True)])
NUMBER_SOURCE_CASE = (
    NUMBER_SOURCE,
    [respond(NUMBER_SOURCE, area="a", n=3.0, f="yes")] * 5
    + [respond(NUMBER_SOURCE, area="b", n=3.0, f="no")] * 5
    + [respond(NUMBER_SOURCE, area="b", n=1.0)],
    5,
)

# 9. No show_if at all: the tables by area (q, b1) and the breakdown by b1 give a cell of the
#    area x b1 x q cross-table away. Area a's 6 all answered b1 = yes and q = x (zeros shown),
#    so (a, yes, x) = 6; (yes, x) = 7 in the breakdown by b1 and area c has no x: so exactly 1
#    in area b answered b1 = yes and q = x. Each table is safe alone; their cross is not.
THREE_WAY = make([AREA, B1, CHOICE_Q])
THREE_WAY_CASE = (
    THREE_WAY,
    [respond(THREE_WAY, area="a", b1="yes", q="x")] * 6
    + [respond(THREE_WAY, area="b", b1="yes", q="x")]
    + [respond(THREE_WAY, area="b", b1="no", q="x")] * 5
    + [respond(THREE_WAY, area="b", b1="yes", q="y")] * 5
    + [respond(THREE_WAY, area="c", b1="no", q="z")] * 5
    + [respond(THREE_WAY, area="c", b1="yes", q="z")] * 5,
    5,
)

# 10. A chain (f shown if q = x, f2 shown if f = yes, both required): f's table is withheld
#     (area b's 2 answers of f are a row total under k), but `_with_followers` lets f2 through
#     ("nothing of the source is published"), and f's number answered is q's x (8, shown). So
#     f2's n (5 = f's yes) gives f's no away: 8 - 5 = 3 < k.
CHAIN = make(
    [
        AREA,
        CHOICE_Q,
        follow("f", {"question": "q", "equals": "x"}, True),
        follow("f2", {"question": "f", "equals": "yes"}, True),
    ]
)
CHAIN_CASE = (
    CHAIN,
    [respond(CHAIN, area="a", q="x", f="yes", f2="yes")] * 5
    + [respond(CHAIN, area="a", q="x", f="no")]
    + [respond(CHAIN, area="a", q="y")] * 5
    + [respond(CHAIN, area="b", q="x", f="no")] * 2
    + [respond(CHAIN, area="b", q="y")] * 5
    + [respond(CHAIN, area="b", q="z")] * 5
    + [respond(CHAIN, area="c", q="z")] * 5
    + [respond(CHAIN, area="c", q="y")] * 5,
    5,
)

# 11. A multi question alone, k = 3 (found by the property test, seed 5): by area the table is
#     b: x c, y 3, z 0, n 3; Others: x <3, y 3, z <3, n 3; all: x 5, y 6. `suppress` says safe,
#     as its multi model bounds a hidden cell by 1 and the grand total only; but no cell of a
#     multi table exceeds its row's n: x(b) <= 3 and x(Others) <= 2 with x(b) + x(Others) = 5
#     make x(b) = 3 and x(Others) = 2.
MULTI_ROW = make([AREA, MULTI_Q])
MULTI_ROW_CASE = (
    MULTI_ROW,
    [respond(MULTI_ROW, area="b", q=("x", "y"))] * 3
    + [respond(MULTI_ROW, area="c", q=("y",)), respond(MULTI_ROW, area="c", q=("x", "y"))]
    + [respond(MULTI_ROW, area="a", q=("x", "y", "z"))],
    3,
)

# 12. A `not_in` follow-up of a question too few answered (found by the property test, seed 4):
#     q (optional) answered by 3 of 10 (< k = 5), so q is withheld, and `_with_followers`
#     returns before checking its followers' sums; f (shown if q not in [z], so also to the 7
#     who skipped q; required) has n = 10 - z = 9: 1 answered z.
NOT_IN = make([AREA, CHOICE_Q, follow("f", {"question": "q", "not_in": ["z"]}, True)])
NOT_IN_CASE = (
    NOT_IN,
    [respond(NOT_IN, area="a", q="x", f="yes")] * 2
    + [respond(NOT_IN, area="a", q="z")]
    + [respond(NOT_IN, area="a", f="no")] * 7,
    5,
)

# 13. "<k" marks copied onto a breakdown (found by the property test, seed 13): q by b1 is
#     suppressed with its column totals for 2 and 3 hidden as "c", then `_agreeing` publishes
#     them as the overall report does, "<5". Published: No: c, <5, <5 (n 7); Others: <5, 0, <5
#     (n 7); all: 8, <5, <5. Then Others' 1 = 7 - Others' 3 >= 3, so No's 1 = 8 - it <= 5, and
#     3's total (No's 3 + Others' 3 <= 4) forces Others' 3 <= 3: every cell is pinned
#     (4, 2, 1 / 4, 0, 3). With a choice q the same holds, but the reader model here (and in
#     test_cross_view) always allows an earlier version's option, which hides it.
LABELS = make([AREA, B1, SCALE_Q])
LABELS_CASE = (
    LABELS,
    [respond(LABELS, b1="no", q="1")] * 4
    + [respond(LABELS, b1="no", q="2")] * 2
    + [respond(LABELS, b1="no", q="3")]
    + [respond(LABELS, q="1")] * 4
    + [respond(LABELS, q="3")] * 3
    + [respond(LABELS, b1="no")] * 5,
    5,
)

# 14. A chain under a multi source (found by a random draw of the multi property): f (shown if
#     q = x, required) is withheld, since its number of answers (x in each row) would leave q's
#     table unsafe; q's table by area then hides x in a (3) and in Others (3) with x = 6 in all.
#     f2 (shown if f = yes, optional) was still published: its 3 answers in a and 3 in Others
#     each say at least 3 chose x there (an answer of f2 means f = yes, so q = x), which pins
#     both. Every follower of a withheld question is now withheld with it.
MULTI_CHAIN = make(
    [
        AREA,
        B1,
        MULTI_Q,
        follow("f", {"question": "q", "equals": "x"}, True),
        follow("f2", {"question": "f", "equals": "yes"}, False),
        NUMBER_Q,
    ]
)
MULTI_CHAIN_CASE = (
    MULTI_CHAIN,
    [
        respond(MULTI_CHAIN, area=area, b1=b1, q=q, f=f, f2=f2)
        for area, b1, q, f, f2 in [
            ("a", None, ("x", "z"), "yes", "no"),
            ("a", None, ("x", "z"), "yes", "yes"),
            ("a", "no", ("x", "y"), "yes", "no"),
            ("a", None, ("y",), None, None),
            (None, None, ("y",), None, None),
            (None, "no", None, None, None),
            (None, None, ("x", "z"), "yes", "no"),
            (None, None, ("x", "y"), "yes", "no"),
            (None, "yes", ("x", "y"), "yes", "yes"),
            (None, "yes", ("y",), None, None),
            (None, "yes", None, None, None),
        ]
    ],
    3,
)

LEAKS = [
    MULTI_CHAIN_CASE,
    LABELS_CASE,
    NOT_IN_CASE,
    MULTI_ROW_CASE,
    CHAIN_CASE,
    THREE_WAY_CASE,
    MULTI_IN_CASE,
    TWO_OPTIONS_CASE,
    THEMED_CASE,
    CROSS_CASE,
    NUMBER_SOURCE_CASE,
]


def test_examples_are_possible():
    for survey_, responses, _ in LEAKS:
        assert all(possible(survey_, tidy(survey_, r)) for r in responses)


def test_multi_in_follow_up_gives_away_who_chose_both():
    assert leaks(*MULTI_IN_CASE) == []


def test_two_option_multi_gives_away_who_chose_both():
    assert leaks(*TWO_OPTIONS_CASE) == []


def test_themes_give_a_small_count_away():
    assert leaks(*THEMED_CASE) == []


def test_follow_up_of_a_breakdown_answer_gives_a_cross_cell_away():
    assert leaks(*CROSS_CASE, overlaps=False) == []


def test_follow_up_of_a_number_gives_away_the_others():
    assert leaks(*NUMBER_SOURCE_CASE) == []


def test_a_survey_with_too_few_completed_does_not_say_how_many_started():
    """Leak 8: with fewer than k completed, "Started 1 · completed <5" said exactly 1 completed
    (a "<5" that is not 0 is at least 1, and at most those who started)."""
    survey_ = make([AREA, CHOICE_Q])
    summary_ = survey_report(survey_, {}, Activity(1, {"a": 1}, {"a": 1}), 5)
    assert summary_.too_few
    assert not _completed_shown(summary_)
    assert summary_.counts.started is None


def _completed_shown(summary_) -> bool:
    """As the report header shows the completed count (organiser_render._scope_lines)."""
    return not summary_.too_few or summary_.counts.completed == 0


def test_tables_by_area_and_by_b1_give_a_three_way_cell_away():
    assert leaks(*THREE_WAY_CASE, crosses=[("area", "b1", "q")]) == []


def test_three_way_cell_is_no_leak_of_any_one_table():
    """What the current model checks passes on leak 9's example: the leak is only in the cross."""
    assert leaks(*THREE_WAY_CASE) == []


def test_chain_gives_a_withheld_follow_up_away():
    assert leaks(*CHAIN_CASE) == []


def test_multi_cell_bounded_by_its_row_gives_counts_away():
    assert leaks(*MULTI_ROW_CASE, overlaps=False) == []


def test_suppress_knows_a_multi_cell_is_at_most_its_rows_n():
    """x(b) is at most n(b) = 3 and x(Others), shown as <3, at most 2; their sum is 5: both
    would be pinned. The complete check knows the bound, so the table is not safe."""
    assert not suppress([[3, 3, 0], [2, 3, 1]], 3, row_totals=[3, 3]).safe


def test_not_in_follow_up_of_a_withheld_question_gives_its_count_away():
    assert leaks(*NOT_IN_CASE) == []


def test_breakdown_with_the_reports_small_totals_gives_cells_away():
    assert leaks(*LABELS_CASE) == []


def test_follower_of_a_withheld_follow_up_gives_its_sources_counts_away():
    assert leaks(*MULTI_CHAIN_CASE, overlaps=False) == []


def _summaries(answers: Sequence[float]) -> tuple:
    summary = report.number_summary(Counter(answers).items())
    return summary.answered, summary.lower_quartile, summary.median, summary.upper_quartile


def test_number_summaries_alone_could_pin_a_small_count():
    """Leak 5, outside the integer programs: six answers (k = 5) with quartiles 10, 10, 40
    give away that exactly 2 answered more than 10: every multiset of answers from 0 to 60
    with that n and those quartiles has 2 above 10. So reports show them only where each
    quarter holds k people (below)."""
    truth = [10, 10, 10, 10, 50, 60]
    published = _summaries(truth)
    grid = range(0, 61, 5)
    above = {
        sum(1 for a in answers if a > 10)
        for answers in combinations_with_replacement(grid, len(truth))
        if _summaries(answers) == published
    }
    assert above == {2}


def test_a_report_shows_quartiles_only_where_each_quarter_holds_k_people():
    survey_ = make([AREA, {"id": "n", "type": "number", "text": "N?"}])
    for answered, shown in [(6, False), (19, False), (20, True)]:
        responses = [respond(survey_, area="a", n=float(i)) for i in range(answered)]
        tallies, activity = stored(survey_, responses)
        report_ = survey_report(survey_, tallies(), activity, 5)
        numbers = next(q for q in report_.questions if q.question.id == "n").numbers
        assert (numbers is not None) is shown, answered


@pytest.mark.xfail(strict=True, reason="known limit (README): reports are live totals")
def test_two_reports_a_day_apart_give_away_the_newcomers_answer():
    """Leak 6 (time, outside every single-moment model): a report, one more completion, the
    report again (a digest, /summary, or the milestone of 10): every count is shown both
    times (k = 5), and their difference says the one newcomer answered y."""
    survey_ = make([AREA, CHOICE_Q])
    before = [respond(survey_, area="a", q="x")] * 5 + [respond(survey_, area="b", q="y")] * 5
    after = [*before, respond(survey_, area="b", q="y")]
    reports = []
    for responses in (before, after):
        tallies, activity = stored(survey_, responses)
        reports.append(survey_report(survey_, tallies(), activity, 5))
    shown = [
        {
            line.value: line.figure.count
            for q in r.questions
            for line in q.lines
            if line.figure.shown
        }
        for r in reports
    ]
    difference = {value: shown[1][value] - shown[0][value] for value in shown[0]}
    assert 0 < sum(difference.values()) // 2 < 5  # area and q: one newcomer
    assert all(n == 0 or n >= 5 for n in difference.values())  # fails: y went up by 1


SETTINGS = settings(
    max_examples=int(os.environ.get("MORE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(SETTINGS, derandomize=True)
@given(cases(known=False))
def test_no_hidden_number_can_be_worked_out_in_more_shapes(case):
    """Choice and scale sources without the shapes of known leaks (no multi or text source,
    no chain, no not_in), on a fixed sequence of draws: random ones hit leak 13 now and then
    (see `test_no_hidden_number_can_be_worked_out_in_random_shapes`)."""
    survey_, responses, k = case
    assert leaks(survey_, responses, k, overlaps=False) == [], (
        survey_.model_dump(exclude_defaults=True),
        k,
    )


@SETTINGS
@given(cases(known=False))
def test_no_hidden_number_can_be_worked_out_in_random_shapes(case):
    survey_, responses, k = case
    assert leaks(survey_, responses, k, overlaps=False) == []


@SETTINGS
@given(cases())
def test_no_hidden_number_can_be_worked_out_with_chains_and_not_in(case):
    survey_, responses, k = case
    assert leaks(survey_, responses, k, overlaps=False) == []


@SETTINGS
@given(cases(kinds=("multi",)))
def test_no_hidden_number_can_be_worked_out_with_a_multi_source(case):
    survey_, responses, k = case
    assert leaks(survey_, responses, k, overlaps=False) == []
