"""Keeping in touch with Telegram: connecting at start, and logging an outage once, not per retry.

At start the bot asks Telegram who it is (getMe). While Telegram cannot be reached it tries
again after a growing pause, one log line per attempt, and starts when it can; a refusal (a
rejected token) is raised at once. Once polling, PTB retries a failed getUpdates by itself; the
`PollingWatch` under getUpdates logs one WARNING when Telegram stops answering and one INFO
when it answers again, in place of PTB's traceback per retry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import suppress
from http import HTTPStatus
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

FIRST_RETRY_DELAY = 1.0  # seconds
LONGEST_RETRY_DELAY = 30.0


def retry_delays() -> Iterator[float]:
    """Pauses between attempts to reach Telegram: 1 s, doubling up to 30 s, for ever."""
    delay = FIRST_RETRY_DELAY
    while True:
        yield delay
        delay = min(LONGEST_RETRY_DELAY, delay * 2)


def is_transient(error: TelegramError) -> bool:
    """Telegram could not be reached, or asked to wait: worth trying again. (BadRequest is a
    NetworkError in PTB, but asking again will not change Telegram's answer.)"""
    return isinstance(error, RetryAfter) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    )


async def connect(application: Application, delays: Iterable[float], stop: asyncio.Event) -> bool:
    """Initialize the Application (its getMe), trying again after each of `delays` while
    Telegram cannot be reached. False when `stop` was set first; other errors are raised."""
    for delay in delays:
        try:
            await application.initialize()
            return True
        except TelegramError as error:
            if not is_transient(error):
                raise
            log.warning("cannot reach Telegram: %s; retrying in %s s", error, f"{delay:g}")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
            return False
    await application.initialize()  # the last attempt: `delays` was finite
    return True


def refusal_while_polling(error: TelegramError) -> None:
    """The Updater's error callback: one line for a refusal (another instance polling, say).
    An outage is the `PollingWatch`'s to log; PTB's default logs a traceback per retry."""
    if not is_transient(error):
        log.error("Telegram refused getUpdates: %s; trying again", error)


class PollingWatch(BaseRequest):
    """The getUpdates connection, watched: logs once when Telegram stops answering (no answer,
    or a server error) and once when it answers again."""

    def __init__(self, inner: BaseRequest) -> None:
        self._inner = inner
        self._unreachable_since: float | None = None

    @property
    def read_timeout(self) -> float | None:
        """The watched connection's."""
        return self._inner.read_timeout

    async def initialize(self) -> None:
        """Open the watched connection."""
        await self._inner.initialize()

    async def shutdown(self) -> None:
        """Close the watched connection."""
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make the request, noting whether Telegram answered."""
        try:
            status, payload = await self._inner.do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        except Exception as error:  # what PTB turns into a NetworkError
            self._unreachable(str(error) or type(error).__name__)
            raise
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:  # a proxy or Telegram's front end
            self._unreachable(f"HTTP status {status}")
        else:  # an answer, even a refusal (that is the error callback's to log)
            self._answered()
        return status, payload

    def _unreachable(self, reason: str) -> None:
        if self._unreachable_since is None:
            self._unreachable_since = time.monotonic()
            log.warning("cannot reach Telegram: %s; polling resumes when it can", reason)

    def _answered(self) -> None:
        if self._unreachable_since is not None:
            lasted = time.monotonic() - self._unreachable_since
            self._unreachable_since = None
            log.info("Telegram reachable again after %.0f s; polling resumed", lasted)
