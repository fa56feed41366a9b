"""What the member's conversation spends of Telegram's send budget (about 30 chat-bound calls a
second for the whole bot), counted as the fake Bot API sees the calls: one call per accepted
answer. A tapped answer edits the question into the next one, a typed one is followed by one
message; opening a survey, agreeing to the notice, a refusal and Back are one call each. When
the edit cannot be made (Telegram refuses it, or the rate limiter prefers sends) the same
content is sent instead: still one message for the member to read."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from handlers import render
from handlers.send_budget import SendBudget
from tests.e2e.test_answering import NORTH, answer_up_to_priorities
from tests.support.fake_telegram import Call, Failure
from tests.support.harness import BotHarness, MemberChat

# Chat-bound calls of the all-types survey from the privacy notice to the recap (seven answers,
# one tick): one for the notice, one for I agree (the notice becomes the survey's opening), one
# per answer and per tick. Before the one-call conversation it was 16.
TODAY = 10
ALL_TYPES_ANSWERS = [NORTH, "Yes", "Central branch", "Housing", "Done", "4", "34", "More buses"]
ACCEPTED, TICKS = 7, 1  # "Housing" is a tick; "Done" gives the multi question its answer


def spent(harness: BotHarness, member: MemberChat, since: int) -> list[str]:
    return [call.method for call in harness.api.chat_bound_calls(member.chat_id)[since:]]


def calls_so_far(harness: BotHarness, member: MemberChat) -> int:
    return len(harness.api.chat_bound_calls(member.chat_id))


def content(call: Call) -> tuple[str, list[list[dict[str, Any]]]]:
    """The text and buttons a send or an edit carried."""
    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return call.params["text"], markup.get("inline_keyboard", [])


# --- one call per step ---------------------------------------------------------------------------


async def test_a_tapped_answer_costs_one_edit(harness: BotHarness, member: MemberChat) -> None:
    await answer_up_to_priorities(member)
    await member.tap("Housing")
    await member.tap("Done")
    question = member.latest()
    before = calls_so_far(harness, member)

    await member.tap("4")

    assert spent(harness, member, before) == ["editMessageText"]
    assert question.plain.startswith("How hopeful are you?\n✔️ 4\n\n")
    assert "How old are you?" in question.plain


@pytest.mark.parametrize("label", ["Done", "Skip »"])
async def test_done_and_skip_cost_one_edit(
    harness: BotHarness, member: MemberChat, label: str
) -> None:
    await answer_up_to_priorities(member)
    await member.tap("NHS")
    await member.tap("Done")
    await member.tap("4")
    await member.send("34")  # on "Anything else?", optional, the last question
    if label == "Done":
        await member.send("/back")
        await member.send("/back")
        await member.send("/back")  # back on the multi question
    before = calls_so_far(harness, member)

    await member.tap(label)

    assert spent(harness, member, before) == ["editMessageText"]


async def test_the_last_tapped_answer_turns_the_question_into_the_recap(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start quick-poll")
    question = member.latest()
    before = calls_so_far(harness, member)

    await member.tap("7")

    assert spent(harness, member, before) == ["editMessageText"]
    assert question.plain.startswith("Thank you! That is the end of Quick poll.")
    assert question.keyboard == []


async def test_a_typed_answer_costs_the_next_question_only(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    await member.tap(NORTH)
    await member.tap("Yes")
    before = calls_so_far(harness, member)

    await member.send("Central branch")

    assert spent(harness, member, before) == ["sendMessage"]
    assert "Your priorities?" in member.latest().plain


@pytest.mark.parametrize("last", ["More buses", "/skip"])
async def test_a_typed_last_answer_costs_the_recap_only(
    harness: BotHarness, member: MemberChat, last: str
) -> None:
    await answer_up_to_priorities(member)
    await member.tap("NHS")
    await member.tap("Done")
    await member.tap("4")
    await member.send("34")
    before = calls_so_far(harness, member)

    await member.send(last)

    assert spent(harness, member, before) == ["sendMessage"]
    assert member.latest().plain.startswith("Thank you!")


async def test_a_tick_on_a_multi_question_costs_one_edit(
    harness: BotHarness, member: MemberChat
) -> None:
    await answer_up_to_priorities(member)
    before = calls_so_far(harness, member)

    await member.tap("Housing")

    assert spent(harness, member, before) == ["editMessageReplyMarkup"]


async def test_back_costs_one_edit_by_button_and_one_message_by_command(
    harness: BotHarness, member: MemberChat
) -> None:
    await answer_up_to_priorities(member)
    question = member.latest()
    before = calls_so_far(harness, member)

    await member.tap("« Back")
    assert spent(harness, member, before) == ["editMessageText"]
    assert "Which branch?" in question.plain
    assert "Your answer so far: Central branch" in question.plain

    before = calls_so_far(harness, member)
    await member.send("/back")
    assert spent(harness, member, before) == ["sendMessage"]
    assert "Are you a member?" in member.latest().plain


@pytest.mark.parametrize("how", ["deep link", "survey list", "continue", "resumed by deep link"])
async def test_opening_a_survey_costs_one_message(
    harness: BotHarness, member: MemberChat, how: str
) -> None:
    if how in ("continue", "resumed by deep link"):
        await answer_up_to_priorities(member)
        await member.send("/cancel")
    if how == "survey list":
        await member.send("/surveys")
    if how == "continue":
        await member.send("/start")  # the welcome offers to continue
    before = calls_so_far(harness, member)

    if how in ("deep link", "resumed by deep link"):
        await member.send("/start all-types")
    else:
        await member.tap(member.latest().labels()[0])

    assert spent(harness, member, before) == ["sendMessage"]
    opening = member.latest()
    resumed = how in ("continue", "resumed by deep link")
    first_line = "Welcome back to" if resumed else "Test <all> & *types*\n\nA survey for tests"
    assert opening.plain.startswith(first_line)
    assert ("Your priorities?" if resumed else "Where do you live?") in opening.plain
    assert opening.keyboard != []


@pytest.mark.parametrize("start", ["/start all-types", "/start"])
async def test_agreeing_costs_one_edit(harness: BotHarness, start: str) -> None:
    chat = harness.member(6060)
    await chat.send(start)
    notice = chat.latest()
    before = calls_so_far(harness, chat)

    await chat.tap("I agree")

    assert spent(harness, chat, before) == ["editMessageText"]
    assert notice.plain.startswith(f"{render.AGREED}\n\n")
    expected = "Where do you live?" if start != "/start" else "Surveys open now"
    assert expected in notice.plain


@pytest.mark.parametrize("refused", ["north", "sticker"])
async def test_a_refusal_costs_one_message(
    harness: BotHarness, member: MemberChat, refused: str
) -> None:
    await member.send("/start all-types")
    before = calls_so_far(harness, member)

    if refused == "sticker":
        await member.send_other(refused)
    else:
        await member.send(refused)

    assert spent(harness, member, before) == ["sendMessage"]
    assert member.latest().plain.startswith(render.USE_BUTTONS)
    assert member.latest().labels() == [NORTH, "South_under [x]"]


# --- a whole survey ------------------------------------------------------------------------------


async def test_a_whole_survey_costs_one_call_per_answer_and_tick_and_two_more(
    harness: BotHarness,
) -> None:
    """From the privacy notice to the recap: the notice, I agree (which opens the survey), then
    one call per accepted answer and per tick."""
    newcomer = harness.member(5150)

    await newcomer.take_survey("all-types", *ALL_TYPES_ANSWERS)

    assert newcomer.latest().plain.startswith("Thank you!")
    assert await harness.answers_of(newcomer) != {}
    calls = spent(harness, newcomer, 0)
    assert calls == [
        "sendMessage",  # the notice
        "editMessageText",  # I agree: the survey's intro and first question
        "editMessageText",  # North
        "editMessageText",  # Yes
        "sendMessage",  # Central branch, typed
        "editMessageReplyMarkup",  # the Housing tick
        "editMessageText",  # Done
        "editMessageText",  # 4
        "sendMessage",  # 34, typed
        "sendMessage",  # More buses, typed: the recap
    ]
    assert len(calls) <= ACCEPTED + TICKS + 2
    assert len(calls) <= TODAY


async def test_a_member_who_agreed_spends_one_call_per_accepted_answer(
    harness: BotHarness, member: MemberChat
) -> None:
    """The opening message is counted apart (one per survey, not per answer), as are the ticks
    (one each, none an answer)."""
    before = calls_so_far(harness, member)

    await member.take_survey("all-types", *ALL_TYPES_ANSWERS)

    assert len(await harness.answers_of(member)) == ACCEPTED
    calls = spent(harness, member, before)
    opening, ticks = 1, calls.count("editMessageReplyMarkup")
    assert ticks == TICKS
    per_answer = (len(calls) - opening - ticks) / ACCEPTED
    assert per_answer <= 1.0


# --- longer than one message ---------------------------------------------------------------------

LONGEST = """
id: longest
title: "{title}"
intro: "{intro}"
questions:
  - {{id: mood, type: scale, text: "{text}", min_label: "{label}", max_label: "{label}"}}
  - {{id: story, type: text, max_length: 3000, text: "Your story?"}}
  - {{id: last, type: yesno, text: "Done?"}}
