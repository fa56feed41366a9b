"""Organiser chats (groups and channels that receive reports), their digests, and milestones.

A chat is registered by an administrator, optionally scoped to one area; it stays registered
across restarts, and is marked inactive (never deleted behind the organisers' backs) when the
bot is removed from it or can no longer post there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from storage.model import ChatKind, Digest, OrganiserChat
from storage.sqlite.db import Part, fetch_all

_COLUMNS = "chat_id, kind, title, area, active, digest, digest_weekday, digest_time"


def _chat(row: Sequence) -> OrganiserChat:
    chat_id, kind, title, area, active, every, weekday, at = row
    digest = Digest(every, dt.time.fromisoformat(at), weekday) if every else None
    return OrganiserChat(chat_id, kind, title, area, bool(active), digest)


class SQLiteOrganisers(Part):
    """Registered organiser chats, their digests, and milestones announced."""

    async def register_chat(
        self, chat_id: int, kind: ChatKind, title: str, area: str | None, now: dt.datetime
    ) -> OrganiserChat:
        """Register a chat (again: its area is replaced, it is active again, its digest kept)."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "INSERT INTO organiser_chats (chat_id, kind, title, area, registered_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET kind = excluded.kind,"
                " title = excluded.title, area = excluded.area, active = 1"
                f" RETURNING {_COLUMNS}",
                (chat_id, kind, title, area, now.isoformat()),
            )
        return _chat(rows[0])

    async def unregister_chat(self, chat_id: int) -> bool:
        """Forget a chat's registration; False if it was not registered."""
        async with self._db.statement() as connection:
            cursor = await connection.execute(
                "DELETE FROM organiser_chats WHERE chat_id = ?", (chat_id,)
            )
        return cursor.rowcount == 1

    async def find_chat(self, chat_id: int) -> OrganiserChat | None:
        """A registered chat, active or not."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection, f"SELECT {_COLUMNS} FROM organiser_chats WHERE chat_id = ?", (chat_id,)
            )
        return _chat(rows[0]) if rows else None

    async def active_chats(self) -> list[OrganiserChat]:
        """Every chat reports may be posted to."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                f"SELECT {_COLUMNS} FROM organiser_chats WHERE active = 1 ORDER BY chat_id",
            )
        return [_chat(row) for row in rows]

    async def deactivate_chat(self, chat_id: int) -> bool:
        """Stop posting to a chat the bot was removed from; False if it was not active."""
        async with self._db.statement() as connection:
            cursor = await connection.execute(
                "UPDATE organiser_chats SET active = 0 WHERE chat_id = ? AND active = 1", (chat_id,)
            )
        return cursor.rowcount == 1

    async def set_digest(self, chat_id: int, digest: Digest | None) -> bool:
        """Set or clear (None) a registered chat's digest; False if the chat is not registered."""
        every, weekday, at = (
            (digest.every, digest.weekday, digest.at.isoformat("minutes"))
            if digest
            else (None,) * 3
        )
        async with self._db.statement() as connection:
            cursor = await connection.execute(
                "UPDATE organiser_chats SET digest = ?, digest_weekday = ?, digest_time = ?"
                " WHERE chat_id = ?",
                (every, weekday, at, chat_id),
            )
        return cursor.rowcount == 1

    async def claim_milestone(self, survey_id: str, completed: int, now: dt.datetime) -> bool:
        """Record a milestone as announced; False if it was announced before."""
        async with self._db.statement() as connection:
            cursor = await connection.execute(
                "INSERT INTO milestones (survey_id, completed, announced_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (survey_id, completed, now.isoformat()),
            )
        return cursor.rowcount == 1

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> OrganiserChat | None:
        """A group upgraded to a supergroup gets a new id: keep its registration under it. If the
        new id was registered meanwhile, that registration stands and the old one goes."""
        async with self._db.transaction() as connection:
            rows = await fetch_all(
                connection,
                "UPDATE OR IGNORE organiser_chats SET chat_id = ? WHERE chat_id = ?"
                f" RETURNING {_COLUMNS}",
                (new_chat_id, old_chat_id),
            )
            if rows:
                return _chat(rows[0])
            await connection.execute(
                "DELETE FROM organiser_chats WHERE chat_id = ?", (old_chat_id,)
            )
            rows = await fetch_all(
                connection,
                f"SELECT {_COLUMNS} FROM organiser_chats WHERE chat_id = ?",
                (new_chat_id,),
            )
        return _chat(rows[0]) if rows else None
