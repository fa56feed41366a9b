"""Retention end to end (DOORSTEP_RETENTION_DAYS): the daily job unlinks the responses of
long-closed surveys, deletes long-inactive members, prunes the audit log; the totals stay. And a
whole data-rights flow logs neither who the member is nor what they wrote."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import Job

from handlers import privacy, privacy_render
from tests.e2e.test_privacy import (
    BIG_ID,
    FREE_TEXT,
    OTHER_FREE_TEXT,
    OTHER_ID,
    clean_up_jobs,
    rebuilds_of,
    run_as_scheduled,
)
from tests.support.database_files import reading, stored_bytes, wal_size
from tests.support.harness import BotHarness, MemberChat

RETENTION_DAYS = 30
# The fake clock starts on 29 November 2026 at 12:00 UTC; "ending" closes on 10 December.
CLOSES_TO_UNLINK = 11 + RETENTION_DAYS  # days from the start to the last day nothing changes

SURVEYS = {
    "ending.yaml": """\
id: ending
title: Ending soon
intro: Two questions, until 10 December.
closes: 2026-12-10
questions:
  - id: area
    type: choice
    text: Where do you live?
    breakdown: true
    choices: [North, South]
  - {id: words, type: text, text: "Anything to add?", required: false}
""",
    "ongoing.yaml": """\
id: ongoing
title: Ongoing
intro: One question, as often as you like.
repeatable: true
questions:
  - {id: mood, type: yesno, text: "Feeling good?"}
  - {id: words, type: text, text: "Why?", required: false}
""",
}
TOTALS = ("tallies", "survey_days")


@pytest.fixture
def surveys(tmp_path: Path) -> Path:
    folder = tmp_path / "surveys"
    folder.mkdir()
    for name, text in SURVEYS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
async def harness(database: Path, surveys: Path) -> AsyncIterator[BotHarness]:
    running = await BotHarness.start(database, surveys, retention_days=RETENTION_DAYS)
    yield running
    await running.stop()
    running.assert_no_errors()


def retention_job(harness: BotHarness) -> Job:
    (job,) = [job for job in harness.application.job_queue.jobs() if job.name == "retention"]
    return job


async def run_retention(harness: BotHarness) -> None:
    await retention_job(harness).run(harness.application)


async def totals(harness: BotHarness) -> dict[str, list[tuple]]:
    """The report totals, every row, in a fixed order."""
    return {
        table: sorted(await harness.rows(f"SELECT * FROM {table}"), key=repr) for table in TOTALS
    }


async def links(harness: BotHarness) -> list[tuple]:
    """(survey, Telegram id or None) of every response, in order."""
    return await harness.rows(
        "SELECT r.survey_id, m.telegram_id FROM responses r"
        " LEFT JOIN members m ON m.id = r.member_id ORDER BY r.id"
    )


async def audit(harness: BotHarness) -> list[tuple]:
    return await harness.rows("SELECT at, actor, chat_id, action, scope FROM audit_log ORDER BY id")


def held_surveys(chat: MemberChat) -> list[str]:
    """The surveys of the responses in the member's /mydata file."""
    document = json.loads(chat.latest().file.content)
    return [response["survey_id"] for response in document["responses"]]


async def test_the_job_runs_daily_at_half_past_three_london_time(harness: BotHarness) -> None:
    job = retention_job(harness)

    when = job.next_t.astimezone(ZoneInfo("Europe/London"))
    assert (when.hour, when.minute) == (3, 30)
    assert job.callback is privacy.apply_retention
    trigger = job.job.trigger
    fields = {field.name: str(field) for field in trigger.fields}
    assert (fields["hour"], fields["minute"], fields["day_of_week"]) == (
        "3",
        "30",
        "sun,mon,tue,wed,thu,fri,sat",
    )
    assert str(trigger.timezone) == "Europe/London"


