"""Small-cell suppression for breakdown tables, so that no published number exposes a few people.

A breakdown table counts respondents by a breakdown value (rows, e.g. regions) and an answer
option (columns). It is published with its row totals (respondents per region), column totals
(respondents per option) and grand total (respondents in all). A cell counting fewer than k
people (but not zero) is hidden, and so is a row or column whose total is under k, with its
cells: primary suppression. That is not enough on its own: a hidden cell that is the only hidden
one in its row equals the row total minus the shown cells, and a hidden row total is the grand
total minus the other row totals. So more numbers are hidden (secondary suppression) until no
hidden number follows from what is shown.

What a reader is taken to know: every shown number; the relations between them (cells add up
to their column totals, row totals to the grand total and, for single-answer questions, cells
to their row totals and column totals to the grand total); that a hidden number is at least 1
(zeros are never hidden); that a cell shown as "<k" is at most k - 1 (hidden totals are shown
as "c", see `Suppressed`). The guarantee, in two parts:

- Exact: no hidden number is given away by adding and subtracting relations. Hidden numbers
  are the unknowns, each relation an equation over them, and a hidden number is given away
  when its unit vector lies in the span of the equations (decided by rational elimination).
  So each hidden number takes at least two values among the tables of non-negative counts
  that show what is shown.
- With the bounds: secondary suppression steers by ranges, each relation in turn narrowing its
  hidden numbers to what the others' ranges leave (quick, sound, not complete). The verdict
  is then checked completely: `Suppressed.safe` says whether every hidden number takes at
  least two values among the whole-number tables that show what is shown, keep every "<k"
  between 1 and k - 1 and every other hidden number at least 1 (a bounded search; a search
  that runs out of steps counts as unsafe). That cannot always be had: e.g. five options
  chosen once each, k = 5: five hidden counts of at least 1 make 5. A caller withholds a
  table that is not safe.

Known sums of columns (`groups`): a question asked only of those who gave some answers to
this one (show_if) publishes, as its number of answers, the sum of those answers' counts in
each row. Such sums are relations a reader knows too, and are part of the check.

Pure: no I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

Cell = tuple[int, int]
# A number of the table with its totals: cells, row totals in an extra last column, column
# totals in an extra last row, the grand total in the corner.
_Position = tuple[int, int]
# A published relation: the members add up to the total.
_Line = tuple[tuple[_Position, ...], _Position]


@dataclass(frozen=True)
class Suppressed:
    """What of a table may be published: hidden cells, and totals that must go too.

    `too_few`: fewer than k responded in all, so only that fact may be published.
    `primary`: the hidden cells a renderer may show as "<k": those hidden for counting 1 to
    k - 1, less any whose "<k" would help pin a count down. Empty for k = 2, where "<2" would
    state the count. Other hidden cells, and all hidden totals, are to be shown alike ("c"):
    the guarantee does not allow for a "<k" on a total, which can give counts away (k = 3: a
    region of two shown as "<3" whose two answers differ makes both cells 1).
    """

    hidden: frozenset[Cell]
    hidden_row_totals: frozenset[int]
    hidden_column_totals: frozenset[int]
    too_few: bool = False
    primary: frozenset[Cell] = frozenset()
    safe: bool = True  # every hidden number takes at least two values (see the module)
    system: System | None = field(default=None, compare=False, repr=False)


def suppress(
    table: Sequence[Sequence[int]],
    k: int,
    *,
    row_totals: Sequence[int] | None = None,
    groups: Sequence[frozenset[int]] = (),
) -> Suppressed:
    """Hide what must be hidden in `table` (rows by columns of counts) for groups of `k`.

    `row_totals` is None when each respondent gives one answer, so a row's cells add up to its
    total. For questions with several answers per respondent (multi) it gives the respondents
    per row: then rows do not add up, the grand total is the sum of `row_totals`, and a column
    total is still the sum of its cells (respondents who chose that option). A row or column
    whose total is under k is hidden whole. The grand total is always published; when it is
    under k, `too_few` is set and everything is hidden. `groups` are sets of columns whose sum
    in every row (and over all rows) a reader knows. What is then guaranteed, and what a
    reader is taken to know, is in the module's docstring.
    """
    rows, columns = len(table), len(table[0]) if table else 0
    if row_totals is not None and len(row_totals) != rows:
        raise ValueError(f"{len(row_totals)} row totals for {rows} rows")
    grid = _with_totals(table, row_totals, groups)
    if grid[rows][columns] < k:
        everything = {(r, c) for r in range(rows) for c in range(columns) if table[r][c]}
        return Suppressed(
            frozenset(everything), frozenset(range(rows)), frozenset(range(columns)), too_few=True
        )
    lines = _lines(rows, columns, rows_add_up=row_totals is None, groups=groups)
    small_cells = {(r, c) for r in range(rows) for c in range(columns) if 0 < table[r][c] < k}
    # With several answers each, a row's total less a cell counts those who did not choose it.
    small_complements = {
        (r, c)
        for r in range(rows)
        for c in range(columns)
        if row_totals is not None and table[r][c] and 0 < row_totals[r] - table[r][c] < k
    }
    hidden = small_cells | small_complements | _small_lines(grid, k)
    labelled = set(small_cells) if k > 2 else set()  # "<2" would say 1
    while (step := _next_step(grid, hidden, lines, labelled, k)) is not None:
        action, position = step
        if action == "hide":
            hidden.add(position)
        else:
            labelled.discard(position)
    system = _system(grid, hidden, lines, labelled, rows_add_up=row_totals is None)
    safe = not pinned(system, k)
    if not safe and labelled and not pinned(replace(system, labelled=frozenset()), k):
        labelled, safe = set(), True  # the "<k" marks together pinned a count: show none
        system = replace(system, labelled=frozenset())
    return Suppressed(
        frozenset((r, c) for r, c in hidden if r < rows and c < columns),
        frozenset(r for r, c in hidden if c == columns),
        frozenset(c for r, c in hidden if r == rows),
        primary=frozenset(labelled),
        safe=safe,
        system=system,
    )


def _system(
    grid: _Grid,
    hidden: set[_Position],
    lines: list[_Line],
    labelled: set[Cell],
    *,
    rows_add_up: bool,
) -> System:
    """A table's numbers as a system: keys are (row, column) in the grid (row totals in the
    column after the cells, column totals in the row after them).

    Where each respondent may count in several columns (multi questions, text themes), a row's
    cells are tied to its number of respondents by what no view publishes but a reader knows:
    how many did not count in each column ("not", row, column), and how many extra counts the
    row holds over one each ("overlap", row: with two columns, those who chose both); both are
    counts of people, protected as hidden numbers are."""
    values: dict[Hashable, int] = {
        (r, c): value for r, row in enumerate(grid) for c, value in enumerate(row)
    }
    system = System(values, lines, frozenset(hidden), frozenset(labelled))
    if rows_add_up:
        return system
    columns = grid.columns
    extra_lines: list[tuple[tuple[Hashable, ...], Hashable]] = []
    counts: dict[Hashable, int] = {}
    aids: dict[Hashable, int] = {}
    for r, row in enumerate(grid):
        respondents, cells = row[columns], row[:columns]
        for c, count in enumerate(cells):
            counts["not", r, c] = respondents - count
            extra_lines.append((((r, c), ("not", r, c)), (r, columns)))
        counts["overlap", r] = sum(cells) - respondents
        aids["ticks", r] = sum(cells)
        extra_lines.append((tuple((r, c) for c in range(columns)), ("ticks", r)))
        extra_lines.append((((r, columns), ("overlap", r)), ("ticks", r)))
    return replace(
        system,
        values={**values, **counts, **aids},
        lines=[*lines, *extra_lines],
        counts=frozenset(counts),
        aids=frozenset(aids),
    )


def _with_totals(
    table: Sequence[Sequence[int]],
    row_totals: Sequence[int] | None,
    groups: Sequence[frozenset[int]] = (),
) -> _Grid:
    """The table with its row totals as an extra column, column totals and the grand total as
    an extra last row, then each group's known sums as a further column (never hidden)."""
    totals = list(row_totals) if row_totals is not None else [sum(row) for row in table]
    column_totals = [sum(column) for column in zip(*table, strict=True)]
    grid = [[*row, total] for row, total in zip(table, totals, strict=True)] + [
        [*column_totals, sum(totals)]
    ]
    columns = len(table[0]) if table else 0
    return _Grid(
        [[*row, *(sum(row[c] for c in group) for group in groups)] for row in grid], columns
    )


