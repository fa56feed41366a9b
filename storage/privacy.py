"""A member's own data (/mydata, /forget), and what retention takes away.

A member's Telegram id is stored in `members` only; everything else about them hangs off the
internal `members.id`. /forget deletes that row with every row keyed to it (consents, responses,
answers, handled taps) and takes their responses out of the report totals, in one transaction.
Retention unlinks the responses of long-closed surveys (they stay, anonymous, in the totals)
and deletes members inactive for as long.

Deleted rows are zeroed in the file (`secure_delete`, see `storage.db`), and after a deletion
the write-ahead log is checkpointed and truncated, so that neither file keeps a copy.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storage import reports
from storage.db import Database
from storage.members import ConsentRecord
from storage.reports import Counter_, RemovedResponse
from storage.responses import AnswerValue


@dataclass(frozen=True)
class HeldResponse:
    """One of the member's responses, with every answer and when it was given."""

    survey_id: str
    version_id: int
    completed: bool
    started_at: str
    completed_at: str | None
    answers: dict[str, AnswerValue]
    answered_at: dict[str, str]


@dataclass(frozen=True)
class HeldData:
    """Everything stored about one member."""

    member_id: int
    telegram_id: int
    created_at: str
    consents: list[ConsentRecord]
    responses: list[HeldResponse]


@dataclass(frozen=True)
class Forgotten:
    """What /forget deleted."""

    member_id: int
    responses: int


_RESPONSES_OF_MEMBER = """
    SELECT r.survey_id, r.survey_version_id, r.status = 'completed', r.started_at,
        r.completed_at,
        (SELECT json_group_object(a.question_id, json(a.value)) FROM answers a
         WHERE a.response_id = r.id),
        (SELECT json_group_object(a.question_id, a.answered_at) FROM answers a
         WHERE a.response_id = r.id)
    FROM responses r WHERE r.member_id = ? ORDER BY r.id
"""


async def held_data(db: Database, telegram_id: int) -> HeldData | None:
    """Everything stored about the member with this Telegram id (None: nothing at all)."""
    async with db.transaction() as connection:  # one consistent read of three tables
        rows = await connection.execute_fetchall(
            "SELECT id, created_at FROM members WHERE telegram_id = ?", (telegram_id,)
        )
        if not rows:
            return None
        member_id, created_at = rows[0]
        consents = await connection.execute_fetchall(
            "SELECT agreed, notice_version, decided_at FROM consents WHERE member_id = ?"
            " ORDER BY id",
            (member_id,),
        )
        held = await connection.execute_fetchall(_RESPONSES_OF_MEMBER, (member_id,))
    return HeldData(
        member_id,
        telegram_id,
        created_at,
        [ConsentRecord(bool(agreed), version, at) for agreed, version, at in consents],
        [_held_response(row) for row in held],
    )


def _held_response(row: Sequence) -> HeldResponse:
    survey_id, version_id, completed, started_at, completed_at, answers, answered_at = row
    return HeldResponse(
        survey_id,
        version_id,
        bool(completed),
        started_at,
        completed_at,
        json.loads(answers),
        json.loads(answered_at),
    )


async def forget_member(db: Database, telegram_id: int, count: Counter_) -> Forgotten | None:
    """Delete the member and everything keyed to them, and take their responses out of the
    report totals (`count` gives a completed response's area and tally keys); None if there is
    no such member (nothing to delete)."""
    async with db.transaction() as connection:
        rows = await connection.execute_fetchall(
            "SELECT id FROM members WHERE telegram_id = ?", (telegram_id,)
        )
        if not rows:
            return None
        member_id = rows[0][0]
        held = await connection.execute_fetchall(_RESPONSES_OF_MEMBER, (member_id,))
        removed = [
            RemovedResponse(survey_id, version_id, _given(json.loads(answers)), started, done)
            for survey_id, version_id, completed, started, done, answers, _ in held
        ]
        await reports.remove_from_totals(connection, removed, count)
        # Consents, responses, answers and handled taps go with the member (ON DELETE CASCADE).
        await connection.execute("DELETE FROM members WHERE id = ?", (member_id,))
    await db.checkpoint()
    return Forgotten(member_id, len(removed))


def _given(answers: dict[str, AnswerValue]) -> dict[str, AnswerValue]:
    """The answers as the totals counted them: skipped questions left out."""
    return {question: value for question, value in answers.items() if value is not None}


async def linked_surveys(db: Database) -> dict[str, dt.datetime]:
    """Surveys with responses still linked to members, and their latest activity."""
    async with db.statement() as connection:
        rows = await connection.execute_fetchall(
            "SELECT survey_id, MAX(updated_at) FROM responses WHERE member_id IS NOT NULL"
            " GROUP BY survey_id"
        )
    return {survey_id: dt.datetime.fromisoformat(last) for survey_id, last in rows}


async def unlink_responses(db: Database, survey_ids: Iterable[str]) -> int:
    """Remove the link between members and their responses to these surveys; returns how
    many responses were unlinked. The responses stay, anonymous, and still count."""
    surveys = json.dumps(list(survey_ids))
    async with db.transaction() as connection:
        await connection.execute(
            "UPDATE members SET active_response_id = NULL WHERE active_response_id IN"
            " (SELECT id FROM responses WHERE survey_id IN (SELECT value FROM json_each(?)))",
            (surveys,),
        )
        cursor = await connection.execute(
            "UPDATE responses SET member_id = NULL WHERE member_id IS NOT NULL"
            " AND survey_id IN (SELECT value FROM json_each(?))",
            (surveys,),
        )
        unlinked = cursor.rowcount
    await db.checkpoint()
    return unlinked


async def delete_inactive_members(db: Database, inactive_since: dt.datetime) -> int:
    """Delete members with no consent decision and no answer since `inactive_since`; their
    responses are unlinked first, and stay, anonymous. Returns how many were deleted."""
    since = inactive_since.isoformat()
    async with db.transaction() as connection:
        rows = await connection.execute_fetchall(
            "SELECT id FROM members m WHERE m.created_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM consents c"
            "  WHERE c.member_id = m.id AND c.decided_at >= ?)"
            " AND NOT EXISTS (SELECT 1 FROM responses r"
            "  WHERE r.member_id = m.id AND r.updated_at >= ?)",
            (since, since, since),
        )
        inactive = json.dumps([member_id for (member_id,) in rows])
        await connection.execute(
            "UPDATE responses SET member_id = NULL"
            " WHERE member_id IN (SELECT value FROM json_each(?))",
            (inactive,),
        )
        await connection.execute(
            "DELETE FROM members WHERE id IN (SELECT value FROM json_each(?))", (inactive,)
        )
    await db.checkpoint()
    return len(rows)