async def test_a_long_closed_surveys_responses_are_unlinked_and_still_counted(
    harness: BotHarness,
) -> None:
    chat = harness.member(BIG_ID)
    await chat.take_survey("ending", "North", FREE_TEXT)
    other = harness.member(OTHER_ID)
    await other.take_survey("ending", "South", "/skip")
    harness.clock.advance(days=CLOSES_TO_UNLINK)  # 30 days after it closed: not yet
    for member in (chat, other):  # both stay active: only the survey's age matters here
        await member.take_survey("ongoing", "Yes", "/skip")
    counted = await totals(harness)

    await run_retention(harness)

    assert await links(harness) == [
        ("ending", BIG_ID),
        ("ending", OTHER_ID),
        ("ongoing", BIG_ID),
        ("ongoing", OTHER_ID),
    ]
    assert await audit(harness) == []

    harness.clock.advance(days=1)
    await run_retention(harness)

    assert await links(harness) == [
        ("ending", None),
        ("ending", None),
        ("ongoing", BIG_ID),
        ("ongoing", OTHER_ID),
    ]
    assert await harness.count("members") == 2  # both active: kept
    assert await totals(harness) == counted  # the anonymous responses still count
    assert await harness.scalar("SELECT count(*) FROM answers WHERE value = ?", f'"{FREE_TEXT}"')
    assert await audit(harness) == [
        (
            "2027-01-10T12:00:00+00:00",
            None,
            None,
            "retention",
            "responses unlinked: 2; inactive members deleted: 0",
        )
    ]
    await chat.send("/mydata")
    assert held_surveys(chat) == ["ongoing"]
    assert FREE_TEXT not in chat.latest().file.content.decode()


async def test_a_survey_no_longer_in_the_files_counts_as_closed_at_its_last_answer(
    harness: BotHarness, surveys: Path
) -> None:
    await harness.member(BIG_ID).take_survey("ending", "North", FREE_TEXT)
    (surveys / "ending.yaml").unlink()  # the operator removes it before its closing date
    restarted = await harness.restart()
    # The fixture stops and checks the bot now running (the first is stopped and checked).
    harness.application, harness.errors = restarted.application, restarted.errors
    chat = harness.member(BIG_ID)
    harness.clock.advance(days=RETENTION_DAYS)
    await chat.take_survey("ongoing", "Yes", "/skip")  # stays active

    await run_retention(harness)
    assert await links(harness) == [("ending", BIG_ID), ("ongoing", BIG_ID)]

    harness.clock.advance(days=1)  # 31 days after its last answer (its closes date: 10 days)
    await run_retention(harness)

    assert await links(harness) == [("ending", None), ("ongoing", BIG_ID)]


async def test_a_member_inactive_longer_than_retention_is_deleted_and_their_responses_kept(
    harness: BotHarness,
) -> None:
    inactive = harness.member(BIG_ID)
    await inactive.take_survey("ongoing", "Yes", FREE_TEXT)
    active = harness.member(OTHER_ID)
    await active.take_survey("ongoing", "No", OTHER_FREE_TEXT)
    declined = harness.member(555)  # leaves no record at all
    await declined.send("/start")
    await declined.tap("No thanks")
    withdrew = harness.member(556)
    await withdrew.send("/start")
    await withdrew.tap("I agree")
    harness.clock.advance(days=20)
    await active.take_survey("ongoing", "Yes", "/skip")
    await withdrew.send("/withdraw")  # a decision on the notice is activity too
    harness.clock.advance(days=RETENTION_DAYS - 20)  # exactly the retention period: kept
    counted = await totals(harness)

    await run_retention(harness)

    assert await harness.count("members") == 3
    assert await audit(harness) == []

    harness.clock.advance(days=1)
    assert BIG_ID.to_bytes(6, "big") in stored_bytes(harness.database)
    await run_retention(harness)

    assert BIG_ID.to_bytes(6, "big") not in stored_bytes(
        harness.database
    )  # zeroed, not just unlisted
    assert await harness.rows("SELECT telegram_id FROM members ORDER BY id") == [
        (OTHER_ID,),
        (556,),
    ]
    assert await harness.count("consents") == 3  # the active member's, and 556's two
    assert await links(harness) == [("ongoing", None), ("ongoing", OTHER_ID), ("ongoing", OTHER_ID)]
    assert await harness.scalar("SELECT count(*) FROM answers WHERE value = ?", f'"{FREE_TEXT}"')
    assert await totals(harness) == counted
    assert (await audit(harness))[-1][3:] == (
        "retention",
        "responses unlinked: 0; inactive members deleted: 1",
    )
    await inactive.send("/mydata")
    assert inactive.latest().plain == privacy_render.NOTHING_HELD
    await active.send("/mydata")
    assert held_surveys(active) == ["ongoing", "ongoing"]


