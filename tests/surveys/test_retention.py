"""Retention rules: when a survey closed, and when its responses must lose their members."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.model import Survey
from surveys.retention import closed_on, unlink_due

CLOSES = dt.date(2025, 3, 31)
LAST_ACTIVITY = dt.date(2025, 2, 14)
RETENTION = 730


def survey(**header: Any) -> Survey:
    return Survey.model_validate(
        {
            "id": "s",
            "title": "S",
            "intro": "Hello",
            "questions": [{"id": "q", "type": "yesno", "text": "Yes?"}],
            **header,
        }
    )


# --- closed_on --------------------------------------------------------------------------------


def test_a_loaded_survey_closes_on_its_closing_date_whatever_its_last_activity():
    assert closed_on(survey(closes=CLOSES), LAST_ACTIVITY) == CLOSES
    assert closed_on(survey(closes=CLOSES), CLOSES + dt.timedelta(days=9)) == CLOSES


def test_a_loaded_survey_without_a_closing_date_is_never_closed():
    assert closed_on(survey(), LAST_ACTIVITY) is None
    assert closed_on(survey(opens=dt.date(2020, 1, 1)), dt.date(2020, 1, 2)) is None


def test_a_survey_no_longer_loaded_closed_with_its_last_activity():
    assert closed_on(None, LAST_ACTIVITY) == LAST_ACTIVITY


# --- unlink_due -------------------------------------------------------------------------------


def test_exactly_the_retention_after_closing_is_not_yet_due_and_a_day_more_is():
    on_the_day = CLOSES + dt.timedelta(days=RETENTION)

    assert not unlink_due(CLOSES, on_the_day, RETENTION)
    assert unlink_due(CLOSES, on_the_day + dt.timedelta(days=1), RETENTION)


@pytest.mark.parametrize("days_after", [-30, -1, 0, 1, 364, 729, 730])
def test_not_due_within_the_retention(days_after):
    assert not unlink_due(CLOSES, CLOSES + dt.timedelta(days=days_after), RETENTION)


@pytest.mark.parametrize("days_after", [731, 732, 5000])
def test_due_after_the_retention(days_after):
    assert unlink_due(CLOSES, CLOSES + dt.timedelta(days=days_after), RETENTION)


def test_with_no_retention_a_survey_is_due_the_day_after_it_closed():
    assert not unlink_due(CLOSES, CLOSES, 0)
    assert unlink_due(CLOSES, CLOSES + dt.timedelta(days=1), 0)


def test_an_open_ended_survey_is_never_due():
    assert not unlink_due(None, dt.date(2999, 12, 31), 0)
    assert not unlink_due(closed_on(survey(), LAST_ACTIVITY), dt.date(2999, 12, 31), RETENTION)


def test_a_survey_with_a_closing_date_in_the_future_is_not_due():
    future = survey(closes=dt.date(2030, 1, 1))
    assert not unlink_due(closed_on(future, LAST_ACTIVITY), dt.date(2026, 1, 1), 0)


def test_a_removed_survey_is_due_the_retention_after_its_last_activity():
    closed = closed_on(None, LAST_ACTIVITY)
    on_the_day = LAST_ACTIVITY + dt.timedelta(days=RETENTION)

    assert not unlink_due(closed, on_the_day, RETENTION)
    assert unlink_due(closed, on_the_day + dt.timedelta(days=1), RETENTION)


def test_a_loaded_survey_goes_by_its_closing_date_not_its_last_activity():
    # activity long ago, but the survey closed recently: not due yet
    long_ago = CLOSES - dt.timedelta(days=3 * RETENTION)
    today = CLOSES + dt.timedelta(days=RETENTION)
    assert not unlink_due(closed_on(survey(closes=CLOSES), long_ago), today, RETENTION)
    assert unlink_due(closed_on(None, long_ago), today, RETENTION)


@settings(max_examples=100, deadline=None)
@given(
    closed=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)),
    retention=st.integers(min_value=0, max_value=5000),
    after=st.integers(min_value=-1000, max_value=10000),
)
def test_due_exactly_when_more_days_than_the_retention_have_passed(closed, retention, after):
    today = closed + dt.timedelta(days=after)
    assert unlink_due(closed, today, retention) == (after > retention)
