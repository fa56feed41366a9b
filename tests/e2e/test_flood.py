"""One member cannot slow everyone: flood control, and Telegram's refusals kept to one chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from telegram import Update

import bot
from handlers import render
from handlers.flood import FLOOD_LIMIT, FLOOD_WINDOW
from tests.e2e.test_answering import NORTH
from tests.support.fake_telegram import Failure
from tests.support.harness import BotHarness, MemberChat

LIBRARY = Path(bot.__file__).parent / "surveys" / "library"
TOO_MANY_REQUESTS = Failure(429, "Too Many Requests: retry after 2", retry_after=2)
# PTB's own RetryAfter warns, when built, that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def all_at_once(harness: BotHarness) -> None:
    """From now on, every member update comes at the same moment, a window after the last."""
    harness.flood_clock.seconds += FLOOD_WINDOW
    harness.flood_clock.step = 0


def calm_down(harness: BotHarness) -> None:
    """A window passes with nothing sent."""
    harness.flood_clock.seconds += FLOOD_WINDOW


async def until(condition: Callable[[], bool]) -> None:
    """Let the bot run until `condition` holds (at most a few seconds)."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the bot never got there")


def calls_to(harness: BotHarness, chat: MemberChat, method: str | None = None) -> list[int]:
    """Positions in the Bot API's call log of the calls to `chat` (of `method`, if given)."""
    return [
        position
        for position, call in enumerate(harness.api.calls)
        if call.params.get("chat_id") == chat.chat_id and method in (None, call.method)
    ]


def queue_messages(harness: BotHarness, chat: MemberChat, texts: list[str]) -> list[int]:
    """Messages from `chat` put on the update queue, as long polling hands them over; their ids."""
    ids = []
    for text in texts:
        message = harness.api.record_member_message(chat.chat_id, text)
        update = Update.de_json(
            chat.message_update(message.message_id, text), harness.application.bot
        )
        harness.application.update_queue.put_nowait(update)
        ids.append(message.message_id)
    return ids


async def test_a_flooding_member_does_not_delay_another_members_replies(
    harness: BotHarness,
) -> None:
    flooder, answerer = harness.member(5001, "Flo"), harness.member(5002, "Ann")
    for chat in (flooder, answerer):
        await chat.send("/start")
        await chat.tap("I agree")
    shown = len(flooder.messages())
    sent_before = len(calls_to(harness, flooder, "sendMessage"))
    all_at_once(harness)
    # Telegram refuses the first reply to the flooder's chat for 2 seconds.
    harness.api.fail_next("sendMessage", TOO_MANY_REQUESTS, chat_id=flooder.chat_id)

    flood = queue_messages(harness, flooder, [f"spam {n}" for n in range(50)])
    await until(lambda: len(calls_to(harness, flooder, "sendMessage")) > sent_before)  # refused
    answerer_started = len(harness.api.calls)
    await answerer.take_survey("all-types", NORTH, "Yes", "Central", "NHS", "Done")
    flooders_chat_still_paused = len(calls_to(harness, flooder, "sendMessage")) == sent_before + 1
    await harness.application.update_queue.join()

    assert flooders_chat_still_paused
    retried = calls_to(harness, flooder, "sendMessage")[sent_before + 1]
    answerers_calls = [p for p in calls_to(harness, answerer) if p >= answerer_started]
    assert len(answerers_calls) == 6  # the survey's opening, then one per answer and tick
    assert max(answerers_calls) < retried  # the answerer was served while the flooder waited
    assert "How hopeful are you?" in answerer.latest().plain
    # The flooder: heard FLOOD_LIMIT times, told once, then not heard; nothing else was stored.
    assert flooder.texts_since(shown) == [render.NO_OPEN_QUESTION] * FLOOD_LIMIT + [render.FLOODING]
    last_heard = await harness.scalar(
        "SELECT last_message_id FROM members WHERE telegram_id = ?", flooder.user_id
    )
    assert last_heard == flood[FLOOD_LIMIT - 1]