"""


@pytest.fixture
async def longest(database: Path, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """A bot with one survey whose title, intro and first question are as long as allowed."""
    folder = tmp_path / "surveys"
    folder.mkdir()
    texts = {"title": "T" * 200, "intro": "I" * 2000, "text": "Q" * 1500, "label": "L" * 100}
    (folder / "longest.yaml").write_text(LONGEST.format(**texts))
    running = await BotHarness.start(database, surveys=folder)
    yield running
    await running.stop()
    running.assert_no_errors()


async def test_what_needs_two_messages_edits_the_first_and_sends_the_second(
    longest: BotHarness,
) -> None:
    """The longest opening (after I agree) and a recap with the longest answer: the tapped
    message shows the first part, and the buttons go under the last."""
    chat = longest.member()
    await chat.send("/start longest")
    notice = chat.latest()
    before = calls_so_far(longest, chat)

    await chat.tap("I agree")

    assert spent(longest, chat, before) == ["editMessageText", "sendMessage"]
    assert notice.plain.startswith(f"{render.AGREED}\n\n{'T' * 200}\n\n{'I' * 2000}")
    assert notice.keyboard == []
    assert chat.latest().labels() == ["1", "2", "3", "4", "5"]
    await chat.tap("3")
    await chat.send("&" * 3000)
    question = chat.latest()
    before = calls_so_far(longest, chat)

    await chat.tap("No")

    assert spent(longest, chat, before) == ["editMessageText", "sendMessage"]
    assert question.plain.startswith("Thank you!")
    recap = question.plain + chat.latest().plain
    assert "&" * 3000 in recap.replace("\n", "").replace("→ ", "")


# --- when an edit cannot be made -----------------------------------------------------------------

UNEDITABLE = [
    "Bad Request: message to edit not found",
    "Bad Request: message can't be edited",
    "Bad Request: MESSAGE_ID_INVALID",
]


@pytest.mark.parametrize("refusal", UNEDITABLE)
async def test_an_edit_telegram_refuses_is_sent_instead(
    harness: BotHarness, member: MemberChat, refusal: str
) -> None:
    await member.send("/start all-types")
    question = member.latest()
    as_it_was = question.text
    before = calls_so_far(harness, member)
    harness.api.fail_next("editMessageText", Failure(400, refusal), chat_id=member.chat_id)

    await member.tap(NORTH)

    assert spent(harness, member, before) == ["editMessageText", "sendMessage"]
    refused, sent = harness.api.chat_bound_calls(member.chat_id)[before:]
    assert content(sent) == content(refused)  # the same message, new
    assert question.text == as_it_was
    assert member.latest().plain.startswith(f"Where do you live? <North> & *South*\n✔️ {NORTH}")
    assert member.latest().labels() == ["Yes", "No", "« Back"]


async def test_a_notice_that_cannot_be_edited_is_followed_by_the_survey(
    harness: BotHarness,
) -> None:
    chat = harness.member(6161)
    await chat.send("/start all-types")
    harness.api.fail_next("editMessageText", Failure(400, UNEDITABLE[0]), chat_id=chat.chat_id)
    before = calls_so_far(harness, chat)

    await chat.tap("I agree")

    assert spent(harness, chat, before) == ["editMessageText", "sendMessage"]
    assert chat.latest().plain.startswith(render.AGREED)
    assert "Where do you live?" in chat.latest().plain


async def test_a_message_showing_the_reply_already_needs_nothing_more(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    before = calls_so_far(harness, member)
    not_modified = Failure(400, "Bad Request: message is not modified: specified new message")
    harness.api.fail_next("editMessageText", not_modified, chat_id=member.chat_id)

    await member.tap(NORTH)

    assert spent(harness, member, before) == ["editMessageText"]  # nothing sent, no error
    assert (await harness.answers_of(member))["area"] == "north"


# --- when the rate limiter prefers sends ---------------------------------------------------------


class BusyLimiter(SendBudget):
    """The tests' limiter, preferring sends while `busy` (as a send-budget limiter may while
    replies queue: only sends can be paid broadcasts)."""

    def __init__(self) -> None:
        super().__init__(overall_rate=0, per_chat_rate=0, group_per_minute=0)
        self.busy = False

    def prefers_sends(self) -> bool:
        return self.busy


@pytest.fixture
async def limited(database: Path) -> AsyncIterator[tuple[BotHarness, BusyLimiter]]:
    limiter = BusyLimiter()
    running = await BotHarness.start(database, rate_limiter=limiter)
    yield running, limiter
    await running.stop()
    running.assert_no_errors()


async def test_a_busy_limiter_gets_every_edit_as_a_send_of_the_same_message(
    limited: tuple[BotHarness, BusyLimiter],
) -> None:
    """Two members take the same steps: one while the limiter is idle (edits), the other while
    it is busy (sends); each step is one call, and they read the same."""
    harness, limiter = limited
    steps = ["I agree", NORTH, "Yes", "Central branch", "Housing", "« Back", "/back", "Yes"]
    steps += ["Housing", "Done", "4"]  # Yes again: on to the priorities, the branch kept
    shown: dict[bool, list[tuple[str, list[str]]]] = {}
    for busy in (False, True):
        limiter.busy = busy
        chat = harness.member(7000 + busy)
        await chat.send("/start all-types")
        seen = []
        for step in steps:
            before = calls_so_far(harness, chat)
            if step in chat.latest_with_buttons().labels():
                await chat.tap(step)
            else:
                await chat.send(step)
            calls = spent(harness, chat, before)
            assert len(calls) == 1, (busy, step, calls)
            if busy:
                assert calls == ["sendMessage"], step
            seen.append((chat.latest_with_buttons().plain, chat.latest_with_buttons().labels()))
        shown[busy] = seen

    for step, (sent, sent_labels), (edited, edited_labels) in zip(
        steps, shown[True], shown[False], strict=True
    ):
        assert sent_labels == edited_labels, step
        if step == "Housing":  # a tick edits the buttons only: what was above the question stays
            assert edited.endswith(sent), step
        else:
            assert sent == edited, step
    assert "How old are you?" in shown[True][-1][0]
    assert "Are you a member?\n✔️ Yes" in shown[False][-3][0]  # above the second tick
    assert harness.api.calls_of("editMessageReplyMarkup")  # the idle member's ticks were edits