class _Grid(list[list[int]]):
    """The numbers of a table (see `_with_totals`), knowing where its own columns end."""

    def __init__(self, rows: list[list[int]], columns: int) -> None:
        super().__init__(rows)
        self.columns = columns  # the row totals' column; known sums come after it


def _lines(
    rows: int, columns: int, *, rows_add_up: bool, groups: Sequence[frozenset[int]] = ()
) -> list[_Line]:
    """The relations a reader knows between the numbers of a table with its totals."""
    cells = tuple((r, c) for r in range(rows) for c in range(columns))
    grand = (rows, columns)
    lines = [(tuple((r, c) for r in range(rows)), (rows, c)) for c in range(columns)]
    lines.append((tuple((r, columns) for r in range(rows)), grand))
    if rows_add_up:  # with several answers each, rows and choices do not add up to respondents
        lines += [(tuple((r, c) for c in range(columns)), (r, columns)) for r in range(rows)]
        lines.append((tuple((rows, c) for c in range(columns)), grand))
        lines.append((cells, grand))
    for index, group in enumerate(groups):  # a known sum: its total is a further column
        known = columns + 1 + index
        lines += [(tuple((r, c) for c in sorted(group)), (r, known)) for r in range(rows + 1)]
    return lines


def _small_lines(grid: _Grid, k: int) -> set[_Position]:
    """Rows and columns with totals under k (but not zero): their totals and non-zero cells."""
    rows, columns = len(grid) - 1, grid.columns
    small_rows = [r for r in range(rows) if 0 < grid[r][columns] < k]
    small_columns = [c for c in range(columns) if 0 < grid[rows][c] < k]
    whole = {(r, c) for r in small_rows for c in range(columns + 1)}
    whole |= {(r, c) for c in small_columns for r in range(rows + 1)}
    return {(r, c) for r, c in whole if grid[r][c]}


