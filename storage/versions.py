"""Survey versions: a snapshot of each distinct content of a survey file.

A response is pinned to the version it started with, so editing a live survey file never
changes the questions behind answers already given.
"""

from __future__ import annotations

import datetime as dt

from storage.db import Database, fetch_all


async def register_version(
    db: Database, survey_id: str, content_hash: str, definition: str, now: dt.datetime
) -> int:
    """The id of this survey content, recording it if it is new."""
    async with db.transaction() as connection:
        await connection.execute(
            "INSERT INTO survey_versions (survey_id, content_hash, definition, first_loaded_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (survey_id, content_hash) DO NOTHING",
            (survey_id, content_hash, definition, now.isoformat()),
        )
        rows = await fetch_all(
            connection,
            "SELECT id FROM survey_versions WHERE survey_id = ? AND content_hash = ?",
            (survey_id, content_hash),
        )
        version_id: int = rows[0][0]
    return version_id


async def version_definition(db: Database, version_id: int) -> str | None:
    """The stored survey JSON of a version, or None if there is no such version."""
    async with db.statement() as connection:
        rows = await fetch_all(
            connection, "SELECT definition FROM survey_versions WHERE id = ?", (version_id,)
        )
    return rows[0][0] if rows else None


async def version_ids(db: Database) -> list[int]:
    """The id of every stored version."""
    async with db.statement() as connection:
        rows = await fetch_all(connection, "SELECT id FROM survey_versions ORDER BY id")
    return [version_id for (version_id,) in rows]


async def newest_version_id(db: Database, survey_id: str) -> int | None:
    """The id of a survey's most recently stored version, or None if it was never loaded."""
    async with db.statement() as connection:
        rows = await fetch_all(
            connection, "SELECT max(id) FROM survey_versions WHERE survey_id = ?", (survey_id,)
        )
    newest: int | None = rows[0][0]
    return newest
