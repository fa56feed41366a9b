"""Bad input, stale and forged buttons, redelivered updates, restarts and Telegram failures."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telegram import Update
from telegram.error import Forbidden

from handlers import render
from tests.e2e.test_answering import NORTH, answer_up_to_priorities
from tests.support.fake_telegram import BLOCKED, Failure, ShownMessage
from tests.support.harness import BotHarness, MemberChat

# --- wrong input -------------------------------------------------------------------------------


def refusal(member: MemberChat, shown: int, explanation: str) -> ShownMessage:
    """The one message a refused input got, after the first `shown`: `explanation`, then the
    question again with its buttons."""
    (reply,) = member.messages()[shown:]
    assert reply.plain.startswith(f"{explanation}\n\n")
    return reply


@pytest.mark.parametrize(
    ("typed", "explanation"),
    [
        ("twelve", "Please type a number, like 3 or 12.5."),
        ("12", "Please type a number of at least 16."),
        ("121", "Please type a number of at most 120."),
        ("   ", "Please type your answer."),
    ],
)
async def test_a_wrong_number_is_explained_and_asked_again(
    harness: BotHarness, member: MemberChat, typed: str, explanation: str
) -> None:
    await member.send("/start all-types")
    await member.tap(NORTH)
    await member.tap("No")
    await member.tap("NHS")
    await member.tap("Done")
    await member.tap("2")
    before = await harness.answers_of(member)
    shown = len(member.messages())

    await member.send(typed)

    reply = refusal(member, shown, explanation)
    assert "How old are you?" in reply.plain
    assert reply.labels() == ["« Back"]
    assert await harness.answers_of(member) == before


async def test_text_over_max_length_is_refused(harness: BotHarness, member: MemberChat) -> None:
    await member.send("/start all-types")
    await member.tap(NORTH)
    await member.tap("Yes")
    shown = len(member.messages())
    await member.send("x" * 21)

    reply = refusal(member, shown, "That is 21 characters; please keep it to 20.")
    assert "Which branch?" in reply.plain
    assert "branch" not in await harness.answers_of(member)


async def test_text_where_buttons_are_expected(harness: BotHarness, member: MemberChat) -> None:
    await member.send("/start all-types")
    shown = len(member.messages())
    await member.send("north")

    reply = refusal(member, shown, render.USE_BUTTONS)
    assert "Where do you live?" in reply.plain
    assert reply.labels() == [NORTH, "South_under [x]"]
    assert await harness.answers_of(member) == {}


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location"])
async def test_non_text_messages_change_nothing(
    harness: BotHarness, member: MemberChat, kind: str
) -> None:
    await answer_up_to_priorities(member)
    await member.send("/back")  # on the text question "Which branch?"
    shown = len(member.messages())
    await member.send_other(kind)

    reply = refusal(member, shown, render.TYPE_YOUR_ANSWER)
    assert "Which branch?" in reply.plain
    assert "Your answer so far: Central branch" in reply.plain
    assert (await harness.answers_of(member))["branch"] == "Central branch"


async def test_a_sticker_on_a_button_question_points_to_the_buttons(member: MemberChat) -> None:
    await member.send("/start all-types")
    shown = len(member.messages())
    await member.send_other("sticker")

    reply = refusal(member, shown, render.USE_BUTTONS)
    assert reply.labels() == [NORTH, "South_under [x]"]


async def test_an_unknown_command(member: MemberChat) -> None:
    await member.send("/frobnicate")
    assert member.latest().plain == render.UNKNOWN_COMMAND


# --- stale and forged buttons ------------------------------------------------------------------


async def test_a_button_of_an_answered_question_is_stale(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    first = member.latest()
    stale_data = first.buttons()[1]["callback_data"]
    await member.tap(NORTH)
    await member.press(stale_data, first)  # "South", pressed from the old message

    assert member.callback_answers()[-1]["text"] == render.STALE_BUTTON
    assert (await harness.answers_of(member))["area"] == "north"


@pytest.mark.parametrize(
    "data",
    ["", "x", "a:1:0", "a:1:0:0:0", "a:01:0:0", "a:-1:0:0", "o:../x", "c:2", "a:1:0:99", "é"],
)
async def test_malformed_callback_data_is_answered_and_ignored(
    harness: BotHarness, member: MemberChat, data: str
) -> None:
    await member.send("/start all-types")
    calls_before = len(harness.api.calls)
    await member.press(data)

    new_calls = [call.method for call in harness.api.calls[calls_before:]]
    assert new_calls == ["answerCallbackQuery"]
    assert await harness.answers_of(member) == {}


async def test_a_button_of_another_members_response_is_refused(harness: BotHarness) -> None:
    alice, mallory = harness.member(1001, "Alice"), harness.member(1002, "Mallory")
    for chat in (alice, mallory):
        await chat.send("/start all-types")
        await chat.tap("I agree")
    forged = alice.latest().buttons()[0]["callback_data"]

    await mallory.press(forged, mallory.latest())

    assert mallory.callback_answers()[-1]["text"] == render.STALE_BUTTON
    assert await harness.answers_of(alice) == {}
    assert await harness.answers_of(mallory) == {}


async def test_a_forged_button_for_a_later_step_is_stale(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    response_id = member.latest().buttons()[0]["callback_data"].split(":")[1]
    await member.press(f"a:{response_id}:1:0")  # step 1 while the response is at step 0

    assert member.callback_answers()[-1]["text"] == render.STALE_BUTTON
    assert await harness.answers_of(member) == {}


# Every kind of member button, forged: R is the member's open response, at step 0 on "Where do
# you live?"; V is the notice's version.
MEMBER_BUTTONS = ["c:1:V", "c:0:V", "o:all-types", "a:R:0:0", "t:R:0:0:1", "d:R:0", "s:R:0"]
MEMBER_BUTTONS += ["b:R:0", "f:1", "f:0"]


async def member_with_an_open_survey(harness: BotHarness, member: MemberChat) -> dict[str, str]:
    """The member opens all-types in private; returns what a forged button's R and V stand for."""
    await member.send("/start all-types")
    response_id = member.latest().buttons()[0]["callback_data"].split(":")[1]
    return {"R": response_id, "V": harness.notice.version}


