"""Updates that Telegram delivers again later, after the member has moved on, change nothing."""

from __future__ import annotations

from pathlib import Path

from handlers import render
from tests.e2e.test_answering import NORTH
from tests.support.fake_telegram import QUERY_TOO_OLD
from tests.support.harness import BotHarness, MemberChat


async def test_a_refused_message_delivered_again_later_is_not_taken_as_an_answer(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    refused = await member.send("north")  # typed where buttons are expected
    await member.tap(NORTH)
    await member.tap("Yes")  # now on "Which branch?", a typed question

    await harness.feed(refused)

    assert "branch" not in await harness.answers_of(member)
    assert "Which branch?" in member.latest().plain  # shown where they are


async def test_a_message_sent_with_no_survey_open_is_not_taken_later(
    harness: BotHarness, member: MemberChat
) -> None:
    early = await member.send("Central")
    await member.send("/start all-types")
    await member.tap(NORTH)
    await member.tap("Yes")

    await harness.feed(early)

    assert "branch" not in await harness.answers_of(member)


async def test_a_redelivered_final_answer_says_it_is_saved(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start quick-poll")
    await member.tap("7")
    final = await member.send("/start all-types")
    await member.send("/cancel")

    await harness.feed(final)

    assert member.latest().plain == render.ALREADY_HANDLED
    assert await harness.count("responses") == 2


async def test_a_redelivered_deep_link_after_completing_starts_nothing(
    harness: BotHarness, member: MemberChat
) -> None:
    start = await member.send("/start quick-poll")
    await member.tap("7")

    await harness.feed(start)

    assert await harness.count("responses") == 1


async def test_a_redelivered_open_tap_after_completing_starts_nothing(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/surveys")
    tap = await member.tap("Quick poll")
    await member.tap("7")

    await harness.feed(tap)

    assert await harness.count("responses") == 1


async def test_redelivered_consent_taps_add_nothing_to_the_history(harness: BotHarness) -> None:
    chat = harness.member(888)
    await chat.send("/start")
    refused = await chat.tap("No thanks")
    await harness.feed(refused)  # again, in order: Telegram never delivers it after later ones
    await chat.send("/start")
    agreed = await chat.tap("I agree")
    await harness.feed(agreed)
    withdrawn = await chat.press(f"c:0:{harness.notice.version}")
    await harness.feed(withdrawn)

    # The refusal left no record; the agreement and the withdrawal one each.
    assert await harness.rows("SELECT agreed FROM consents ORDER BY id") == [(1,), (0,)]


async def test_a_redelivered_cancel_does_not_pause_the_survey_resumed_since(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    cancel = await member.send("/cancel")
    await member.send("/start all-types")

    await harness.feed(cancel)
    await member.tap(NORTH)

    assert (await harness.answers_of(member))["area"] == "north"


async def test_a_tap_too_old_to_answer_still_moves_the_member_on(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    harness.api.fail_next("answerCallbackQuery", QUERY_TOO_OLD)
    await member.tap(NORTH)

    assert await harness.answers_of(member) == {"area": "north"}
    assert "Are you a member?" in member.latest().plain


async def test_a_consent_tap_too_old_to_answer_still_opens_the_survey(
    harness: BotHarness,
) -> None:
    chat = harness.member(555)
    await chat.send("/start all-types")
    harness.api.fail_next("answerCallbackQuery", QUERY_TOO_OLD)
    await chat.tap("I agree")

    assert "Where do you live?" in chat.latest().plain


async def test_a_button_of_a_paused_survey_changes_nothing(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    paused_question = member.latest_with_buttons()
    await member.send("/start quick-poll")  # quick-poll is now the open survey

    await member.tap(NORTH, paused_question)

    assert member.callback_answers()[-1]["text"] == render.STALE_BUTTON
    assert await harness.answers_of(member) == {}
    await member.tap("5")  # quick-poll still takes its answer
    assert await harness.answers_of(member, "quick-poll") == {"mood": 5}


async def test_a_button_tapped_before_agreeing_is_answered_once(harness: BotHarness) -> None:
    chat = harness.member(999)
    await chat.send("/start")
    tap = await chat.press("o:all-types", chat.latest())

    answers = [
        a for a in chat.callback_answers() if a["callback_query_id"] == tap["callback_query"]["id"]
    ]
    assert answers == [
        {
            "callback_query_id": tap["callback_query"]["id"],
            "text": render.NEEDS_CONSENT,
            "show_alert": True,
        }
    ]


async def test_declining_after_answering_does_not_claim_nothing_is_stored(
    harness: BotHarness,
) -> None:
    chat = harness.member(777)
    await chat.send("/start")
    old_notice = chat.latest_with_buttons()
    await chat.send("/start all-types")
    await chat.tap("I agree")
    await chat.tap(NORTH)

    await chat.tap("No thanks", old_notice)

    assert old_notice.plain == render.WITHDRAWN
    await chat.tap("Yes")  # no more answers are taken
    assert chat.callback_answers()[-1]["text"] == render.NEEDS_CONSENT
    assert await harness.answers_of(chat) == {"area": "north"}


LONG_SURVEY = """
id: long
title: "{title}"
intro: Long.
questions:
  - {{id: first, type: yesno, text: "Ready?"}}
  - {{id: story, type: text, max_length: 3000, text: "{text}"}}
  - {{id: last, type: yesno, text: "Done?"}}
"""


async def test_the_longest_texts_the_format_allows_always_fit_a_message(
    database: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "surveys"
    folder.mkdir()
    (folder / "long.yaml").write_text(LONG_SURVEY.format(title="T" * 200, text="Q" * 1500))
    harness = await BotHarness.start(database, surveys=folder)
    chat = harness.member()
    await chat.send("/start long")
    await chat.tap("I agree")
    await chat.tap("Yes")
    await chat.send("&" * 3000)  # the longest answer, each character escaped in HTML
    await chat.send("/back")  # shown again with the answer so far
    assert "Your answer so far: &&&" in chat.latest().plain
    await chat.send("/start long")
    await chat.send("&" * 3000)
    await chat.tap("No")

    recap = [m.plain for m in chat.messages() if "Your answers" in m.plain or "&&&&" in m.plain]
    assert "&" * 3000 in "".join(recap[-2:]).replace("\n", "").replace("→ ", "")
    await harness.stop()
    harness.assert_no_errors()


async def current_question(harness: BotHarness, chat: MemberChat, survey_id: str = "all-types"):
    return await harness.scalar(
        "SELECT r.current_question FROM responses r JOIN members m ON m.id = r.member_id"
        " WHERE m.telegram_id = ? AND r.survey_id = ? ORDER BY r.id DESC LIMIT 1",
        chat.user_id,
        survey_id,
    )


async def active_survey(harness: BotHarness, chat: MemberChat):
    return await harness.scalar(
        "SELECT r.survey_id FROM members m LEFT JOIN responses r ON r.id = m.active_response_id"
        " WHERE m.telegram_id = ?",
        chat.user_id,
    )


# --- messages sent before agreeing ------------------------------------------------------------


async def test_a_text_sent_before_agreeing_and_delivered_again_is_not_an_answer(
    harness: BotHarness,
) -> None:
    chat = harness.member(31)
    early = await chat.send("north")  # before agreeing: "send /start first"
    await chat.send("/start all-types")
    await chat.tap("I agree")  # opens the survey by a tap: the mark stays at 0
    await chat.tap(NORTH)
    await chat.tap("Yes")  # now on "Which branch?", a typed question

    await harness.feed(early)  # Telegram redelivers the first message

    assert "branch" not in await harness.answers_of(chat)


async def test_a_deep_link_sent_before_agreeing_and_delivered_again_starts_nothing(
    harness: BotHarness,
) -> None:
    chat = harness.member(32)
    deep_link = await chat.send("/start quick-poll")
    await chat.tap("I agree")  # opens quick-poll
    await chat.tap("7")  # completes it (repeatable)

    await harness.feed(deep_link)

    assert await harness.scalar("SELECT count(*) FROM responses") == 1


# --- taps that open a survey ------------------------------------------------------------------


async def test_a_redelivered_open_tap_does_not_undo_a_later_cancel(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/surveys")
    tap = await member.tap("Test <all> & *types*")
    await member.send("/cancel")
    assert await active_survey(harness, member) is None

    await harness.feed(tap)

    assert await active_survey(harness, member) is None  # still paused


async def test_a_redelivered_open_tap_does_not_switch_back_from_a_later_survey(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/surveys")
    await member.tap("Test <all> & *types*")
    tap = member.last_update
    await member.send("/start quick-poll")
    poll_question = member.latest_with_buttons()

    await harness.feed(tap)
    await member.tap("7", poll_question)  # the question the member was looking at

    assert await harness.answers_of(member, "quick-poll") == {"mood": 7}


# --- consent taps -----------------------------------------------------------------------------


async def test_a_redelivered_agreement_after_withdrawing_neither_says_agreed_nor_reopens(
    harness: BotHarness,
) -> None:
    chat = harness.member(33)
    await chat.send("/start")
    old_notice = chat.latest_with_buttons()
    await chat.send("/start all-types")
    agree = await chat.tap("I agree")
    await chat.tap(NORTH)
    await chat.send("/cancel")
    await chat.tap("No thanks", old_notice)  # withdraws
    shown = len(chat.messages())

    await harness.feed(agree)

    assert chat.texts_since(shown) == []  # no "welcome back" and no question with buttons
    assert await active_survey(harness, chat) is None


async def test_a_redelivered_refusal_stores_nothing_and_the_agreement_after_it_stands(
    harness: BotHarness,
) -> None:
    chat = harness.member(34)
    await chat.send("/start")
    decline = await chat.tap("No thanks")
    await harness.feed(decline)  # Telegram delivers a chat's updates in order: before the next
    await chat.send("/start")
    await chat.tap("I agree")

    assert await harness.rows("SELECT agreed FROM consents ORDER BY id") == [(1,)]
    await chat.send("/surveys")
    assert chat.latest().labels() == ["Test <all> & *types*", "Quick poll"]  # agreed


# --- answer taps after Back -------------------------------------------------------------------


async def test_a_redelivered_answer_tap_after_back_does_not_move_the_member_on(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    await member.tap(NORTH)
    yes = await member.tap("Yes")  # -> "Which branch?"
    await member.send("/back")  # back on "Are you a member?", about to change the answer
    assert await current_question(harness, member) == "member"

    await harness.feed(yes)  # Telegram delivers the tap again
    assert await current_question(harness, member) == "member"


async def test_replaying_a_batch_ends_where_the_member_was(
    harness: BotHarness, member: MemberChat
) -> None:
    """Crash before the offset was confirmed: the whole batch comes again, in order."""
    await member.send("/start all-types")
    await member.tap(NORTH)
    batch = [await member.tap("Yes"), await member.send("/back")]
    before = await current_question(harness, member)

    for update in batch:
        await harness.feed(update)

    assert await current_question(harness, member) == before == "member"


# --- messages typed while the bot answers a consent tap ------------------------------------------


def member_types_while_bot_replies(harness: BotHarness, chat_id: int, text: str, after: str):
    """The member sends `text` once the bot has made the Bot API call `after` (e.g. the toast of
    their tap), before the bot's next message: Telegram numbers it then. Returns a holder."""
    api = harness.api
    original = api.do_request
    typed: dict = {}

    async def do_request(url, method, request_data=None, *args, **kwargs):
        result = await original(url, method, request_data, *args, **kwargs)
        if url.rsplit("/", 1)[-1] == after and "message" not in typed:
            typed["message"] = api.record_member_message(chat_id, text)
        return result

    api.do_request = do_request
    return typed


async def test_a_command_typed_right_after_agreeing_is_not_dropped(harness: BotHarness) -> None:
    chat = harness.member(4101)
    await chat.send("/start")
    typed = member_types_while_bot_replies(
        harness, chat.user_id, "/start quick-poll", "answerCallbackQuery"
    )
    await chat.tap("I agree")  # the bot answers the tap, edits the notice, sends the list
    update = chat.message_update(typed["message"].message_id, "/start quick-poll")

    await harness.feed(update)  # Telegram delivers the member's message after the tap

    assert chat.latest().plain != render.ALREADY_HANDLED
    assert await harness.count("responses") == 1  # quick-poll opened


async def test_a_cancel_typed_right_after_agreeing_pauses_the_survey(harness: BotHarness) -> None:
    chat = harness.member(4102)
    await chat.send("/start all-types")
    typed = member_types_while_bot_replies(harness, chat.user_id, "/cancel", "answerCallbackQuery")
    await chat.tap("I agree")  # opens all-types: intro + first question
    await harness.feed(chat.message_update(typed["message"].message_id, "/cancel"))

    assert chat.latest().plain == render.PAUSED
    assert (
        await harness.scalar(
            "SELECT active_response_id FROM members WHERE telegram_id = ?", chat.user_id
        )
        is None
    )
