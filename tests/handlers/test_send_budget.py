"""The send budget: replies first, bulk in what they leave, each chat at its pace, a refusal
for one private chat pausing that chat (and bulk) only, paid broadcasts where allowed.

Every test runs in virtual time (tests/support/virtual_time.py), so the times it checks are
exact and cost nothing to wait for.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import random
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot
from telegram.error import Forbidden, RetryAfter
from telegram.ext import ExtBot

import bot
from handlers.send_budget import (
    BOT_WIDE_CHATS,
    LOOK_STANDS,
    PAID_METHODS,
    RETRY_MARGIN,
    SWEEP_FROM,
    Figures,
    Lane,
    LastLook,
    NotWanted,
    RateLimitArgs,
    SendBudget,
)
from tests.support.fake_telegram import FakeBotApi, TelegramLimits
from tests.support.harness import SURVEYS, TEST_TOKEN, settings_for
from tests.support.virtual_time import VirtualTimeLoop, in_virtual_time

PAUSE = 2.0  # seconds Telegram asks for in these tests
SLOT = 1 / 30  # one slot of the overall budget at Telegram's 30 messages a second
GROUP = -100123
# PTB's own RetryAfter warns, when built, that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@dataclass(frozen=True)
class Sent:
    """A call as Telegram took it."""

    chat: Any
    lane: Lane | None
    at: float
    paid: bool
    endpoint: str


class Telegram:
    """Sends as the bot would through the budget, and notes when Telegram took each call."""

    def __init__(self, budget: SendBudget) -> None:
        self.budget = budget
        self.sent: list[Sent] = []  # in the order taken
        self.refused: asyncio.Queue[Any] = asyncio.Queue()  # each chat refused, in order
        self._refusals: dict[Any, int] = {}
        self._slow: dict[Any, asyncio.Event] = {}

    def answer_slowly(self, chat: Any) -> asyncio.Event:
        """Calls to `chat` are answered once the returned event is set."""
        return self._slow.setdefault(chat, asyncio.Event())

    def refuse(self, chat: Any, times: int = 1) -> None:
        """The next `times` calls to `chat` draw a RetryAfter of PAUSE seconds."""
        self._refusals[chat] = times

    async def send(
        self,
        chat: Any,
        lane: RateLimitArgs | None = None,
        endpoint: str = "sendMessage",
        *,
        paid: bool = False,
    ) -> Any:
        """One call through the budget; `chat` None for a call that names no chat."""
        data: dict[str, Any] = {} if chat is None else {"chat_id": chat}
        if paid:
            data["allow_paid_broadcast"] = True
        return await self.budget.process_request(
            self._answer, (chat, lane, endpoint, data), {}, endpoint, data, lane
        )

    def start(self, chat: Any, lane: RateLimitArgs | None = None, **kwargs: Any) -> asyncio.Task:
        return asyncio.create_task(self.send(chat, lane, **kwargs))

    async def _answer(
        self, chat: Any, lane: RateLimitArgs | None, endpoint: str, data: dict
    ) -> Any:
        if self._refusals.get(chat):
            self._refusals[chat] -= 1
            self.refused.put_nowait(chat)
            raise RetryAfter(dt.timedelta(seconds=PAUSE))
        paid = bool(data.get("allow_paid_broadcast"))
        in_lane = Lane.BULK if isinstance(lane, LastLook) else lane
        self.sent.append(Sent(chat, in_lane, now(), paid, endpoint))
        if chat in self._slow:
            await self._slow[chat].wait()
        return {"chat": chat}

    def when_sent(self, chat: Any) -> float:
        return next(sent.at for sent in self.sent if sent.chat == chat)

    def times(self, lane: Lane | None = None) -> list[float]:
        return [sent.at for sent in self.sent if sent.lane is lane]

    async def until_refused(self, count: int) -> None:
        for _ in range(count):
            await self.refused.get()


def chat(sent: Sent) -> Any:
    return sent.chat


def now() -> float:
    return asyncio.get_running_loop().time()


def unlimited(**options: Any) -> SendBudget:
    return SendBudget(overall_rate=0, per_chat_rate=0, group_per_minute=0, **options)


async def while_refused(
    telegram: Telegram, chat: Any, then: Callable[[], Awaitable[None]]
) -> asyncio.Task:
    """Start a call to `chat` that Telegram refuses once, and run `then` right after the refusal."""
    telegram.refuse(chat)
    first = telegram.start(chat)
    await telegram.until_refused(1)
    await then()
    return first


# --- lanes ---------------------------------------------------------------------------------------


@in_virtual_time
async def test_replies_go_before_the_bulk_in_line_and_wait_at_most_one_bulk_slot() -> None:
    telegram = Telegram(SendBudget())
    bulk = [telegram.start(1000 + n, Lane.BULK) for n in range(60)]
    await asyncio.sleep(0.5)  # bulk is flowing at the full rate
    asked_at = now()

    await asyncio.gather(*(telegram.send(member) for member in range(1, 11)))

    replies = [sent for sent in telegram.sent if sent.lane is None]
    assert [sent.chat for sent in replies] == list(range(1, 11))  # in the order they came
    for position, reply in enumerate(replies):  # each behind the replies before it, no more
        assert reply.at <= asked_at + position * SLOT + 1e-9
    bulk_meanwhile = [t for t in telegram.times(Lane.BULK) if asked_at <= t <= replies[-1].at]
    assert len(bulk_meanwhile) <= 1
    await asyncio.gather(*bulk)
    assert len(telegram.times(Lane.BULK)) == 60


@in_virtual_time
async def test_bulk_fills_what_the_replies_leave() -> None:
    telegram = Telegram(SendBudget())  # 30 a second
    bulk = [telegram.start(10_000 + n, Lane.BULK) for n in range(400)]
    started = now()

    async def a_reply_every_tenth_of_a_second() -> None:  # 10 a second
        for member in range(1, 51):
            asked_at = now()
            await telegram.send(member)
            assert now() - asked_at <= SLOT + 1e-9
            await asyncio.sleep(0.1 - (now() - asked_at))

    await a_reply_every_tenth_of_a_second()

    window = (started + 1, started + 5)  # after the first second's burst
    bulk_sent = [t for t in telegram.times(Lane.BULK) if window[0] <= t < window[1]]
    assert len(bulk_sent) >= 0.9 * (30 - 10) * 4
    for task in bulk:
        task.cancel()


@in_virtual_time
async def test_no_bulk_goes_to_a_chat_while_a_reply_to_it_is_on_its_way() -> None:
    telegram = Telegram(SendBudget(overall_rate=1, reply_burst=1))
    await telegram.send(9)  # the budget is busy for a second
    invitation = telegram.start(1, Lane.BULK)  # in line for the next idle slot
    await asyncio.sleep(0)
    answered = telegram.answer_slowly(1)
    reply = telegram.start(1)  # books that slot, then Telegram takes its time
    await asyncio.sleep(3)

    answered.set()
    answered_at = now()
    await asyncio.gather(reply, invitation)

    assert [sent.lane for sent in telegram.sent] == [None, None, Lane.BULK]
    assert telegram.when_sent(1) < answered_at <= telegram.times(Lane.BULK)[0]


@pytest.mark.parametrize("lane", [None, Lane.BULK], ids=["replies", "bulk"])
@in_virtual_time
async def test_a_private_chat_gets_a_burst_of_three_then_one_a_second(lane: Lane | None) -> None:
    """Each a tenth of a second later than the pace alone would allow: the chat's reserve."""
    telegram = Telegram(SendBudget())
    asked_at = now()

    await asyncio.gather(*(telegram.send(1, lane) for _ in range(6)))

    waits = [t - asked_at for t in telegram.times(lane)]
    assert waits[:2] == pytest.approx([0, 0], abs=2 * SLOT)  # a burst, at the overall pace
    assert waits[2:] == pytest.approx([0.1, 1.1, 2.1, 3.1], abs=SLOT)


