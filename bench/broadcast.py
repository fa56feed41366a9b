"""Benchmark: an invitation round to 10,000 members under Telegram's flood limits, while 50
other members answer a survey; the same round killed half way; and a launch with paid replies.

Run with `.venv/bin/python bench/broadcast.py` (about two and a half minutes on two cores; a
smoke run: `--members 300 --answering 10 --launch 100 --think=.2,.5`).

Everything runs in this one process, offline: bot.py's Application (`BotHarness`, as the tests
build it) over a temporary SQLite file and the fake Bot API transport
(tests/support/fake_telegram.py) with Telegram's flood limits modelled: 30 calls a second
overall and one a second per private chat (bursts of 3 for both), 1000 a second for paid
broadcasts, and HTTP 429 with `retry_after` for a call past them. Members are recorded through
the store (`record_consent`) before the first update; one invited member in 50 (2%) has blocked
the bot, and the fake answers every call to them with 403 "bot was blocked by the user". The
real bulk sender (handlers/sender.py) runs as a background task, started as `bot.py run`
starts it.

1. The round. An administrator sends /invite and taps Send, through the Application, and the
   sender sends the round in the send budget's bulk lane. Meanwhile 50 other members (their
   invitations off, so outside the round) answer a repeatable survey of five yes/no questions
   by tapping, again and again, 2 to 8 seconds over each question (`--think`). Each update goes
   through the Application's update processor (32 at a time, each chat in order) and
   `process_update`, as polling hands it over; its reply latency is that call's wall time (the
   handler replies before it returns).
   So as not to take the nine minutes this round takes at 30 a second, time runs `--factor` (10)
   times as fast: the fake's limits, the send budget's rates and retry margin, and the think
   times are all scaled by it, so the traffic is the real one, compressed. The work of each
   update is not: it takes the same CPU time at any factor. So a latency is split in two: the
   time its requests waited in the send budget (for a slot, or after a 429: queueing, F times
   shorter here than at real scale) and the rest (handler, database, PTB: processing, the same
   at any scale). At real scale it is processing + F x queueing, and the p95 printed is of that,
   update by update. That is, if anything, pessimistic: here the process is F times busier than
   at real scale, and the database is shared with a sender that claims batches F times as often.
   The measured p95 and F x the whole of it (an upper bound) are printed beside it. For the same
   reason these runs use an event loop whose timers keep to the microsecond (select) rather than
   epoll's millisecond: a timer up to a millisecond late is up to 3% of a slot at real scale,
   and would be up to 30% at 10 times the pace (bench/README.md has a round at real scale on
   epoll).
   Printed: the share of the budget the replies leave that invitations used (invitation calls
   a second that Telegram took, blocked members' included, from the first invitation to the
   last, over the scaled ceiling less the other chat-bound calls a second in that window;
   target >= 0.90); the 429s (target 0; the last line counts every run's); the reply p95 during
   the round at real scale (target <= 1 s); the chat-bound calls to the answering members per
   accepted answer (target <= 1.1), the opening message of each pass counted apart, one per
   survey, as tests/e2e/test_send_budget.py counts it (the figure with openings is printed too).
2. The crash. The same round, no one answering; once half the invitations are sent, the
   sender's task is cancelled wherever it is and the Application stops without settling
   anything (what SIGKILL leaves in the database: claimed rows stay "sending"), and a new
   Application over the same file and the same fake Telegram finishes the round. Printed: the
   members with more than one invitation (target 0), the rows of unknown fate, and the most
   that can be in flight, the sender's batch (target: unknown <= in flight).
3. The launch. 2,000 members who agreed open a survey at once (/start SURVEY) and answer its
   three questions, with paid replies on (DOORSTEP_PAID_REPLIES, DOORSTEP_PAID_BROADCAST_RATE
   1000) and the fake's paid ceiling at 1000 a second. This run is at real scale, not sped up,
   on the default event loop (about 25 seconds). Printed: the reply p95 of every update
   (target <= 2 s), and of the openings and the answers apart.

Not modelled: the network (the fake answers at once), polling itself (updates go to the update
processor directly), other processes on the token, group limits (no group is written to),
invitees answering their invitation, and whatever bursts Telegram really tolerates (the fake's
are guesses). The last line sums up the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import random
import selectors
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update

import bot
from app.settings import MAX_PAID_BROADCAST_RATE
from handlers.send_budget import RETRY_MARGIN, Request, Result, SendBudget
from handlers.sender import BATCH, SENDER_KEY, Sender
from tests.support.fake_telegram import Call, FakeBotApi, TelegramLimits
from tests.support.harness import BotHarness, MemberChat, settings_for

ADMIN = 1001
ANSWERING_FROM = 2_000_001  # Telegram ids of the members answering during the round
INVITED_FROM = 3_000_001  # of the members invited
LAUNCH_FROM = 5_000_001  # of the members of the launch
BLOCKED_EVERY = 50  # one invited member in 50 has blocked the bot: 2%
THINK = (2.0, 8.0)  # seconds a member takes over a question, at real scale
PROGRESS_EVERY = 5.0  # seconds between two progress lines
POLL = 0.05  # seconds between two looks at how far a round is
SEED = 11
SENDER_TASK = "doorstep-sender"  # the name Sender.start gives its task
ROUND_SURVEY, PULSE, LAUNCH = "local", "pulse", "launch"
PULSE_QUESTIONS, LAUNCH_QUESTIONS = 5, 3
T = TypeVar("T")


def yes_no_survey(survey_id: str, title: str, questions: int, *, repeatable: bool) -> str:
    """A survey of yes/no questions, answered by tapping."""
    lines = [
        f'  - {{id: q{n}, type: yesno, text: "Question {n}?"}}' for n in range(1, questions + 1)
    ]
    header = [f"id: {survey_id}", f"title: {title}", "intro: Quick."]
    header.append(f"repeatable: {str(repeatable).lower()}")
    return "\n".join([*header, "questions:", *lines]) + "\n"


def write_surveys(folder: Path) -> Path:
    """The round's survey, the answering members' repeatable one, and the launch's."""
    folder.mkdir()
    surveys = {
        ROUND_SURVEY: yes_no_survey(ROUND_SURVEY, "Local priorities", 3, repeatable=False),
        PULSE: yes_no_survey(PULSE, "Weekly pulse", PULSE_QUESTIONS, repeatable=True),
        LAUNCH: yes_no_survey(LAUNCH, "Launch day", LAUNCH_QUESTIONS, repeatable=False),
    }
    for survey_id, text in surveys.items():
        (folder / f"{survey_id}.yaml").write_text(text)
    return folder


