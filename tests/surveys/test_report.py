"""Report maths: shares, bars, scale means, number quartiles, completion."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys.report import (
    NumberSummary,
    ScaleSummary,
    bar,
    completion_rate,
    number_summary,
    scale_summary,
)


@pytest.mark.parametrize(
    ("share", "drawn"),
    [
        (0.0, "░░░░░░░░░░"),
        (0.42, "████░░░░░░"),
        (0.45, "█████░░░░░"),
        (0.65, "███████░░░"),
        (1.0, "██████████"),
    ],
)
def test_a_bar_draws_the_share_in_tenths(share, drawn) -> None:
    assert bar(share) == drawn


@given(st.floats(min_value=-1, max_value=2, allow_nan=False), st.integers(1, 40))
def test_a_bar_is_always_its_width(share, width) -> None:
    assert len(bar(share, width)) == width


def test_scale_mean_and_every_point_in_order() -> None:
    summary = scale_summary([1, 2, 3, 4, 5], {1: 2, 4: 3, 5: 5})

    assert summary == ScaleSummary(10, (2 + 12 + 25) / 10, [(1, 2), (2, 0), (3, 0), (4, 3), (5, 5)])


def test_a_scale_nobody_answered_has_no_mean() -> None:
    assert scale_summary([0, 1], {}).mean is None


def one_each(values: list[float]) -> list[tuple[float, int]]:
    return [(value, 1) for value in values]


def test_number_quartiles_use_the_inclusive_method() -> None:
    assert number_summary(one_each([1, 2, 3, 4, 5, 6, 7, 8, 9])) == NumberSummary(9, 3, 5, 7)
    assert number_summary([(10, 1)]) == NumberSummary(1, 10, 10, 10)
    assert number_summary([]) == NumberSummary(0, None, None, None)


def test_counted_answers_give_the_quartiles_of_the_answers_one_by_one() -> None:
    assert number_summary([(30, 3), (20, 2), (40, 1)]) == NumberSummary(6, 22.5, 30, 30)


@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=60))
def test_quartiles_match_the_standard_library_on_answers_counted_or_not(values) -> None:
    counted = number_summary(Counter(values).items())
    expected = (
        statistics.quantiles(values, n=4, method="inclusive")
        if len(values) > 1
        else [values[0]] * 3
    )

    assert counted == number_summary(one_each(values))
    assert [counted.lower_quartile, counted.median, counted.upper_quartile] == pytest.approx(
        expected
    )
    assert counted.median == statistics.median(values)


def test_completion_rate_is_of_started_responses() -> None:
    assert completion_rate(8, 6) == 0.75
    assert completion_rate(0, 0) is None