def forge(template: str, values: dict[str, str]) -> str:
    return ":".join(values.get(part, part) for part in template.split(":"))


async def stored_state(harness: BotHarness) -> list[list[tuple]]:
    tables = ("members", "consents", "responses", "answers", "handled_taps", "audit_log")
    return [await harness.rows(f"SELECT * FROM {table}") for table in tables]


@pytest.mark.parametrize("template", MEMBER_BUTTONS)
async def test_a_member_button_forged_onto_a_bot_message_in_a_group_does_nothing(
    harness: BotHarness, member: MemberChat, template: str
) -> None:
    values = await member_with_an_open_survey(harness, member)
    group = harness.group(user_id=member.user_id)
    await group.send("/start")  # the bot answers in the group: a message of its own to tap on
    bot_message = group.latest()
    before, calls_before = await stored_state(harness), len(harness.api.calls)

    await group.press(forge(template, values), bot_message)

    assert [call.method for call in harness.api.calls[calls_before:]] == ["answerCallbackQuery"]
    assert group.callback_answers()[-1]["text"] == render.STALE_BUTTON
    assert group.messages()[-1] is bot_message
    assert await stored_state(harness) == before


async def test_a_member_button_on_an_inline_message_does_nothing(
    harness: BotHarness, member: MemberChat
) -> None:
    values = await member_with_an_open_survey(harness, member)
    before, calls_before = await stored_state(harness), len(harness.api.calls)
    for number, template in enumerate(("o:all-types", "a:R:0:0"), start=1):
        query = {
            "id": f"inline-{number}",
            "from": member.user,
            "chat_instance": "inline",
            "inline_message_id": "AAQAAAAAAAAAAAAA",
            "data": forge(template, values),
        }
        await harness.feed({"update_id": 900_000 + number, "callback_query": query})

    new_calls = [call.method for call in harness.api.calls[calls_before:]]
    assert new_calls == ["answerCallbackQuery"] * 2
    answers = [answer["text"] for answer in member.callback_answers()[-2:]]
    assert answers == [render.STALE_BUTTON] * 2
    assert await stored_state(harness) == before


