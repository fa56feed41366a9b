"""The audit log: every release of results and every registration, with who, where and when.

It records actions, never what was shown: no answer, no figure, no member.
"""

from __future__ import annotations

import datetime as dt

import aiosqlite

from storage.model import AuditEntry
from storage.sqlite.db import Part, fetch_all

_COLUMNS = "at, actor, chat_id, action, survey_id, scope"  # as AuditEntry


async def add(
    connection: aiosqlite.Connection,
    action: str,
    now: dt.datetime,
    *,
    actor: int | None = None,
    chat_id: int | None = None,
    survey_id: str | None = None,
    scope: str | None = None,
) -> None:
    """Add an entry within the caller's transaction (with the change it records)."""
    await connection.execute(
        "INSERT INTO audit_log (at, actor, chat_id, action, survey_id, scope)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (now.isoformat(timespec="seconds"), actor, chat_id, action, survey_id, scope),
    )


async def naming(connection: aiosqlite.Connection, telegram_id: int) -> list[AuditEntry]:
    """The entries that name a person: as who asked, or as the private chat it happened in."""
    rows = await fetch_all(
        connection,
        f"SELECT {_COLUMNS} FROM audit_log WHERE actor = ? OR chat_id = ? ORDER BY id",
        (telegram_id, telegram_id),
    )
    return [AuditEntry(*row) for row in rows]


async def unname(connection: aiosqlite.Connection, telegram_id: int) -> int:
    """Remove a person's id from the entries naming them (the entries stay, without who);
    returns how many entries named them."""
    cursor = await connection.execute(
        "UPDATE audit_log SET actor = NULLIF(actor, ?1), chat_id = NULLIF(chat_id, ?1)"
        " WHERE actor = ?1 OR chat_id = ?1",
        (telegram_id,),
    )
    return cursor.rowcount


class SQLiteAudit(Part):
    """The audit log: who released which results where, and deletions."""

    async def record(
        self,
        action: str,
        now: dt.datetime,
        *,
        actor: int | None = None,
        chat_id: int | None = None,
        survey_id: str | None = None,
        scope: str | None = None,
    ) -> None:
        """Add an entry (committed on its own), as `add` does."""
        async with self._db.statement() as connection:
            await add(
                connection,
                action,
                now,
                actor=actor,
                chat_id=chat_id,
                survey_id=survey_id,
                scope=scope,
            )

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The newest entries, newest first."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection, f"SELECT {_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
            )
        return [AuditEntry(*row) for row in rows]

    async def prune(self, before: dt.datetime) -> int:
        """Delete entries older than `before` (retention); returns how many."""
        async with self._db.statement() as connection:
            cursor = await connection.execute(
                "DELETE FROM audit_log WHERE at < ?", (before.isoformat(timespec="seconds"),)
            )
        return cursor.rowcount
