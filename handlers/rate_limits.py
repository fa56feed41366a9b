"""Telegram's flood limits, where a refusal for one member's chat makes only that chat wait.

PTB's `AIORateLimiter` keeps the bot under Telegram's documented limits (30 messages a second
overall, 20 a minute per group or channel), and on a RetryAfter (HTTP 429) it pauses every
request of the process. Here every member has a private chat of their own, so one member who
draws a 429 (by making the bot write to them faster than Telegram's about one message a second
per chat) would hold up everyone's replies for the whole retry_after.

Telegram's 429 does not say which limit was hit: "Too Many Requests: retry after N" with
`parameters.retry_after` reads the same for one chat's limit as for the bot's. So the request
that was refused decides:

- A request to one private chat (a positive `chat_id`): that chat's limit. That chat alone waits
  retry_after (+0.1 s, as PTB), then the request is tried again, up to `max_retries` times.
- A request to a group or channel (a negative id or an @username), or one that names no chat
  (answerCallbackQuery, setMyCommands, ...): the bot's limit, as PTB assumes. Every request waits.
- Refusals for BOT_WIDE_CHATS different private chats at once: the bot as a whole is over its
  limit (Telegram then refuses every chat), so every request waits too. One member at their
  chat's limit is common enough; several at the same moment is not, while flood control
  (handlers/flood.py) holds each member to 20 updates in 10 seconds.

PTB's limiter still spaces the requests; the waiting happens inside it, after a request has its
turn, as in PTB. A refusal is carried past it, which PTB would log as a failure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

# Overlapping refusals for this many private chats mean the whole bot is refused.
BOT_WIDE_CHATS = 3
RETRY_MARGIN = 0.1  # seconds beyond retry_after, as PTB waits

Result = bool | dict[str, Any] | list[dict[str, Any]]
Request = Callable[..., Coroutine[Any, Any, Result]]


class ChatPausingRateLimiter(BaseRateLimiter[int]):
    """PTB's limits, retries after a RetryAfter, and a pause for one chat where one will do."""

    def __init__(
        self,
        overall_max_rate: float = FloodLimit.MESSAGES_PER_SECOND,
        overall_time_period: float = 1,
        group_max_rate: float = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        group_time_period: float = 60,
        max_retries: int = 3,
    ) -> None:
        self._limits = AIORateLimiter(
            overall_max_rate, overall_time_period, group_max_rate, group_time_period, max_retries=0
        )
        self._max_retries = max_retries
        # When requests may go again, in event-loop time: every request, and each paused chat.
        self._everyone_resumes = 0.0
        self._chat_resumes: dict[int, float] = {}

    async def initialize(self) -> None:
        """Initialize PTB's limiter."""
        await self._limits.initialize()

    async def shutdown(self) -> None:
        """Shut PTB's limiter down."""
        await self._limits.shutdown()

    async def process_request(
        self,
        callback: Request,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Send a request within the limits and after any pause that covers it; after a
        RetryAfter, pause what it covers and try again (`rate_limit_args` retries, if given)."""
        chat = private_chat(data)

        async def when_resumed(*call_args: Any, **call_kwargs: Any) -> Result:
            await self._wait(chat)
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as refusal:
                raise _Refused(refusal) from refusal

        retries = rate_limit_args or self._max_retries
        attempt = 0
        while True:
            try:
                return await self._limits.process_request(
                    when_resumed, args, kwargs, endpoint, data, None
                )
            except _Refused as refused:
                if attempt == retries:
                    log.warning("Telegram still refuses %s after %d retries", endpoint, retries)
                    raise refused.refusal from None
                attempt += 1
                self._pause(chat, seconds(refused.refusal) + RETRY_MARGIN)

    async def _wait(self, chat: int | None) -> None:
        """Until neither the bot nor `chat` is paused (a pause may grow while we wait)."""
        loop = asyncio.get_running_loop()
        # A deadline rather than an Event: a later refusal may move it on while we sleep.
        while (delay := self._resumes(chat) - loop.time()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(delay)

    def _resumes(self, chat: int | None) -> float:
        chat_resumes = self._chat_resumes.get(chat, 0.0) if chat is not None else 0.0
        return max(self._everyone_resumes, chat_resumes)

    def _pause(self, chat: int | None, seconds: float) -> None:
        """Pause `chat`, or every request when the refusal was the bot's."""
        now = asyncio.get_running_loop().time()
        resume = now + seconds
        # Pauses that are over are forgotten, so this table holds only chats being refused.
        self._chat_resumes = {c: t for c, t in self._chat_resumes.items() if t > now}
        if chat is not None:
            self._chat_resumes[chat] = max(resume, self._chat_resumes.get(chat, 0.0))
        if chat is None or len(self._chat_resumes) >= BOT_WIDE_CHATS:
            self._everyone_resumes = max(resume, self._everyone_resumes)
            log.info("Telegram refuses the bot: every request waits %.1f s", seconds)
        else:
            log.info("Telegram refuses one private chat: it waits %.1f s", seconds)


class _Refused(Exception):
    """A RetryAfter on its way past PTB's limiter."""

    def __init__(self, refusal: RetryAfter) -> None:
        super().__init__(refusal)
        self.refusal = refusal


def private_chat(data: dict[str, Any]) -> int | None:
    """The private chat a request writes to; None for a group, a channel or no chat at all."""
    try:
        chat_id = int(data["chat_id"])  # an int, or the same as a string
    except (KeyError, TypeError, ValueError):  # no chat, or a channel's @username
        return None
    return chat_id if chat_id > 0 else None


def seconds(refusal: RetryAfter) -> float:
    """How long Telegram asked to wait."""
    # PTB 22 warns that `retry_after` will be a timedelta; it is one under PTB_TIMEDELTA=1.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = refusal.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