async def test_a_flooding_members_answers_change_nothing_until_they_calm_down(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    all_at_once(harness)
    for _ in range(FLOOD_LIMIT - 1):
        await member.send("/help")
    shown = len(member.messages())
    question = member.latest_with_buttons()

    await member.tap(NORTH)  # the last one heard: the question becomes the next one
    await member.tap("Yes")  # one too many: not heard
    await member.send("Central")
    await member.tap("No")

    assert await harness.answers_of(member) == {"area": "north"}
    assert "Are you a member?" in question.plain
    assert member.texts_since(shown) == [render.FLOODING]  # one notice, then silence
    assert [set(answer) for answer in member.callback_answers()[-2:]] == [
        {"callback_query_id"}  # answered without text, so that the spinner stops
    ] * 2
    calm_down(harness)
    await member.tap("Yes")
    assert await harness.answers_of(member) == {"area": "north", "member": "yes"}


async def test_organiser_groups_are_not_flood_controlled(harness: BotHarness) -> None:
    organisers = harness.group()
    all_at_once(harness)

    for _ in range(FLOOD_LIMIT + 5):
        await organisers.send("/surveys")  # a member command: pointed to the private chat

    assert len(organisers.messages()) == FLOOD_LIMIT + 5
    assert render.FLOODING not in [message.plain for message in organisers.messages()]


# The quickest a person answers: a new question can be tapped once Telegram has carried the tap
# to the bot and the next question back (a few tenths of a second) and the member has seen it;
# the ticks of a multiple-choice question follow each other faster. A member who tapped every
# question 0.7 s after the last would trip flood control in these surveys.
QUESTION_PACE = 0.8
TICK_PACE = 0.25
# Each survey's longest path: every follow-up shown, every multiple choice ticked in full.
LONGEST_PATHS = {
    "rebuilding-the-party": [
        *["1", "5", "3", "No"],
        ["Too few active members", "Members lack time", "No money or resources"],
        "Much more than now",
        ["Training and mentoring", "Paid local organisers", "Working with trade unions"],
        "2",
        ["Confidence or experience", "Nothing in particular", "Not sure"],
        *["Maybe", "12", "Yes", "It was a mistake", "Tuition fees", "More organisers"],
    ],
    "your-community": [
        "London",
        ["Jobs and wages", "Insecure work", "Cost of living"],
        "2",
        ["Low pay", "Not enough jobs", "Jobs too far away"],
        *["3", "4"],
        ["Hospitals", "GP surgeries", "Schools"],
        *["Renting from a private landlord", "40", "1", "Yes"],
        ["Cost of living", "Housing", "Immigration"],
        "It has fallen a lot",
        ["The party seems out of touch", "Cost of living not tackled", "Not sure"],
        "More buses",
    ],
}


async def answer_quickly(harness: BotHarness, chat: MemberChat, answer: str | list[str]) -> None:
    """Answer one question at the quickest pace: a label is tapped, anything else typed; a list
    is ticked, then Done."""
    harness.flood_clock.step = QUESTION_PACE
    for label in [answer] if isinstance(answer, str) else [*answer, "Done"]:
        if label in chat.latest().labels():
            await chat.tap(label, chat.latest())
        else:
            await chat.send(label)
        harness.flood_clock.step = TICK_PACE


@pytest.fixture
async def library_bot(database: Path) -> AsyncIterator[BotHarness]:
    """The bot with the bundled surveys."""
    running = await BotHarness.start(database, surveys=LIBRARY)
    yield running
    await running.stop()
    running.assert_no_errors()


@pytest.mark.parametrize("survey_id", LONGEST_PATHS)
async def test_quick_taps_through_a_whole_survey_are_never_a_flood(
    library_bot: BotHarness, survey_id: str
) -> None:
    chat = library_bot.member()
    await chat.send(f"/start {survey_id}")
    await answer_quickly(library_bot, chat, "I agree")

    for answer in LONGEST_PATHS[survey_id]:
        await answer_quickly(library_bot, chat, answer)

    assert chat.latest().plain.startswith("Thank you!")
    assert render.FLOODING not in [message.plain for message in chat.messages()]
