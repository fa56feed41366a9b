"""Members and their consent decisions.

A member row exists only once a person has agreed to the privacy notice: before that, and after
declining, nothing about them is stored. The consent history keeps every decision (agreeing,
withdrawing) with its time and notice version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import aiosqlite

from storage.model import ConsentRecord, Member, Response, Standing
from storage.sqlite import handled, responses
from storage.sqlite.db import Part, Stale, fetch_all

_MEMBER_COLUMNS = """
    m.id,
    (SELECT agreed FROM consents c WHERE c.member_id = m.id ORDER BY c.id DESC LIMIT 1),
    m.active_response_id, m.last_message_id
"""


def _member(row: Sequence) -> Member:
    member_id, agreed, active_response_id, last_message_id = row[:4]
    return Member(member_id, bool(agreed), active_response_id, last_message_id)


_CONSENT_COLUMNS = "c.agreed, c.notice_version, c.decided_at"


def _consent(row: Sequence) -> ConsentRecord:
    agreed, notice_version, decided_at = row
    return ConsentRecord(bool(agreed), notice_version, decided_at)


async def consent_history(
    connection: aiosqlite.Connection, member_id: int | None
) -> list[ConsentRecord]:
    """Every decision of a member, oldest first (within the caller's transaction)."""
    rows = await fetch_all(
        connection,
        f"SELECT {_CONSENT_COLUMNS} FROM consents c WHERE c.member_id = ? ORDER BY c.id",
        (member_id,),
    )
    return [_consent(row) for row in rows]


class SQLiteMembers(Part):
    """Members and their consent decisions, and which survey each is answering."""

    async def find_member(self, telegram_id: int) -> Member | None:
        """The member with this Telegram id, or None if they never agreed to the notice."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE m.telegram_id = ?",
                (telegram_id,),
            )
        return _member(rows[0]) if rows else None

    async def find_member_and_active_response(
        self, telegram_id: int
    ) -> tuple[Member | None, Response | None]:
        """The member and the response their typed answers go to, in one read (the answer path)."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                f"SELECT {_MEMBER_COLUMNS}, {responses.RESPONSE_COLUMNS}"
                " FROM members m LEFT JOIN responses r ON r.id = m.active_response_id"
                " WHERE m.telegram_id = ?",
                (telegram_id,),
            )
        if not rows:
            return None, None
        return _member(rows[0]), responses.assemble(rows[0][4:])

    async def find_standing(self, telegram_id: int, survey_id: str) -> Standing | None:
        """The member with this Telegram id and where they stand with a survey, in one read
        (opening a survey); None if there is no such member."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                f"SELECT {_MEMBER_COLUMNS}, {responses.RESPONSE_COLUMNS}, EXISTS ("
                "  SELECT 1 FROM responses c"
                "  WHERE c.member_id = m.id AND c.survey_id = ? AND c.status = 'completed')"
                " FROM members m LEFT JOIN responses r"
                " ON r.member_id = m.id AND r.survey_id = ? AND r.status = 'in_progress'"
                " WHERE m.telegram_id = ?",
                (survey_id, survey_id, telegram_id),
            )
        if not rows:
            return None
        row = rows[0]
        return Standing(_member(row), survey_id, responses.assemble(row[4:-1]), bool(row[-1]))

    async def latest_consent(self, telegram_id: int) -> ConsentRecord | None:
        """The member's current decision on the privacy notice (None: they never decided)."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                f"SELECT {_CONSENT_COLUMNS} FROM consents c"
                " JOIN members m ON m.id = c.member_id WHERE m.telegram_id = ?"
                " ORDER BY c.id DESC LIMIT 1",
                (telegram_id,),
            )
        return _consent(rows[0]) if rows else None

    async def record_consent(
        self,
        telegram_id: int,
        agreed: bool,
        notice_version: str,
        now: dt.datetime,
        *,
        query_id: str | None = None,
        notice_message_id: int | None = None,
        message_id: int | None = None,
    ) -> Member | None:
        """Record a decision on the privacy notice, creating the member when they first agree.

        The decision is the tap `query_id` on the notice `notice_message_id`, or the command
        `message_id` (/withdraw). None, recording nothing, if that update was handled before, or
        for a refusal by someone who is not a member (nothing is stored about them). After
        a tap the member's message mark moves up to the notice: what they sent before it, answered
        while they had not agreed, must never count as new if Telegram delivers it again.
        Withdrawing also closes the survey the member was answering: nothing more is collected.
        """
        recorded = False
        async with self._db.transaction_unless_stale() as connection:
            if agreed:
                await connection.execute(
                    "INSERT INTO members (telegram_id, created_at) VALUES (?, ?)"
                    " ON CONFLICT (telegram_id) DO NOTHING",
                    (telegram_id, now.isoformat()),
                )
            rows = await fetch_all(
                connection, "SELECT id FROM members WHERE telegram_id = ?", (telegram_id,)
            )
            if not rows:  # a refusal by someone never recorded leaves no record either
                raise Stale
            member_id = rows[0][0]
            await handled.claim_tap(connection, member_id, query_id, now)
            await handled.claim_message(connection, member_id, message_id)
            await connection.execute(
                "INSERT INTO consents (member_id, agreed, notice_version, decided_at)"
                " VALUES (?, ?, ?, ?)",
                (member_id, int(agreed), notice_version, now.isoformat()),
            )
            if notice_message_id is not None:
                await handled.raise_message_mark(connection, member_id, notice_message_id)
            if not agreed:
                await connection.execute(
                    "UPDATE members SET active_response_id = NULL WHERE id = ?", (member_id,)
                )
            recorded = True
        if not recorded:
            return None
        return await self.find_member(telegram_id)

    async def set_active_response(
        self,
        member_id: int,
        response_id: int | None,
        now: dt.datetime,
        *,
        message_id: int | None = None,
        query_id: str | None = None,
    ) -> bool:
        """Make `response_id` the survey that typed answers go to (None: pause).

        Asked by the message `message_id` or the tap `query_id`; False, changing nothing, when that
        update was handled before.
        """
        async with self._db.transaction_unless_stale() as connection:
            await handled.claim_message(connection, member_id, message_id)
            await handled.claim_tap(connection, member_id, query_id, now)
            await connection.execute(
                "UPDATE members SET active_response_id = ? WHERE id = ?", (response_id, member_id)
            )
            return True
        return False
