"""The send budget: Telegram's flood limits, spent on replies to members first, and on bulk sends
(invitations, reminders) with whatever the replies leave.

Telegram refuses a bot that sends more than about 30 messages a second overall, about one a
second to one private chat (short bursts tolerated) or 20 a minute to one group or channel; past
them it answers HTTP 429 "Too Many Requests: retry after N" (RetryAfter). PTB's `AIORateLimiter`
keeps the overall and group limits, but in one line: a broadcast of 5,000 invitations queued
before a member's reply makes the member wait three minutes. It has no per-private-chat limit,
and on any RetryAfter it pauses every request of the process.

So each request says which lane it is in, through PTB's `rate_limit_args`:

- `Lane.REPLY` (the default): an answer to something a member or an organiser just did. Replies
  book the next slot of the overall budget at once, in the order they come, and may run a slot
  ahead of the pace (`reply_burst`, 2) to absorb a burst.
- `Lane.BULK` (`await bot.send_message(..., rate_limit_args=Lane.BULK)`): a bulk request takes
  a slot only when the budget is idle at that moment, with no reply waiting and none of the
  replies' burst used; so a reply never waits behind more than one bulk slot, and bulk still
  gets every slot the replies leave.
- `LastLook(wanted, read_at)`: a bulk request that goes only if `wanted()` still says so when
  its slot comes (otherwise `NotWanted` is raised and nothing is sent). A bulk request may wait
  long for its slot (behind replies, or a refusal's pause), and the member it is for may have
  asked for no more meanwhile. What was read at `read_at` stands for LOOK_STANDS seconds: a
  request whose slot comes sooner goes without looking again. Looking is a database read, and
  one between a slot and its send makes the send late by a varying few milliseconds: at ten
  times Telegram's pace (bench/broadcast.py) that bunched sends into 429s and left the round 0.89
  of the budget. So a request looks again before it queues for a slot when its facts are older
  than that, and once more when the slot itself came later than that.

The overall budget is paced in virtual time (GCRA): `due` is when the pace is next free, each
request moves it on by one interval, and a request may go once `due` is at most its tolerance
ahead of now. One number per budget, no tokens to refill, no busy loop: replies sleep until their
booked slot, and one timer per budget hands idle slots to the bulk requests in line. Requests
that name a chat are paced (sends and edits alike: Telegram does not say whether edits count, so
they are taken to); others (answerCallbackQuery, setMyCommands, ...) are not. Each chat has a pace
of its own too, for both lanes: `per_chat_rate` with a burst of `per_chat_burst` for a private
chat, `group_per_minute` for a group or channel (by id or @username, as PTB counts them). Replies
to one chat go one at a time, so that a retried message keeps its place.

A request reaches Telegram a little later than the budget lets it go (the event loop is busy,
the network is slower for some requests than for others), and the budget cannot see when. So it
counts each request from the moment it goes, never from the slot it was due: a bulk slot handed
out a millisecond late is a millisecond lost, not taken back from the next slot, and replies
booked one after the other but woken together, after the event loop was held up (a garbage
collection, say), go a slot apart rather than all at once. And it keeps a margin: replies run at
most one slot ahead, where Telegram is taken to tolerate a burst of 3, and the slot kept back
absorbs a request that arrives late; each chat's pace keeps a tenth of its interval in hand (a
tenth of a second for a private chat, where a whole slot would be a second). Without these,
Telegram refused a reply whenever the request before it had arrived a millisecond late, and each
refusal held bulk sends for a second (bench/broadcast.py, at real scale: 49 refusals in a round
of 1,500 invitations while 50 members answered, which left the round 63% of the budget the
replies left; none, and 98%, with them).

Telegram's 429 does not say which limit was hit: "retry after N" reads the same for one chat's
limit as for the bot's. So the request that was refused decides:

- A request to one private chat (a positive `chat_id`): that chat's limit. That chat alone waits
  retry_after (+0.1 s, as PTB), then the request is tried again, up to `max_retries` times.
  Replies to other chats go on.
- A request to a group or channel (a negative id or an @username), or one that names no chat:
  the bot's limit, as PTB assumes. Every request waits.
- Refusals for BOT_WIDE_CHATS different private chats at once: the bot as a whole is over its
  limit (Telegram then refuses every chat), so every request waits too. One member at their
  chat's limit is common enough; several at the same moment is not, while flood control
  (handlers/flood.py) holds each member to 20 updates in 10 seconds.

Any refusal also makes the bulk lane wait for its length: whatever was refused, bulk is what can
wait.

Paid broadcasts (`allow_paid_broadcast`, on send methods only, never edits) lift the overall
limit to 1000 messages a second at 0.1 Telegram Stars each. With `paid_rate` set, a request that
is paid already draws on a budget of its own at that rate (per-chat limits still hold), as PTB's
limiter does. With `paid_replies` as well, a reply that is a send is made paid whenever replies
would otherwise wait more than `paid_reply_after` seconds for the free budget: this limiter sets
`allow_paid_broadcast` in the request's `data`. That reaches Telegram because PTB's
`ExtBot._do_post` passes the same dict to the limiter as `data` and to the callback as its
arguments, and the callback (`Bot._do_post`) builds the HTTP request from it only when called
(PTB 22; tests/handlers/test_send_budget.py checks it on the wire). `prefers_sends()` tells the
conversation code when that is so, so that it sends a new message rather than editing one.

The budget is this process's: two processes on one token would spend it twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import partial
from typing import Any, NamedTuple

from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

# Each chat's pace keeps this share of an interval in hand (a tenth of a second for a private
# chat): a request that reaches Telegram that much later than the one before it draws no 429.
CHAT_RESERVE = 0.1
# Seconds for which a bulk request's last look stands (see LastLook): a batch of invitations
# is sent in about half a second when no reply takes its slots.
LOOK_STANDS = 1.0
# Overlapping refusals for this many private chats mean the whole bot is refused.
BOT_WIDE_CHATS = 3
RETRY_MARGIN = 0.1  # seconds beyond retry_after, as PTB waits (by default)
# The Bot API methods that take `allow_paid_broadcast`: sends, never edits.
PAID_METHODS = frozenset(
    {
        "copyMessage",
        "sendAnimation",
        "sendAudio",
        "sendContact",
        "sendDice",
        "sendDocument",
        "sendGame",
        "sendInvoice",
        "sendLivePhoto",
        "sendLocation",
        "sendMediaGroup",
        "sendMessage",
        "sendPaidMedia",
        "sendPhoto",
        "sendPoll",
        "sendSticker",
        "sendVenue",
        "sendVideo",
        "sendVideoNote",
        "sendVoice",
    }
)
# The table of chats forgets those with nothing pending once it holds this many, and again each
# time it has doubled since: memory follows the chats active now, at a constant cost per request.
SWEEP_FROM = 1024

Result = bool | dict[str, Any] | list[dict[str, Any]]
Request = Callable[..., Coroutine[Any, Any, Result]]
ChatKey = int | str  # a chat's id, or a channel's @username


class Lane(Enum):
    """Whose turn a request waits for; passed as `rate_limit_args`. (A plain Enum on purpose:
    PTB drops a falsy `rate_limit_args`, and an Enum member is never falsy.)"""

    REPLY = "reply"  # an answer to what someone just did: first in line
    BULK = "bulk"  # invitations, reminders: only the slots that replies leave


@dataclass(frozen=True)
class Figures:
    """What the budget has done since it was made: requests that named a chat and that Telegram
    accepted, by lane (paid ones are in their lane too), and the refusals (429) it received."""

    replies: int = 0
    bulk: int = 0
    paid: int = 0
    refusals: int = 0


@dataclass(frozen=True)
class LastLook:
    """A bulk request that goes only if `wanted()` still says so when its slot comes, its
    facts as read at `read_at` (event-loop time) standing for LOOK_STANDS seconds."""

    wanted: Callable[[], Awaitable[bool]]
    read_at: float

    def stale(self, now: float) -> bool:
        """Whether what was read no longer stands: the request must look again."""
        return now - self.read_at > LOOK_STANDS

    async def again(self) -> LastLook:
        """Look again: the look as of now, or NotWanted."""
        read_at = asyncio.get_running_loop().time()
        if not await self.wanted():
            raise NotWanted
        return replace(self, read_at=read_at)


class NotWanted(Exception):
    """A bulk request withdrawn at its last look: nothing was sent."""


RateLimitArgs = Lane | LastLook

_SENT = {Lane.REPLY: "replies", Lane.BULK: "bulk"}


class SendBudget(BaseRateLimiter[RateLimitArgs]):
    """Telegram's limits shared out: replies first, bulk in what they leave, a pause for one
    chat where one will do, and paid broadcasts where they are allowed."""

    def __init__(
        self,
        overall_rate: float = FloodLimit.MESSAGES_PER_SECOND,
        per_chat_rate: float = FloodLimit.MESSAGES_PER_SECOND_PER_CHAT,
        per_chat_burst: int = 3,
        group_per_minute: float = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        reply_burst: int = 2,
        paid_rate: float = 0,
        paid_replies: bool = False,
        paid_reply_after: float = 1.0,
        max_retries: int = 3,
        retry_margin: float = RETRY_MARGIN,
    ) -> None:
        """Rates are per second (`group_per_minute` per minute); a rate of 0 sets no limit, and
        a `paid_rate` of 0 leaves paid requests in the free budget. `reply_burst` and
        `per_chat_burst` are how many requests may go at once (replies one fewer than the 3
        Telegram is taken to tolerate: a margin, see above). A refusal is waited out for its
        retry_after and `retry_margin` seconds (a benchmark that speeds Telegram up scales
        it down with the rates)."""
        times = (overall_rate, per_chat_rate, group_per_minute, paid_rate, paid_reply_after)
        if min(*times, retry_margin) < 0:
            raise ValueError("rates and times cannot be negative")
        if min(per_chat_burst, reply_burst) < 1 or max_retries < 0:
            raise ValueError("bursts are at least 1 and max_retries at least 0")
        if paid_replies and not paid_rate:
            raise ValueError("paid replies need a paid_rate")
        self._pauses = _Pauses()
        self._free = _Slots(_Pace.of(overall_rate, reply_burst), self._pauses)
        self._paid = _Slots(_Pace.of(paid_rate, reply_burst), self._pauses) if paid_rate else None
        self._private_pace = partial(_Pace.of, per_chat_rate, per_chat_burst, reserve=CHAT_RESERVE)
        # As PTB's AIORateLimiter: a minute's messages at once, then one every 60/rate seconds.
        self._group_pace = partial(
            _Pace.of, group_per_minute, max(1, int(group_per_minute)), 60, reserve=CHAT_RESERVE
        )
        self._paid_replies = paid_replies
        self._paid_reply_after = paid_reply_after
        self._max_retries = max_retries
        self._retry_margin = retry_margin
        self._chats: dict[ChatKey, _Chat] = {}
        self._sweep_at = SWEEP_FROM
        self._refused: dict[ChatKey, _Chat] = {}  # private chats refused lately
        self._counts: Counter[str] = Counter()

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close: a waiting request goes when its turn comes, as before."""

    def figures(self) -> Figures:
        """What was sent and refused so far."""
        return Figures(**self._counts)

    def prefers_sends(self) -> bool:
        """Whether a reply should be a new message rather than an edit now: paid replies are
        on, and a reply would wait more than `paid_reply_after` for the free budget (a send can
        be paid and go at once, an edit cannot)."""
        now = asyncio.get_running_loop().time()
        return self._paid_replies and self._free.backlog(now) > self._paid_reply_after

    async def process_request(
        self,
        callback: Request,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> Result:
        """Send a request when its lane's turn comes, within every limit that covers it; after a
        RetryAfter, pause what the refusal covers and try again, up to `max_retries` times."""
        look = rate_limit_args if isinstance(rate_limit_args, LastLook) else None
        lane = Lane.BULK if look else rate_limit_args or Lane.REPLY
        if not isinstance(lane, Lane):  # say so before anything is sent
            raise TypeError(f"rate_limit_args is a Lane or a LastLook, not {lane!r}")
        send = partial(callback, *args, **kwargs)
        key = chat_key(data)
        if key is None:  # not paced; only a pause of the whole bot holds it
            return await self._attempts(send, None, endpoint, self._bot_resumed)
        chat = self._chat(key)
        turn = (
            partial(self._bulk_turn, chat, data, look)
            if lane is Lane.BULK
            else partial(self._reply_turn, chat, endpoint, data)
        )
        # A chat's replies go one at a time, so that a retried message keeps its place.
        one_at_a_time: AbstractAsyncContextManager[Any] = (
            nullcontext() if lane is Lane.BULK else chat.replies
        )
        chat.users += 1  # keeps the chat in the table while it is in use
        try:
            async with one_at_a_time:
                result = await self._attempts(send, key, endpoint, turn)
        finally:
            chat.users -= 1
        self._counts[_SENT[lane]] += 1
        self._counts["paid"] += bool(data.get("allow_paid_broadcast"))
        return result

    async def _attempts(
        self,
        send: Callable[[], Coroutine[Any, Any, Result]],
        key: ChatKey | None,
        endpoint: str,
        turn: Callable[[], Coroutine[Any, Any, None]],
    ) -> Result:
        """Wait for the turn and send; after a refusal, pause and wait for a turn again."""
        retries = 0
        while True:
            await turn()
            try:
                return await send()
            except RetryAfter as refusal:
                self._counts["refusals"] += 1
                if retries == self._max_retries:
                    log.warning("Telegram still refuses %s after %d retries", endpoint, retries)
                    raise
                retries += 1
                self._pause(key, seconds(refusal) + self._retry_margin)

    async def _bot_resumed(self) -> None:
        await _until(lambda: self._pauses.everyone)

    async def _reply_turn(self, chat: _Chat, endpoint: str, data: dict[str, Any]) -> None:
        """Until the chat and the bot are free, then book the next overall slot and wait for
        it (and, if it woke late, for its distance from what went meanwhile). A refusal that
        came in meanwhile lets the slot go and starts again."""
        loop = asyncio.get_running_loop()
        while True:
            await _until(lambda: max(chat.opens(), self._pauses.everyone))
            slots = self._slots(Lane.REPLY, endpoint, data)
            booking = slots.book(loop.time())
            try:
                await asyncio.sleep(booking.start - loop.time())
                if (start := slots.send_at(loop.time())) > loop.time():  # it woke late
                    await asyncio.sleep(start - loop.time())
            except asyncio.CancelledError:
                slots.cancel(booking)
                raise
            now = loop.time()
            if max(chat.resumes, self._pauses.everyone) <= now:
                chat.pace.take(now)
                return

    async def _bulk_turn(self, chat: _Chat, data: dict[str, Any], look: LastLook | None) -> None:
        """Until the chat is free, then in line for a slot that nobody booked (the chat is
        asked again when the slot comes: a reply to it may have come first). The request's last
        look, if its facts are stale, is taken before it queues, where its read holds up no
        slot, and again only if the slot came late."""
        loop = asyncio.get_running_loop()
        slots = self._slots(Lane.BULK, "", data)
        while True:
            await _until(chat.opens)
            if chat.replies.locked():
                async with chat.replies:  # the chat's replies go first; then ask again
                    continue
            if look is not None and look.stale(loop.time()):
                look = await look.again()
            if await slots.bulk_turn(chat):
                break
        if look is not None and look.stale(loop.time()):
            await look.again()

    def _slots(self, lane: Lane, endpoint: str, data: dict[str, Any]) -> _Slots:
        """The budget a request draws on: the paid one for a paid request (a reply is made paid
        when it would wait too long otherwise), else the free one."""
        if self._paid is None:
            return self._free
        if lane is Lane.REPLY and endpoint in PAID_METHODS and self.prefers_sends():
            # The very dict that the callback turns into the HTTP request (see the docstring).
            data["allow_paid_broadcast"] = True
        return self._paid if data.get("allow_paid_broadcast") else self._free

    def _pause(self, key: ChatKey | None, seconds: float) -> None:
        """Pause the refused private chat, or every request when the refusal was the bot's;
        bulk in any case."""
        now = asyncio.get_running_loop().time()
        resumes = now + seconds
        self._pauses.bulk = max(self._pauses.bulk, resumes)
        if key is not None and is_private(key):
            chat = self._chats[key]
            chat.resumes = max(chat.resumes, resumes)
            # Pauses that are over are forgotten, so this holds only chats being refused now.
            self._refused = {k: c for k, c in self._refused.items() if c.resumes > now}
            self._refused[key] = chat
            if len(self._refused) < BOT_WIDE_CHATS:
                log.info("Telegram refuses one private chat: it waits %.1f s", seconds)
                return
        self._pauses.everyone = max(self._pauses.everyone, resumes)
        log.info("Telegram refuses the bot: every request waits %.1f s", seconds)

    def _chat(self, key: ChatKey) -> _Chat:
        chat = self._chats.get(key)
        if chat is None:
            self._sweep()
            pace = self._private_pace() if is_private(key) else self._group_pace()
            chat = self._chats[key] = _Chat(pace)
        return chat

    def _sweep(self) -> None:
        """Forget the chats with nothing pending, once the table has doubled since last time."""
        if len(self._chats) < self._sweep_at:
            return
        now = asyncio.get_running_loop().time()
        self._chats = {key: chat for key, chat in self._chats.items() if not chat.idle(now)}
        self._sweep_at = max(SWEEP_FROM, 2 * len(self._chats))


@dataclass
class _Pace:
    """Virtual-time pacing (GCRA): one request every `interval` seconds, up to `burst` at once.
    `due` is when the pace is next free; each request moves it on by one interval."""

    interval: float
    burst: int = 1
    due: float = 0.0
    reserve: float = 0.0  # the share of an interval kept in hand, for requests that arrive late

    @classmethod
    def of(cls, rate: float, burst: int = 1, period: float = 1, *, reserve: float = 0) -> _Pace:
        """`rate` requests per `period` seconds; a rate of 0 is no limit."""
        return cls(period / rate if rate else 0.0, burst, reserve=reserve)

    def opens(self) -> float:
        """When a request next keeps to the pace, running up to `burst` - 1 requests ahead
        (less the reserve)."""
        return self.due - (self.burst - 1 - self.reserve) * self.interval

    def take(self, at: float) -> float:
        """Count a request that goes at `at` (or that has booked that slot); the new `due`."""
        self.due = max(self.due, at) + self.interval
        return self.due

    def take_idle(self, now: float) -> None:
        """Count a request that goes while the pace is idle (`due` is past), from now: a timer
        that fired late has lost that time (counting the request from when it was due instead
        would let the next requests reach Telegram too close behind it)."""
        self.due = max(self.due, now) + self.interval


@dataclass
class _Pauses:
    """When requests may go again after Telegram's refusals, in event-loop time."""

    everyone: float = 0.0
    bulk: float = 0.0


@dataclass
class _Chat:
    """One chat's pace and pause, and its replies one at a time."""

    pace: _Pace
    resumes: float = 0.0
    replies: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # requests to this chat being processed

    def opens(self) -> float:
        """When a request to this chat may next go."""
        return max(self.pace.opens(), self.resumes)

    def open_for_bulk(self, now: float) -> bool:
        """Whether a bulk request may go now: the chat's pace allows it, and no reply to it is
        on its way."""
        return not self.replies.locked() and self.opens() <= now

    def idle(self, now: float) -> bool:
        """Nothing pending: forgetting the chat changes nothing."""
        return self.users == 0 and max(self.pace.due, self.resumes) <= now


class _Booking(NamedTuple):
    start: float  # when the reply goes
    due: float  # the pace's `due` right after it was booked


class _Slots:
    """One overall budget (the free one, or the paid broadcasts'), shared out between the lanes:
    a reply books the next slot at once; bulk requests queue for the slots nobody booked.

    Bookings say when replies should go; `_sent` keeps the same pace by when requests did go.
    Replies booked one after the other but woken together, after the event loop was held up
    (a garbage collection, say), would otherwise all go at once: each takes the next slot of
    `_sent` when it wakes instead, and bookings move on behind them."""

    def __init__(self, pace: _Pace, pauses: _Pauses) -> None:
        self._pace = pace
        self._sent = _Pace(pace.interval, pace.burst)
        self._pauses = pauses
        self._line: deque[tuple[asyncio.Future[bool], _Chat]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def backlog(self, now: float) -> float:
        """How long a reply booked now would wait."""
        return max(0.0, self._pace.opens() - now)

    def send_at(self, now: float) -> float:
        """When a reply whose booked slot has come may go: now, unless it woke late and the
        requests that went meanwhile leave no room (then later, and the bookings after it
        later too)."""
        start = max(now, self._sent.opens())
        self._pace.due = max(self._pace.due, self._sent.take(now))
        return start

    def book(self, now: float) -> _Booking:
        """The next slot for a reply, within the replies' burst."""
        start = max(now, self._pace.opens())
        return _Booking(start, self._pace.take(now))

    def cancel(self, booking: _Booking) -> None:
        """Give back a booked slot that will not be used, unless a later booking stands behind
        it (then it stays empty: one interval lost, nothing held for ever)."""
        if self._pace.due == booking.due:
            self._pace.due -= self._pace.interval
            if self._timer is not None:
                self._timer.cancel()
            self._grant()

    async def bulk_turn(self, chat: _Chat) -> bool:
        """Wait in line for a slot nobody booked; False if `chat` could not take it then."""
        turn: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._line.append((turn, chat))
        if self._timer is None:
            self._grant()
        # Cancelled, the future is cancelled too, and `_grant` passes over it.
        return await turn

    def _grant(self) -> None:
        """Hand each idle moment to the first bulk request in line whose chat can take it, and
        set the timer for when the budget is idle next."""
        self._timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._line:
            opens = max(self._pace.due, self._sent.due, self._pauses.bulk, self._pauses.everyone)
            if opens > now:  # a reply booked ahead, or a refusal: look again then
                self._timer = loop.call_at(opens, self._grant)
                return
            turn, chat = self._line.popleft()
            if turn.done():
                continue
            if chat.open_for_bulk(now):
                self._pace.take_idle(now)
                self._sent.take(now)
                chat.pace.take(now)
                turn.set_result(True)
            else:
                turn.set_result(False)


async def _until(when: Callable[[], float]) -> None:
    """Sleep until the time `when()` says; it may move on while we sleep (a new refusal)."""
    loop = asyncio.get_running_loop()
    # A deadline rather than an Event: a later refusal may move it on while we sleep.
    while (delay := when() - loop.time()) > 0:  # noqa: ASYNC110
        await asyncio.sleep(delay)


def chat_key(data: dict[str, Any]) -> ChatKey | None:
    """The chat a request names: its id, or a channel's @username; None when it names none."""
    chat_id = data.get("chat_id")
    if chat_id is None:
        return None
    try:
        return int(chat_id)  # an int, or the same as a string
    except (TypeError, ValueError):  # a channel's @username
        return str(chat_id)


def is_private(key: ChatKey) -> bool:
    """Whether a chat is a member's private chat (groups and channels have negative ids)."""
    return isinstance(key, int) and key > 0


def seconds(refusal: RetryAfter) -> float:
    """How long Telegram asked to wait."""
    # PTB 22 warns that `retry_after` will be a timedelta; it is one under PTB_TIMEDELTA=1.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = refusal.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