@in_virtual_time
async def test_a_group_gets_twenty_messages_a_minute() -> None:
    telegram = Telegram(SendBudget())
    asked_at = now()

    await asyncio.gather(*(telegram.send(GROUP) for _ in range(22)))

    waits = [t - asked_at for t in telegram.times()]
    assert max(waits[:20]) < 1
    assert waits[20:] == pytest.approx([3.3, 6.3])  # with the chat's reserve


@in_virtual_time
async def test_requests_that_name_no_chat_are_not_paced() -> None:
    telegram = Telegram(SendBudget(overall_rate=1, reply_burst=1))
    asked_at = now()

    await asyncio.gather(*(telegram.send(None, endpoint="answerCallbackQuery") for _ in range(5)))

    assert telegram.times() == [asked_at] * 5


@in_virtual_time
async def test_figures_count_what_telegram_took_by_lane() -> None:
    telegram = Telegram(unlimited(paid_rate=1000))
    telegram.refuse(3)
    await asyncio.gather(
        telegram.send(1),
        telegram.send(2, Lane.BULK),
        telegram.send(3, Lane.BULK, paid=True),
        telegram.send(None, endpoint="answerCallbackQuery"),  # not chat-bound: not counted
    )

    assert telegram.budget.figures() == Figures(replies=1, bulk=2, paid=1, refusals=1)


