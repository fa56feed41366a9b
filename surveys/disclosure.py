"""Small-cell suppression for breakdown tables, so that no published number exposes a few people.

A breakdown table counts respondents by a breakdown value (rows, e.g. regions) and an answer
option (columns), and is published with its row totals (respondents per region) and column
totals (respondents per option, as the overall report shows them). A cell counting fewer than
k people (but not zero) is hidden: primary suppression. That is not enough on its own: a hidden
cell that is the only hidden one in its row equals the row total minus the shown cells. So more
cells are hidden (secondary suppression) until no hidden cell is determined by what is shown:
no hidden cell's value follows from the published totals and cells by adding and subtracting.

Exactly: treating hidden cells as unknowns and each published total as a linear equation over
the unknowns of its line, a cell is determined when its unit vector lies in the span of those
equations. This module decides that with exact rational elimination. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

Cell = tuple[int, int]


@dataclass(frozen=True)
class Suppressed:
    """What of a table may be published: hidden cells, and totals that must go too.

    `too_few`: fewer than k responded in all, so only that fact may be published.
    """

    hidden: frozenset[Cell]
    hidden_row_totals: frozenset[int]
    hidden_column_totals: frozenset[int]
    too_few: bool = False


def suppress(
    table: Sequence[Sequence[int]], k: int, *, rows_sum_to_totals: bool = True
) -> Suppressed:
    """Hide what must be hidden in `table` (rows by columns of counts) for groups of `k`.

    `rows_sum_to_totals` is False for questions with several answers per respondent (multi),
    where a row's cells do not add up to its published total; the column totals still do.
    A row or column whose total is under k is hidden whole, with its total. The grand total
    is taken as published (the report states how many responded).
    """
    rows, columns = len(table), len(table[0]) if table else 0
    if sum(map(sum, table)) < k:  # too few respondents in all: nothing but that fact is shown
        everything = {(r, c) for r in range(rows) for c in range(columns) if table[r][c]}
        return Suppressed(
            frozenset(everything), frozenset(range(rows)), frozenset(range(columns)), too_few=True
        )
    row_totals = [sum(row) for row in table]
    column_totals = [sum(table[r][c] for r in range(rows)) for c in range(columns)]
    hidden = {(r, c) for r in range(rows) for c in range(columns) if 0 < table[r][c] < k}
    hidden_rows = {r for r in range(rows) if 0 < row_totals[r] < k}
    hidden_columns = {c for c in range(columns) if 0 < column_totals[c] < k}
    hidden |= {(r, c) for r in hidden_rows for c in range(columns) if table[r][c]}
    hidden |= {(r, c) for c in hidden_columns for r in range(rows) if table[r][c]}
    while True:
        published_rows = [r for r in range(rows) if rows_sum_to_totals and r not in hidden_rows]
        published_columns = [c for c in range(columns) if c not in hidden_columns]
        equations = _equations(hidden, published_rows, published_columns)
        exposed_cells = _determined(hidden, [cells for _, _, cells in equations])
        if not exposed_cells:
            return Suppressed(frozenset(hidden), frozenset(hidden_rows), frozenset(hidden_columns))
        exposed = exposed_cells[0]
        companion = _companion(table, exposed_cells, hidden)
        if companion is not None:
            hidden.add(companion)
            continue
        # Nothing left to hide beside it: stop publishing a total that gives it away.
        row_equations = rows_sum_to_totals and exposed[0] not in hidden_rows
        if row_equations:
            hidden_rows.add(exposed[0])
        elif exposed[1] not in hidden_columns:
            hidden_columns.add(exposed[1])
        else:
            # With the grand total at least k, a row or column equation is left (see the tests).
            kind, index, _ = next(line for line in equations if line[0] != "grand")
            (hidden_rows if kind == "row" else hidden_columns).add(index)


def _equations(
    hidden: set[Cell], published_rows: list[int], published_columns: list[int]
) -> list[tuple[str, int, set[Cell]]]:
    """For each published total, the hidden cells it adds up (their sum is then known):
    ("grand", 0, cells) first (the grand total is always published), then rows and columns."""
    lines = [("grand", 0, set(hidden))]
    lines += [("row", r, {cell for cell in hidden if cell[0] == r}) for r in published_rows]
    lines += [("column", c, {cell for cell in hidden if cell[1] == c}) for c in published_columns]
    return [line for line in lines if line[2]]


def _determined(hidden: set[Cell], equations: list[set[Cell]]) -> list[Cell]:
    """The hidden cells whose values follow from the equations."""
    cells = sorted(hidden)
    basis = _reduced_basis([[Fraction(int(cell in line)) for cell in cells] for line in equations])
    determined = []
    for index, cell in enumerate(cells):
        unit = [Fraction(int(i == index)) for i in range(len(cells))]
        if not any(_reduce(unit, basis)):
            determined.append(cell)
    return determined


def _reduced_basis(vectors: list[list[Fraction]]) -> list[tuple[int, list[Fraction]]]:
    """Gaussian elimination: (pivot column, row) pairs spanning the vectors."""
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


def _companion(
    table: Sequence[Sequence[int]], exposed: list[Cell], hidden: set[Cell]
) -> Cell | None:
    """The shown cell to hide next, or None when no non-zero cell is left (a zero hides nothing).

    Looked for in the lines of the exposed cells first, else anywhere (the grand total ties all
    cells). Preferred: a cell whose row and column already hold hidden cells, which closes a
    cycle of hidden cells (then no line total pins one down), then the smallest.
    """
    everywhere = [(r, c) for r in range(len(table)) for c in range(len(table[0]))]
    rows_hiding = {r for r, _ in hidden}
    columns_hiding = {c for _, c in hidden}
    in_line = [(r, c) for r, c in everywhere if any(r == er or c == ec for er, ec in exposed)]
    for candidates in (in_line, everywhere):
        shown = [
            ((r not in rows_hiding) + (c not in columns_hiding), table[r][c], (r, c))
            for r, c in candidates
            if (r, c) not in hidden and table[r][c]
        ]
        if shown:
            return min(shown)[2]
    return None
