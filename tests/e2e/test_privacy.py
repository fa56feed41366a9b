"""Members' data rights end to end: /privacy, /withdraw, /mydata and /forget in private chat,
through the real Application and the fake Bot API; in a group they point to the private chat."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Job

import bot
from app import privacy as privacy_cases
from handlers import privacy, privacy_render, render
from surveys.export import pseudonym
from tests.e2e.organisers.test_organiser_reports import census_answered
from tests.e2e.test_answering import NORTH
from tests.support.database_files import reading, stored_bytes, wal_size
from tests.support.harness import ORGANISER_SURVEYS, SURVEYS, BotHarness, MemberChat
from tests.support.organisers import ADMIN, GROUP, ORGANISER

# A Telegram id that needs six bytes in SQLite's record format, and words nobody else types.
BIG_ID = 7391045216883
OTHER_ID = 6028417730519
HUGE_ID = 1125899906842679  # above 2**47: eight bytes in SQLite's record format
FREE_TEXT = "Quokka marmalade under stair 4471"
OTHER_FREE_TEXT = "Heron teapot by the canal"
TODAY = "29 November 2026"  # the fake clock's first day
NOW = "2026-11-29T12:00:00+00:00"
# All the answers to all-types, in question order, and as stored.
ALL_TYPES_STEPS = (NORTH, "Yes", "Central branch", "Housing", "NHS", "Done", "4", "34")
ALL_TYPES_STORED = [
    ("area", "north"),
    ("member", "yes"),
    ("branch", "Central branch"),
    ("priorities", ["Housing", "NHS"]),
    ("hope", 4),
    ("age", 34),
]
# The tables that hold anything about a member.
MEMBER_TABLES = ("members", "consents", "responses", "answers", "handled_taps")


Start = Callable[..., Awaitable[BotHarness]]


@pytest.fixture
async def start(database: Path) -> AsyncIterator[Start]:
    """Start the bot over the test's database with other settings (`start(surveys, **settings)`);
    stopped at the end even when the test fails, then failing on any handler exception."""
    started: list[BotHarness] = []

    async def starting(surveys: Path = SURVEYS, **settings: Any) -> BotHarness:
        started.append(await BotHarness.start(database, surveys, **settings))
        return started[-1]

    yield starting
    for harness in started:
        await harness.stop()
    for harness in started:
        harness.assert_no_errors()


async def answer_all_types(chat: MemberChat, comment: str = FREE_TEXT) -> None:
    """Agree (if asked) and complete all-types, typing `comment` as the last answer."""
    await chat.take_survey("all-types", *ALL_TYPES_STEPS, comment)
    assert chat.latest().plain.startswith("Thank you!")


async def snapshot(harness: BotHarness, tables: tuple[str, ...] = MEMBER_TABLES) -> dict:
    """Every row of `tables` (in a fixed order), to compare before and after."""
    return {
        table: sorted(await harness.rows(f"SELECT * FROM {table}"), key=repr) for table in tables
    }


async def member_id_of(harness: BotHarness, telegram_id: int) -> int | None:
    return await harness.scalar("SELECT id FROM members WHERE telegram_id = ?", telegram_id)


async def consents_of(harness: BotHarness, telegram_id: int) -> list[int]:
    rows = await harness.rows(
        "SELECT c.agreed FROM consents c JOIN members m ON m.id = c.member_id"
        " WHERE m.telegram_id = ? ORDER BY c.id",
        telegram_id,
    )
    return [agreed for (agreed,) in rows]


async def active_response(harness: BotHarness, telegram_id: int) -> int | None:
    return await harness.scalar(
        "SELECT active_response_id FROM members WHERE telegram_id = ?", telegram_id
    )


async def audit(harness: BotHarness) -> list[tuple]:
    return await harness.rows(
        "SELECT actor, chat_id, action, survey_id, scope FROM audit_log ORDER BY id"
    )


def secret_key(harness: BotHarness) -> bytes:
    return harness.application.bot_data[bot.SERVICES_KEY].secret_key


def id_traces(harness: BotHarness, telegram_id: int) -> list[bytes]:
    """The forms of a Telegram id the database files still hold: in a record (eight or six
    bytes, big-endian) or as text."""
    eight = telegram_id.to_bytes(8, "big")
    forms = [eight, eight[2:]]  # the six-byte form, or the low six bytes of the eight
    content = stored_bytes(harness.database)
    return [form for form in [*forms, str(telegram_id).encode()] if form in content]


def clean_up_jobs(harness: BotHarness) -> list[Job]:
    """The scheduled retries of a checkpoint a reader blocked."""
    return [job for job in harness.application.job_queue.jobs() if job.name == privacy.CLEAN_UP]


async def run_as_scheduled(harness: BotHarness, job: Job) -> None:
    """Run a one-off job as the scheduler does: gone from the queue, then run."""
    job.schedule_removal()
    await job.run(harness.application)


# --- /privacy ----------------------------------------------------------------------------------


async def test_privacy_before_any_decision_shows_the_bundled_notice_asking_to_agree(
    harness: BotHarness,
) -> None:
    chat = harness.member()

    await chat.send("/privacy")

    (shown,) = chat.messages()
    assert shown.text == f"{harness.notice.text}\n\n{privacy_render.ASK_TO_AGREE}"
    assert shown.text.startswith("<b>Your privacy</b>\n\n")
    assert shown.plain.startswith("Your privacy\n\nDoorstep asks you short surveys")
    assert "730 days after a survey closes, your answers to it are kept without" in shown.plain
    assert "answer nor change your choice for 730 days, your record is deleted" in shown.plain
    assert "{retention_days}" not in shown.text
    assert "• /forget: delete everything held about you" in shown.plain
    assert shown.labels() == ["I agree", "No thanks"]
    assert await harness.count("members") == 0  # reading the notice stores nothing


async def test_the_notice_states_the_retention_period_set(start: Start) -> None:
    harness = await start(retention_days=45)
    chat = harness.member()

    await chat.send("/privacy")

    assert "45 days after a survey closes" in chat.latest().plain
    assert "730" not in chat.latest().plain


async def test_privacy_after_agreeing_shows_the_choice_and_a_withdraw_button(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/privacy")

    assert member.latest().text == (
        f"{harness.notice.text}\n\n<b>Your choice:</b> you agreed on {TODAY}."
        " You can withdraw at any time.\n<b>Invitations:</b> on. I may invite you to new surveys"
        " and remind you of one you left half way (never at night)."
    )
    assert member.latest().labels() == ["Withdraw my consent", "No more invitations"]


async def test_the_withdraw_button_stops_collection_and_closes_the_open_survey(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    await member.tap(NORTH)
    assert await active_response(harness, member.user_id) is not None
    await member.send("/privacy")
    privacy_message = member.latest()

    await member.tap("Withdraw my consent")

    assert await consents_of(harness, member.user_id) == [1, 0]
    assert await active_response(harness, member.user_id) is None
    assert privacy_message.plain == render.WITHDRAWN  # the notice is replaced...
    assert "send /forget to delete them" in privacy_message.plain  # ...offering /forget
    assert privacy_message.keyboard == []
    assert await harness.answers_of(member) == {"area": "north"}  # answers kept until /forget
    await member.send("/privacy")
    assert member.latest().plain.endswith(
        f"Your choice: you withdrew your consent on {TODAY}, so I take no answers."
    )


async def test_privacy_after_declining_asks_again_as_nothing_was_recorded(
    harness: BotHarness,
) -> None:
    chat = harness.member()
    await chat.send("/start")
    await chat.tap("No thanks")

    await chat.send("/privacy")

    assert chat.latest().text == f"{harness.notice.text}\n\n{privacy_render.ASK_TO_AGREE}"
    assert chat.latest().labels() == ["I agree", "No thanks"]
    privacy_message = chat.latest()
    await chat.tap("I agree")
    assert await consents_of(harness, chat.user_id) == [1]
    assert privacy_message.plain.startswith(f"{render.AGREED}\n\nSurveys open now")
    assert privacy_message.labels() == ["Test <all> & *types*", "Quick poll"]


async def test_declining_on_the_privacy_notice_leaves_no_record_at_all(
    harness: BotHarness,
) -> None:
    chat = harness.member(BIG_ID)
    await chat.send("/privacy")
    privacy_message = chat.latest()

    await chat.tap("No thanks")

    assert await snapshot(harness) == {table: [] for table in MEMBER_TABLES}
    assert privacy_message.plain == render.DECLINED
    assert BIG_ID.to_bytes(6, "big") not in stored_bytes(harness.database)


async def test_an_old_withdraw_button_tapped_after_forget_records_nothing(
    harness: BotHarness,
) -> None:
    chat = harness.member(BIG_ID)
    await answer_all_types(chat)
    await chat.send("/privacy")
    privacy_message = chat.latest()
    assert privacy_message.labels() == ["Withdraw my consent", "No more invitations"]
    await chat.send("/forget")
    await chat.tap("Delete everything")

    await chat.tap("Withdraw my consent", privacy_message)

    assert await snapshot(harness) == {table: [] for table in MEMBER_TABLES}  # not re-created
    assert privacy_message.plain == render.DECLINED  # nothing about them is stored
    assert privacy_message.keyboard == []
    await chat.send("/mydata")
    assert chat.latest().plain == privacy_render.NOTHING_HELD


async def test_an_old_no_thanks_tapped_after_withdrawing_records_no_second_withdrawal(
    harness: BotHarness,
) -> None:
    chat = harness.member(BIG_ID)
    await chat.send("/privacy")
    old_notice = chat.latest()
    await chat.send("/start")
    await chat.tap("I agree")
    await chat.send("/withdraw")
    held = await snapshot(harness)

    await chat.tap("No thanks", old_notice)

    assert await consents_of(harness, BIG_ID) == [1, 0]
    assert await snapshot(harness) == held
    assert old_notice.plain == privacy_render.NOT_AGREED
    assert old_notice.keyboard == []


async def test_privacy_after_withdrawing_offers_to_agree_again(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/withdraw")

    await member.send("/privacy")

    assert member.latest().text == (
        f"{harness.notice.text}\n\n<b>Your choice:</b> you withdrew your consent on {TODAY},"
        " so I take no answers."
    )
    assert member.latest().labels() == ["I agree"]
    privacy_message = member.latest()
    await member.tap("I agree")
    assert await consents_of(harness, member.user_id) == [1, 0, 1]
    assert privacy_message.plain.startswith(f"{render.AGREED}\n\nSurveys open now")
    assert privacy_message.labels() == ["Test <all> & *types*", "Quick poll"]


async def test_a_custom_notice_file_is_shown_rendered_from_markdown(
    start: Start, tmp_path: Path
) -> None:
    notice = tmp_path / "our-notice.md"
    notice.write_text(
        "# How we use your answers\n"
        "\n"
        "We keep them **{retention_days} days**, as our\n"
        "[policy](https://example.org/privacy) says.\n"
        "\n"
        "- *Nothing* is sold\n"
        "- Totals only\n"
        "\n"
        "<script>alert(1)</script>\n",
        encoding="utf-8",
    )
    harness = await start(privacy_notice=notice, retention_days=90)
    chat = harness.member()

    await chat.send("/privacy")

    assert chat.latest().text == (
        "<b>How we use your answers</b>\n"
        "\n"
        'We keep them <b>90 days</b>, as our <a href="https://example.org/privacy">policy</a>'
        " says.\n"
        "\n"
        "• <i>Nothing</i> is sold\n"
        "• Totals only\n"
        "\n"
        "&lt;script&gt;alert(1)&lt;/script&gt;\n"
        "\n"
        f"{privacy_render.ASK_TO_AGREE}"
    )
    assert chat.latest().labels() == ["I agree", "No thanks"]
    await chat.tap("I agree")
    assert await harness.rows("SELECT agreed, notice_version FROM consents") == [
        (1, harness.notice.version)
    ]


@pytest.mark.parametrize("command", ["/privacy", "/start"])
async def test_a_notice_too_long_for_one_message_is_split_with_the_buttons_under_the_last(
    start: Start, tmp_path: Path, command: str
) -> None:
    paragraphs = [f"Paragraph {n}: " + "we look after your answers. " * 10 for n in range(30)]
    notice = tmp_path / "long-notice.md"
    notice.write_text("\n\n".join(paragraphs), encoding="utf-8")
    harness = await start(privacy_notice=notice)
    chat = harness.member()
    assert len(harness.notice.text) > render.MAX_MESSAGE_LENGTH

    await chat.send(command)

    shown = chat.messages()
    assert len(shown) >= 2
    assert all(len(message.plain) <= render.MAX_MESSAGE_LENGTH for message in shown)
    assert [message.keyboard == [] for message in shown] == [True] * (len(shown) - 1) + [False]
    assert shown[-1].labels() == ["I agree", "No thanks"]
    whole = "\n".join(message.plain for message in shown)
    assert [paragraph.strip() in whole for paragraph in paragraphs] == [True] * 30
    assert whole.index("Paragraph 29:") < whole.index(privacy_render.ASK_TO_AGREE[3:-4])
    await chat.tap("I agree")
    assert await consents_of(harness, chat.user_id) == [1]


async def test_a_long_bold_passage_in_the_notice_is_split_into_valid_messages(
    start: Start, tmp_path: Path
) -> None:
    words = [f"w{n}" for n in range(1200)]
    notice = tmp_path / "bold-notice.md"
    notice.write_text(f"# Short title\n\n**{' '.join(words)}**\n\n> {' '.join(words)}\n")
    harness = await start(privacy_notice=notice)
    chat = harness.member()

    await chat.send("/privacy")  # the fake Bot API refuses unbalanced HTML, as Telegram does

    shown = chat.messages()
    assert len(shown) >= 3
    assert shown[-1].labels() == ["I agree", "No thanks"]
    # A line longer than a message is cut between characters: compare without white space.
    whole = "".join("".join(message.plain.split()) for message in shown)
    passage = "".join(words)
    assert whole == f"Shorttitle{passage}{passage}Doyouagreetousstoringyouranswersontheseterms?"
    assert sum("<b>" in message.text for message in shown) >= 2  # bold in every part of it


# --- /withdraw ---------------------------------------------------------------------------------


async def test_withdraw_mid_survey_stops_every_answer_path(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    for step in ALL_TYPES_STEPS:
        if step in member.latest().labels():
            await member.tap(step)
        else:
            await member.send(step)
    question = member.latest()
    assert "Anything else?" in question.plain  # optional: typed, skipped, or back all count
    before = await snapshot(harness, ("responses", "answers"))

    await member.send("/withdraw")

    assert member.latest().plain == render.WITHDRAWN
    assert await consents_of(harness, member.user_id) == [1, 0]
    assert await active_response(harness, member.user_id) is None
    for typed in ("More buses please", "/skip", "/back"):
        await member.send(typed)
        assert member.latest().plain == render.NEEDS_CONSENT, typed
    for label in ("Skip »", "« Back"):
        await member.tap(label, question)
        assert member.callback_answers()[-1] == {
            "callback_query_id": member.last_update["callback_query"]["id"],
            "text": render.NEEDS_CONSENT,
            "show_alert": True,
        }
    assert await snapshot(harness, ("responses", "answers")) == before


async def test_a_stale_answer_button_after_withdrawing_stores_nothing(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    await member.tap(NORTH)
    question = member.latest()
    assert question.labels() == ["Yes", "No", "« Back"]
    await member.send("/withdraw")

    await member.tap("Yes", question)

    assert member.callback_answers()[-1]["text"] == render.NEEDS_CONSENT
    assert await harness.answers_of(member) == {"area": "north"}
    assert await harness.count("answers") == 1


@pytest.mark.parametrize("before", ["never decided", "declined", "withdrew"])
async def test_withdraw_without_consent_is_refused_and_records_nothing(
    harness: BotHarness, before: str
) -> None:
    chat = harness.member()
    if before == "declined":
        await chat.send("/start")
        await chat.tap("No thanks")
    elif before == "withdrew":
        await chat.send("/start")
        await chat.tap("I agree")
        await chat.send("/withdraw")
    history = await snapshot(harness)

    await chat.send("/withdraw")

    expected = privacy_render.NOT_AGREED if before == "withdrew" else privacy_render.NEVER_AGREED
    assert chat.latest().plain == expected
    assert await snapshot(harness) == history
    if before == "never decided":
        assert history["members"] == []


async def test_a_redelivered_withdraw_records_one_decision(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/withdraw")

    await member.redeliver()

    assert await consents_of(harness, member.user_id) == [1, 0]


async def test_a_withdraw_redelivered_after_agreeing_again_records_nothing_and_says_so(
    harness: BotHarness, member: MemberChat
) -> None:
    withdraw = await member.send("/withdraw")
    await member.send("/start")
    await member.tap("I agree")

    await harness.feed(withdraw)  # Telegram delivers the old /withdraw again

    assert await consents_of(harness, member.user_id) == [1, 0, 1]  # still agreed
    assert member.latest().plain == render.ALREADY_HANDLED  # not "Understood: ..."
    await member.send("/start quick-poll")
    assert "How do you feel" in member.latest().plain  # answers are still taken


async def test_after_withdrawing_start_shows_the_notice_and_agreeing_resumes_the_survey(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    await member.tap(NORTH)
    await member.send("/withdraw")

    await member.send("/start all-types")
    assert member.latest().text == f"{harness.notice.text}\n\n{privacy_render.ASK_TO_AGREE}"
    assert member.latest().labels() == ["I agree", "No thanks"]
    notice = member.latest()
    await member.tap("I agree")

    assert await consents_of(harness, member.user_id) == [1, 0, 1]
    assert member.latest() is notice  # the notice became the thanks and the question
    assert notice.plain.startswith(
        f"{render.AGREED}\n\nWelcome back to Test <all> & *types*. Here is where you stopped:"
    )
    assert "Are you a member?" in notice.plain
    assert notice.labels() == ["Yes", "No", "« Back"]
    await member.tap("Yes")
    assert await harness.answers_of(member) == {"area": "north", "member": "yes"}
    assert await harness.count("responses") == 1


# --- /mydata -----------------------------------------------------------------------------------


async def test_mydata_before_any_decision_says_nothing_is_held(harness: BotHarness) -> None:
    chat = harness.member()

    await chat.send("/mydata")

    assert chat.latest().plain == privacy_render.NOTHING_HELD
    assert harness.api.calls_of("sendDocument") == []
    assert await harness.count("members") == 0


async def test_mydata_sends_everything_held_as_a_json_file(harness: BotHarness) -> None:
    other = harness.member(424242)
    await answer_all_types(other, OTHER_FREE_TEXT)
    chat = harness.member(BIG_ID, "Kit")
    await answer_all_types(chat)
    member_id = await member_id_of(harness, BIG_ID)

    await chat.send("/mydata")

    sent = chat.latest()
    assert sent.kind == "document"
    assert sent.text == privacy_render.MYDATA_CAPTION
    assert sent.file.filename == "doorstep-my-data-2026-11-29.json"
    document = json.loads(sent.file.content.decode("utf-8"))
    assert document["member"] == {
        "telegram_id": BIG_ID,
        "first_decision_at": NOW,
        "respondent_code_in_exports": pseudonym(secret_key(harness), member_id),
    }
    assert document["consents"] == [
        {"agreed": True, "notice_version": harness.notice.version, "decided_at": NOW}
    ]
    (response,) = document["responses"]
    assert {key: response[key] for key in ("survey_id", "survey", "status", "completed_at")} == {
        "survey_id": "all-types",
        "survey": "Test <all> & *types*",
        "status": "completed",
        "completed_at": NOW,
    }
    assert [(answer["question_id"], answer["answer"]) for answer in response["answers"]] == [
        *ALL_TYPES_STORED,
        ("comment", FREE_TEXT),
    ]
    assert [answer["question"] for answer in response["answers"]] == [
        "Where do you live? <North> & *South*",
        "Are you a member?",
        "Which branch?",
        "Your priorities?",
        "How hopeful are you?",
        "How old are you?",
        "Anything else?",
    ]
    assert response["answers"][0]["in_words"] == NORTH
    assert response["answers"][-1]["in_words"] == FREE_TEXT
    assert document["contact_preferences"] == {
        "invitations_and_reminders": "on",
        "unreachable_since": None,
        "area": str(ALL_TYPES_STORED[0][1]),  # their answer to the area question
        "invitations": [],
    }
    assert OTHER_FREE_TEXT not in sent.file.content.decode("utf-8")  # only their own data


async def test_mydata_of_someone_who_declined_finds_nothing_held(harness: BotHarness) -> None:
    chat = harness.member(BIG_ID)
    await chat.send("/start")
    await chat.tap("No thanks")

    await chat.send("/mydata")

    assert chat.latest().plain == privacy_render.NOTHING_HELD
    assert chat.latest().file is None


async def test_mydata_of_a_member_who_withdrew_holds_their_decisions(
    harness: BotHarness,
) -> None:
    chat = harness.member(BIG_ID)
    await chat.send("/start")
    await chat.tap("I agree")
    await chat.send("/withdraw")

    await chat.send("/mydata")

    document = json.loads(chat.latest().file.content)
    assert document["member"]["telegram_id"] == BIG_ID
    assert document["consents"] == [
        {"agreed": True, "notice_version": harness.notice.version, "decided_at": NOW},
        {"agreed": False, "notice_version": harness.notice.version, "decided_at": NOW},
    ]
    assert document["responses"] == []


async def test_mydata_lists_an_unfinished_response_too(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    await member.tap(NORTH)

    await member.send("/mydata")

    (response,) = json.loads(member.latest().file.content)["responses"]
    assert response["status"] == "in progress"
    assert response["completed_at"] is None
    assert [(answer["question_id"], answer["answer"]) for answer in response["answers"]] == [
        ("area", "north")
    ]


async def test_mydata_shows_ticks_before_done_where_the_member_stands_and_what_was_handled(
    harness: BotHarness,
) -> None:
    chat = harness.member(BIG_ID)
    await chat.send("/start all-types")
    await chat.tap("I agree")
    await chat.tap(NORTH)
    await chat.tap("Yes")
    branch = await chat.send("Central branch")  # the last message that changed anything
    await chat.tap("Housing")
    await chat.tap("NHS")  # two ticked, Done not tapped

    await chat.send("/mydata")

    document = json.loads(chat.latest().file.content)
    (response,) = document["responses"]
    assert response["status"] == "in progress"
    assert response["current_question"] == "priorities"
    assert response["ticked_before_done"] == ["Housing", "NHS"]
    assert [answer["question_id"] for answer in response["answers"]] == [
        "area",
        "member",
        "branch",
    ]  # ticks are not an answer yet
    assert document["technical"] == {
        "answering_survey": "all-types",
        "last_message_handled": branch["message"]["message_id"],
    }
    assert document["as_organiser"] == []  # an ordinary member did nothing as an organiser


async def test_mydata_of_an_administrator_lists_the_audit_entries_naming_them(
    start: Start,
) -> None:
    harness = await start(ORGANISER_SURVEYS, admins={ADMIN})
    admin = harness.member(ADMIN, "Ada")
    await admin.send("/start")
    await admin.tap("I agree")
    await admin.send("/export pulse")
    someone = harness.member(ORGANISER)
    await someone.send("/start")
    await someone.tap("I agree")

    await admin.send("/mydata")

    document = json.loads(admin.latest().file.content)
    assert document["as_organiser"] == [
        {"at": NOW, "action": "export", "chat_id": ADMIN, "survey_id": "pulse", "scope": "all"}
    ]
    assert document["technical"]["answering_survey"] is None
    await someone.send("/mydata")
    assert json.loads(someone.latest().file.content)["as_organiser"] == []


# --- /forget -----------------------------------------------------------------------------------


async def test_forget_asks_first_and_keep_my_data_deletes_nothing(
    harness: BotHarness,
) -> None:
    chat = harness.member(BIG_ID)
    await answer_all_types(chat)
    held = await snapshot(harness)

    await chat.send("/forget")
    confirmation = chat.latest()
    assert confirmation.text == privacy_render.FORGET_CONFIRM
    assert confirmation.labels() == ["Delete everything", "Keep my data"]
    assert await snapshot(harness) == held  # asking deletes nothing
    await chat.tap("Keep my data")

    assert confirmation.plain == privacy_render.KEPT
    assert confirmation.keyboard == []
    assert await snapshot(harness) == held
    assert await harness.count("audit_log") == 0


async def test_forget_deletes_everything_about_the_member_and_nothing_else(
    harness: BotHarness,
) -> None:
    other = harness.member(424242)
    await answer_all_types(other, OTHER_FREE_TEXT)
    others_rows = await snapshot(harness)
    chat = harness.member(BIG_ID, "Kit")
    await answer_all_types(chat)
    member_id = await member_id_of(harness, BIG_ID)
    await chat.send("/forget")
    confirmation = chat.latest()
    delete = confirmation.buttons()[0]["callback_data"]

    await chat.tap("Delete everything")

    assert confirmation.plain == privacy_render.FORGOTTEN
    assert confirmation.keyboard == []
    assert await member_id_of(harness, BIG_ID) is None
    assert await snapshot(harness) == others_rows  # every row of theirs gone, the other's kept
    assert await harness.answers_of(other) == {**dict(ALL_TYPES_STORED), "comment": OTHER_FREE_TEXT}
    assert await harness.rows("SELECT actor, chat_id, action, survey_id, scope FROM audit_log") == [
        (
            None,
            None,
            "forget",
            None,
            f"by the member: respondent {pseudonym(secret_key(harness), member_id)};"
            " responses deleted: 1",
        )
    ]
    audit = await harness.rows("SELECT * FROM audit_log")
    assert str(BIG_ID) not in repr(audit)

    # The button tapped again, and /forget sent again, find nothing and change nothing.
    await chat.press(delete, confirmation)
    assert confirmation.plain == privacy_render.NOTHING_HELD
    assert (
        chat.callback_answers()[-1]["callback_query_id"]
        == (chat.last_update["callback_query"]["id"])
    )
    await chat.send("/forget")
    assert chat.latest().plain == privacy_render.NOTHING_HELD
    assert chat.latest().keyboard == []
    assert await snapshot(harness) == others_rows
    assert await harness.rows("SELECT * FROM audit_log") == audit


async def test_forget_leaves_no_trace_of_the_member_in_the_database_files(
    harness: BotHarness,
) -> None:
    other = harness.member(424242)
    await answer_all_types(other, OTHER_FREE_TEXT)
    chat = harness.member(BIG_ID, "Kit")
    await answer_all_types(chat)
    traces = [str(BIG_ID).encode(), BIG_ID.to_bytes(6, "big"), FREE_TEXT.encode()]

    def found() -> list[bytes]:
        files = [harness.database, harness.database.with_name(harness.database.name + "-wal")]
        content = b"".join(file.read_bytes() for file in files if file.exists())
        return [trace for trace in traces if trace in content]

    assert found() == [BIG_ID.to_bytes(6, "big"), FREE_TEXT.encode()]  # the check finds them
    await chat.send("/forget")
    await chat.tap("Delete everything")

    assert found() == []
    assert OTHER_FREE_TEXT.encode() in b"".join(
        file.read_bytes()
        for file in (harness.database, harness.database.with_name(harness.database.name + "-wal"))
        if file.exists()
    )
    assert await harness.answers_of(other) == {**dict(ALL_TYPES_STORED), "comment": OTHER_FREE_TEXT}


def due_in(job: Job) -> dt.timedelta:
    return job.next_t - dt.datetime.now(dt.UTC)


async def test_a_burst_of_forgets_is_cleaned_up_once_a_few_minutes_later(
    harness: BotHarness,
) -> None:
    for user_id in (424242, BIG_ID):
        chat = harness.member(user_id)
        await answer_all_types(chat)
        await chat.send("/forget")
        await chat.tap("Delete everything")

    (job,) = clean_up_jobs(harness)  # one for both
    assert privacy_cases.CLEAN_UP_AFTER - dt.timedelta(seconds=30) < due_in(job)
    assert due_in(job) <= privacy_cases.CLEAN_UP_AFTER
    assert await harness.scalar("SELECT compact_due FROM maintenance") == 1

    await run_as_scheduled(harness, job)

    assert clean_up_jobs(harness) == []
    assert await harness.scalar("SELECT compact_due FROM maintenance") == 0  # rebuilt
    assert wal_size(harness.database) == 0


def rebuilds_of(harness: BotHarness, monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    """The fake clock's time at every rebuild (VACUUM) of the running bot's database from now."""
    times: list[dt.datetime] = []
    vacuum = harness.db.vacuum

    async def vacuum_counted() -> None:
        times.append(harness.clock())
        await vacuum()

    monkeypatch.setattr(harness.db, "vacuum", vacuum_counted)
    return times


async def forgets(chat: MemberChat) -> None:
    """A member answers all-types, then deletes everything."""
    await answer_all_types(chat)
    await chat.send("/forget")
    await chat.tap("Delete everything")


def assert_due_in(job: Job, expected: dt.timedelta) -> None:
    assert expected - dt.timedelta(seconds=30) < due_in(job) <= expected


async def test_forgets_within_the_rebuild_interval_cause_one_rebuild_and_the_next_after_it(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilds = rebuilds_of(harness, monkeypatch)
    first_forget = harness.clock()
    await forgets(harness.member(424242))
    (job,) = clean_up_jobs(harness)
    harness.clock.advance(minutes=5)
    await run_as_scheduled(harness, job)
    assert rebuilds == [first_forget + privacy_cases.CLEAN_UP_AFTER]

    harness.clock.advance(minutes=10)  # a quarter of an hour after the first /forget
    await forgets(harness.member(BIG_ID))

    assert wal_size(harness.database) == 0  # the log is truncated at once all the same
    (job,) = clean_up_jobs(harness)
    assert_due_in(job, dt.timedelta(minutes=50))  # an hour after the last rebuild
    await run_as_scheduled(harness, job)  # run early (as a checkpoint retry would): no rebuild
    assert rebuilds == [first_forget + privacy_cases.CLEAN_UP_AFTER]
    assert await harness.scalar("SELECT compact_due FROM maintenance") == 1
    (job,) = clean_up_jobs(harness)
    assert_due_in(job, dt.timedelta(minutes=50))

    harness.clock.advance(minutes=50)
    await run_as_scheduled(harness, job)

    assert rebuilds == [first_forget + dt.timedelta(minutes=m) for m in (5, 65)]
    assert clean_up_jobs(harness) == []
    assert BIG_ID.to_bytes(6, "big") not in stored_bytes(harness.database)


async def test_a_log_a_reader_blocks_is_retried_in_a_minute_while_a_rebuild_waits(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilds = rebuilds_of(harness, monkeypatch)
    await forgets(harness.member(424242))
    (job,) = clean_up_jobs(harness)
    harness.clock.advance(minutes=5)
    await run_as_scheduled(harness, job)
    harness.clock.advance(minutes=10)
    await forgets(harness.member(OTHER_ID))  # its rebuild waits until the hour is up
    chat = harness.member(BIG_ID)
    await answer_all_types(chat)
    await chat.send("/forget")

    with reading(harness.database):
        await chat.tap("Delete everything")
        (job,) = clean_up_jobs(harness)  # one job: the sooner
        assert_due_in(job, privacy_cases.CLEAN_UP_RETRY)
    harness.clock.advance(minutes=1)
    await run_as_scheduled(harness, job)

    assert wal_size(harness.database) == 0
    assert FREE_TEXT.encode() not in stored_bytes(harness.database)
    assert len(rebuilds) == 1
    (job,) = clean_up_jobs(harness)
    assert_due_in(job, dt.timedelta(minutes=49))


async def test_a_restart_does_not_allow_an_extra_rebuild(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await BotHarness.start(database)
    await forgets(first.member(424242))
    (job,) = clean_up_jobs(first)
    first.clock.advance(minutes=5)
    await run_as_scheduled(first, job)  # rebuilt

    second = await first.restart()
    rebuilds = rebuilds_of(second, monkeypatch)
    second.clock.advance(minutes=10)
    await forgets(second.member(BIG_ID))
    (job,) = clean_up_jobs(second)

    assert_due_in(job, dt.timedelta(minutes=50))  # an hour after the rebuild before it
    assert rebuilds == []
    await second.stop()
    second.assert_no_errors()


async def test_the_rebuild_interval_is_a_setting(start: Start) -> None:
    harness = await start(rebuild_interval_minutes=240)
    await forgets(harness.member(424242))
    (job,) = clean_up_jobs(harness)
    harness.clock.advance(minutes=5)
    await run_as_scheduled(harness, job)

    harness.clock.advance(minutes=15)
    await forgets(harness.member(BIG_ID))

    (job,) = clean_up_jobs(harness)
    assert_due_in(job, dt.timedelta(minutes=225))


async def test_a_clean_up_a_reader_blocks_is_retried_until_the_log_is_truncated(
    harness: BotHarness,
) -> None:
    chat = harness.member(BIG_ID, "Kit")
    await answer_all_types(chat)
    await chat.send("/forget")
    confirmation = chat.latest()

    with reading(harness.database):
        await chat.tap("Delete everything")

        assert confirmation.plain == privacy_render.FORGOTTEN  # deleted all the same
        (job,) = clean_up_jobs(harness)
        assert privacy_cases.CLEAN_UP_RETRY - dt.timedelta(seconds=10) < due_in(job)
        assert due_in(job) <= privacy_cases.CLEAN_UP_RETRY
        assert FREE_TEXT.encode() in stored_bytes(harness.database)  # the log still holds the rows

        await run_as_scheduled(harness, job)  # the reader is still there

        (again,) = clean_up_jobs(harness)
        assert again is not job
        assert FREE_TEXT.encode() in stored_bytes(harness.database)

    await run_as_scheduled(harness, again)  # the reader is gone

    assert clean_up_jobs(harness) == []  # done: not retried again
    assert wal_size(harness.database) == 0
    content = stored_bytes(harness.database)
    assert FREE_TEXT.encode() not in content
    assert BIG_ID.to_bytes(6, "big") not in content


async def test_forgetting_an_administrator_keeps_their_export_entry_without_their_id(
    start: Start,
) -> None:
    harness = await start(ORGANISER_SURVEYS, admins={HUGE_ID})
    admin = harness.member(HUGE_ID, "Ada")
    await admin.send("/start")
    await admin.tap("I agree")
    await admin.send("/export pulse")
    assert admin.latest().kind == "document"
    assert await audit(harness) == [(HUGE_ID, HUGE_ID, "export", "pulse", "all")]
    assert id_traces(harness, HUGE_ID) != []  # the check finds it

    await admin.send("/forget")
    await admin.tap("Delete everything")

    (export, forget) = await audit(harness)
    assert export == (None, None, "export", "pulse", "all")  # the entry stays: who is gone
    assert forget[:3] == (None, None, "forget")
    assert id_traces(harness, HUGE_ID) == []


async def test_mydata_of_an_administrator_who_never_agreed_lists_their_audit_entries(
    start: Start,
) -> None:
    # Administrators and organisers need not answer surveys: the audit log names them all the
    # same, and docs/privacy.md says /mydata gives them their entries.
    harness = await start(ORGANISER_SURVEYS, admins={HUGE_ID})
    admin = harness.member(HUGE_ID, "Ada")
    await admin.send("/export pulse")
    assert await audit(harness) == [(HUGE_ID, HUGE_ID, "export", "pulse", "all")]

    await admin.send("/mydata")

    assert admin.latest().plain != privacy_render.NOTHING_HELD  # their id is held
    document = json.loads(admin.latest().file.content)
    assert [entry["action"] for entry in document["as_organiser"]] == ["export"]


async def test_forget_by_an_administrator_who_never_agreed_removes_their_id_from_the_audit_log(
    start: Start,
) -> None:
    # docs/privacy.md: the audit log holds "the organiser's or administrator's Telegram id
    # (removed if they use /forget)".
    harness = await start(ORGANISER_SURVEYS, admins={HUGE_ID})
    admin = harness.member(HUGE_ID, "Ada")
    await admin.send("/export pulse")
    assert id_traces(harness, HUGE_ID) != []

    await admin.send("/forget")
    assert admin.latest().labels() == ["Delete everything", "Keep my data"]
    await admin.tap("Delete everything")

    assert (await audit(harness))[0] == (None, None, "export", "pulse", "all")
    assert id_traces(harness, HUGE_ID) == []


async def test_a_forgotten_members_export_code_is_never_given_to_a_new_member(
    harness: BotHarness,
) -> None:
    first = harness.member(424242)
    await first.send("/start")
    await first.tap("I agree")
    chat = harness.member(BIG_ID)
    await answer_all_types(chat)
    forgotten = await member_id_of(harness, BIG_ID)
    assert forgotten == await harness.scalar("SELECT max(id) FROM members")
    await chat.send("/forget")
    await chat.tap("Delete everything")
    ((scope,),) = await harness.rows("SELECT scope FROM audit_log WHERE action = 'forget'")
    forgotten_code = pseudonym(secret_key(harness), forgotten)
    assert forgotten_code in scope

    newcomer = harness.member(OTHER_ID)
    await answer_all_types(newcomer, OTHER_FREE_TEXT)

    new_id = await member_id_of(harness, OTHER_ID)
    assert new_id > forgotten
    assert pseudonym(secret_key(harness), new_id) != forgotten_code
    await newcomer.send("/mydata")
    code = json.loads(newcomer.latest().file.content)["member"]["respondent_code_in_exports"]
    assert code not in scope  # the audit entry names no one still here


async def test_forgotten_answers_no_longer_count_in_organiser_reports(start: Start) -> None:
    harness = await start(ORGANISER_SURVEYS, admins={ADMIN})
    organisers = harness.group(GROUP, "Organisers", ADMIN)
    await organisers.send("/register")
    organisers = organisers.speaker(ORGANISER)
    await census_answered(harness)  # ten completed, one started (2999)
    harness.clock.advance(days=1)  # the forgetting member's days have no one else's responses
    await organisers.send("/summary census")
    report = organisers.latest().plain
    totals = await snapshot(harness, ("tallies", "survey_days"))
    chat = harness.member(BIG_ID, "Kit")
    await chat.take_survey("census", "Walk", "No", "Schools", "Transport", "Done")
    harness.clock.advance(days=1)  # started one day, completed the next
    await chat.take_survey("census", "5", "99", "Damp damp damp", "/skip")
    assert chat.latest().plain.startswith("Thank you!")
    await organisers.send("/summary census")
    assert organisers.latest().plain.splitlines()[1] == "Started 12 · completed 11 (92%)"

    await chat.send("/forget")
    await chat.tap("Delete everything")

    await organisers.send("/summary census")
    assert organisers.latest().plain == report
    assert await snapshot(harness, ("tallies", "survey_days")) == totals
    # A member who only started counts as started until they are forgotten.
    started_only = harness.member(2999)
    await started_only.send("/forget")
    await started_only.tap("Delete everything")
    await organisers.send("/summary census")
    assert organisers.latest().plain.splitlines()[1] == "Started 10 · completed 10 (100%)"


# --- in a group --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["/privacy", "/mydata", "/withdraw", "/forget"])
async def test_data_commands_in_a_group_point_to_the_private_chat_and_show_nothing(
    harness: BotHarness, command: str
) -> None:
    chat = harness.member(BIG_ID)
    await answer_all_types(chat)
    held = await snapshot(harness)
    private_messages = len(chat.messages())
    group = harness.group(user_id=BIG_ID)

    await group.send(command)

    (reply,) = group.messages()
    assert reply.plain == f"{render.PRIVATE_ONLY} Open"
    assert 'href="https://t.me/doorstep_test_bot?start"' in reply.text
    assert reply.keyboard == []
    assert harness.api.calls_of("sendDocument") == []
    assert await snapshot(harness) == held
    assert len(chat.messages()) == private_messages
