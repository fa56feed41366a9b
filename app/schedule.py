"""When bulk messages may go out: quiet hours, reminders and retries, as pure rules over time.

Invitations and reminders are sent in bulk by the senders, which own the clock, the store and
the Bot API; these rules own none of them. Every function is handed the moments it reasons
about, so a sender and a test ask exactly the same question, and no test sleeps or patches a
clock.

Moments are timezone-aware datetimes and results are in UTC. Elapsed time (a reminder 48 hours
after the last answer, a retry 30 seconds after a failure) is counted in UTC, where an hour is an
hour: Python adds to and compares datetimes of one zone by their wall clocks, which is wrong
across a DST change. Quiet hours are a wall-clock rule, so they take the zone they apply in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

# A quiet window is shorter than a day of wall-clock time and a DST change moves the clock by
# at most a few hours, so every window ends within this long of any moment inside it.
_WINDOW_HORIZON = dt.timedelta(days=2)
# DST changes are found by comparing UTC offsets this far apart: far less than the weeks
# between any zone's two changes, so no two hide in one step.
_OFFSET_STEP = dt.timedelta(hours=1)
_INSTANT = dt.timedelta(microseconds=1)  # the resolution of datetime


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window of wall-clock time in which no invitation or reminder is sent, so that
    members are not woken: from `start` up to, not including, `end`. When `end` comes before
    `start` the window crosses midnight (21:00-09:00)."""

    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        # Equal ends could mean an empty window or a whole day; neither is worth a setting.
        if self.start == self.end:
            raise ValueError(f"starts and ends at {self.start:%H:%M}")

    def contains(self, moment: dt.datetime, zone: dt.tzinfo) -> bool:
        """Whether the wall clock in `zone` shows a time inside the window at `moment`."""
        wall = _utc(moment).astimezone(zone).time()
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end

    def next_allowed(self, moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
        """The earliest moment at or after `moment` outside the window, in UTC.

        A window ends when the wall clock reaches `end`, or when a DST change moves the clock
        out of it (forward past `end` in spring, back before `start` in autumn). Each of those
        instants near `moment` is a candidate; the first that is outside the window is the
        answer. So a 21:00-09:00 window in London lasts 11 hours on the night the clocks go
        forward and 13 on the night they go back, as the wall clock says it should.
        """
        moment = _utc(moment)
        if not self.contains(moment, zone):
            return moment
        candidates = [*_wall_clock_instants(self.end, moment, zone), *_dst_changes(moment, zone)]
        return min(c for c in candidates if c > moment and not self.contains(c, zone))


def _utc(moment: dt.datetime) -> dt.datetime:
    """`moment` in UTC; a naive moment is refused, as its zone would be a guess."""
    if moment.utcoffset() is None:
        raise ValueError(f"{moment} has no time zone")
    return moment.astimezone(dt.UTC)


def _wall_clock_instants(
    wall: dt.time, near: dt.datetime, zone: dt.tzinfo
) -> Iterator[dt.datetime]:
    """Every instant around `near` (the local days before and after) at which the wall clock
    in `zone` shows `wall`: twice on the night the clocks go back, never on the night they skip
    over it."""
    today = near.astimezone(zone).date()
    for days in range(-1, _WINDOW_HORIZON.days + 1):
        naive = dt.datetime.combine(today + dt.timedelta(days=days), wall)
        for fold in (0, 1):
            instant = naive.replace(tzinfo=zone, fold=fold).astimezone(dt.UTC)
            if instant.astimezone(zone).replace(tzinfo=None) == naive:  # not skipped over
                yield instant


def _dst_changes(after: dt.datetime, zone: dt.tzinfo) -> Iterator[dt.datetime]:
    """Each instant in the _WINDOW_HORIZON after `after` at which `zone` changes its UTC
    offset, exactly: the first instant with the new offset."""
    before = after
    while before < after + _WINDOW_HORIZON:
        later = before + _OFFSET_STEP
        if _offset(before, zone) != _offset(later, zone):
            yield _first_with_offset_of(later, before, zone)
        before = later


def _first_with_offset_of(late: dt.datetime, early: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The first instant after `early` with the UTC offset `late` has (one change between)."""
    while late - early > _INSTANT:
        middle = early + (late - early) / 2
        if _offset(middle, zone) == _offset(early, zone):
            early = middle
        else:
            late = middle
    return late


def _offset(instant: dt.datetime, zone: dt.tzinfo) -> dt.timedelta | None:
    return instant.astimezone(zone).utcoffset()


# --- reminders ---------------------------------------------------------------------------------


def reminder_window(
    remind_after_hours: int | None, reminders_allowed: int, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    """When an unfinished response must have been idle since (its member's last answer or its
    last reminder, whichever is later) to be due a reminder at `now`: a moment from the first
    (inclusive) to the second (exclusive) of the pair, in UTC; None when its survey asks for
    no reminders. (The response must also have had fewer than `reminders_allowed`.)

    The second is `remind_after` hours ago, so each reminder waits a whole `remind_after` of
    silence after the one before, even when quiet hours held that one back. The first is as
    long ago as all its reminders would have taken, and one more wait: a reminder is for a
    member who stopped lately, so `remind_after` added to a survey months old reminds no one
    who left it back then.
    """
    if remind_after_hours is None or reminders_allowed < 1:
        return None
    wait = dt.timedelta(hours=remind_after_hours)
    end = _utc(now) - wait
    return end - wait * reminders_allowed, end


# --- retries -----------------------------------------------------------------------------------

# A send that failed in a way that may pass (a 5xx answer from Telegram, or none: a network
# fault) is tried again after each of these waits in turn, longer each time so that a struggling
# server is not hammered; short enough that an invitation still lands in the same hour.
RETRY_DELAYS = (dt.timedelta(seconds=30), dt.timedelta(minutes=2))
# The first attempt and one retry per delay; a send that fails them all has failed.
MAX_SEND_ATTEMPTS = 1 + len(RETRY_DELAYS)


def retry_at(attempts: int, now: dt.datetime) -> dt.datetime | None:
    """When to try a send again after its `attempts`-th attempt failed at `now`, in UTC, or None
    when it has had MAX_SEND_ATTEMPTS and is to be recorded as failed.

    Only for failures that may pass. A 429 names its own wait (`retry_after`), which the rate
    limiter keeps; a refusal (the member blocked the bot, the chat is gone) will not pass, and
    trying again only spends the sending budget.
    """
    if attempts < 1:
        raise ValueError(f"attempts counts failed attempts, from 1 (not {attempts})")
    if attempts >= MAX_SEND_ATTEMPTS:
        return None
    return _utc(now) + RETRY_DELAYS[attempts - 1]
