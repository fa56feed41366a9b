"""Members and their consent decisions.

A member row exists only once a person has decided on the privacy notice: before that, nothing
about them is stored. The consent history keeps every decision with its time and notice version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from storage import messages, responses
from storage.db import Database
from storage.responses import Response


@dataclass(frozen=True)
class Member:
    """What the handlers need to know about a member at each update."""

    id: int
    agreed: bool
    active_response_id: int | None
    last_message_id: int


_MEMBER_COLUMNS = """
    m.id,
    (SELECT agreed FROM consents c WHERE c.member_id = m.id ORDER BY c.id DESC LIMIT 1),
    m.active_response_id, m.last_message_id
"""


def _member(row: Sequence) -> Member:
    member_id, agreed, active_response_id, last_message_id = row[:4]
    return Member(member_id, bool(agreed), active_response_id, last_message_id)


async def find_member(db: Database, telegram_id: int) -> Member | None:
    """The member with this Telegram id, or None if they never decided on the notice."""
    async with db.statement() as connection:
        rows = await connection.execute_fetchall(
            f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE m.telegram_id = ?", (telegram_id,)
        )
    return _member(rows[0]) if rows else None


async def find_member_and_active_response(
    db: Database, telegram_id: int
) -> tuple[Member | None, Response | None]:
    """The member and the response their typed answers go to, in one read (the answer path)."""
    async with db.statement() as connection:
        rows = await connection.execute_fetchall(
            f"SELECT {_MEMBER_COLUMNS}, {responses.RESPONSE_COLUMNS}"
            " FROM members m LEFT JOIN responses r ON r.id = m.active_response_id"
            " WHERE m.telegram_id = ?",
            (telegram_id,),
        )
    if not rows:
        return None, None
    return _member(rows[0]), responses.assemble(rows[0][4:])


async def record_consent(
    db: Database,
    telegram_id: int,
    agreed: bool,
    notice_version: str,
    now: dt.datetime,
    callback_query_id: str,
) -> Member:
    """Record a decision on the privacy notice, creating the member on their first decision.

    The tap that made it is recorded, so Telegram redelivering it adds nothing to the history.
    """
    async with db.transaction() as connection:
        await connection.execute(
            "INSERT INTO members (telegram_id, created_at) VALUES (?, ?)"
            " ON CONFLICT (telegram_id) DO NOTHING",
            (telegram_id, now.isoformat()),
        )
        await connection.execute(
            "INSERT INTO consents (member_id, agreed, notice_version, decided_at,"
            " callback_query_id) SELECT id, ?, ?, ?, ? FROM members WHERE telegram_id = ?"
            " ON CONFLICT (callback_query_id) DO NOTHING",
            (int(agreed), notice_version, now.isoformat(), callback_query_id, telegram_id),
        )
    member = await find_member(db, telegram_id)
    assert member is not None  # just written
    return member


async def set_active_response(
    db: Database, member_id: int, response_id: int | None, *, message_id: int | None = None
) -> bool:
    """Make `response_id` the survey that typed answers go to (None: pause).

    False, changing nothing, when `message_id` was handled before.
    """
    async with db.transaction_unless_stale() as connection:
        await messages.claim(connection, member_id, message_id)
        await connection.execute(
            "UPDATE members SET active_response_id = ? WHERE id = ?", (response_id, member_id)
        )
        return True
    return False
