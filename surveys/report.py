"""Report maths: the figures a summary shows for each kind of question. Pure.

Inputs are counts and values already aggregated from storage; outputs are small records that
`surveys.summary` puts into reports. Which figures may be shown at all is decided there, with
`surveys.disclosure`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

BAR_WIDTH = 10


def bar(share: float, width: int = BAR_WIDTH) -> str:
    """A share as a text bar, e.g. 0.42 -> '████░░░░░░'."""
    filled = int(min(max(share, 0.0), 1.0) * width + 0.5)  # halves round up, always
    return "█" * filled + "░" * (width - filled)


@dataclass(frozen=True)
class ScaleSummary:
    """A scale question: how many answered, their mean, and the count at every point."""

    answered: int
    mean: float | None
    distribution: list[tuple[int, int]]


def scale_summary(points: Sequence[int], counts: Mapping[int, int]) -> ScaleSummary:
    """Mean and distribution over the scale's points (points nobody chose count 0)."""
    answered = sum(counts.get(point, 0) for point in points)
    total = sum(point * counts.get(point, 0) for point in points)
    return ScaleSummary(
        answered,
        total / answered if answered else None,
        [(point, counts.get(point, 0)) for point in points],
    )


@dataclass(frozen=True)
class NumberSummary:
    """A number question: how many answered, and the quartiles of their answers."""

    answered: int
    lower_quartile: float | None
    median: float | None
    upper_quartile: float | None

    def quartiles(self) -> tuple[float, float, float] | None:
        """Lower quartile, median and upper quartile; None when nobody answered."""
        if self.lower_quartile is None or self.median is None or self.upper_quartile is None:
            return None
        return self.lower_quartile, self.median, self.upper_quartile


def number_summary(counts: Iterable[tuple[float, int]]) -> NumberSummary:
    """Median and quartiles of answers given as (value, how many gave it).

    Inclusive method, as `statistics.quantiles(..., method="inclusive")` on the answers one by
    one: the quartiles lie within the answers. Counted, so a million answers cost no more than
    their distinct values.
    """
    ordered = sorted((value, count) for value, count in counts if count > 0)
    answered = sum(count for _, count in ordered)
    if not answered:
        return NumberSummary(0, None, None, None)
    lower, median, upper = (_quantile(ordered, (answered - 1) * q / 4) for q in (1, 2, 3))
    return NumberSummary(answered, lower, median, upper)


def _quantile(ordered: Sequence[tuple[float, int]], position: float) -> float:
    """The value at a fractional position of the answers in order, interpolated."""
    below = int(position)
    low, high = _nth(ordered, below), _nth(ordered, below + 1)
    return low + (high - low) * (position - below) if position > below else low


def _nth(ordered: Sequence[tuple[float, int]], index: int) -> float:
    """The index-th answer (0-based) in order; the last one past the end."""
    seen = 0
    for value, count in ordered:
        seen += count
        if index < seen:
            return value
    return ordered[-1][0]


def completion_rate(started: int, completed: int) -> float | None:
    """Completed responses as a share of started ones (None before any started)."""
    return completed / started if started else None


FIRST_MILESTONES = (10, 50, 100, 250, 500, 1000)
MILESTONE_STEP = 1000  # after the first ones, every further thousand


def milestone(completed: int) -> int | None:
    """The highest milestone of completed responses reached, None before the first.

    Announcing the highest one reached (rather than only an exact hit) means none is missed
    when two responses complete at once."""
    if completed < FIRST_MILESTONES[0]:
        return None
    if completed < FIRST_MILESTONES[-1]:
        return max(m for m in FIRST_MILESTONES if m <= completed)
    return completed // MILESTONE_STEP * MILESTONE_STEP
