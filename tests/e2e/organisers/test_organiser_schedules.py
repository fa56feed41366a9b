"""Digests on a schedule, milestone announcements, and the administrators' CSV export (in
Telegram and from the command line)."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import Job

import bot
from handlers import organiser_render as text
from surveys.export import pseudonym
from tests.e2e.organisers.test_organisers import define_channel
from tests.support.harness import ORGANISER_SURVEYS, TEST_TOKEN, BotHarness, GroupChat
from tests.support.organisers import ADMIN, CHANNEL, GROUP, ORGANISER, digest_jobs, start_bot

LONDON = ZoneInfo("Europe/London")  # DOORSTEP_TIMEZONE's default
OPEN_SURVEYS = ["census", "hostile", "local", "long", "pulse"]  # in file order; not old-poll


def local_time(job: Job) -> tuple[int, str]:
    """When a job runs next: (weekday, HH:MM) in DOORSTEP_TIMEZONE."""
    when = job.next_t.astimezone(LONDON)
    return when.weekday(), when.strftime("%H:%M")


async def stored_digest(harness: BotHarness, chat_id: int) -> tuple:
    """(digest, weekday, time) as stored for a chat."""
    return (
        await harness.rows(
            "SELECT digest, digest_weekday, digest_time FROM organiser_chats WHERE chat_id = ?",
            chat_id,
        )
    )[0]


def reports_posted(group: GroupChat, since: int) -> list[str]:
    """The surveys whose reports were posted after the first `since` messages, by the callback
    data of their Chart buttons (one under each report)."""
    return [
        button["callback_data"].removeprefix("g:")
        for message in group.messages()[since:]
        for button in message.buttons()
    ]


# --- digests -----------------------------------------------------------------------------------


async def test_a_daily_digest_is_scheduled_stored_and_restored_after_a_restart(
    database: Path,
) -> None:
    first = await start_bot(database)
    group = first.group(GROUP, "Organisers", ADMIN)
    await group.send("/register")

    await group.speaker(ORGANISER).send("/digest daily 08:00")

    assert group.latest().plain == (
        "Digest set: the report of every open survey, every day at 08:00."
    )
    (job,) = digest_jobs(first)
    assert job.name == f"digest:{GROUP}"
    assert job.chat_id == GROUP
    assert local_time(job)[1] == "08:00"
    assert await stored_digest(first, GROUP) == ("daily", None, "08:00")
    second = await first.restart()
    (restored,) = digest_jobs(second)
    assert (restored.name, local_time(restored)[1]) == (f"digest:{GROUP}", "08:00")
    await second.stop()
    second.assert_no_errors()


async def test_a_weekly_digest_replaces_the_daily_one(
    harness: BotHarness, organisers: GroupChat
) -> None:
    await organisers.send("/digest daily 08:00")

    await organisers.send("/digest weekly MON 9:30")

    assert organisers.latest().plain == (
        "Digest set: the report of every open survey, every Monday at 09:30."
    )
    (job,) = digest_jobs(harness)
    assert local_time(job) == (0, "09:30")
    assert await stored_digest(harness, GROUP) == ("weekly", 0, "09:30")


@pytest.mark.parametrize(("day", "weekday"), [("sunday", 6), ("Sat", 5), ("wed", 2)])
async def test_weekly_digests_fall_on_the_day_asked_for(
    harness: BotHarness, organisers: GroupChat, day: str, weekday: int
) -> None:
    await organisers.send(f"/digest weekly {day} 23:59")

    (job,) = digest_jobs(harness)
    assert local_time(job) == (weekday, "23:59")


async def test_digest_off_removes_it(harness: BotHarness, organisers: GroupChat) -> None:
    await organisers.send("/digest daily 08:00")

    await organisers.send("/digest off")

    assert organisers.latest().plain == text.DIGEST_OFF
    assert digest_jobs(harness) == []
    assert await stored_digest(harness, GROUP) == (None, None, None)


@pytest.mark.parametrize(
    "command",
    [
        "/digest",
        "/digest daily",
        "/digest daily 24:00",
        "/digest daily 8",
        "/digest weekly 09:30",
        "/digest weekly someday 09:30",
        "/digest hourly 09:30",
        "/digest off now",
    ],
)
async def test_a_digest_in_bad_words_gets_the_usage(
    harness: BotHarness, organisers: GroupChat, command: str
) -> None:
    await organisers.send("/digest daily 08:00")

    await organisers.send(command)

    assert organisers.latest().plain == text.DIGEST_USAGE
    assert [local_time(job)[1] for job in digest_jobs(harness)] == ["08:00"]  # unchanged


async def test_a_digest_in_an_unregistered_group_is_refused(harness: BotHarness) -> None:
    group = harness.group(GROUP, "Strangers", ADMIN)

    await group.send("/digest daily 08:00")

    assert group.latest().plain == text.NOT_HERE
    assert digest_jobs(harness) == []


async def test_an_administrator_sets_a_channels_digest_in_private(harness: BotHarness) -> None:
    define_channel(harness)
    admin = harness.member(ADMIN)
    await admin.send("/register_channel @members_news")

    await admin.send("/digest @members_news daily 07:15")

    assert admin.latest().plain == (
        "Digest set: the report of every open survey, every day at 07:15."
    )
    (job,) = digest_jobs(harness)
    assert (job.chat_id, local_time(job)[1]) == (CHANNEL, "07:15")


async def test_only_an_administrator_sets_a_digest_in_private(harness: BotHarness) -> None:
    define_channel(harness)
    await harness.member(ADMIN).send("/register_channel @members_news")
    organiser = harness.member(ORGANISER)

    await organiser.send("/digest @members_news daily 07:15")

    assert organiser.latest().plain == text.ADMINS_ONLY
    assert digest_jobs(harness) == []


async def test_the_digest_posts_the_report_of_every_open_survey(
    harness: BotHarness, organisers: GroupChat
) -> None:
    for number in range(5):
        await harness.member(7000 + number).take_survey("pulse", "Yes")
    await organisers.send("/digest daily 08:00")
    (job,) = digest_jobs(harness)
    before = len(organisers.messages())

    await job.run(harness.application)

    assert reports_posted(organisers, before) == OPEN_SURVEYS
    assert organisers.latest().plain.splitlines()[:2] == ["Pulse", "Started 5 · completed 5 (100%)"]
    assert "██████████ 100%      5 Yes" in organisers.latest().plain


async def test_an_area_groups_digest_is_of_its_area_in_the_surveys_that_ask_for_it(
    harness: BotHarness,
) -> None:
    group = harness.group(GROUP, "North", ADMIN)
    await group.send("/register north")
    await group.send("/digest daily 08:00")
    (job,) = digest_jobs(harness)
    before = len(group.messages())

    await job.run(harness.application)

    assert reports_posted(group, before) == ["local"]
    local = next(m for m in group.messages()[before:] if m.plain.startswith("Local priorities"))
    assert local.plain.splitlines()[1] == "Area: North"


async def test_a_digest_of_a_chat_registered_again_after_a_removal_runs_again(
    harness: BotHarness,
) -> None:
    group = harness.group(GROUP, "Organisers", ADMIN)
    await group.send("/register")
    await group.send("/digest daily 08:00")
    await group.bot_status_becomes("kicked")
    assert digest_jobs(harness) == []

    await group.bot_status_becomes("member", old_status="left")
    await group.send("/register")

    (job,) = digest_jobs(harness)
    assert local_time(job)[1] == "08:00"


async def test_an_unregistered_chats_digest_stops(
    harness: BotHarness, organisers: GroupChat
) -> None:
    await organisers.send("/digest daily 08:00")

    await organisers.speaker(ADMIN).send("/unregister")

    assert digest_jobs(harness) == []


# --- milestones --------------------------------------------------------------------------------

MILESTONE = "🎉 Pulse has 10 completed responses."


async def test_the_tenth_completed_response_is_announced_once_to_groups_that_see_all(
    harness: BotHarness, organisers: GroupChat
) -> None:
    north = harness.group(GROUP - 1, "North", ADMIN)
    await north.send("/register north")
    define_channel(harness)
    await harness.member(ADMIN).send("/register_channel @members_news")
    for _ in range(10):  # one member ten times is one person, not ten
        await harness.member(7100).take_survey("pulse", "Yes")
    for number in range(1, 9):
        await harness.member(7100 + number).take_survey("pulse", "Yes")
    assert MILESTONE not in [message.plain for message in organisers.messages()]

    tenth = harness.member(7109)
    await tenth.take_survey("pulse", "No")  # the tenth person
    await tenth.redeliver()  # Telegram delivers the completing tap again
    await harness.member(7110).take_survey("pulse", "Yes")  # the eleventh

    assert [m.plain for m in organisers.messages()].count(MILESTONE) == 1
    assert [m.plain for m in harness.api.messages(CHANNEL)] == [MILESTONE]
    assert MILESTONE not in [message.plain for message in north.messages()]
    assert await harness.rows("SELECT survey_id, completed FROM milestones") == [("pulse", 10)]


async def test_the_completing_member_is_answered_before_organisers_hear_of_a_milestone(
    harness: BotHarness, organisers: GroupChat
) -> None:
    """Milestone posts leave the member's update: with the organiser group slow to take a
    post, the member who completes the tenth response is thanked at once."""
    for number in range(9):
        await harness.member(7200 + number).take_survey("pulse", "Yes")
    harness.api.hold(GROUP)
    harness.settling = False

    tenth = harness.member(7209)
    await tenth.take_survey("pulse", "No")

    assert tenth.latest().plain.startswith("Thank you!")
    assert MILESTONE not in [message.plain for message in organisers.messages()]
    harness.api.release(GROUP)
    await harness.settle()
    assert [message.plain for message in organisers.messages()].count(MILESTONE) == 1


@pytest.mark.filterwarnings("ignore:Tasks created via `Application.create_task` while")
async def test_a_milestone_set_off_as_the_bot_stops_is_posted_before_it_closes(
    database: Path,
) -> None:
    """An update still being handled as the bot stops completes the tenth response. PTB no
    longer waits for tasks set off then; the bot does, before it closes the store, so the
    milestone is posted rather than claimed and lost."""
    bot_ = await start_bot(database)
    await bot_.group(GROUP, "Organisers", ADMIN).send("/register")
    for number in range(9):
        await bot_.member(7300 + number).take_survey("pulse", "Yes")
    tenth = bot_.member(7309)
    await tenth.take_survey("pulse")  # agreed, and shown the one question
    bot_.settling = False

    await bot_.application.stop()  # SIGTERM arrives; the tenth answer is still on its way
    await tenth.tap("No")
    await bot_.application.shutdown()
    await bot_.application.post_shutdown(bot_.application)

    assert [message.plain for message in bot_.api.messages(GROUP)].count(MILESTONE) == 1
    bot_.assert_no_errors()


async def test_a_milestone_is_announced_once_across_a_restart(database: Path) -> None:
    first = await start_bot(database)
    await first.group(GROUP, "Organisers", ADMIN).send("/register")
    for number in range(10):
        await first.member(7200 + number).take_survey("pulse", "Yes")

    second = await first.restart()
    await second.member(7300).take_survey("pulse", "Yes")

    texts = [message.plain for message in second.api.messages(GROUP)]
    assert texts.count(MILESTONE) == 1
    await second.stop()
    second.assert_no_errors()


# --- the export --------------------------------------------------------------------------------

CENSUS_HEADER = [
    "respondent",
    "status",
    "counted",
    "started_at",
    "completed_at",
    "transport",
    "union",
    "priorities:Housing",
    "priorities:NHS",
    "priorities:Schools",
    "priorities:Transport",
    "hope",
    "age",
    "change",
    "comment",
]
MEMBERS = [810000001, 810000002, 810000003]  # Telegram user ids


async def census_for_export(harness: BotHarness) -> None:
    """Two members complete the census, a day apart; a third stops after two questions."""
    await harness.member(MEMBERS[0]).take_survey(
        "census", "Bus", "Yes", "NHS", "Schools", "Done", "5", "44", "Damp", "=cmd|calc"
    )
    harness.clock.advance(days=1, minutes=30)
    await harness.member(MEMBERS[1]).take_survey(
        "census", "Walk", "No", "Housing", "Done", "1", "70", "/skip", "/skip"
    )
    await harness.member(MEMBERS[2]).take_survey("census", "Car", "Yes")


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


async def test_an_administrator_gets_the_responses_as_csv_in_private(
    harness: BotHarness,
) -> None:
    await census_for_export(harness)
    admin = harness.member(ADMIN)

    await admin.send("/export census")

    document = admin.latest()
    assert document.kind == "document"
    assert document.file.filename == "census-20261130-1230.csv"
    assert document.plain == "3 responses"
    header, *rows = rows_of(document.file.content)
    assert header == CENSUS_HEADER
    key = harness.application.bot_data[bot.SERVICES_KEY].secret_key
    member_ids = [
        await harness.scalar("SELECT id FROM members WHERE telegram_id = ?", uid) for uid in MEMBERS
    ]
    assert [row[0] for row in rows] == [pseudonym(key, member_id) for member_id in member_ids]
    assert all(re.fullmatch(r"[0-9a-f]{16}", row[0]) for row in rows)
    assert [row[1:] for row in rows] == [
        [
            "completed",
            "1",
            "2026-11-29T12:00:00+00:00",
            "2026-11-29T12:00:00+00:00",
            *["Bus", "yes", "0", "1", "1", "0", "5", "44", "Damp", "'=cmd|calc"],
        ],
        [
            "completed",
            "1",
            "2026-11-30T12:30:00+00:00",
            "2026-11-30T12:30:00+00:00",
            *["Walk", "no", "1", "0", "0", "0", "1", "70", "", ""],
        ],
        [
            "in_progress",
            "0",
            "2026-11-30T12:30:00+00:00",
            "",
            *["Car", "yes", "", "", "", "", "", "", "", ""],
        ],
    ]
    assert not [uid for uid in MEMBERS if str(uid) in document.file.content.decode()]


async def test_the_pseudonyms_are_the_same_in_every_export(harness: BotHarness) -> None:
    await census_for_export(harness)
    admin = harness.member(ADMIN)

    await admin.send("/export census")
    await harness.member(MEMBERS[0]).take_survey("pulse", "Yes")
    await admin.send("/export pulse")

    census = rows_of(admin.messages()[-2].file.content)
    pulse = rows_of(admin.latest().file.content)
    assert pulse[1][0] == census[1][0]  # the first member, in both


@pytest.mark.parametrize("command", ["/export", "/export nonsense", "/export census pulse"])
async def test_an_export_without_one_known_survey_gets_the_usage(
    harness: BotHarness, command: str
) -> None:
    admin = harness.member(ADMIN)

    await admin.send(command)

    assert admin.latest().plain == text.EXPORT_USAGE
    assert harness.api.calls_of("sendDocument") == []


async def test_only_an_administrator_exports(harness: BotHarness) -> None:
    await census_for_export(harness)
    organiser = harness.member(ORGANISER)

    await organiser.send("/export census")

    assert organiser.latest().plain == text.ADMINS_ONLY
    assert harness.api.calls_of("sendDocument") == []


async def test_no_export_is_sent_to_a_group_even_for_an_administrator(
    harness: BotHarness, organisers: GroupChat
) -> None:
    await census_for_export(harness)

    await organisers.speaker(ADMIN).send("/export census")
    await organisers.send("/export census")

    assert organisers.texts_since(1) == [text.EXPORT_IN_PRIVATE, text.EXPORT_IN_PRIVATE]
    assert harness.api.calls_of("sendDocument") == []


async def test_the_command_line_export_writes_the_same_csv(
    database: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    harness = await start_bot(database)
    await census_for_export(harness)
    admin = harness.member(ADMIN)
    await admin.send("/export census")
    sent = admin.latest().file.content
    await harness.stop()
    harness.assert_no_errors()
    out = tmp_path / "census.csv"
    monkeypatch.chdir(tmp_path)  # no .env file here
    for name, value in {
        "DOORSTEP_BOT_TOKEN": TEST_TOKEN,
        "DOORSTEP_DATABASE": str(database),
        "DOORSTEP_SURVEYS": str(ORGANISER_SURVEYS),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DOORSTEP_SECRET_KEY", raising=False)

    # In a thread: `main` runs its own event loop, as `python bot.py export` does.
    status = await asyncio.to_thread(bot.main, ["export", "census", "--out", str(out)])

    assert status == 0
    assert out.read_bytes() == sent
    assert capsys.readouterr().out == f"3 responses written to {out}\n"


async def test_the_command_line_export_of_an_unknown_survey_fails(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await (await start_bot(database)).stop()  # the bot has made its database
    monkeypatch.chdir(database.parent)
    monkeypatch.setenv("DOORSTEP_DATABASE", str(database))
    monkeypatch.setenv("DOORSTEP_SURVEYS", str(ORGANISER_SURVEYS))
    monkeypatch.setenv("DOORSTEP_SECRET_KEY", "the bot's key")

    status = await asyncio.to_thread(bot.main, ["export", "nonsense", "--out", "x.csv"])

    assert status == bot.EXIT_INVALID_SURVEYS
    assert capsys.readouterr().err == (
        f"no survey 'nonsense' in {ORGANISER_SURVEYS} or the database\n"
    )
    assert not (database.parent / "x.csv").exists()