# --- timing each update: the whole of it, and what it waited in the send budget -------------


@dataclass(frozen=True)
class Timing:
    """One member update: when it arrived, how long until its handler returned, and how much of
    that its requests waited in the send budget (for a slot, or after a refusal)."""

    chat_id: int
    at: float
    total: float
    queued: float

    def at_real_scale(self, factor: float) -> float:
        """Processing as measured, queueing `factor` times as long (see the docstring)."""
        return self.total - self.queued + factor * self.queued


_waits: ContextVar[list[float] | None] = ContextVar("waits", default=None)


class TimedBudget(SendBudget):
    """The send budget, noting how long each request of a timed update waited in it: from when
    it asked until its last attempt went to Telegram."""

    async def process_request(
        self,
        callback: Request,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,  # whatever the budget takes
    ) -> Result:
        """Send as the budget does; add the wait to the timed update's, if any."""
        waits = _waits.get()
        if waits is None:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        loop = asyncio.get_running_loop()
        asked = went = loop.time()

        async def timed(*positional: Any, **named: Any) -> Result:
            nonlocal went
            went = loop.time()
            return await callback(*positional, **named)

        try:
            return await super().process_request(
                timed, args, kwargs, endpoint, data, rate_limit_args
            )
        finally:
            waits.append(went - asked)


@dataclass
class TimedHarness(BotHarness):
    """The test harness, feeding each update through the Application's update processor (as
    polling does) and timing it."""

    timings: list[Timing] = field(default_factory=list)

    async def feed(self, data: dict[str, Any]) -> Update:
        """Process one update, in turn with the others (32 at a time, each chat in order)."""
        application = self.application
        update = Update.de_json(data, application.bot)
        waits: list[float] = []
        token = _waits.set(waits)
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        try:
            await application.update_processor.process_update(
                update, application.process_update(update)
            )
        finally:
            _waits.reset(token)
        chat = update.effective_chat
        if chat is not None:
            self.timings.append(Timing(chat.id, arrived, loop.time() - arrived, sum(waits)))
        return update


