"""Updates already handled, so that Telegram delivering one again changes nothing.

Messages: one mark per member. Telegram numbers a chat's messages in order and delivers each
chat's updates in order, and Doorstep handles each chat's updates one after another, so a
message is new exactly when its id is above the member's mark. The mark moves in the same
transaction as the change the message causes (or alone, for a message refused).

Button taps: most act on a response at a given step (see `responses`), which a repeated tap no
longer matches. The others (a consent decision, opening a survey) are recorded by their
callback query id, in the same transaction as their effect.
"""

from __future__ import annotations

import datetime as dt

import aiosqlite

from storage.sqlite.db import Part, Stale


async def claim_message(
    connection: aiosqlite.Connection, member_id: int, message_id: int | None
) -> None:
    """Move the member's mark to `message_id`; Stale if it is not above it (None: no message)."""
    if message_id is None:
        return
    cursor = await connection.execute(
        "UPDATE members SET last_message_id = ? WHERE id = ? AND last_message_id < ?",
        (message_id, member_id, message_id),
    )
    if cursor.rowcount != 1:
        raise Stale


async def raise_message_mark(
    connection: aiosqlite.Connection, member_id: int, message_id: int
) -> None:
    """Treat every message up to `message_id` as handled (the mark never moves down)."""
    await connection.execute(
        "UPDATE members SET last_message_id = MAX(last_message_id, ?) WHERE id = ?",
        (message_id, member_id),
    )


async def claim_tap(
    connection: aiosqlite.Connection, member_id: int, query_id: str | None, now: dt.datetime
) -> None:
    """Record a button tap; Stale if it was recorded before (None: not a tap)."""
    if query_id is None:
        return
    cursor = await connection.execute(
        "INSERT INTO handled_taps (callback_query_id, member_id, handled_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (query_id, member_id, now.isoformat()),
    )
    if cursor.rowcount != 1:
        raise Stale


class SQLiteHandled(Part):
    """Messages and taps already handled, so that a redelivered update changes nothing."""

    async def claim_message_alone(self, member_id: int, message_id: int) -> bool:
        """Mark a message that changes nothing else (a refused answer) as handled; False if it
        was."""
        async with self._db.statement() as connection:  # one UPDATE: nothing to roll back if stale
            try:
                await claim_message(connection, member_id, message_id)
            except Stale:
                return False
        return True

    async def prune_taps(self, before: dt.datetime) -> None:
        """Forget taps handled before `before`: Telegram no longer delivers them again."""
        async with self._db.statement() as connection:
            await connection.execute(
                "DELETE FROM handled_taps WHERE handled_at < ?", (before.isoformat(),)
            )