@in_virtual_time
async def test_rate_limit_args_other_than_a_lane_are_refused_before_sending() -> None:
    telegram = Telegram(SendBudget())

    with pytest.raises(TypeError, match="Lane"):
        await telegram.send(1, 3)  # as rate_limit_args meant retries to PTB's limiter
    assert telegram.sent == []


# --- refusals --------------------------------------------------------------------------------


@in_virtual_time
async def test_a_refusal_for_one_private_chat_delays_that_chat_and_bulk_only() -> None:
    telegram = Telegram(unlimited())
    refused_at = 0.0

    async def others_send() -> None:
        nonlocal refused_at
        refused_at = now()
        await telegram.send(2)
        await telegram.send(GROUP)
        await telegram.send(None, endpoint="answerCallbackQuery")
        await telegram.send(3, Lane.BULK)

    first = await while_refused(telegram, 1, others_send)
    assert not first.done()  # chat 1 is still waiting, and so was bulk
    assert await first == {"chat": 1}

    assert [sent.chat for sent in telegram.sent] == [2, GROUP, None, 3, 1]
    assert telegram.times()[:3] == [refused_at] * 3  # replies to other chats did not wait
    assert telegram.when_sent(3) == pytest.approx(refused_at + PAUSE + RETRY_MARGIN)
    assert telegram.when_sent(1) == pytest.approx(refused_at + PAUSE + RETRY_MARGIN)


@in_virtual_time
async def test_a_refused_reply_keeps_its_place_before_the_next_reply_to_its_chat() -> None:
    telegram = Telegram(unlimited())

    async def next_reply() -> None:
        telegram.start(1)  # to the same chat, while the first waits
        await asyncio.sleep(0)

    first = await while_refused(telegram, 1, next_reply)
    await first
    await asyncio.sleep(0)

    assert len(telegram.sent) == 2
    assert telegram.times()[0] <= telegram.times()[1]
    assert [sent.chat for sent in telegram.sent] == [1, 1]


@in_virtual_time
async def test_a_refused_reply_goes_before_bulk_to_its_chat_that_waited_the_same_pause() -> None:
    telegram = Telegram(unlimited())

    async def invitation_to_the_same_member() -> None:
        telegram.start(1, Lane.BULK)
        await asyncio.sleep(0)

    reply = await while_refused(telegram, 1, invitation_to_the_same_member)
    await reply
    await asyncio.sleep(1)

    assert [sent.lane for sent in telegram.sent] == [None, Lane.BULK]