def limits_budget(limits: TelegramLimits) -> TimedBudget:
    """A send budget at the fake's rates (scaled with them), the retry margin as much shorter."""
    factor = limits.overall_rate / TelegramLimits().overall_rate
    return TimedBudget(
        overall_rate=limits.overall_rate,
        per_chat_rate=limits.per_chat_rate,
        group_per_minute=limits.group_rate * 60,
        retry_margin=RETRY_MARGIN / factor,
    )


async def start_bot(
    workdir: Path, api: FakeBotApi, budget: SendBudget, **settings: Any
) -> TimedHarness:
    """bot.py's Application over the database file in `workdir`, the bulk sender running."""
    harness = await TimedHarness.start(
        workdir / "doorstep.db",
        workdir / "surveys",
        api=api,
        rate_limiter=budget,
        admins={ADMIN},
        **settings,
    )
    assert isinstance(harness, TimedHarness)
    harness.settling = False
    sender: Sender = harness.application.bot_data[SENDER_KEY]
    sender.start()  # what build_application(background_sending=True) does
    return harness


# --- members ----------------------------------------------------------------------------------


def ids(first: int, count: int) -> list[int]:
    return list(range(first, first + count))


async def seed(harness: BotHarness, telegram_ids: Iterable[int], *, invitations: bool) -> None:
    """Members who agreed to the notice (and, unless `invitations`, turned invitations off)."""
    store, version, now = harness.db, harness.notice.version, harness.clock()
    for telegram_id in telegram_ids:
        await store.members.record_consent(telegram_id, True, version, now)
        if not invitations:
            await store.reach.set_invitations(telegram_id, False)


@dataclass(frozen=True)
class Thinking:
    """How long a member takes over a question: between `seconds` at real scale, `factor` times
    shorter in a run sped up."""

    seconds: tuple[float, float]
    factor: float = 1

    def time(self, rng: random.Random) -> float:
        return rng.uniform(*self.seconds) / self.factor


async def keep_answering(
    chat: MemberChat, rng: random.Random, thinking: Thinking, until: asyncio.Event
) -> int:
    """Open the repeatable survey and tap through it, again and again, until `until` is set;
    returns how many times it was opened."""
    openings = 0
    await asyncio.sleep(thinking.time(rng))  # members start one by one, not all at once
    while not until.is_set():
        await chat.send(f"/start {PULSE}")
        openings += 1
        for _ in range(PULSE_QUESTIONS):
            await asyncio.sleep(thinking.time(rng))
            if until.is_set():
                break
            await chat.tap(rng.choice(("Yes", "No")))
    return openings


async def accepted_answers(harness: BotHarness, first: int, count: int) -> int:
    """Answers stored for the members with Telegram ids first .. first + count - 1."""
    found = await harness.scalar(
        "SELECT count(*) FROM answers a JOIN responses r ON r.id = a.response_id"
        " JOIN members m ON m.id = r.member_id WHERE m.telegram_id BETWEEN ? AND ?",
        first,
        first + count - 1,
    )
    assert isinstance(found, int)
    return found


# --- a round ----------------------------------------------------------------------------------


async def start_round(harness: BotHarness) -> float:
    """An administrator previews the round and taps Send; returns when (loop time)."""
    admin = harness.member(ADMIN, "Admin")
    await admin.send(f"/invite {ROUND_SURVEY}")
    preview = admin.latest()
    send = next(label for label in preview.labels() if label.startswith("Send to"))
    started = asyncio.get_running_loop().time()
    await admin.tap(send, preview)
    return started


def is_invitation(call: Call, invited: set[int]) -> bool:
    """A call to an invited member's chat that Telegram took (they get nothing else)."""
    return call.chat_id in invited and not call.over_limit


@dataclass
class Tally:
    """The invitations Telegram took so far, counted as calls come in (not all again at each
    look: the bench should cost the event loop little)."""

    api: FakeBotApi
    invited: set[int]
    seen: int = 0
    sent: int = 0

    def count(self) -> int:
        calls = self.api.calls
        for index in range(self.seen, len(calls)):
            self.sent += is_invitation(calls[index], self.invited)
        self.seen = len(calls)
        return self.sent