def _next_step(
    grid: _Grid,
    hidden: set[_Position],
    lines: list[_Line],
    labelled: set[Cell],
    k: int,
) -> tuple[str, _Position] | None:
    """("hide", a number) or ("unlabel", a "<k" cell) so that fewer hidden numbers are given
    away, or None when done. Give-aways are taken in turn, the cheapest to find first."""
    hideable = _hideable(grid, hidden, lines)
    # A relation whose only hidden number is that one pins it until it gets another: fixed
    # first, since hiding anything else leaves it; that may well free others too.
    for line in lines:
        if len(hidden.intersection(_positions(line))) == 1:
            companion = _companion(grid, hidden, lines, [line], hideable, anywhere=False)
            if companion is not None:
                return "hide", companion
    ranges = _ranges(grid, hidden, lines, labelled, k)
    pinned = [position for position, (least, most) in sorted(ranges.items()) if least == most]
    if pinned and (step := _unpinning(grid, hidden, lines, labelled, k, hideable, pinned)):
        return step
    for position in _determined(hidden, lines):
        around = [line for line in lines if position in _positions(line)]
        companion = _companion(grid, hidden, lines, around, hideable, anywhere=True)
        if companion is not None:
            return "hide", companion
    return None


def _unpinning(
    grid: _Grid,
    hidden: set[_Position],
    lines: list[_Line],
    labelled: set[Cell],
    k: int,
    hideable: set[_Position],
    pinned: list[_Position],
) -> tuple[str, _Position] | None:
    """The step towards freeing the first pinned range that can be freed, if any.

    Ranges only widen as labels are dropped and numbers hidden. If showing no "<k" would free
    it, a "<k" goes (it costs less than hiding a number): the nearest that frees it alone, else
    the nearest (several pin it together). Else, if hiding all that can be hidden as well would
    free it, a further number is hidden. Else it stays (see the module's guarantee), rather
    than numbers hidden for nothing.
    """
    unlabelled = _ranges(grid, hidden, lines, set(), k)
    relaxed = _ranges(grid, hidden | hideable, lines, set(), k)
    for position in pinned:
        around = [line for line in lines if position in _positions(line)]
        nearby = {p for line in around for p in _positions(line)}
        if _open(unlabelled[position]):
            labels = sorted(labelled, key=lambda cell: (cell not in nearby, cell))
            frees = (
                label
                for label in labels
                if label in nearby
                and _open(_ranges(grid, hidden, lines, labelled - {label}, k)[position])
            )
            return "unlabel", next(frees, labels[0])
        if _open(relaxed[position]):
            companion = _companion(grid, hidden, lines, around, hideable, anywhere=True)
            if companion is not None:
                return "hide", companion
    return None


