"""The settings Doorstep reads from DOORSTEP_* variables (or a .env file), and their defaults:
the one place a default is written. bot.py reads them; `app.services.Services` takes its own
defaults from here.

Each command of `bot.py` reads the smallest class it needs, so that `validate` or `backup` run
without a bot token.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.schedule import QuietHours

TOKEN_PATTERN = re.compile(r"[0-9]{5,16}:[A-Za-z0-9_-]{30,64}")
# Bundled files are found beside bot.py, whatever the working directory.
_ROOT = Path(__file__).parent.parent
BUNDLED_SURVEYS = _ROOT / "surveys" / "library"
DEFAULT_PRIVACY_NOTICE = _ROOT / "docs" / "privacy-notice.md"
# No invitation or reminder wakes a member: none go out from 21:00 to 09:00 (DOORSTEP_TIMEZONE).
DEFAULT_QUIET_HOURS = QuietHours(dt.time(21), dt.time(9))
_WALL_TIME = r"([01]?[0-9]|2[0-3]):([0-5][0-9])"
_WINDOW = re.compile(rf"{_WALL_TIME}\s*-\s*{_WALL_TIME}")
# Telegram sends about 30 messages a second to different chats for free; a paid broadcast
# (`allow_paid_broadcast`) may send up to 1000, at 0.1 Telegram Stars a message beyond the free
# limit. Paying for 30 a second or fewer buys nothing.
FREE_BROADCAST_RATE = 30
MAX_PAID_BROADCAST_RATE = 1000


class DoorstepSettings(BaseSettings):
    """How every settings class reads DOORSTEP_* variables and the .env file: a value is
    stripped of surrounding whitespace, and an empty one counts as not set."""

    model_config = SettingsConfigDict(
        env_prefix="DOORSTEP_",
        env_file=".env",
        extra="ignore",
        str_strip_whitespace=True,
        env_ignore_empty=True,
    )


class DatabaseSettings(DoorstepSettings):
    """What `backup` needs: where the database is (no token required)."""

    database: Path = Field(Path("doorstep.db"), description="SQLite database file")


class SurveySettings(DoorstepSettings):
    """What `validate` needs: where the surveys are, and the zone their dates are in (no token
    required)."""

    surveys: Path = Field(BUNDLED_SURVEYS, description="Folder of survey files")
    timezone: str = "Europe/London"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {name!r}") from error
        return name


class OfflineSettings(DatabaseSettings, SurveySettings):
    """What `export` and `forget` need beside the running bot: its database, surveys and
    pseudonym key (no token required)."""

    secret_key: SecretStr | None = None

    @field_validator("secret_key", mode="before")
    @classmethod
    def _unset_when_blank(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class Settings(OfflineSettings):
    """Everything the running bot reads from DOORSTEP_* variables (or a .env file)."""

    bot_token: SecretStr = Field(description="Bot token from @BotFather")
    api_base_url: str = "https://api.telegram.org/bot"
    admins: Annotated[frozenset[int], NoDecode] = frozenset()
    min_group_size: Annotated[int, Field(ge=2, le=100)] = 5
    privacy_notice: Path = DEFAULT_PRIVACY_NOTICE
    retention_days: Annotated[int, Field(ge=1, le=36500)] = 730
    rebuild_interval_minutes: Annotated[int, Field(ge=5, le=1440)] = 60
    # None: `off`, invitations and reminders go out at any hour.
    quiet_hours: Annotated[QuietHours | None, NoDecode] = DEFAULT_QUIET_HOURS
    paid_broadcast: bool = False  # invitations and reminders with `allow_paid_broadcast`
    # 100 a second: a national list of 100,000 members in about 17 minutes rather than about 56
    # at the free rate, at about 7,000 Stars (70 of each 100 messages are paid); an operator who
    # needs more speed raises it knowingly, as the share that is paid grows with it.
    paid_broadcast_rate: Annotated[
        int, Field(ge=FREE_BROADCAST_RATE + 1, le=MAX_PAID_BROADCAST_RATE)
    ] = 100
    paid_replies: bool = False  # replies paid too while they queue for over half a second

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, token: SecretStr) -> SecretStr:
        if not TOKEN_PATTERN.fullmatch(token.get_secret_value()):
            raise ValueError("does not look like a bot token")
        return token

    @field_validator("admins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(_user_id(part) for part in value.split(",") if part.strip())
        return value

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _quiet_hours_window(cls, value: object) -> object:
        return _quiet_hours(value) if isinstance(value, str) else value


def _quiet_hours(text: str) -> QuietHours | None:
    """DOORSTEP_QUIET_HOURS: a window of wall-clock times, `21:00-09:00`, or `off`."""
    text = text.strip()  # as for every setting (a window is not a str to pydantic)
    if text.casefold() == "off":
        return None
    window = _WINDOW.fullmatch(text)
    if window is None:
        raise ValueError(
            f"{text!r} is not a window like 21:00-09:00 (times 00:00 to 23:59), or off"
        )
    start_hour, start_minute, end_hour, end_minute = (int(part) for part in window.groups())
    try:
        return QuietHours(dt.time(start_hour, start_minute), dt.time(end_hour, end_minute))
    except ValueError as error:
        raise ValueError(f"{error}; for no quiet hours, set off") from None


def _user_id(text: str) -> int:
    """One Telegram user id of DOORSTEP_ADMINS."""
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a numeric Telegram user id") from None


def settings_problem(error: ValidationError) -> str:
    """One line in plain words naming the variable that is wrong (and where a token comes from);
    never the token itself."""
    first = error.errors()[0]
    variable = f"DOORSTEP_{str(first['loc'][0]).upper()}"
    if first["loc"][0] == "bot_token":
        not_set = first["type"] == "missing" or not str(first["input"]).strip()
        state = "is not set" if not_set else "is not a valid bot token"
        return f"{variable} {state}: create a bot with @BotFather in Telegram and set its token."
    if first["type"] == "value_error":  # our validators' own words, without pydantic's prefix
        return f"{variable}: {first['ctx']['error']}"
    message = first["msg"][:1].lower() + first["msg"][1:]
    return f"{variable}: {message} (not {first['input']!r})"


def default(name: str) -> Any:
    """The default of one of the running bot's settings, for code built without reading them
    (benchmarks, tests)."""
    return Settings.model_fields[name].default