async def wait_for_round(tally: Tally, until: Callable[[], Awaitable[bool]]) -> None:
    """Print progress every PROGRESS_EVERY seconds until `until()` holds."""
    loop = asyncio.get_running_loop()
    began = shown = loop.time()
    while not await until():
        await asyncio.sleep(POLL)
        if loop.time() - shown >= PROGRESS_EVERY:
            shown = loop.time()
            print(
                f"  {tally.count():,} of {len(tally.invited):,} invitations, {shown - began:.0f} s",
                flush=True,
            )


def round_finished(harness: BotHarness) -> Callable[[], Awaitable[bool]]:
    async def finished() -> bool:
        state = await harness.scalar("SELECT state FROM invitation_rounds ORDER BY id DESC")
        return state == "finished"

    return finished


def prepare_invited(harness: BotHarness, members: int) -> set[int]:
    """The members a round invites; one in BLOCKED_EVERY has blocked the bot."""
    invited = ids(INVITED_FROM, members)
    for telegram_id in invited[::BLOCKED_EVERY]:
        harness.api.block(telegram_id)
    return set(invited)


# --- 1. the round, with members answering --------------------------------------------------------


@dataclass(frozen=True)
class RoundFigures:
    share: float
    refusals: int
    p95: float
    calls_per_answer: float


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else 0.0


def budget_share(api: FakeBotApi, invited: set[int], ceiling: float) -> tuple[float, str]:
    """Invitations a second over what the other chat-bound calls left of `ceiling`, from the
    first invitation to the last; and a line that says so."""
    sent = [call for call in api.calls if is_invitation(call, invited)]
    start, end = sent[0].at, sent[-1].at
    others = [
        call
        for call in api.calls
        if call.chat_id is not None
        and call.chat_id not in invited
        and not call.over_limit
        and start <= call.at <= end
    ]
    seconds = end - start
    rate, other_rate = len(sent) / seconds, len(others) / seconds
    share = rate / (ceiling - other_rate)
    line = (
        f"  invitations {rate:,.1f}/s over {seconds:.1f} s; replies and cards {other_rate:,.1f}/s"
        f" of a ceiling of {ceiling:,.0f}/s: share {share:.2f} (target >= 0.90)"
    )
    return share, line


def reply_latency(
    timings: Sequence[Timing], window: tuple[float, float], chats: set[int], factor: float
) -> tuple[float, str]:
    """The p95 at real scale of the answering members' updates that came during the round."""
    during = [t for t in timings if t.chat_id in chats and window[0] <= t.at <= window[1]]
    real = percentile([t.at_real_scale(factor) for t in during], 0.95)
    measured = percentile([t.total for t in during], 0.95)
    queued = percentile([t.queued for t in during], 0.95)
    line = (
        f"  {len(during):,} member updates during the round: reply p95 {real:.2f} s at real scale"
        f" (target <= 1 s); measured {measured * 1000:.0f} ms, of which queued p95"
        f" {queued * 1000:.0f} ms; {factor:g} x the whole p95: {factor * measured:.2f} s"
    )
    return real, line


async def calls_per_answer(harness: BotHarness, chats: Sequence[int], openings: int) -> float:
    """Chat-bound calls to the answering members per accepted answer, openings counted apart."""
    calls = sum(len(harness.api.chat_bound_calls(chat)) for chat in chats)
    answers = await accepted_answers(harness, chats[0], len(chats))
    per_answer = (calls - openings) / answers
    print(
        f"  {answers:,} answers accepted, {calls:,} chat-bound calls to their members:"
        f" {per_answer:.2f} per answer besides the {openings:,} openings"
        f" ({calls / answers:.2f} with them; target <= 1.1)"
    )
    return per_answer