def _open(bounds: tuple[float, float]) -> bool:
    """Whether a range holds more than one value."""
    return bounds[0] != bounds[1]


def _positions(line: _Line) -> tuple[_Position, ...]:
    """All the numbers of a relation, its total last."""
    members, total = line
    return (*members, total)


def _determined(hidden: set[_Position], lines: list[_Line]) -> list[_Position]:
    """The hidden numbers whose values follow from the relations by adding and subtracting."""
    unknowns = sorted(hidden)
    index = {position: i for i, position in enumerate(unknowns)}
    equations = []
    for members, total in lines:
        equation = [Fraction(0)] * len(unknowns)
        for member in members:
            if member in index:
                equation[index[member]] += 1
        if total in index:
            equation[index[total]] -= 1
        equations.append(equation)
    # The basis is fully reduced, so a unit vector lies in its span only if it is a basis row.
    return sorted(
        unknowns[pivot]
        for pivot, row in _reduced_basis(equations)
        if sum(1 for value in row if value) == 1
    )


def _reduced_basis(vectors: list[list[Fraction]]) -> list[tuple[int, list[Fraction]]]:
    """Gaussian elimination: (pivot column, row) pairs spanning the vectors, each row zero in
    the other rows' pivot columns."""
    basis: list[tuple[int, list[Fraction]]] = []
    for vector in vectors:
        reduced = _reduce(vector, basis)
        pivot = next((i for i, value in enumerate(reduced) if value), None)
        if pivot is None:
            continue
        reduced = [value / reduced[pivot] for value in reduced]
        basis = [
            (p, [a - row[pivot] * b for a, b in zip(row, reduced, strict=True)]) for p, row in basis
        ]
        basis.append((pivot, reduced))
    return basis


def _reduce(vector: list[Fraction], basis: list[tuple[int, list[Fraction]]]) -> list[Fraction]:
    """What is left of `vector` outside the span of `basis`."""
    left = list(vector)
    for pivot, row in basis:
        if left[pivot]:
            factor = left[pivot]
            left = [a - factor * b for a, b in zip(left, row, strict=True)]
    return left


