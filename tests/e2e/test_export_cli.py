"""`python bot.py export SURVEY --out FILE`: where the CSV may go, and which survey it follows.

Run beside a database the bot filled, with the bot's key file and without its token.
"""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

import bot
from tests.e2e.test_answering import NORTH
from tests.support.harness import SURVEYS, BotHarness

FIRST, SECOND = 4101, 4102
ANSWERS = (NORTH, "Yes", "Central branch", "Housing", "Done", "4", "34", "more buses")


@pytest.fixture
async def filled(database: Path) -> Path:
    """Two members completed the all-types survey; the bot has stopped."""
    harness = await BotHarness.start(database)
    for telegram_id in (FIRST, SECOND):
        await harness.member(telegram_id).take_survey("all-types", *ANSWERS)
    await harness.stop()
    harness.assert_no_errors()
    return database


@pytest.fixture
def operator_environment(database: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bot's database and surveys, no token and no .env; returns the working directory."""
    workdir = database.parent / "operator"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("DOORSTEP_BOT_TOKEN", raising=False)
    monkeypatch.delenv("DOORSTEP_SECRET_KEY", raising=False)
    monkeypatch.setenv("DOORSTEP_DATABASE", str(database))
    monkeypatch.setenv("DOORSTEP_SURVEYS", str(SURVEYS))
    return workdir


async def export(*arguments: str) -> int:
    # In a thread: `main` runs its own event loop, as `python bot.py export` does.
    return await asyncio.to_thread(bot.main, ["export", *arguments])


def files_in(folder: Path) -> list[Path]:
    return list(folder.iterdir())


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


async def test_export_needs_no_token_and_writes_a_file_readable_by_its_owner_only(
    filled: Path, operator_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = operator_environment / "all-types.csv"

    assert await export("all-types", "--out", str(out)) == 0

    assert capsys.readouterr().out == f"2 responses written to {out}\n"
    assert out.stat().st_mode & 0o777 == 0o600
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 3  # the header and two responses


async def test_out_dash_writes_the_same_csv_to_standard_output(
    filled: Path, operator_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = operator_environment / "all-types.csv"
    assert await export("all-types", "--out", str(out)) == 0
    capsys.readouterr()

    assert await export("all-types", "--out", "-") == 0

    captured = capsys.readouterr()
    assert captured.out == out.read_bytes().decode("utf-8")  # \r\n line ends and all
    assert captured.err == "2 responses written to standard output\n"
    assert not (operator_environment / "-").exists()


async def test_an_existing_file_is_never_overwritten(
    filled: Path, operator_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = operator_environment / "results.csv"
    out.write_text("last week's export\n", encoding="utf-8")

    assert await export("all-types", "--out", str(out)) == bot.EXIT_BAD_SETTINGS

    assert one_line(capsys.readouterr().err) == f"{out} exists already; choose a new file"
    assert out.read_text(encoding="utf-8") == "last week's export\n"


@pytest.mark.parametrize("target_exists", [True, False], ids=["to a file", "dangling"])
async def test_a_symbolic_link_is_never_followed(
    filled: Path,
    operator_environment: Path,
    capsys: pytest.CaptureFixture[str],
    target_exists: bool,
) -> None:
    target = operator_environment / "elsewhere.txt"
    if target_exists:
        target.write_text("not yours to overwrite\n", encoding="utf-8")
    link = operator_environment / "results.csv"
    link.symlink_to(target)

    assert await export("all-types", "--out", str(link)) == bot.EXIT_BAD_SETTINGS

    assert one_line(capsys.readouterr().err) == f"{link} exists already; choose a new file"
    if target_exists:
        assert target.read_text(encoding="utf-8") == "not yours to overwrite\n"
    else:
        assert not target.exists()


async def test_a_folder_is_refused(
    filled: Path, operator_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await export("all-types", "--out", str(operator_environment)) == bot.EXIT_BAD_SETTINGS

    assert one_line(capsys.readouterr().err) == (
        f"{operator_environment} is a folder: name a new file in it"
    )
    assert files_in(operator_environment) == []


async def test_a_missing_folder_is_refused_and_not_made(
    filled: Path, operator_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = operator_environment / "exports" / "all-types.csv"

    assert await export("all-types", "--out", str(out)) == bot.EXIT_BAD_SETTINGS

    assert one_line(capsys.readouterr().err) == (
        f"cannot create {out}: there is no folder {out.parent}"
    )
    assert not out.parent.exists()


async def test_a_survey_whose_file_was_removed_exports_from_its_stored_version(
    filled: Path,
    operator_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with_file = operator_environment / "with-file.csv"
    assert await export("all-types", "--out", str(with_file)) == 0
    remaining = operator_environment.parent / "remaining-surveys"
    remaining.mkdir()
    shutil.copy(SURVEYS / "quick-poll.yaml", remaining)  # all-types.yaml is gone
    monkeypatch.setenv("DOORSTEP_SURVEYS", str(remaining))
    without_file = operator_environment / "without-file.csv"

    assert await export("all-types", "--out", str(without_file)) == 0

    assert without_file.read_bytes() == with_file.read_bytes()
    assert capsys.readouterr().err == ""


async def test_a_survey_neither_in_the_files_nor_the_database_is_refused(
    filled: Path, operator_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = operator_environment / "x.csv"

    assert await export("no-such-survey", "--out", str(out)) == bot.EXIT_INVALID_SURVEYS

    assert one_line(capsys.readouterr().err) == (
        f"no survey 'no-such-survey' in {SURVEYS} or the database"
    )
    assert not out.exists()


@pytest.mark.parametrize("change", ["older schema", "another answer path"])
async def test_a_database_of_another_version_is_refused_and_left_as_it_is(
    filled: Path,
    operator_environment: Path,
    capsys: pytest.CaptureFixture[str],
    change: str,
) -> None:
    """Beside a running bot of another version (the checkout updated, the bot not restarted),
    the command line neither migrates the schema under it nor swaps its answer path."""
    with closing(sqlite3.connect(filled, isolation_level=None)) as connection:
        if change == "older schema":
            connection.execute("PRAGMA user_version = 5")
        else:
            connection.executescript(
                "DROP TRIGGER count_start; CREATE TRIGGER count_start AFTER INSERT ON responses"
                " BEGIN SELECT 1; END;"
            )
        before = connection.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
        version = connection.execute("PRAGMA user_version").fetchone()

    status = await export("all-types", "--out", str(operator_environment / "out.csv"))

    assert status == bot.EXIT_BAD_SETTINGS
    assert "of another Doorstep version" in one_line(capsys.readouterr().err)
    with closing(sqlite3.connect(filled)) as connection:
        assert connection.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == (
            before
        )
        assert connection.execute("PRAGMA user_version").fetchone() == version
    assert not (operator_environment / "out.csv").exists()
