"""The SQLite backend's schema: `schema.sql` is what the migrations produce, and the answer
path's views and triggers are exactly `answer_path.sql`'s, in a new database and in one
upgraded from an old version alike."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from importlib import resources
from pathlib import Path

from storage.sqlite.db import migrations, path_definitions, schema
from storage.sqlite.store import SQLiteStore

SCHEMA_FILE = resources.files("storage.sqlite").joinpath("schema.sql")


def documented_schema() -> str:
    """schema.sql without its opening comment."""
    lines = SCHEMA_FILE.read_text("utf-8").splitlines(keepends=True)
    return "".join(lines[next(i for i, line in enumerate(lines) if not line.startswith("--")) :])


async def current(db: SQLiteStore) -> str:
    async with db.statement() as connection:
        return await schema(connection)


async def views_and_triggers(db: SQLiteStore) -> dict[str, str]:
    async with db.statement() as connection:
        rows = await connection.execute_fetchall(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('view', 'trigger')"
        )
    return dict(rows)


async def test_the_migrations_produce_schema_sql(db: SQLiteStore) -> None:
    produced = await current(db)
    assert produced.strip() == documented_schema().strip(), (
        "storage/sqlite/schema.sql is out of date; its tables and indexes are now:\n\n" + produced
    )


async def test_a_database_upgraded_from_the_first_version_has_the_same_schema(
    db_path: Path, open_db
) -> None:
    with closing(sqlite3.connect(db_path, isolation_level=None)) as first:
        number, sql = migrations()[0]
        first.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};COMMIT;")

    upgraded = await open_db(db_path)

    assert (await current(upgraded)).strip() == documented_schema().strip()
    assert await views_and_triggers(upgraded) == {d.name: d.sql for d in path_definitions()}


async def test_the_answer_path_is_exactly_answer_path_sql(db: SQLiteStore) -> None:
    assert await views_and_triggers(db) == {d.name: d.sql for d in path_definitions()}


async def test_the_answer_path_replaces_an_older_definition_at_open(
    db: SQLiteStore, db_path: Path, open_db
) -> None:
    """A database whose trigger differs (written by an older Doorstep) gets this version's."""
    async with db.statement() as connection:
        await connection.executescript(
            "DROP TRIGGER count_start;"
            " CREATE TRIGGER count_start AFTER INSERT ON responses BEGIN SELECT 1; END;"
        )
    await db.close()

    reopened = await open_db(db_path)

    assert await views_and_triggers(reopened) == {d.name: d.sql for d in path_definitions()}


async def test_opening_an_up_to_date_database_writes_nothing(
    db: SQLiteStore, db_path: Path, open_db
) -> None:
    """Beside a running bot, the command line's opening must not change the schema."""
    async with db.statement() as connection:
        (before,) = (await connection.execute_fetchall("PRAGMA schema_version"))[0]
    await db.close()

    reopened = await open_db(db_path)

    async with reopened.statement() as connection:
        (after,) = (await connection.execute_fetchall("PRAGMA schema_version"))[0]
    assert after == before