def _ranges(
    grid: _Grid,
    hidden: set[_Position],
    lines: list[_Line],
    labelled: set[Cell],
    k: int,
) -> dict[_Position, tuple[float, float]]:
    """The range each hidden number can take, as far as bounds carried between relations tell.

    Starts from what a reader knows of each hidden number (at least 1, as zeros are never
    hidden; at most k - 1 if shown as "<k"); then each relation narrows each of its hidden
    numbers to what the others' ranges leave, until nothing changes. Sound (the true value
    stays in range), not complete. E.g. two hidden cells of a row adding up to 2 are both 1.
    """
    ranges: dict[_Position, tuple[float, float]] = {
        p: (1, k - 1 if p in labelled else math.inf) for p in hidden
    }
    narrowed = True
    while narrowed:
        narrowed = False
        for line in lines:
            narrowed = _narrow(grid, line, ranges) or narrowed
    return ranges


def _narrow(grid: _Grid, line: _Line, ranges: dict[_Position, tuple[float, float]]) -> bool:
    """Narrows each hidden number's range in `line` to what the others' leave; whether any did.

    In one pass over the line: the others' signed sum is the line's less the number's own
    (infinite ends counted apart, as infinity less infinity is undefined).
    """
    members, total = line
    parts = []
    for position, sign in [(member, 1) for member in members] + [(total, -1)]:
        value = grid[position[0]][position[1]]
        least, most = ranges.get(position, (value, value))
        parts.append((position, sign, least if sign > 0 else -most, most if sign > 0 else -least))
    lows = [low for _, _, low, _ in parts]
    highs = [high for _, _, _, high in parts]
    low_sum, open_lows = sum(x for x in lows if not math.isinf(x)), lows.count(-math.inf)
    high_sum, open_highs = sum(x for x in highs if not math.isinf(x)), highs.count(math.inf)
    narrowed = False
    for position, sign, low, high in parts:
        if position not in ranges:
            continue
        others_low = _less(low_sum, open_lows, low, -math.inf)
        others_high = _less(high_sum, open_highs, high, math.inf)
        # This number's signed value is minus the others' signed sum.
        least, most = ranges[position]
        within = (
            (max(least, -others_high), min(most, -others_low))
            if sign > 0
            else (max(least, others_low), min(most, others_high))
        )
        if within != (least, most):
            ranges[position] = within
            narrowed = True
    return narrowed


def _less(finite_sum: float, infinite_parts: int, part: float, infinity: float) -> float:
    """A sum less one of its parts, given the sum of its finite parts and how many are infinite
    (all of the sign of `infinity`)."""
    if math.isinf(part):
        return infinity if infinite_parts > 1 else finite_sum
    return infinity if infinite_parts else finite_sum - part


def _hideable(grid: _Grid, hidden: set[_Position], lines: list[_Line]) -> set[_Position]:
    """The shown numbers that may yet be hidden.

    Never a zero (it hides nothing) nor the grand total or a number that makes it up alone (the
    shown zeros beside it give it away).
    """
    corner = (len(grid) - 1, grid.columns)
    grand = grid[corner[0]][corner[1]]
    public = {corner} | {
        member
        for members, total in lines
        if total == corner
        for member in members
        if grid[member[0]][member[1]] == grand
    }
    everything = {(r, c) for r in range(len(grid)) for c in range(grid.columns + 1)}
    return {(r, c) for r, c in everything - hidden - public if grid[r][c]}


def _companion(
    grid: _Grid,
    hidden: set[_Position],
    lines: list[_Line],
    witnesses: list[_Line],
    hideable: set[_Position],
    *,
    anywhere: bool,
) -> _Position | None:
    """The number to hide next, from the witness relations (else anywhere, if allowed).

    Preferred: a number whose other relations already hold hidden numbers, which closes a cycle
    of hidden numbers (then no relation pins one down), then a cell before a total, then the
    smallest.
    """

    def cost(position: _Position) -> tuple[int, bool, int, _Position]:
        r, c = position
        fresh = sum(
            1
            for line in lines
            if position in _positions(line) and not hidden & set(_positions(line))
        )
        is_total = r == len(grid) - 1 or c == grid.columns
        return fresh, is_total, grid[r][c], position

    candidates = {p for line in witnesses for p in _positions(line)} & hideable
    if not candidates and anywhere:
        candidates = hideable
    return min(candidates, key=cost, default=None)


