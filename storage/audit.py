"""The audit log: every release of results and every registration, with who, where and when.

It records actions, never what was shown: no answer, no figure, no member.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action."""

    at: str
    actor: int | None
    chat_id: int | None
    action: str
    survey_id: str | None
    scope: str | None


ENTRY_COLUMNS = "at, actor, chat_id, action, survey_id, scope"  # as AuditEntry


async def record(
    db: Database,
    action: str,
    now: dt.datetime,
    *,
    actor: int | None = None,
    chat_id: int | None = None,
    survey_id: str | None = None,
    scope: str | None = None,
) -> None:
    """Add an entry (committed on its own)."""
    async with db.statement() as connection:
        await connection.execute(
            "INSERT INTO audit_log (at, actor, chat_id, action, survey_id, scope)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (now.isoformat(timespec="seconds"), actor, chat_id, action, survey_id, scope),
        )


async def recent(db: Database, limit: int = 50) -> list[AuditEntry]:
    """The newest entries, newest first."""
    async with db.statement() as connection:
        rows = await connection.execute_fetchall(
            f"SELECT {ENTRY_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
        )
    return [AuditEntry(*row) for row in rows]


async def prune(db: Database, before: dt.datetime) -> int:
    """Delete entries older than `before` (retention); returns how many."""
    async with db.statement() as connection:
        cursor = await connection.execute(
            "DELETE FROM audit_log WHERE at < ?", (before.isoformat(timespec="seconds"),)
        )
    return cursor.rowcount