async def test_a_button_on_a_message_the_bot_can_no_longer_see_still_acts(
    harness: BotHarness, member: MemberChat
) -> None:
    """Telegram sends an old message as inaccessible (its chat and id only): the tap is taken,
    and the next question goes to the chat as a new message, with no edit tried."""
    await member.send("/start all-types")
    question = member.latest()
    calls = len(harness.api.chat_bound_calls(member.chat_id))

    await member.tap(NORTH, question, accessible=False)

    assert (await harness.answers_of(member))["area"] == "north"
    assert "text" not in member.callback_answers()[-1]
    new_calls = harness.api.chat_bound_calls(member.chat_id)[calls:]
    assert [call.method for call in new_calls] == ["sendMessage"]
    assert member.latest() is not question
    assert member.latest().plain.startswith(f"Where do you live? <North> & *South*\n✔️ {NORTH}")
    assert member.latest().labels() == ["Yes", "No", "« Back"]


async def test_a_survey_button_on_an_old_list_opens_the_survey(member: MemberChat) -> None:
    await member.send("/surveys")

    await member.tap("Test <all> & *types*", accessible=False)

    assert member.latest().labels()[:2] == [NORTH, "South_under [x]"]


# --- redelivery --------------------------------------------------------------------------------


async def test_a_redelivered_text_answer_is_not_taken_for_the_next_question(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    await member.tap(NORTH)
    await member.tap("Yes")
    await member.send("Central")  # the branch; the next question is a multi
    await member.tap("NHS")
    await member.tap("Done")
    await member.tap("2")
    await member.send("45")  # age; the next question is free text
    shown = len(member.messages())

    await member.redeliver()

    stored = await harness.answers_of(member)
    assert "comment" not in stored
    assert stored["age"] == 45
    assert "Anything else?" in member.messages()[-1].plain  # shown again, nothing stored
    assert len(member.messages()) == shown + 1


async def test_a_redelivered_button_tap_changes_nothing(
    harness: BotHarness, member: MemberChat
) -> None:
    await answer_up_to_priorities(member)
    await member.tap("NHS")
    await member.redeliver()  # "tick NHS" again: still ticked, not toggled off
    await member.tap("Done")
    await member.redeliver()

    assert (await harness.answers_of(member))["priorities"] == ["NHS"]
    assert "How hopeful are you?" in member.latest().plain


async def test_a_tap_redelivered_after_a_crash_shows_the_question_the_member_is_on(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    harness.api.fail_next("editMessageText", Failure(500, "Internal Server Error"))
    await member.tap(NORTH)  # committed; then the reply fails, as if the process died
    harness.expected_errors = 1
    shown = len(member.messages())

    await member.redeliver()

    assert member.callback_answers()[-1]["text"] == render.STALE_BUTTON
    assert len(member.messages()) == shown + 1
    assert "Are you a member?" in member.latest().plain
    assert await harness.answers_of(member) == {"area": "north"}


async def test_a_redelivered_start_keeps_one_response(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    await member.redeliver()

    assert await harness.count("responses") == 1


async def test_a_redelivered_back_goes_back_once(harness: BotHarness, member: MemberChat) -> None:
    await answer_up_to_priorities(member)
    await member.send("/back")
    await member.redeliver()

    assert "Which branch?" in member.latest().plain
    await member.send("North branch")
    assert "Your priorities?" in member.latest().plain


async def test_members_answering_at_once_through_the_update_queue_keep_their_order(
    harness: BotHarness,
) -> None:
    """As long polling delivers: many updates queued, handled concurrently across chats."""
    chats = [harness.member(2000 + n) for n in range(6)]
    for chat in chats:
        await chat.send("/start all-types")
        await chat.tap("I agree")
        await chat.tap(NORTH)
        await chat.tap("Yes")
    queued = []
    for chat in chats:  # each member quickly types a branch, goes back, types another
        for text in (f"Branch {chat.user_id}", "/back", f"Second {chat.user_id}"):
            message = harness.api.record_member_message(chat.user_id, text)
            queued.append(chat.message_update(message.message_id, text))
    for data in queued:
        harness.application.update_queue.put_nowait(Update.de_json(data, harness.application.bot))
    await harness.application.update_queue.join()

    for chat in chats:  # in each chat: answer, back, answer again, in that order
        assert (await harness.answers_of(chat))["branch"] == f"Second {chat.user_id}"
        assert "Your priorities?" in chat.latest().plain


# --- restarts ----------------------------------------------------------------------------------


async def test_a_restart_resumes_at_the_same_question(database: Path) -> None:
    first = await BotHarness.start(database)
    chat = first.member()
    await chat.send("/start all-types")
    await chat.tap("I agree")
    await chat.tap(NORTH)
    await chat.tap("Yes")
    second = await first.restart()
    chat = second.member()
    await chat.send("Central")  # typed straight after the restart: the active survey is kept
    assert "Your priorities?" in chat.latest().plain
    await chat.send("/start")
    assert "You have not finished" in chat.latest().plain
    assert await second.answers_of(chat) == {"area": "north", "member": "yes", "branch": "Central"}
    await second.stop()
    second.assert_no_errors()


async def begin_poll(database: Path, tmp_path: Path) -> tuple[BotHarness, Path]:
    """A bot with one yes/no poll in its own folder, which a member has opened."""
    folder = tmp_path / "surveys"
    folder.mkdir()
    poll = folder / "poll.yaml"
    poll.write_text(_POLL.format(text="How are you?", extra=""))
    harness = await BotHarness.start(database, surveys=folder)
    chat = harness.member()
    await chat.send("/start poll")
    await chat.tap("I agree")
    return harness, poll


async def test_an_edited_survey_file_keeps_the_version_an_answer_was_given_to(
    database: Path, tmp_path: Path
) -> None:
    first, poll = await begin_poll(database, tmp_path)
    poll.write_text(_POLL.format(text="How are you today?", extra=_EXTRA))
    second = await first.restart()

    chat = second.member()
    await chat.send("/start poll")
    assert "How are you?" in chat.latest().plain  # the old version, as begun
    assert "Question 1 of 1" in chat.latest().plain
    await chat.tap("Yes")
    assert chat.latest().plain.startswith("Thank you!")
    newcomer = second.member(5005)
    await newcomer.send("/start poll")
    await newcomer.tap("I agree")
    assert "How are you today?" in newcomer.latest().plain
    assert "Question 1 of 2" in newcomer.latest().plain
    await second.stop()
    second.assert_no_errors()


async def close_poll_and_restart(first: BotHarness, poll: Path) -> BotHarness:
    """The operator closes the poll (yesterday) in its file and restarts the bot."""
    closed = "closes: 2026-11-28\n" + _POLL.format(text="How?", extra="")
    await asyncio.to_thread(poll.write_text, closed)
    return await first.restart()


async def test_a_survey_closed_by_its_file_takes_no_more_answers(
    database: Path, tmp_path: Path
) -> None:
    second = await close_poll_and_restart(*await begin_poll(database, tmp_path))

    chat = second.member()
    await chat.tap("Yes")
    assert chat.callback_answers()[-1]["text"] == render.STALE_BUTTON
    await chat.send("/start poll")
    assert chat.latest().plain == render.SURVEY_NOT_OPEN
    await chat.send("typed to a closed survey")
    assert chat.latest().plain == render.SURVEY_CLOSED
    assert await second.answers_of(chat, "poll") == {}
    await second.stop()
    second.assert_no_errors()


async def test_welcome_offers_only_surveys_that_still_take_answers(
    database: Path, tmp_path: Path
) -> None:
    second = await close_poll_and_restart(*await begin_poll(database, tmp_path))
    chat = second.member()
    await chat.send("/start")

    assert "not finished" not in chat.latest().plain
    assert chat.latest().keyboard == []
    await second.stop()
    second.assert_no_errors()


_POLL = """
id: poll
title: Poll
intro: Short.
questions:
  - {{id: how, type: yesno, text: "{text}"}}
{extra}"""
_EXTRA = '  - {id: more, type: text, text: "More?"}\n'


# --- Telegram failures and escaping ------------------------------------------------------------


async def test_a_member_who_blocked_the_bot_is_not_a_crash(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    question = member.latest()
    harness.api.fail_next("editMessageText", BLOCKED)
    harness.api.fail_next("sendMessage", BLOCKED, times=5)
    sent = len(harness.api.calls_of("sendMessage"))
    edited = len(harness.api.calls_of("editMessageText"))

    await member.tap(NORTH)  # saved, then the next question cannot be shown

    harness.expected_errors = 1  # our error handler saw it and logged it at INFO
    assert isinstance(harness.errors[0], Forbidden)
    assert (await harness.answers_of(member))["area"] == "north"
    assert len(harness.api.calls_of("editMessageText")) == edited + 1
    assert "Where do you live?" in question.plain  # the edit was refused
    # A blocked chat is not a message that cannot be edited: nothing is sent instead.
    assert len(harness.api.calls_of("sendMessage")) == sent


async def test_an_unexpected_failure_tells_the_member_their_answers_are_safe(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    harness.api.fail_next("editMessageText", Failure(400, "Bad Request: something new"))
    await member.tap(NORTH)

    harness.expected_errors = 1
    assert member.latest().plain == render.SOMETHING_WENT_WRONG
    assert (await harness.answers_of(member))["area"] == "north"


async def test_hostile_text_reaches_the_member_intact(
    harness: BotHarness, member: MemberChat
) -> None:
    """The fake Bot API refuses bad HTML and long callback data as Telegram does, so an
    escaping slip anywhere in this conversation would fail the test as a handler error."""
    await member.send("/start all-types")
    question = member.latest()
    assert question.plain.startswith("Test <all> & *types*\n\nA survey for tests: <b>not bold</b>")
    await member.tap(NORTH)
    assert question.plain.startswith("Where do you live? <North> & *South*\n✔️ North <b>&</b>")
    await member.tap("Yes")
    await member.send("<b>x</b> & <3")  # a branch answer full of markup
    await member.send("/back")

    calls = harness.api.calls_of("sendMessage") + harness.api.calls_of("editMessageText")
    assert all(call.params.get("parse_mode") == "HTML" for call in calls)
    assert "Your answer so far: <b>x</b> & <3" in member.latest().plain


async def test_member_commands_in_a_group_point_to_the_private_chat(harness: BotHarness) -> None:
    group_message = {
        "message_id": 5,
        "date": 0,
        "chat": {"id": -100123, "type": "supergroup", "title": "Organisers"},
        "from": {"id": 77, "is_bot": False, "first_name": "Org"},
        "text": "/surveys",
        "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
    }
    await harness.feed({"update_id": 999001, "message": group_message})

    sent = harness.api.calls_of("sendMessage")[-1].params
    assert sent["chat_id"] == -100123
    assert render.PRIVATE_ONLY in sent["text"]
    assert await harness.count("members") == 0