@pytest.mark.parametrize(
    ("refused_chat", "endpoint"),
    [(GROUP, "sendMessage"), ("@news", "sendMessage"), (None, "answerCallbackQuery")],
    ids=["group", "channel", "no chat"],
)
@in_virtual_time
async def test_a_refusal_for_a_group_channel_or_no_chat_pauses_every_chat(
    refused_chat: Any, endpoint: str
) -> None:
    telegram = Telegram(unlimited())
    refused_at = 0.0

    async def member_is_answered() -> None:
        nonlocal refused_at
        refused_at = now()
        await telegram.send(2)

    await (await while_refused(telegram, refused_chat, member_is_answered))

    assert telegram.when_sent(2) == pytest.approx(refused_at + PAUSE + RETRY_MARGIN)


@in_virtual_time
async def test_refusals_for_several_private_chats_at_once_pause_every_chat() -> None:
    telegram = Telegram(unlimited())
    chats = range(1, BOT_WIDE_CHATS + 1)
    for chat in chats:
        telegram.refuse(chat)
    refused = [telegram.start(chat) for chat in chats]
    await telegram.until_refused(BOT_WIDE_CHATS)
    asked_at = now()

    await telegram.send(BOT_WIDE_CHATS + 1)  # a member nobody refused

    assert telegram.when_sent(BOT_WIDE_CHATS + 1) == pytest.approx(asked_at + PAUSE + RETRY_MARGIN)
    await asyncio.gather(*refused)


@in_virtual_time
async def test_a_chat_still_refused_after_every_retry_gets_the_error() -> None:
    telegram = Telegram(unlimited(max_retries=1))
    telegram.refuse(1, times=2)

    with pytest.raises(RetryAfter):
        await telegram.send(1)
    assert telegram.sent == []
    assert telegram.budget.figures().refusals == 2


# --- paid broadcasts -------------------------------------------------------------------------


@in_virtual_time
async def test_paid_requests_draw_on_the_paid_budget_and_keep_the_chats_pace() -> None:
    telegram = Telegram(SendBudget(overall_rate=1, paid_rate=100))
    asked_at = now()
    free = [telegram.start(100 + n, Lane.BULK) for n in range(5)]

    await asyncio.gather(*(telegram.send(200 + n, Lane.BULK, paid=True) for n in range(10)))
    await asyncio.gather(*(telegram.send(300, Lane.BULK, paid=True) for _ in range(4)))

    paid_waits = [sent.at - asked_at for sent in telegram.sent if sent.paid]
    assert max(paid_waits[:10]) <= 10 / 100  # at the paid rate, not at 1 a second
    assert paid_waits[-1] >= 1  # chat 300's fourth message: its own pace still holds
    await asyncio.gather(*free)
    assert max(telegram.times(Lane.BULK)) - asked_at == pytest.approx(4)


@in_virtual_time
async def test_without_a_paid_rate_paid_requests_keep_the_free_pace() -> None:
    telegram = Telegram(SendBudget(overall_rate=1))
    asked_at = now()

    await asyncio.gather(*(telegram.send(200 + n, Lane.BULK, paid=True) for n in range(3)))

    assert telegram.times(Lane.BULK) == pytest.approx([asked_at, asked_at + 1, asked_at + 2])


def paying_budget() -> SendBudget:
    """Replies wait for 10 a second, and pay once they would wait more than a second (and a
    hair, clear of rounding: the tenth booked reply waits one second exactly)."""
    return SendBudget(overall_rate=10, paid_rate=100, paid_replies=True, paid_reply_after=1.05)


@in_virtual_time
async def test_a_reply_that_would_wait_too_long_is_sent_paid_but_never_an_edit() -> None:
    telegram = Telegram(paying_budget())
    asked_at = now()

    await asyncio.gather(*(telegram.send(member) for member in range(1, 31)))
    await telegram.send(99, endpoint="editMessageText")

    sends = sorted((sent for sent in telegram.sent if sent.endpoint == "sendMessage"), key=chat)
    # Free while the wait is at most a second (a burst of 2, then 10 a second), then paid.
    assert [sent.paid for sent in sends] == [False] * 12 + [True] * 18
    assert max(sent.at for sent in telegram.sent if sent.paid) - asked_at <= 18 / 100 + 1e-9
    edit = telegram.sent[-1]
    assert (edit.endpoint, edit.paid) == ("editMessageText", False)


