"""`python bot.py forget TELEGRAM_ID`: the operator's route for a request made outside the bot.
Like `export`, it never makes a new key."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import bot
from storage.errors import StorageError
from storage.sqlite.store import open_store
from tests.e2e.test_answering import NORTH
from tests.support.database_files import reading, stored_bytes, wal_size
from tests.support.harness import SURVEYS, BotHarness

ASKING = 7391045216883
STAYING = 555


async def rows(database: Path, sql: str) -> list[tuple]:
    db = await open_store(database)
    try:
        async with db.statement() as connection:
            return list(await connection.execute_fetchall(sql))
    finally:
        await db.close()


@pytest.fixture
def operator_environment(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(database.parent)  # no .env file here
    monkeypatch.delenv("DOORSTEP_BOT_TOKEN", raising=False)  # the command line needs none
    monkeypatch.setenv("DOORSTEP_DATABASE", str(database))
    monkeypatch.setenv("DOORSTEP_SURVEYS", str(SURVEYS))
    monkeypatch.delenv("DOORSTEP_SECRET_KEY", raising=False)


async def test_the_operator_deletes_a_member_as_forget_would(
    database: Path, operator_environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    harness = await BotHarness.start(database)
    answers = (NORTH, "Yes", "Central branch", "Housing", "Done", "4", "34")
    await harness.member(ASKING).take_survey("all-types", *answers, "ask me")
    await harness.member(STAYING).take_survey("all-types", *answers, "ok")
    tallies_of_one = await harness.rows("SELECT * FROM tallies ORDER BY 1, 2, 3, 4, 5, 6")
    await harness.stop()
    harness.assert_no_errors()

    # In a thread: `main` runs its own event loop, as `python bot.py forget` does.
    status = await asyncio.to_thread(bot.main, ["forget", str(ASKING)])

    assert status == 0
    assert capsys.readouterr().out == (
        "deleted the member and their 1 responses; recorded in the audit log\n"
    )
    assert await rows(database, "SELECT telegram_id FROM members") == [(STAYING,)]
    halved = await rows(database, "SELECT * FROM tallies ORDER BY 1, 2, 3, 4, 5, 6")
    assert [row[:-1] for row in halved] == [row[:-1] for row in tallies_of_one]
    assert {row[-1] for row in tallies_of_one} == {2}
    assert {row[-1] for row in halved} == {1}
    ((actor, chat, scope),) = await rows(
        database, "SELECT actor, chat_id, scope FROM audit_log WHERE action = 'forget'"
    )
    assert (actor, chat) == (None, None)
    assert scope.startswith("by the operator: respondent ")
    assert str(ASKING) not in scope


async def test_an_unknown_member_is_reported_and_nothing_changes(
    database: Path, operator_environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    harness = await BotHarness.start(database)
    await harness.member(STAYING).take_survey("all-types", NORTH)
    await harness.stop()

    status = await asyncio.to_thread(bot.main, ["forget", str(ASKING)])

    assert status == bot.EXIT_NOT_FOUND
    assert capsys.readouterr().err == f"no member with Telegram id {ASKING}: nothing is held\n"
    assert await rows(database, "SELECT telegram_id FROM members") == [(STAYING,)]
    assert await rows(database, "SELECT * FROM audit_log") == []


@pytest.mark.parametrize("command", ["forget", "export"])
async def test_without_the_bots_key_the_command_line_refuses_and_makes_no_key(
    database: Path,
    operator_environment: None,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    harness = await BotHarness.start(database)
    await harness.member(ASKING).take_survey("all-types", NORTH)
    await harness.stop()
    key = database.with_name(database.name + ".key")
    key.unlink()  # as if run with other settings than the bot's
    out = database.parent / "out.csv"
    arguments = {
        "forget": ["forget", str(ASKING)],
        "export": ["export", "all-types", "--out", str(out)],
    }[command]

    status = await asyncio.to_thread(bot.main, arguments)

    assert status == bot.EXIT_BAD_SETTINGS
    assert capsys.readouterr().err == f"{bot.NO_KEY}\n"
    assert not key.exists()  # a new key would make codes that match no export
    assert not out.exists()
    assert await rows(database, "SELECT telegram_id FROM members") == [(ASKING,)]
    assert await rows(database, "SELECT * FROM audit_log") == []


async def test_forget_while_a_reader_holds_the_database_still_deletes_and_warns(
    database: Path, operator_environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    harness = await BotHarness.start(database)
    await harness.member(ASKING).take_survey("all-types", NORTH)
    await harness.member(STAYING).take_survey("all-types", NORTH)
    await harness.stop()

    with reading(database):
        status = await asyncio.to_thread(bot.main, ["forget", str(ASKING)])

    assert status == 0
    output = capsys.readouterr()
    assert output.out == "deleted the member and their 1 responses; recorded in the audit log\n"
    assert output.err == bot.CLEAN_UP_LATER + "\n"
    assert await rows(database, "SELECT telegram_id FROM members") == [(STAYING,)]


async def test_the_operator_can_forget_while_the_bot_runs(
    database: Path, operator_environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    harness = await BotHarness.start(database)
    answers = (NORTH, "Yes", "Central branch", "Housing", "Done", "4", "34")
    await harness.member(ASKING).take_survey("all-types", *answers, "ask me")
    staying = harness.member(STAYING)
    await staying.take_survey("all-types", NORTH)

    status = await asyncio.to_thread(bot.main, ["forget", str(ASKING)])

    assert status == 0
    assert capsys.readouterr().err == ""  # the bot was idle: rebuilt and truncated at once
    assert wal_size(database) == 0
    assert ASKING.to_bytes(6, "big") not in stored_bytes(database)
    assert b"ask me" not in stored_bytes(database)
    await staying.tap("Yes")  # the running bot carries on over the rebuilt file
    assert (await harness.answers_of(staying))["member"] == "yes"
    assert await harness.rows("SELECT telegram_id FROM members") == [(STAYING,)]
    await harness.stop()
    harness.assert_no_errors()


async def test_forget_whose_rebuild_fails_still_deletes_and_warns(
    database: Path,
    operator_environment: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deletion is committed before the rebuild: a rebuild that fails (a full disk) leaves
    it to the bot's daily job, in one line, not a traceback."""
    harness = await BotHarness.start(database)
    await harness.member(ASKING).take_survey("all-types", NORTH)
    await harness.stop()

    async def disk_full(*_: object) -> bool:
        raise StorageError("database or disk is full")

    monkeypatch.setattr(bot.privacy_cases, "clean_up", disk_full)
    status = await asyncio.to_thread(bot.main, ["forget", str(ASKING)])

    assert status == 0
    assert capsys.readouterr().err == bot.CLEAN_UP_LATER + "\n"
    assert await rows(database, "SELECT telegram_id FROM members") == []


async def test_an_export_whose_database_fails_is_one_line_and_status_2(
    database: Path,
    operator_environment: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    harness = await BotHarness.start(database)
    await harness.member(ASKING).take_survey("all-types", NORTH)
    await harness.stop()

    async def damaged(*_: object) -> int:
        raise StorageError("database disk image is malformed")

    monkeypatch.setattr(bot.export, "write_export", damaged)
    status = await asyncio.to_thread(
        bot.main, ["export", "all-types", "--out", str(tmp_path / "out.csv")]
    )

    assert status == bot.EXIT_BAD_SETTINGS
    assert capsys.readouterr().err == (
        "DOORSTEP_DATABASE: the database failed: database disk image is malformed\n"
    )
