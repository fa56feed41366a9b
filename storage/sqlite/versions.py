"""Survey versions: a snapshot of each distinct content of a survey file.

A response is pinned to the version it started with, so editing a live survey file never
changes the questions behind answers already given.
"""

from __future__ import annotations

import datetime as dt

from storage.sqlite.db import Part, fetch_all


class SQLiteVersions(Part):
    """Every version of every survey a response may be pinned to."""

    async def register_version(
        self, survey_id: str, content_hash: str, definition: str, now: dt.datetime
    ) -> int:
        """The id of this survey content, recording it if it is new."""
        async with self._db.transaction() as connection:
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

    async def version_definition(self, version_id: int) -> str | None:
        """The stored survey JSON of a version, or None if there is no such version."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection, "SELECT definition FROM survey_versions WHERE id = ?", (version_id,)
            )
        definition: str | None = rows[0][0] if rows else None
        return definition

    async def version_ids(self) -> list[int]:
        """The id of every stored version."""
        async with self._db.statement() as connection:
            rows = await fetch_all(connection, "SELECT id FROM survey_versions ORDER BY id")
        return [version_id for (version_id,) in rows]

    async def newest_version_id(self, survey_id: str) -> int | None:
        """The id of a survey's most recently stored version, or None if it was never loaded."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection, "SELECT max(id) FROM survey_versions WHERE survey_id = ?", (survey_id,)
            )
        newest: int | None = rows[0][0]
        return newest