@in_virtual_time
async def test_prefers_sends_while_replies_would_wait_too_long_for_the_free_budget() -> None:
    budget = paying_budget()
    telegram = Telegram(budget)
    assert not budget.prefers_sends()

    replies = [telegram.start(member) for member in range(1, 15)]
    await asyncio.sleep(0)
    assert budget.prefers_sends()

    await asyncio.gather(*replies)
    await asyncio.sleep(0.2)
    assert not budget.prefers_sends()


@in_virtual_time
async def test_without_paid_replies_nothing_prefers_sends() -> None:
    budget = SendBudget(overall_rate=10, paid_rate=100)
    telegram = Telegram(budget)
    replies = [telegram.start(member) for member in range(1, 31)]
    await asyncio.sleep(0)

    assert not budget.prefers_sends()
    await asyncio.gather(*replies)
    assert not any(sent.paid for sent in telegram.sent)


def test_paid_replies_need_a_paid_rate() -> None:
    with pytest.raises(ValueError, match="paid_rate"):
        SendBudget(paid_replies=True)


def test_the_paid_methods_are_the_bot_api_methods_that_take_allow_paid_broadcast() -> None:
    def endpoint(name: str) -> str:
        return re.sub(r"_(\w)", lambda m: m.group(1).upper(), name)

    taking = {
        endpoint(name)
        for name, method in inspect.getmembers(Bot, inspect.iscoroutinefunction)
        if not name.startswith("_")
        and "_" in name  # the snake_case name, not its camelCase alias
        and "allow_paid_broadcast" in inspect.signature(method).parameters
    }
    assert taking == PAID_METHODS


# --- cancellation ----------------------------------------------------------------------------


@in_virtual_time
async def test_a_cancelled_reply_gives_its_booked_slot_back() -> None:
    telegram = Telegram(SendBudget(overall_rate=1, reply_burst=1))
    asked_at = now()
    await telegram.send(1)
    booked = telegram.start(2)  # booked for a second from now
    await asyncio.sleep(0.5)

    booked.cancel()
    await asyncio.sleep(0)  # the cancellation reaches the task
    await telegram.send(3)

    assert telegram.when_sent(3) == pytest.approx(asked_at + 1)


@in_virtual_time
async def test_a_cancelled_bulk_request_leaves_the_line() -> None:
    telegram = Telegram(SendBudget(overall_rate=1))
    asked_at = now()
    first, second, third = (telegram.start(chat, Lane.BULK) for chat in (1, 2, 3))
    await asyncio.sleep(0.5)

    second.cancel()
    await asyncio.gather(first, third)
    await telegram.send(4, Lane.BULK)

    assert [sent.chat for sent in telegram.sent] == [1, 3, 4]
    assert telegram.times(Lane.BULK) == pytest.approx([asked_at, asked_at + 1, asked_at + 2])


@in_virtual_time
async def test_a_reply_cancelled_while_its_chat_is_paused_lets_the_next_one_go() -> None:
    telegram = Telegram(unlimited())
    telegram.refuse(1)
    refused = telegram.start(1)
    await telegram.until_refused(1)
    refused_at = now()
    waiting = telegram.start(1)
    await asyncio.sleep(0.5)

    refused.cancel()
    await waiting

    assert telegram.when_sent(1) == pytest.approx(refused_at + PAUSE + RETRY_MARGIN)