async def round_run(workdir: Path, options: Options) -> RoundFigures:
    """The round to `options.members`, while `options.answering` members answer throughout."""
    factor = options.factor
    limits = TelegramLimits().scaled(factor)
    api = FakeBotApi(limits=limits)
    harness = await start_bot(workdir, api, limits_budget(limits))
    invited = prepare_invited(harness, options.members)
    seeding = time.perf_counter()
    await seed(harness, sorted(invited), invitations=True)
    chats = ids(ANSWERING_FROM, options.answering)
    await seed(harness, chats, invitations=False)
    print(f"  {len(invited):,} members recorded in {time.perf_counter() - seeding:.1f} s")
    rng, stop, thinking = random.Random(SEED), asyncio.Event(), Thinking(options.think, factor)
    answering_tasks = [
        asyncio.create_task(keep_answering(harness.member(chat), rng, thinking, stop))
        for chat in chats
    ]
    await asyncio.sleep(options.think[1] / factor)  # under way before the round starts
    started = await start_round(harness)
    await wait_for_round(Tally(api, invited), round_finished(harness))
    ended = asyncio.get_running_loop().time()
    stop.set()
    openings = sum(await asyncio.gather(*answering_tasks))
    per_answer = await calls_per_answer(harness, chats, openings)
    await harness.stop()
    harness.assert_no_errors()
    share, share_line = budget_share(api, invited, limits.overall_rate)
    p95, latency_line = reply_latency(harness.timings, (started, ended), set(chats), factor)
    print(share_line)
    print(latency_line)
    print(refusals_line(api, invited), flush=True)
    return RoundFigures(share, api.refusals, p95, per_answer)


def refusals_line(api: FakeBotApi, invited: set[int]) -> str:
    refused = [call for call in api.calls if call.over_limit]
    to_invited = sum(call.chat_id in invited for call in refused)
    others = len(refused) - to_invited
    return f"  429s: {len(refused)} ({to_invited} to invitations, {others} to others)"


# --- 2. the round killed half way ---------------------------------------------------------------


@dataclass(frozen=True)
class CrashFigures:
    duplicates: int
    unknown: int
    refusals: int


async def kill_run(workdir: Path, members: int, factor: float) -> CrashFigures:
    """The round to `members` (no one answering), the process killed once half is sent, then
    restarted."""
    limits = TelegramLimits().scaled(factor)
    api = FakeBotApi(limits=limits)
    first = await start_bot(workdir, api, limits_budget(limits))
    invited = prepare_invited(first, members)
    await seed(first, sorted(invited), invitations=True)
    await start_round(first)

    tally = Tally(api, invited)

    async def half_sent() -> bool:
        return tally.count() >= members // 2

    await wait_for_round(tally, half_sent)
    await kill(first)
    print(f"  killed after {tally.count():,} invitations; a new Application goes on", flush=True)
    second = await start_bot(workdir, api, limits_budget(limits))
    await wait_for_round(tally, round_finished(second))
    unknown = await second.scalar("SELECT count(*) FROM outbox WHERE state = 'unknown'")
    assert isinstance(unknown, int)
    await second.stop()
    second.assert_no_errors()
    duplicates = sum(len(api.messages(chat)) > 1 for chat in invited)
    print(
        f"  finished: duplicates {duplicates} (target 0), unknown {unknown} (target <= in"
        f" flight: {BATCH}, the sender's batch), 429s {api.refusals}",
        flush=True,
    )
    return CrashFigures(duplicates, unknown, api.refusals)


async def kill(harness: BotHarness) -> None:
    """What SIGKILL leaves: the sender's task cancelled wherever it is (the rows it claimed stay
    "sending"), then the Application stopped without its sender, so that no shutdown of the
    sender settles anything (`Sender.stop` is free to finish its batch: a kill does not)."""
    (task,) = (task for task in asyncio.all_tasks() if task.get_name() == SENDER_TASK)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    del harness.application.bot_data[SENDER_KEY]
    await harness.stop()
    harness.assert_no_errors()


# --- 3. the launch ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LaunchFigures:
    p95: float
    refusals: int


async def take_launch_survey(chat: MemberChat, rng: random.Random, thinking: Thinking) -> None:
    """Open the launch survey and tap through it at a human pace."""
    await chat.send(f"/start {LAUNCH}")
    for _ in range(LAUNCH_QUESTIONS):
        await asyncio.sleep(thinking.time(rng))
        await chat.tap(rng.choice(("Yes", "No")))


