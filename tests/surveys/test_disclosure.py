"""Small-cell suppression: what is shown never gives away a hidden cell."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.disclosure import Suppressed, suppress


def published(table: list[list[int]], result: Suppressed, rows_sum: bool) -> dict:
    """Everything an organiser sees: shown cells and totals."""
    rows, columns = len(table), len(table[0])
    return {
        "cells": {
            (r, c): table[r][c]
            for r in range(rows)
            for c in range(columns)
            if (r, c) not in result.hidden
        },
        "rows": {
            r: sum(table[r]) for r in range(rows) if rows_sum and r not in result.hidden_row_totals
        },
        "columns": {
            c: sum(row[c] for row in table)
            for c in range(columns)
            if c not in result.hidden_column_totals
        },
        "grand": sum(map(sum, table)),
    }


def tables_consistent_with(
    shown: dict, rows: int, columns: int, hidden: list[tuple[int, int]]
) -> Iterator[dict]:
    """Every table of non-negative counts an organiser could not tell from the real one.

    Fills the hidden cells one by one, each at most what its published totals leave over, and
    the last hidden cell of a published line exactly what that line leaves over.
    """
    left = {("grand",): shown["grand"] - sum(shown["cells"].values())}
    for r, total in shown["rows"].items():
        left[("row", r)] = total - sum(v for (rr, _), v in shown["cells"].items() if rr == r)
    for c, total in shown["columns"].items():
        left[("column", c)] = total - sum(v for (_, cc), v in shown["cells"].items() if cc == c)
    last = {}
    for index, (r, c) in enumerate(hidden):
        last[("row", r)] = last[("column", c)] = index  # overwritten: the last one wins
        last[("grand",)] = index

    def fill(index: int, values: dict) -> Iterator[dict]:
        if index == len(hidden):
            if not any(left.values()):
                yield dict(values)
            return
        r, c = hidden[index]
        lines = [line for line in (("grand",), ("row", r), ("column", c)) if line in left]
        most = min(left[line] for line in lines)
        forced = {left[line] for line in lines if last[line] == index}
        choices = forced if forced else range(most + 1)
        for value in choices:
            if value < 0 or value > most:
                continue
            for line in lines:
                left[line] -= value
            values[(r, c)] = value
            yield from fill(index + 1, values)
            for line in lines:
                left[line] += value
        values.pop((r, c), None)

    yield from fill(0, {})


small_tables = st.integers(1, 3).flatmap(
    lambda rows: st.integers(2, 3).flatmap(
        lambda columns: st.lists(
            st.lists(st.integers(0, 4), min_size=columns, max_size=columns),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(small_tables, st.integers(2, 5), st.booleans())
def test_no_hidden_cell_can_be_worked_out_from_what_is_shown(table, k, rows_sum) -> None:
    result = suppress(table, k, rows_sum_to_totals=rows_sum)
    if result.too_few:  # then only "fewer than k responses" is published
        assert sum(map(sum, table)) < k
        return
    shown = published(table, result, rows_sum)
    hidden = sorted(result.hidden)
    possible: dict[tuple[int, int], set[int]] = {cell: set() for cell in hidden}
    for candidate in tables_consistent_with(shown, len(table), len(table[0]), hidden):
        for cell, value in candidate.items():
            possible[cell].add(value)

    for cell in hidden:
        assert len(possible[cell]) > 1, (table, k, cell, possible[cell])


@given(small_tables, st.integers(2, 5))
def test_every_small_non_zero_cell_is_hidden(table, k) -> None:
    result = suppress(table, k)
    for r, row in enumerate(table):
        for c, count in enumerate(row):
            if 0 < count < k:
                assert (r, c) in result.hidden


def test_a_table_of_large_cells_is_shown_whole() -> None:
    assert suppress([[10, 20], [30, 40]], 5) == Suppressed(frozenset(), frozenset(), frozenset())


def test_a_lone_small_cell_takes_the_smallest_neighbours_with_it() -> None:
    table = [[3, 20, 9], [30, 40, 50], [12, 60, 70]]

    hidden = suppress(table, 5).hidden

    # (0, 0) alone would equal its row total minus 29: the smallest cells of its row and
    # column (9 and 12) go with it, and the cell closing their rectangle, nothing more.
    assert hidden == {(0, 0), (0, 2), (2, 0), (2, 2)}


# Known gaps, found in review and to be closed with the organiser reports (issue 3), before any
# table is published. Each test states the protection wanted; strict, so a fix shows up.
GAP = pytest.mark.xfail(strict=True, reason="known gap of the linear check, see the test")


@GAP
@pytest.mark.parametrize("table", [[[1, 1, 10], [1, 1, 10], [10, 10, 10]], [[20, 20], [1, 1]]])
def test_hidden_cells_stay_unknown_when_readers_know_shown_zeros_mean_hidden_ones_are_positive(
    table,
) -> None:
    """Zeros are never hidden, so a reader knows each hidden cell is at least 1: in the first
    table each row's two hidden cells add up to 2, so all four are 1."""
    result = suppress(table, 5)
    shown = published(table, result, True)
    hidden = sorted(result.hidden)
    possible: dict[tuple[int, int], set[int]] = {cell: set() for cell in hidden}
    for candidate in tables_consistent_with(shown, len(table), len(table[0]), hidden):
        if min(candidate.values()) >= 1:
            for cell, value in candidate.items():
                possible[cell].add(value)

    assert all(len(values) > 1 for values in possible.values()), possible


@GAP
def test_a_hidden_row_total_cannot_be_worked_out_from_the_others() -> None:
    """A region of 2 respondents: its total is hidden, but the grand total minus the other
    rows gives it."""
    table = [[20, 20], [1, 1]]
    result = suppress(table, 5)
    shown = published(table, result, True)
    hidden = sorted(result.hidden)
    totals = {
        candidate[(1, 0)] + candidate[(1, 1)]
        for candidate in tables_consistent_with(shown, 2, 2, hidden)
    }

    assert len(totals) > 1, totals