@in_virtual_time
async def test_chats_with_nothing_pending_are_forgotten() -> None:
    budget = SendBudget(overall_rate=0)
    telegram = Telegram(budget)
    for batch in range(4):
        chats = range(batch * SWEEP_FROM + 1, (batch + 1) * SWEEP_FROM + 1)
        await asyncio.gather(*(telegram.send(chat) for chat in chats))
        await asyncio.sleep(1)  # each chat's pace is free again

    assert len(budget._chats) <= 2 * SWEEP_FROM


# --- the last look -------------------------------------------------------------------------------


class Wish:
    """A member's wish for a bulk message, as a last look reads it (and how often it was read)."""

    def __init__(self) -> None:
        self.wanted = True
        self.looks = 0

    async def __call__(self) -> bool:
        self.looks += 1
        return self.wanted

    def look(self, read_at: float) -> LastLook:
        return LastLook(self, read_at)


@in_virtual_time
async def test_a_bulk_request_whose_facts_still_stand_goes_without_looking_again() -> None:
    telegram = Telegram(SendBudget())
    wishes = [Wish() for _ in range(20)]
    read_at = now()

    await asyncio.gather(*(telegram.send(n, wish.look(read_at)) for n, wish in enumerate(wishes)))

    assert len(telegram.times(Lane.BULK)) == 20  # within LOOK_STANDS: 20 slots, 0.67 s
    assert [wish.looks for wish in wishes] == [0] * 20


@in_virtual_time
async def test_a_bulk_request_whose_facts_are_stale_looks_before_it_takes_a_slot() -> None:
    telegram = Telegram(SendBudget(overall_rate=1, reply_burst=1))
    unwanted, wanted = Wish(), Wish()
    unwanted.wanted = False
    stale = now() - LOOK_STANDS - 0.1
    asked_at = now()

    with pytest.raises(NotWanted):
        await telegram.send(1, unwanted.look(stale))
    await telegram.send(2, wanted.look(stale))

    assert (unwanted.looks, wanted.looks) == (1, 1)
    assert telegram.times(Lane.BULK) == [asked_at]  # the one not wanted took no slot


@in_virtual_time
async def test_a_bulk_request_whose_slot_comes_late_looks_again_when_it_comes() -> None:
    telegram = Telegram(unlimited())
    withdrawn, kept = Wish(), Wish()

    async def bulk_waits_out_the_pause() -> None:
        read_at = now()  # fresh, but the pause (PAUSE s) outlasts LOOK_STANDS
        waiting = [
            telegram.start(chat, wish.look(read_at)) for chat, wish in ((2, withdrawn), (3, kept))
        ]
        await asyncio.sleep(0.5)
        withdrawn.wanted = False  # the member said no more while their message waited
        with pytest.raises(NotWanted):
            await waiting[0]
        await waiting[1]

    refused = await while_refused(telegram, 1, bulk_waits_out_the_pause)
    await refused

    assert PAUSE > LOOK_STANDS
    assert sorted(sent.chat for sent in telegram.sent) == [1, 3]
    assert (withdrawn.looks, kept.looks) == (1, 1)


# --- through PTB, against the fake Bot API's flood limits ------------------------------------


def test_the_bot_sends_through_a_send_budget(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "doorstep.db")
    application = bot.build_application(settings, bot.read_surveys(SURVEYS), request=FakeBotApi())

    assert isinstance(application.bot.rate_limiter, SendBudget)