async def launch_run(workdir: Path, options: Options) -> LaunchFigures:
    """`options.launch` members open a survey at once and answer it, paid replies on."""
    settings: dict[str, Any] = {
        "paid_replies": True,
        "paid_broadcast_rate": MAX_PAID_BROADCAST_RATE,
    }
    budget = bot.send_budget(settings_for(workdir / "doorstep.db", workdir / "surveys", **settings))
    api = FakeBotApi(limits=TelegramLimits(paid_rate=MAX_PAID_BROADCAST_RATE))
    harness = await start_bot(workdir, api, budget, **settings)
    chats = ids(LAUNCH_FROM, options.launch)
    await seed(harness, chats, invitations=True)
    rng, thinking = random.Random(SEED), Thinking(options.think)
    began = time.perf_counter()
    await asyncio.gather(
        *(take_launch_survey(harness.member(chat), rng, thinking) for chat in chats)
    )
    took = time.perf_counter() - began
    await harness.stop()
    harness.assert_no_errors()
    p95 = percentile([timing.total for timing in harness.timings], 0.95)
    openings = first_of_each_chat(harness.timings)
    answers = [timing for timing in harness.timings if timing not in openings]
    figures = budget.figures()
    print(
        f"  {len(chats):,} members, {len(harness.timings):,} updates in {took:.1f} s:"
        f" reply p95 {p95:.2f} s (target <= 2 s); openings"
        f" {percentile([t.total for t in openings], 0.95):.2f} s, answers"
        f" {percentile([t.total for t in answers], 0.95):.2f} s; {figures.paid:,} paid of"
        f" {figures.replies:,} replies; 429s {api.refusals}",
        flush=True,
    )
    return LaunchFigures(p95, api.refusals)


def first_of_each_chat(timings: Iterable[Timing]) -> set[Timing]:
    """Each member's first update (the launch: opening the survey)."""
    first: dict[int, Timing] = {}
    for timing in timings:
        first.setdefault(timing.chat_id, timing)
    return set(first.values())


# --- the whole run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """The command line."""

    members: int
    answering: int
    factor: float
    launch: int
    think: tuple[float, float]


def precise_loop() -> asyncio.AbstractEventLoop:
    """An event loop whose timers keep to the microsecond (select) rather than to epoll's
    millisecond, which would not shrink with the factor."""
    return asyncio.SelectorEventLoop(selectors.SelectSelector())


async def in_new_folder(run: Callable[[Path], Awaitable[T]]) -> T:
    """Run with a fresh temporary folder holding the surveys."""
    with tempfile.TemporaryDirectory() as folder:
        write_surveys(Path(folder) / "surveys")
        return await run(Path(folder))


def main(options: Options) -> None:
    """The three runs, each in a fresh temporary folder, and the line that sums them up."""
    began = time.perf_counter()
    members, factor = options.members, options.factor
    print(f"time runs {factor:g} times as fast in runs 1 and 2 (--factor)", flush=True)
    with asyncio.Runner(loop_factory=precise_loop) as runner:
        print(f"1. a round to {members:,} members while {options.answering} others answer")
        figures = runner.run(in_new_folder(partial(round_run, options=options)))
        print(f"2. a round to {members:,} members, killed half way and restarted", flush=True)
        crash = runner.run(in_new_folder(partial(kill_run, members=members, factor=factor)))
    print(f"3. a launch: {options.launch:,} members answering at once, paid replies", flush=True)
    launch = asyncio.run(in_new_folder(partial(launch_run, options=options)))
    refusals = figures.refusals + crash.refusals + launch.refusals
    print(f"all runs: {time.perf_counter() - began:.0f} s", flush=True)
    print(
        f"broadcast: share {figures.share:.2f} of budget, 429s {refusals},"
        f" reply p95 {figures.p95:.2f} s, calls/answer {figures.calls_per_answer:.2f},"
        f" duplicates {crash.duplicates}, launch p95 {launch.p95:.2f} s"
    )


def think_range(text: str) -> tuple[float, float]:
    """`MIN,MAX` seconds."""
    low, high = (float(part) for part in text.split(","))
    return low, high


def command_line() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000, help="members a round invites")
    parser.add_argument("--answering", type=int, default=50, help="members answering meanwhile")
    parser.add_argument("--factor", type=float, default=10, help="how much faster time runs")
    parser.add_argument("--launch", type=int, default=2000, help="members of the launch")
    parser.add_argument(
        "--think", type=think_range, default=THINK, help="MIN,MAX seconds over a question"
    )
    arguments = parser.parse_args()
    return Options(
        arguments.members, arguments.answering, arguments.factor, arguments.launch, arguments.think
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # the bot's own warnings (bundled notice, ...)
    main(command_line())
