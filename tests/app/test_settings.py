"""The settings of invitations and reminders, read from DOORSTEP_* variables: quiet hours and
paid broadcasting, their defaults, and the one line a wrong value gives."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.schedule import QuietHours
from app.settings import MAX_PAID_BROADCAST_RATE, Settings, settings_problem
from tests.support.harness import TEST_TOKEN


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only the bot token from the outside, and no .env file in the working directory."""
    for name in [name for name in os.environ if name.startswith("DOORSTEP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", TEST_TOKEN)
    monkeypatch.chdir(tmp_path)


def read(monkeypatch: pytest.MonkeyPatch, **variables: str) -> Settings:
    """The settings, with these DOORSTEP_* variables set (by their names without the prefix)."""
    for name, value in variables.items():
        monkeypatch.setenv(f"DOORSTEP_{name.upper()}", value)
    return Settings()


def problem(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    """The one line that a wrong setting stops the bot with."""
    with pytest.raises(ValidationError) as error:
        read(monkeypatch, **variables)
    return settings_problem(error.value)


# --- quiet hours -------------------------------------------------------------------------------


def test_quiet_hours_are_21_to_9_unless_set() -> None:
    assert Settings().quiet_hours == QuietHours(dt.time(21), dt.time(9))


@pytest.mark.parametrize(
    ("value", "window"),
    [
        ("22:30-07:00", (dt.time(22, 30), dt.time(7))),
        ("13:00-14:00", (dt.time(13), dt.time(14))),
        ("7:05-9:00", (dt.time(7, 5), dt.time(9))),
        (" 23:00 - 06:30 ", (dt.time(23), dt.time(6, 30))),
        ("00:00-23:59", (dt.time(0), dt.time(23, 59))),
    ],
)
def test_quiet_hours_are_read_as_a_window_of_wall_clock_times(
    monkeypatch: pytest.MonkeyPatch, value: str, window: tuple[dt.time, dt.time]
) -> None:
    assert read(monkeypatch, quiet_hours=value).quiet_hours == QuietHours(*window)


@pytest.mark.parametrize("value", ["off", "OFF", " Off "])
def test_quiet_hours_off_means_none(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    assert read(monkeypatch, quiet_hours=value).quiet_hours is None


def test_empty_quiet_hours_are_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert read(monkeypatch, quiet_hours="").quiet_hours == Settings().quiet_hours


@pytest.mark.parametrize(
    "value", ["21:00", "21-9", "25:00-09:00", "21:60-09:00", "21:00-09:00:00", "night", "on"]
)
def test_malformed_quiet_hours_are_one_line_showing_the_form(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    assert problem(monkeypatch, quiet_hours=value) == (
        f"DOORSTEP_QUIET_HOURS: {value!r} is not a window like 21:00-09:00 "
        "(times 00:00 to 23:59), or off"
    )


def test_quiet_hours_that_start_where_they_end_are_one_line_pointing_to_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert problem(monkeypatch, quiet_hours="09:00-9:00") == (
        "DOORSTEP_QUIET_HOURS: starts and ends at 09:00; for no quiet hours, set off"
    )


# --- paid broadcasting -------------------------------------------------------------------------


def test_nothing_is_paid_for_unless_set() -> None:
    settings = Settings()
    assert (settings.paid_broadcast, settings.paid_replies) == (False, False)
    assert settings.paid_broadcast_rate == 100


def test_paid_broadcasting_and_replies_are_turned_on_by_their_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = read(monkeypatch, paid_broadcast="true", paid_broadcast_rate="400", paid_replies="1")
    assert (settings.paid_broadcast, settings.paid_broadcast_rate, settings.paid_replies) == (
        True,
        400,
        True,
    )


@pytest.mark.parametrize("rate", ["31", str(MAX_PAID_BROADCAST_RATE)])
def test_a_paid_rate_from_just_above_the_free_one_to_telegrams_ceiling_is_read(
    monkeypatch: pytest.MonkeyPatch, rate: str
) -> None:
    assert read(monkeypatch, paid_broadcast_rate=rate).paid_broadcast_rate == int(rate)


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("30", "input should be greater than or equal to 31 (not '30')"),
        ("1001", "input should be less than or equal to 1000 (not '1001')"),
        ("fast", "input should be a valid integer"),
    ],
)
def test_a_paid_rate_out_of_range_is_one_line(
    monkeypatch: pytest.MonkeyPatch, rate: str, message: str
) -> None:
    line = problem(monkeypatch, paid_broadcast_rate=rate)
    assert line.startswith(f"DOORSTEP_PAID_BROADCAST_RATE: {message}")
    assert "\n" not in line


@pytest.mark.parametrize("name", ["paid_broadcast", "paid_replies"])
def test_a_paid_switch_that_is_not_a_boolean_is_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    line = problem(monkeypatch, **{name: "maybe"})
    assert line.startswith(f"DOORSTEP_{name.upper()}: input should be a valid boolean")
    assert line.endswith("(not 'maybe')")