async def test_old_audit_entries_are_pruned_and_retention_is_recorded_only_when_it_changed(
    harness: BotHarness,
) -> None:
    for telegram_id in (101, 102):
        chat = harness.member(telegram_id)
        await chat.take_survey("ongoing", "Yes", "/skip")
    early = harness.member(101)
    await early.send("/forget")
    await early.tap("Delete everything")  # audited on day 0
    await run_retention(harness)  # nothing to do: nothing recorded
    assert [row[3] for row in await audit(harness)] == ["forget"]
    harness.clock.advance(days=10)
    late = harness.member(103)
    await late.take_survey("ongoing", "No", "/skip")
    await late.send("/forget")
    await late.tap("Delete everything")  # audited on day 10
    harness.clock.advance(days=RETENTION_DAYS - 9)  # member 102 is now inactive too long

    await run_retention(harness)

    (forget, retained) = await audit(harness)
    assert forget[:4] == ("2026-12-09T12:00:00+00:00", None, None, "forget")
    assert forget[4].startswith("by the member: respondent ")
    assert retained == (
        "2026-12-30T12:00:00+00:00",
        None,
        None,
        "retention",
        "responses unlinked: 0; inactive members deleted: 1",
    )

    harness.clock.advance(days=10)
    await run_retention(harness)  # prunes the day-10 entry; changes nothing else

    assert [row[3] for row in await audit(harness)] == ["retention"]


async def test_a_checkpoint_a_reader_blocks_after_retention_is_retried(
    harness: BotHarness,
) -> None:
    inactive = harness.member(BIG_ID)
    await inactive.take_survey("ongoing", "Yes", FREE_TEXT)
    await run_retention(harness)  # nothing due, and nothing kept the log from being truncated
    assert clean_up_jobs(harness) == []
    assert wal_size(harness.database) == 0
    harness.clock.advance(days=RETENTION_DAYS + 1)

    with reading(harness.database):
        await run_retention(harness)

        assert await harness.count("members") == 0  # deleted all the same
        (job,) = clean_up_jobs(harness)
        assert BIG_ID.to_bytes(6, "big") in stored_bytes(harness.database)  # until the checkpoint

    await run_as_scheduled(harness, job)

    assert clean_up_jobs(harness) == []
    assert wal_size(harness.database) == 0
    assert BIG_ID.to_bytes(6, "big") not in stored_bytes(harness.database)
    assert FREE_TEXT.encode() in stored_bytes(harness.database)  # the response stays, anonymous


async def test_the_daily_job_finishes_a_rebuild_the_interval_held_back(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilds = rebuilds_of(harness, monkeypatch)
    for user_id in (OTHER_ID, BIG_ID):  # ten minutes apart
        chat = harness.member(user_id)
        await chat.take_survey("ongoing", "Yes", FREE_TEXT)
        await chat.send("/forget")
        await chat.tap("Delete everything")
        (held_back,) = clean_up_jobs(harness)
        harness.clock.advance(minutes=5)
        await run_as_scheduled(harness, held_back)  # the second is an hour after the first
    assert len(rebuilds) == 1

    await run_retention(harness)

    assert len(rebuilds) == 2
    assert rebuilds[-1] == harness.clock()  # the daily job's
    assert await harness.scalar("SELECT compact_due FROM maintenance") == 0
    (held_back,) = clean_up_jobs(harness)
    await run_as_scheduled(harness, held_back)  # when it comes, nothing is left to rebuild
    assert len(rebuilds) == 2


async def test_info_logs_of_a_whole_data_rights_flow_name_no_member_and_no_answer(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        chat = harness.member(BIG_ID)
        await chat.take_survey("ending", "North", FREE_TEXT)
        other = harness.member(OTHER_ID)
        await other.take_survey("ongoing", "Yes", OTHER_FREE_TEXT)
        await chat.send("/mydata")
        await chat.send("/privacy")
        await chat.send("/withdraw")
        await chat.send("/forget")
        await chat.tap("Delete everything")
        harness.clock.advance(days=CLOSES_TO_UNLINK + 1)
        await run_retention(harness)  # the other member is deleted as inactive

    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''} {record.args!r}"
        for record in caplog.records
        if record.levelno >= logging.INFO
    )
    assert "a member's data was deleted by the member" in logged
    assert "retention: responses unlinked: 0; inactive members deleted: 1" in logged
    assert await harness.count("members") == 0
    for secret in (str(BIG_ID), str(OTHER_ID), FREE_TEXT, OTHER_FREE_TEXT):
        assert secret not in logged  # ...without who or what
