"""What every use case shares: the database, the survey catalogue, the clock and the settings
that shape behaviour.

`bot.py` builds one `Services` from the settings; handlers reach it through
`handlers.context.services`, the command line and jobs are handed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from app.notice import Notice
from app.schedule import QuietHours
from app.settings import DEFAULT_QUIET_HOURS, default
from storage.model import Counter_
from storage.protocol import Store
from surveys import tally
from surveys.loader import canonical_json, content_hash
from surveys.model import Survey

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The real clock (tests pass their own)."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Catalogue:
    """The surveys loaded from files, and every stored version a response may be pinned to."""

    current: dict[str, tuple[Survey, int]] = field(default_factory=dict)
    _by_version: dict[int, Survey] = field(default_factory=dict)

    async def register(self, store: Store, loaded: list[Survey], now: dt.datetime) -> None:
        """Record each loaded survey's version and make it the one new responses use."""
        for survey in loaded:
            version_id = await store.versions.register_version(
                survey.id, content_hash(survey), canonical_json(survey), now
            )
            self.current[survey.id] = (survey, version_id)
            self._by_version[version_id] = survey

    async def version(self, store: Store, version_id: int) -> Survey:
        """The survey as it was in a stored version (cached; versions never change)."""
        if version_id not in self._by_version:
            definition = await store.versions.version_definition(version_id)
            if definition is None:
                raise LookupError(f"no survey version {version_id}")
            self._by_version[version_id] = Survey.model_validate_json(definition)
        return self._by_version[version_id]

    async def newest_stored(self, store: Store, survey_id: str) -> Survey | None:
        """A survey by its newest stored version (also once its file is gone)."""
        version_id = await store.versions.newest_version_id(survey_id)
        return None if version_id is None else await self.version(store, version_id)

    async def every_version(self, store: Store) -> dict[int, Survey]:
        """Every stored version, by id (for recounting responses of any version)."""
        return {
            version_id: await self.version(store, version_id)
            for version_id in await store.versions.version_ids()
        }

    async def tally_counter(self, store: Store) -> Counter_:
        """What a completed response counts in the report totals, from its version and answers
        (for recounting, or for taking a response out)."""
        surveys = await self.every_version(store)

        def count(version_id: int, answers: Mapping[str, object]) -> tuple[str, list[tally.Key]]:
            survey = surveys[version_id]
            return tally.area_of(survey, answers), tally.keys(survey, answers)

        return count

    def current_survey(self, survey_id: str) -> Survey | None:
        """The survey as loaded from the files now (None: no such file, or no longer)."""
        current = self.current.get(survey_id)
        return current[0] if current else None

    def is_open(self, survey_id: str, today: dt.date) -> bool:
        """Whether a survey takes answers today, by its current file (a removed one does not).

        The current file decides even for responses pinned to an older version, so that an
        operator can close a survey by editing its `closes` date.
        """
        current = self.current.get(survey_id)
        return current is not None and current[0].is_open(today)

    def open_surveys(self, today: dt.date) -> list[Survey]:
        """Surveys members may start today, in file order."""
        return [survey for survey, _ in self.current.values() if survey.is_open(today)]


@dataclass
class Services:
    """Everything a handler needs besides the update."""

    store: Store
    catalogue: Catalogue
    timezone: ZoneInfo
    notice: Notice  # the privacy notice members agree to
    clock: Clock = utc_now
    secret_key: bytes = b""  # keys respondents' pseudonyms in exports
    # The rest are settings, defaulting to the settings' own defaults (app/settings.py).
    admins: frozenset[int] = default("admins")
    min_group_size: int = default("min_group_size")  # k: no figure is about fewer people
    retention_days: int = default("retention_days")  # links to members outlive a survey so long
    rebuild_interval: dt.timedelta = dt.timedelta(minutes=default("rebuild_interval_minutes"))
    # No invitation or reminder goes out inside it, in `timezone` (None: none are quiet).
    quiet_hours: QuietHours | None = DEFAULT_QUIET_HOURS

    def is_admin(self, user_id: int | None) -> bool:
        """Whether a Telegram user is one of the operator's administrators."""
        return user_id in self.admins

    def today(self) -> dt.date:
        """Today's date where the movement is (opens/closes are local dates)."""
        return self.clock().astimezone(self.timezone).date()
