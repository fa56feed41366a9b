"""Members and their consent decisions.

A member row exists only once a person has decided on the privacy notice: before that, nothing
about them is stored. The consent history keeps every decision with its time and notice version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class Member:
    """What the handlers need to know about a member at each update."""

    id: int
    agreed: bool
    active_response_id: int | None
    last_message_id: int


async def find_member(db: Database, telegram_id: int) -> Member | None:
    """The member with this Telegram id, or None if they never decided on the notice."""
    async with db.read() as connection:
        cursor = await connection.execute(
            """
            SELECT m.id,
                   (SELECT agreed FROM consents c WHERE c.member_id = m.id ORDER BY c.id DESC
                     LIMIT 1),
                   m.active_response_id, m.last_message_id
            FROM members m WHERE m.telegram_id = ?
            """,
            (telegram_id,),
        )
        row = await cursor.fetchone()
    if row is None:
        return None
    member_id, agreed, active_response_id, last_message_id = row
    return Member(member_id, bool(agreed), active_response_id, last_message_id)


async def record_consent(
    db: Database, telegram_id: int, agreed: bool, notice_version: str, now: dt.datetime
) -> Member:
    """Record a decision on the privacy notice (creating the member on their first decision)."""
    async with db.transaction() as connection:
        await connection.execute(
            "INSERT INTO members (telegram_id, created_at) VALUES (?, ?)"
            " ON CONFLICT (telegram_id) DO NOTHING",
            (telegram_id, now.isoformat()),
        )
        # A repeated decision (a redelivered tap) adds no row: the history lists changes only.
        await connection.execute(
            """
            INSERT INTO consents (member_id, agreed, notice_version, decided_at)
            SELECT m.id, :agreed, :version, :now FROM members m
            WHERE m.telegram_id = :telegram_id AND NOT EXISTS (
                SELECT 1 FROM consents c
                WHERE c.id = (SELECT MAX(id) FROM consents WHERE member_id = m.id)
                  AND c.agreed = :agreed AND c.notice_version = :version)
            """,
            {
                "agreed": int(agreed),
                "version": notice_version,
                "now": now.isoformat(),
                "telegram_id": telegram_id,
            },
        )
    member = await find_member(db, telegram_id)
    assert member is not None  # just written
    return member


async def set_active_response(db: Database, member_id: int, response_id: int | None) -> None:
    """Make `response_id` the survey that typed answers go to (None: pause)."""
    async with db.transaction() as connection:
        await connection.execute(
            "UPDATE members SET active_response_id = ? WHERE id = ?", (response_id, member_id)
        )