# --- the complete check ------------------------------------------------------------------------

# Search steps for one table's check; a check that needs more counts the rest as pinned (safe
# side). Tables of a few dozen hidden numbers need a few hundred.
SEARCH_STEPS = 20_000
# A relation over hidden numbers: (number, +1 or -1) terms adding up to a known constant.
_Equation = tuple[tuple[tuple[Hashable, int], ...], int]
_Domains = dict[Hashable, tuple[int, int]]


class _OutOfSteps(Exception):
    """The search took longer than a report may."""


@dataclass(frozen=True)
class System:
    """Numbers as a reader sees them: each number's true value by key, the relations between
    them (members adding up to a total), which are hidden, and which hidden ones show "<k".
    Tables that publish some of the same numbers are checked together as one system."""

    values: Mapping[Hashable, int]
    lines: Sequence[tuple[tuple[Hashable, ...], Hashable]]
    hidden: frozenset[Hashable]
    labelled: frozenset[Hashable]
    # Numbers no view publishes but relations tie to those it does (at least 0 each): `counts`
    # are counts of people, protected like hidden ones; `aids` only carry a relation.
    counts: frozenset[Hashable] = frozenset()
    aids: frozenset[Hashable] = frozenset()

    def joined(self, other: System, name: Hashable, same: Mapping[Hashable, Hashable]) -> System:
        """This system and `other` as one: `other`'s numbers are renamed (name, key), but for
        those `same` maps to a number of this system (one number published in both)."""

        def key(number: Hashable) -> Hashable:
            return same.get(number, (name, number))

        return System(
            {**self.values, **{key(n): v for n, v in other.values.items()}},
            [*self.lines, *(((*map(key, m),), key(t)) for m, t in other.lines)],
            self.hidden | {key(n) for n in other.hidden},
            self.labelled | {key(n) for n in other.labelled},
            self.counts | {key(n) for n in other.counts},
            self.aids | {key(n) for n in other.aids},
        )


def pinned(system: System, k: int) -> set[Hashable]:
    """The hidden numbers that take one value only among the whole-number tables a reader
    cannot tell from the true one: every shown number as shown, each "<k" from 1 to k - 1, each
    other hidden number at least 1 (zeros are never hidden) and none above the largest number.

    Hidden numbers that no relation joins are searched apart. For each number not yet seen to
    take another value, a search looks for a table where it is smaller, then larger; every
    table found frees the numbers it changes. When the steps run out, whatever is not yet
    freed counts as pinned."""
    unknown = set(system.hidden | system.counts | system.aids)
    truth = {number: system.values[number] for number in unknown}
    # No count of people exceeds the largest published one; a sum of ticks may, up to all.
    bound = max((v for n, v in system.values.items() if n not in system.aids), default=0)
    domains = {n: (1, k - 1 if n in system.labelled else bound) for n in system.hidden}
    domains |= dict.fromkeys(system.counts, (0, bound))
    domains |= dict.fromkeys(system.aids, (0, sum(system.values.values())))
    protected = set(system.hidden) | {n for n in system.counts if 0 < truth[n] < k}
    if not protected:  # nothing hidden and nothing small: a large survey's usual table
        return set()
    equations = _equations(system)
    free: set[Hashable] = set()
    steps = [SEARCH_STEPS]
    try:
        for component in _components(unknown, equations):
            local = [eq for eq in equations if eq[0] and eq[0][0][0] in component]
            for number in sorted(component & protected, key=repr):
                least, most = domains[number]
                for wanted in ((least, truth[number] - 1), (truth[number] + 1, most)):
                    if number in free or wanted[0] > wanted[1]:
                        continue
                    found = _solve({**domains, number: wanted}, local, steps, truth)
                    if found is not None:
                        free |= {n for n, value in found.items() if value != truth[n]}
    except _OutOfSteps:
        pass
    return protected - free