@in_virtual_time
async def test_the_bots_replies_are_paid_long_before_every_update_waits_for_the_budget(
    tmp_path: Path,
) -> None:
    """Each update being handled holds one reply at most, so replies never wait much more than
    CONCURRENT_UPDATES / 30 seconds for the free budget: paid replies start well before (at a
    second they seldom did, and updates queued out of the budget's sight instead)."""
    budget = bot.send_budget(settings_for(tmp_path / "doorstep.db", paid_replies=True))
    telegram = Telegram(budget)

    replies = [telegram.start(member) for member in range(bot.CONCURRENT_UPDATES // 2 + 1)]
    await asyncio.sleep(0)

    assert budget.prefers_sends()
    await asyncio.gather(*replies)


async def started_bot(api: FakeBotApi, budget: SendBudget) -> ExtBot:
    ext_bot = ExtBot(TEST_TOKEN, request=api, get_updates_request=api, rate_limiter=budget)
    await ext_bot.initialize()
    return ext_bot


@in_virtual_time
async def test_the_lane_and_the_paid_flag_travel_through_ptb_to_telegram() -> None:
    api = FakeBotApi()
    budget = SendBudget(overall_rate=1, paid_rate=100, paid_replies=True)
    ext_bot = await started_bot(api, budget)
    message = await ext_bot.send_message(1, "Question 1")
    backlog = [asyncio.create_task(ext_bot.send_message(n, f"Hi {n}")) for n in range(2, 6)]
    await asyncio.sleep(0)

    await ext_bot.send_message(7, "Question 2")  # would wait 3 s
    await ext_bot.edit_message_text("Question 1 (answered)", 1, message.message_id)
    await ext_bot.send_message(6, "Invitation", rate_limit_args=Lane.BULK)  # not a reply: free
    await asyncio.gather(*backlog)

    paid = {call.params.get("text"): call.params.get("allow_paid_broadcast") for call in api.calls}
    # A burst of two, then a second each: "Hi 4" would have waited two seconds.
    assert [paid[f"Hi {chat}"] for chat in range(2, 6)] == [None, None, True, True]
    assert paid["Question 2"] is True
    assert paid["Question 1 (answered)"] is None
    assert paid["Invitation"] is None
    assert budget.figures() == Figures(replies=7, bulk=1, paid=3, refusals=0)


@in_virtual_time
async def test_the_fake_telegram_refuses_calls_over_its_limits() -> None:
    api = FakeBotApi(limits=TelegramLimits(paid_burst=10))
    ext_bot = ExtBot(TEST_TOKEN, request=api, get_updates_request=api)  # no budget
    await ext_bot.initialize()

    sent = await asyncio.gather(
        *(ext_bot.send_message(1, "Hi") for _ in range(4)), return_exceptions=True
    )
    assert [type(result) for result in sent].count(RetryAfter) == 1  # a burst of 3 per chat
    await asyncio.sleep(1)
    await asyncio.gather(
        *(ext_bot.send_message(chat, "Hi", allow_paid_broadcast=True) for chat in range(10, 20))
    )  # paid: the overall burst of 3 does not apply
    sent = await asyncio.gather(
        *(ext_bot.send_message(chat, "Hi") for chat in range(20, 25)), return_exceptions=True
    )
    refusals = [result for result in sent if isinstance(result, RetryAfter)]
    assert len(refusals) == 2
    assert refusals[0].retry_after == 1
    assert api.refusals == 3
    assert [call.over_limit for call in api.calls].count(True) == 3


@in_virtual_time
async def test_the_fake_telegram_refuses_a_blocked_chat_and_dates_every_call() -> None:
    api = FakeBotApi(limits=TelegramLimits())
    ext_bot = ExtBot(TEST_TOKEN, request=api, get_updates_request=api)
    await ext_bot.initialize()
    api.block(2)

    await ext_bot.send_message(1, "Hi")
    await asyncio.sleep(1)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await ext_bot.send_message(2, "Hi")

    first, blocked = api.calls_of("sendMessage")
    assert blocked.at - first.at == 1
    assert not blocked.over_limit
    assert api.messages(2) == []


class LateArrivals(FakeBotApi):
    """Telegram over a network: each request reaches it 0 to 20 ms after it left, at random."""

    def __init__(self, seed: int) -> None:
        super().__init__(limits=TelegramLimits())
        self._delays = random.Random(seed)

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(self._delays.uniform(0, 0.02))
        return await super().do_request(url, method, *args, **kwargs)


async def replies_and_bulk(ext_bot: ExtBot) -> None:
    """Twenty conversations (six calls each, four at once) while 150 invitations go."""

    async def conversation(member: int) -> None:  # what the bot says while a member answers
        shown = await ext_bot.send_message(member, "Question 1")
        await ext_bot.edit_message_text("Question 1: Yes", member, shown.message_id)
        await asyncio.gather(*(ext_bot.send_message(member, f"Part {n}") for n in range(4)))

    async def invitation(member: int) -> None:
        await ext_bot.send_message(member, "A new survey", rate_limit_args=Lane.BULK)

    await asyncio.gather(
        *(conversation(member) for member in range(1, 21)),
        *(invitation(member) for member in range(1, 151)),  # to those members too
    )


@pytest.mark.parametrize("seed", range(3))
@in_virtual_time
async def test_requests_that_reach_telegram_late_draw_no_refusal(seed: int) -> None:
    """The slot the replies keep back absorbs requests that arrive later than planned (with a
    reply_burst of 3, Telegram's own, each of these seeds drew one or two 429s)."""
    api = LateArrivals(seed)

    await replies_and_bulk(await started_bot(api, SendBudget()))

    assert api.refusals == 0


@pytest.mark.parametrize("seed", range(3))
@in_virtual_time
async def test_a_chat_kept_at_its_limit_draws_no_refusal_for_late_arrivals(seed: int) -> None:
    """A member whose replies come faster than one a second: the tenth of a second each chat
    keeps in hand absorbs requests that reach Telegram up to 20 ms late (without it, each of
    these seeds drew a 429)."""
    api = LateArrivals(seed)
    ext_bot = await started_bot(api, SendBudget())

    for n in range(8):
        await ext_bot.send_message(1, f"Question {n}")

    assert api.refusals == 0


@in_virtual_time
async def test_a_bulk_slot_handed_out_late_counts_from_when_it_went() -> None:
    """A busy event loop hands out a bulk slot 20 ms late: the replies right after it keep
    their distance from it, not from when it was due (checked against a Telegram whose burst
    is the replies' own, so with no margin at all)."""
    api = FakeBotApi(limits=TelegramLimits(overall_burst=2))
    ext_bot = await started_bot(api, SendBudget(reply_burst=2))
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop)
    await ext_bot.send_message(1000, "Invitation", rate_limit_args=Lane.BULK)
    late = asyncio.create_task(ext_bot.send_message(1001, "Invitation", rate_limit_args=Lane.BULK))
    loop.call_at(now() + SLOT - 0.001, loop.advance, 0.021)  # busy until 20 ms past the slot

    await late
    await asyncio.gather(*(ext_bot.send_message(member, "Reply") for member in range(1, 4)))

    assert api.refusals == 0


@in_virtual_time
async def test_replies_woken_together_after_the_loop_was_held_up_keep_their_distance() -> None:
    """The event loop is held up for 200 ms (a garbage collection, say) while eight replies wait
    for their slots: those woken together go a slot apart, not all at once (checked against a
    Telegram whose burst is the replies' own, so with no margin at all)."""
    api = FakeBotApi(limits=TelegramLimits(overall_burst=2))
    ext_bot = await started_bot(api, SendBudget(reply_burst=2))
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop)
    replies = [asyncio.create_task(ext_bot.send_message(chat, "Reply")) for chat in range(1, 9)]
    loop.call_at(now() + SLOT / 2, loop.advance, 0.2)

    await asyncio.gather(*replies)

    at_once = Counter(call.at for call in api.calls_of("sendMessage"))
    assert api.refusals == 0
    assert max(at_once.values()) == 2  # the burst, and no more


@in_virtual_time
async def test_the_budget_keeps_within_telegrams_limits_for_a_burst_of_replies_and_bulk() -> None:
    api = FakeBotApi(limits=TelegramLimits())
    budget = SendBudget()
    ext_bot = await started_bot(api, budget)

    await asyncio.gather(
        replies_and_bulk(ext_bot),
        *(ext_bot.send_message(GROUP, f"Digest part {n}") for n in range(22)),
    )

    assert api.refusals == 0
    assert budget.figures() == Figures(replies=20 * 6 + 22, bulk=150, paid=0, refusals=0)
