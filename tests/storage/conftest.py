"""Fixtures for storage tests: fresh database files, closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from storage.sqlite.store import SQLiteStore, open_store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "t.db"


@pytest.fixture
async def open_db() -> AsyncIterator[Callable[[Path], Awaitable[SQLiteStore]]]:
    """Opens databases and closes every one of them after the test (closing twice is fine)."""
    opened: list[SQLiteStore] = []

    async def opener(path: Path) -> SQLiteStore:
        database = await open_store(path)
        opened.append(database)
        return database

    yield opener
    for database in opened:
        await database.close()


@pytest.fixture
async def db(open_db, db_path: Path) -> SQLiteStore:
    """A fresh, migrated database file."""
    return await open_db(db_path)
