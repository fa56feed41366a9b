"""Backups: a copy of a database that is being written to opens and is intact."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

import bot
from storage.sqlite.db import backup
from storage.sqlite.store import open_store
from tests.storage.test_storage import new_member


async def test_a_backup_taken_while_the_bot_writes_is_whole_and_private(tmp_path: Path) -> None:
    db = await open_store(tmp_path / "live.db")
    writing = True

    async def keep_writing() -> int:
        written = 0
        while writing:
            await new_member(db, 10_000 + written)
            written += 1
        return written

    writer = asyncio.create_task(keep_writing())
    await asyncio.sleep(0.2)
    copies = [tmp_path / f"copy-{n}.db" for n in range(3)]
    for copy in copies:  # taken between and during the writer's transactions
        await asyncio.to_thread(backup, tmp_path / "live.db", copy)
        await asyncio.sleep(0.05)
    writing = False
    written = await writer
    await db.close()

    for copy in copies:
        with closing(sqlite3.connect(copy)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            members = connection.execute("SELECT COUNT(*) FROM members").fetchone()[0]
            consents = connection.execute("SELECT COUNT(*) FROM consents").fetchone()[0]
        assert 0 < members <= written
        assert consents == members  # each member's consent came in the same transaction
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600


async def test_a_backup_never_overwrites_a_file(tmp_path: Path) -> None:
    await (await open_store(tmp_path / "live.db")).close()
    (tmp_path / "copy.db").write_text("precious")

    with pytest.raises(FileExistsError):
        backup(tmp_path / "live.db", tmp_path / "copy.db")
    assert (tmp_path / "copy.db").read_text() == "precious"


async def test_the_backup_command_copies_the_configured_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = await open_store(tmp_path / "live.db")
    await new_member(db)
    await db.close()
    monkeypatch.setenv("DOORSTEP_DATABASE", str(tmp_path / "live.db"))
    monkeypatch.chdir(tmp_path)  # no .env here

    assert bot.main(["backup", str(tmp_path / "copy.db")]) == 0
    assert bot.main(["backup", str(tmp_path / "copy.db")]) == bot.EXIT_BAD_SETTINGS

    with closing(sqlite3.connect(tmp_path / "copy.db")) as connection:
        assert connection.execute("SELECT COUNT(*) FROM members").fetchone() == (1,)
    assert "exists already" in capsys.readouterr().err