def _equations(system: System) -> list[_Equation]:
    """Each relation with an unknown number, as its unknown terms and the constant they make."""
    unknowns = system.hidden | system.counts | system.aids
    equations = []
    for members, total in system.lines:
        terms = [(member, 1) for member in members] + [(total, -1)]
        unknown = tuple((n, sign) for n, sign in terms if n in unknowns)
        if unknown:
            known = sum(sign * system.values[n] for n, sign in terms if n not in unknowns)
            equations.append((unknown, -known))
    return equations


def _components(hidden: set[Hashable], equations: list[_Equation]) -> list[set[Hashable]]:
    """The hidden numbers in groups that relations join."""
    parent = {number: number for number in hidden}

    def root(position: Hashable) -> Hashable:
        while parent[position] != position:
            parent[position] = parent[parent[position]]
            position = parent[position]
        return position

    for terms, _ in equations:
        for (position, _), (other, _) in itertools.pairwise(terms):
            parent[root(position)] = root(other)
    groups: dict[Hashable, set[Hashable]] = {}
    for number in hidden:
        groups.setdefault(root(number), set()).add(number)
    return sorted(groups.values(), key=lambda group: min(map(repr, group)))


def _solve(
    domains: _Domains, equations: list[_Equation], steps: list[int], near: Mapping[Hashable, int]
) -> dict[Hashable, int] | None:
    """Values within `domains` meeting every equation, if there are any, as single-value
    domains' values: depth first on the narrowest open range, its value in `near` first (the
    true values: a table that differs little is the likeliest), else halving it."""
    steps[0] -= 1
    if steps[0] < 0:
        raise _OutOfSteps
    narrowed = _propagate(dict(domains), equations)
    if narrowed is None:
        return None
    open_ = [p for p, (least, most) in narrowed.items() if least < most]
    if not open_:
        return {p: least for p, (least, _) in narrowed.items()}
    branch = min(open_, key=lambda p: (narrowed[p][1] - narrowed[p][0], repr(p)))
    least, most = narrowed[branch]
    guess = near[branch]
    if least <= guess <= most:  # its true value first, then the rest on either side
        parts = [(guess, guess), (least, guess - 1), (guess + 1, most)]
    else:
        middle = (least + most) // 2
        parts = [(least, middle), (middle + 1, most)]
    for part in parts:
        if part[0] <= part[1]:
            found = _solve({**narrowed, branch: part}, equations, steps, near)
            if found is not None:
                return found
    return None


def _propagate(domains: _Domains, equations: list[_Equation]) -> _Domains | None:
    """Narrow each number's range to what each equation leaves it, until nothing changes;
    None when an equation cannot be met."""
    changed = True
    while changed:
        changed = False
        for terms, constant in equations:
            spans = [_signed(domains[p], sign) for p, sign in terms]
            low, high = sum(a for a, _ in spans), sum(b for _, b in spans)
            if low > constant or high < constant:
                return None
            for (position, sign), (own_low, own_high) in zip(terms, spans, strict=True):
                # this term's signed value is the constant less the others'
                least, most = constant - (high - own_high), constant - (low - own_low)
                if sign < 0:
                    least, most = -most, -least
                current = domains[position]
                within = (max(current[0], least), min(current[1], most))
                if within[0] > within[1]:
                    return None
                if within != current:
                    domains[position] = within
                    changed = True
            if changed:
                break
    return domains


def _signed(bounds: tuple[int, int], sign: int) -> tuple[int, int]:
    """The range of sign * x for x in `bounds`."""
    return bounds if sign > 0 else (-bounds[1], -bounds[0])
