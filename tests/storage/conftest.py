"""Fixtures for storage tests.

`store` is the contract: a fresh store of every backend in BACKENDS, used only through the
`storage.protocol.Store` interface; a test that takes it runs once per backend (a PostgreSQL
backend joins by adding its opener here). `db` is the SQLite backend itself, for tests of what
only it has: its files, pragmas, migrations, schema and raw rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from storage.protocol import Store
from storage.sqlite.store import SQLiteStore, open_store

Opener = Callable[[Path], Awaitable[Store]]
BACKENDS: dict[str, Opener] = {"sqlite": open_store}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "t.db"


@pytest.fixture
async def open_db() -> AsyncIterator[Callable[[Path], Awaitable[SQLiteStore]]]:
    """Opens SQLite databases and closes every one after the test (closing twice is fine)."""
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
    """A fresh, migrated SQLite database file."""
    return await open_db(db_path)


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Opener:
    """The opener of each backend in turn (`store` and `other_store` share it)."""
    return BACKENDS[request.param]


@pytest.fixture
async def store(backend: Opener, tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh store of each backend, closed after the test."""
    opened = await backend(tmp_path / "store.db")
    yield opened
    await opened.close()


@pytest.fixture
async def other_store(backend: Opener, tmp_path: Path) -> AsyncIterator[Store]:
    """A second fresh store of the same backend as `store`, for comparing two."""
    opened = await backend(tmp_path / "other.db")
    yield opened
    await opened.close()
