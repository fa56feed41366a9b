"""When bulk messages may go out: quiet hours (also on the nights the clocks change), reminders
and retries. Pure rules over moments handed in; no clock is read or patched."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.schedule import (
    MAX_SEND_ATTEMPTS,
    RETRY_DELAYS,
    QuietHours,
    reminder_window,
    retry_at,
)

LONDON = ZoneInfo("Europe/London")
NIGHT = QuietHours(dt.time(21), dt.time(9))  # the default of DOORSTEP_QUIET_HOURS


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


def london(*parts: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=LONDON, fold=fold)


# --- quiet hours -------------------------------------------------------------------------------


def test_a_window_that_starts_where_it_ends_is_refused() -> None:
    with pytest.raises(ValueError, match="starts and ends at 09:00"):
        QuietHours(dt.time(9), dt.time(9))


@pytest.mark.parametrize(
    ("wall", "quiet"),
    [
        (dt.time(20, 59, 59), False),
        (dt.time(21), True),
        (dt.time(23, 59), True),
        (dt.time(0), True),
        (dt.time(8, 59, 59), True),
        (dt.time(9), False),
        (dt.time(12), False),
    ],
)
def test_a_window_across_midnight_holds_from_its_start_up_to_its_end(
    wall: dt.time, quiet: bool
) -> None:
    moment = dt.datetime.combine(dt.date(2026, 6, 10), wall, tzinfo=LONDON)
    assert NIGHT.contains(moment, LONDON) is quiet


@pytest.mark.parametrize(
    ("wall", "quiet"),
    [(dt.time(12, 59), False), (dt.time(13), True), (dt.time(13, 59), True), (dt.time(14), False)],
)
def test_a_window_within_one_day_holds_from_its_start_up_to_its_end(
    wall: dt.time, quiet: bool
) -> None:
    lunch = QuietHours(dt.time(13), dt.time(14))
    assert lunch.contains(dt.datetime.combine(dt.date(2026, 6, 10), wall, LONDON), LONDON) is quiet


def test_quiet_hours_are_read_on_the_wall_clock_of_the_zone() -> None:
    # 20:30 UTC in June is 21:30 in London (BST): quiet there, not in UTC.
    assert NIGHT.contains(utc(2026, 6, 10, 20, 30), LONDON)
    assert not NIGHT.contains(utc(2026, 6, 10, 20, 30), dt.UTC)


def test_a_moment_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        NIGHT.contains(dt.datetime(2026, 6, 10, 22), LONDON)
    with pytest.raises(ValueError, match="no time zone"):
        NIGHT.next_allowed(dt.datetime(2026, 6, 10, 22), LONDON)


def test_outside_quiet_hours_a_message_may_go_now() -> None:
    moment = london(2026, 6, 10, 12, 0, 0)
    assert NIGHT.next_allowed(moment, LONDON) == moment
    assert NIGHT.next_allowed(moment, LONDON).tzinfo is dt.UTC


def test_in_the_evening_a_message_waits_for_the_next_morning() -> None:
    assert NIGHT.next_allowed(london(2026, 6, 10, 22, 15), LONDON) == london(2026, 6, 11, 9)


def test_after_midnight_a_message_waits_for_the_same_morning() -> None:
    assert NIGHT.next_allowed(london(2026, 6, 11, 3, 0), LONDON) == london(2026, 6, 11, 9)


def test_on_the_night_the_clocks_go_forward_the_window_is_an_hour_shorter() -> None:
    # 29 March 2026: at 01:00 GMT London's clocks go forward to 02:00 BST.
    evening = london(2026, 3, 28, 21)
    morning = NIGHT.next_allowed(evening, LONDON)

    assert morning == london(2026, 3, 29, 9) == utc(2026, 3, 29, 8)
    assert morning - evening == dt.timedelta(hours=11)
    assert NIGHT.next_allowed(utc(2026, 3, 29, 1, 30), LONDON) == morning  # after the change


def test_on_the_night_the_clocks_go_back_the_window_is_an_hour_longer() -> None:
    # 25 October 2026: at 02:00 BST London's clocks go back to 01:00 GMT.
    evening = london(2026, 10, 24, 21)
    morning = NIGHT.next_allowed(evening, LONDON)

    assert morning == london(2026, 10, 25, 9) == utc(2026, 10, 25, 9)
    assert morning - evening == dt.timedelta(hours=13)
    # 01:30 comes twice that night; quiet both times.
    assert NIGHT.next_allowed(london(2026, 10, 25, 1, 30, fold=1), LONDON) == morning


def test_a_window_ending_in_the_hour_the_clocks_skip_ends_when_they_skip_it() -> None:
    # 01:30 never happens on 29 March 2026: at 01:00 GMT the clock reads 02:00 BST.
    late = QuietHours(dt.time(22), dt.time(1, 30))
    assert late.next_allowed(london(2026, 3, 28, 23), LONDON) == utc(2026, 3, 29, 1)


def test_a_window_ending_in_the_hour_that_comes_twice_ends_the_first_time() -> None:
    early = QuietHours(dt.time(0), dt.time(1, 30))
    # 00:15 BST: the window ends at 01:30 BST (00:30 UTC) ...
    assert early.next_allowed(utc(2026, 10, 24, 23, 15), LONDON) == utc(2026, 10, 25, 0, 30)
    # ... and, the clock back at 01:00 GMT, holds again until 01:30 GMT.
    assert early.contains(utc(2026, 10, 25, 1, 10), LONDON)
    assert early.next_allowed(utc(2026, 10, 25, 1, 10), LONDON) == utc(2026, 10, 25, 1, 30)


def test_a_window_the_clocks_go_back_out_of_ends_when_they_go_back() -> None:
    # 01:30-03:00: at 01:45 BST (00:45 UTC) quiet; at 01:00 UTC the clock reads 01:00 GMT.
    small_hours = QuietHours(dt.time(1, 30), dt.time(3))
    assert small_hours.next_allowed(utc(2026, 10, 25, 0, 45), LONDON) == utc(2026, 10, 25, 1)


# Zones with DST changes of an hour (London, New York, Santiago in the south) and of half an hour
# (Lord Howe), and zones without them.
ZONES = [
    ZoneInfo(name)
    for name in [
        "Europe/London",
        "America/New_York",
        "America/Santiago",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "UTC",
    ]
]
# Instants at which some of those zones change their clocks in 2026, to draw moments near them.
DST_CHANGES = {
    utc(2026, 3, 29, 1): "Europe/London",  # forward
    utc(2026, 10, 25, 1): "Europe/London",  # back
    utc(2026, 3, 8, 7): "America/New_York",  # forward
    utc(2026, 11, 1, 6): "America/New_York",  # back
    utc(2026, 4, 4, 15): "Australia/Lord_Howe",  # back half an hour
    utc(2026, 10, 3, 15, 30): "Australia/Lord_Howe",  # forward half an hour
}

wall_times = st.builds(dt.time, st.integers(0, 23), st.integers(0, 59))
any_moment = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 1, 1), timezones=st.just(dt.UTC)
)
near_a_dst_change = st.builds(
    lambda change, seconds: change + dt.timedelta(seconds=seconds),
    st.sampled_from(sorted(DST_CHANGES)),
    st.integers(-36 * 3600, 36 * 3600),
)
moments = st.one_of(any_moment, near_a_dst_change)


@st.composite
def quiet_hours(draw: st.DrawFn) -> QuietHours:
    start = draw(wall_times)
    end = draw(wall_times.filter(lambda end: end != start))
    return QuietHours(start, end)


@pytest.mark.parametrize(("change", "zone"), DST_CHANGES.items())
def test_the_dst_changes_drawn_near_are_dst_changes(change: dt.datetime, zone: str) -> None:
    just_before = change - dt.timedelta(microseconds=1)
    assert just_before.astimezone(ZoneInfo(zone)).utcoffset() != (
        change.astimezone(ZoneInfo(zone)).utcoffset()
    )


@given(quiet_hours(), moments, st.sampled_from(ZONES), st.floats(0, 1, exclude_max=True))
@example(NIGHT, utc(2026, 3, 28, 21), LONDON, 0.5)
@example(QuietHours(dt.time(22), dt.time(1, 30)), utc(2026, 3, 28, 23), LONDON, 0.99)
def test_next_allowed_is_the_first_moment_outside_quiet_hours(
    window: QuietHours, moment: dt.datetime, zone: ZoneInfo, fraction: float
) -> None:
    allowed = window.next_allowed(moment, zone)

    assert allowed >= moment
    assert not window.contains(allowed, zone)
    assert window.next_allowed(allowed, zone) == allowed
    # A window is under a day of wall-clock time; a DST change adds at most an hour here.
    assert allowed - moment <= dt.timedelta(hours=25)
    if allowed > moment:  # quiet all the way until then
        assert window.contains(moment, zone)
        just_before = allowed - dt.timedelta(microseconds=1)
        assert window.contains(just_before, zone)
        # (Multiplying a timedelta rounds to a microsecond, possibly up to `allowed` itself.)
        assert window.contains(min(moment + (allowed - moment) * fraction, just_before), zone)


@given(quiet_hours(), moments, st.sampled_from(ZONES))
def test_a_window_and_its_complement_take_turns(
    window: QuietHours, moment: dt.datetime, zone: ZoneInfo
) -> None:
    complement = QuietHours(window.end, window.start)
    assert window.contains(moment, zone) != complement.contains(moment, zone)


# --- reminders ---------------------------------------------------------------------------------

NOW = utc(2026, 6, 12, 18)


def test_a_survey_without_remind_after_or_with_no_reminders_has_no_window() -> None:
    assert reminder_window(None, 1, NOW) is None
    assert reminder_window(48, 0, NOW) is None


def test_a_response_is_due_once_idle_remind_after_hours_and_not_idle_too_long() -> None:
    start, end = reminder_window(48, 1, NOW)  # type: ignore[misc]

    assert end == NOW - dt.timedelta(hours=48)
    assert start == NOW - dt.timedelta(hours=96)


def test_more_reminders_look_further_back() -> None:
    start, _ = reminder_window(24, 3, NOW)  # type: ignore[misc]

    assert start == NOW - dt.timedelta(hours=96)


def test_hours_until_a_reminder_are_hours_of_time_across_a_dst_change() -> None:
    # 13:00 BST on 29 March 2026 is 24 hours after noon GMT the day before.
    _, end = reminder_window(24, 1, london(2026, 3, 29, 13))  # type: ignore[misc]

    assert end == london(2026, 3, 28, 12)


def test_a_reminder_window_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        reminder_window(24, 1, dt.datetime(2026, 6, 12))


@given(
    st.integers(1, 720),
    st.integers(1, 3),
    st.integers(-5000, 5000).map(lambda hours: NOW + dt.timedelta(hours=hours)),
)
def test_a_response_is_in_the_window_exactly_while_idle_between_one_wait_and_all(
    remind_after: int, allowed: int, idle_since: dt.datetime
) -> None:
    start, end = reminder_window(remind_after, allowed, NOW)  # type: ignore[misc]
    idle = NOW - idle_since

    in_window = start <= idle_since < end
    wait = dt.timedelta(hours=remind_after)
    assert in_window == (wait < idle <= wait * (allowed + 1))


# --- retries -----------------------------------------------------------------------------------

FAILED = utc(2026, 6, 10, 18, 0, 5)


def test_a_failed_send_is_tried_again_after_30_seconds_then_2_minutes_then_given_up() -> None:
    assert retry_at(1, FAILED) == FAILED + dt.timedelta(seconds=30)
    assert retry_at(2, FAILED) == FAILED + dt.timedelta(minutes=2)
    assert retry_at(3, FAILED) is None
    assert MAX_SEND_ATTEMPTS == 3


def test_every_attempt_past_the_last_has_failed() -> None:
    assert retry_at(MAX_SEND_ATTEMPTS + 5, FAILED) is None


def test_each_wait_is_longer_than_the_one_before() -> None:
    assert list(RETRY_DELAYS) == sorted(set(RETRY_DELAYS))


def test_a_retry_needs_a_failed_attempt_and_a_zone() -> None:
    with pytest.raises(ValueError, match="from 1"):
        retry_at(0, FAILED)
    with pytest.raises(ValueError, match="no time zone"):
        retry_at(1, dt.datetime(2026, 6, 10))
