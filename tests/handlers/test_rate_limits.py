"""The rate limiter: a RetryAfter for one private chat pauses that chat; any other pauses all."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from telegram.error import RetryAfter

from handlers.rate_limits import BOT_WIDE_CHATS, ChatPausingRateLimiter

PAUSE = 0.3  # seconds Telegram asks for in these tests
# PTB's own RetryAfter warns, when built, that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class Telegram:
    """Sends as the bot would through the limiter, and notes when Telegram took each call."""

    def __init__(self, limiter: ChatPausingRateLimiter) -> None:
        self.limiter = limiter
        self.sent: list[tuple[Any, float]] = []  # (chat, loop time), in the order taken
        self.refused: asyncio.Queue[Any] = asyncio.Queue()  # each chat refused, in order
        self._refusals: dict[Any, int] = {}

    def refuse(self, chat: Any, times: int = 1) -> None:
        """The next `times` calls to `chat` draw a RetryAfter of PAUSE seconds."""
        self._refusals[chat] = times

    async def send(self, chat: Any, endpoint: str = "sendMessage") -> Any:
        """One call through the limiter; `chat` None for a call that names no chat."""
        data = {} if chat is None else {"chat_id": chat}
        return await self.limiter.process_request(
            self._answer, (chat,), {}, endpoint, data, rate_limit_args=None
        )

    async def _answer(self, chat: Any) -> Any:
        if self._refusals.get(chat):
            self._refusals[chat] -= 1
            self.refused.put_nowait(chat)
            raise RetryAfter(dt.timedelta(seconds=PAUSE))
        self.sent.append((chat, now()))
        return {"chat": chat}

    def when_sent(self, chat: Any) -> float:
        return next(time for sent, time in self.sent if sent == chat)

    async def until_refused(self, count: int) -> None:
        for _ in range(count):
            await self.refused.get()


def now() -> float:
    return asyncio.get_running_loop().time()


def unlimited() -> ChatPausingRateLimiter:
    return ChatPausingRateLimiter(overall_max_rate=0, group_max_rate=0)


async def while_refused(
    telegram: Telegram, chat: Any, then: Callable[[], Awaitable[None]]
) -> asyncio.Task:
    """Start a call to `chat` that Telegram refuses once, and run `then` right after the refusal."""
    telegram.refuse(chat)
    first = asyncio.create_task(telegram.send(chat))
    await telegram.until_refused(1)
    await then()
    return first


async def test_a_refusal_for_one_private_chat_delays_that_chat_only() -> None:
    telegram = Telegram(unlimited())
    refused_at = 0.0

    async def others_send() -> None:
        nonlocal refused_at
        refused_at = now()
        await telegram.send(2)
        await telegram.send(-100123)  # a group too
        await telegram.send(None, "answerCallbackQuery")

    first = await while_refused(telegram, 1, others_send)
    assert not first.done()  # chat 1 is still waiting while the others were served
    assert await first == {"chat": 1}

    assert [chat for chat, _ in telegram.sent] == [2, -100123, None, 1]
    assert telegram.when_sent(1) >= refused_at + PAUSE  # retried after retry_after


@pytest.mark.parametrize(
    ("refused_chat", "endpoint"),
    [(-100123, "sendMessage"), ("@news", "sendMessage"), (None, "answerCallbackQuery")],
    ids=["group", "channel", "no chat"],
)
async def test_a_refusal_for_a_group_channel_or_no_chat_pauses_every_chat(
    refused_chat: Any, endpoint: str
) -> None:
    telegram = Telegram(unlimited())
    refused_at = 0.0

    async def member_sends() -> None:
        nonlocal refused_at
        refused_at = now()
        await telegram.send(2)

    await (await while_refused(telegram, refused_chat, member_sends))

    assert telegram.when_sent(2) >= refused_at + PAUSE


async def test_refusals_for_several_private_chats_at_once_pause_every_chat() -> None:
    telegram = Telegram(unlimited())
    for chat in range(1, BOT_WIDE_CHATS + 1):
        telegram.refuse(chat)
    refused = [asyncio.create_task(telegram.send(chat)) for chat in range(1, BOT_WIDE_CHATS + 1)]
    await telegram.until_refused(BOT_WIDE_CHATS)
    asked_at = now()

    await telegram.send(BOT_WIDE_CHATS + 1)  # a member nobody refused

    assert telegram.when_sent(BOT_WIDE_CHATS + 1) >= asked_at + PAUSE
    await asyncio.gather(*refused)


async def test_a_chat_still_refused_after_every_retry_gets_the_error() -> None:
    telegram = Telegram(ChatPausingRateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=1))
    telegram.refuse(1, times=2)

    with pytest.raises(RetryAfter):
        await telegram.send(1)
    assert telegram.sent == []
