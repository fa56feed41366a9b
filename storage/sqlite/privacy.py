"""A member's own data (/mydata, /forget), and what retention takes away.

A member's Telegram id is stored in `members` only; everything else about them hangs off the
internal `members.id`. /forget deletes that row with every row keyed to it (consents, responses,
answers, handled taps, invitations) and takes their responses out of the report totals, in one
transaction.
Retention unlinks the responses of long-closed surveys (they stay, anonymous, in the totals)
and deletes members inactive for as long.

Deleted rows are zeroed in the file (`secure_delete`, see `db`) and the write-ahead log
is checkpointed and truncated. A deletion also marks the file for a rebuild (`compact_if_due`):
SQLite can leave fragments of deleted rows in pages it reorganised, where zeroing does not reach.
The time of the last rebuild is kept, so that rebuilds can be spaced out (`Compaction`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

import aiosqlite

from storage.model import (
    AnswerValue,
    Compaction,
    ContactState,
    Counter_,
    Describe,
    Forgotten,
    HeldData,
    HeldResponse,
)
from storage.sqlite import audit, members, reports
from storage.sqlite.db import Part, fetch_all
from storage.sqlite.reports import RemovedResponse

_RESPONSES_OF_MEMBER = """
    SELECT r.survey_id, r.survey_version_id, r.status = 'completed', r.started_at,
        r.completed_at,
        (SELECT json_group_object(a.question_id, json(a.value)) FROM answers a
         WHERE a.response_id = r.id),
        (SELECT json_group_object(a.question_id, a.answered_at) FROM answers a
         WHERE a.response_id = r.id),
        r.updated_at, r.current_question, r.pending_choices, r.reminders_sent, r.reminded_at,
        r.counted
    FROM responses r WHERE r.member_id = ? ORDER BY r.id
"""


def _held_response(row: Sequence) -> HeldResponse:
    (survey_id, version_id, completed, started_at, completed_at, answers, answered_at) = row[:7]
    updated_at, current_question, ticked, reminders_sent, reminded_at = row[7:12]
    return HeldResponse(
        survey_id,
        version_id,
        bool(completed),
        started_at,
        completed_at,
        json.loads(answers),
        json.loads(answered_at),
        updated_at,
        current_question,
        json.loads(ticked),
        reminders_sent,
        reminded_at,
    )


async def _remove_member(
    connection: aiosqlite.Connection, member_id: int, count: Counter_
) -> list[RemovedResponse]:
    """Take a member's responses out of the totals, then delete the member; consents,
    responses, answers and handled taps go with them (ON DELETE CASCADE)."""
    held = await fetch_all(connection, _RESPONSES_OF_MEMBER, (member_id,))
    removed = [
        RemovedResponse(
            response.survey_id,
            response.version_id,
            _given(response.answers),
            response.started_at,
            response.completed_at,
            counted=bool(row[-1]),
        )
        for row, response in zip(held, map(_held_response, held), strict=True)
    ]
    await reports.remove_from_totals(connection, removed, count)
    await connection.execute("DELETE FROM members WHERE id = ?", (member_id,))
    return removed


def _given(answers: dict[str, AnswerValue]) -> dict[str, AnswerValue]:
    """The answers as the totals counted them: skipped questions left out."""
    return {question: value for question, value in answers.items() if value is not None}


async def _unlink(connection: aiosqlite.Connection, response_ids: list[int]) -> None:
    """Unlink responses from their members. They keep the days they were started, changed and
    completed and each answer given, not the times: an exact moment would match their member's
    other records (when they agreed, or started another survey) and link them back."""
    if not response_ids:
        return
    ids = json.dumps(response_ids)
    await connection.execute(
        "UPDATE members SET active_response_id = NULL"
        " WHERE active_response_id IN (SELECT value FROM json_each(?))",
        (ids,),
    )
    await connection.execute(
        "UPDATE responses SET member_id = NULL, started_at = substr(started_at, 1, 10),"
        " updated_at = substr(updated_at, 1, 10), completed_at = substr(completed_at, 1, 10)"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (ids,),
    )
    await connection.execute(
        "UPDATE answers SET answered_at = substr(answered_at, 1, 10)"
        " WHERE response_id IN (SELECT value FROM json_each(?))",
        (ids,),
    )
    await _compact_later(connection)


async def _compact_later(connection: aiosqlite.Connection) -> None:
    await connection.execute("UPDATE maintenance SET compact_due = 1")


class SQLitePrivacy(Part):
    """What is held about a member, deleting it, retention, and rebuilding the file."""

    async def held_data(self, telegram_id: int) -> HeldData | None:
        """Everything stored about the member with this Telegram id (None: nothing at all)."""
        # One transaction: a consistent read of five tables (it waits for writes in progress).
        async with self._db.transaction() as connection:
            rows = await fetch_all(
                connection,
                "SELECT m.id, m.created_at, r.survey_id, m.last_message_id, m.invitations,"
                " m.unreachable_since, m.area FROM members m"
                " LEFT JOIN responses r ON r.id = m.active_response_id WHERE m.telegram_id = ?",
                (telegram_id,),
            )
            # An organiser or administrator who never agreed has audit entries only.
            member_id, created_at, answering, last_message_id = rows[0][:4] if rows else (None,) * 4
            contact = ContactState(bool(rows[0][4]), *rows[0][5:]) if rows else None
            consents = await members.consent_history(connection, member_id)
            held = await fetch_all(connection, _RESPONSES_OF_MEMBER, (member_id,))
            taps = await fetch_all(
                connection,
                "SELECT handled_at FROM handled_taps WHERE member_id = ? ORDER BY handled_at",
                (member_id,),
            )
            entries = await audit.naming(connection, telegram_id)
            invitations = await fetch_all(
                connection,
                "SELECT r.survey_id, o.state FROM outbox o"
                " JOIN invitation_rounds r ON r.id = o.round_id WHERE o.member_id = ?"
                " ORDER BY r.id",
                (member_id,),
            )
        if member_id is None and not entries:
            return None
        return HeldData(
            member_id,
            telegram_id,
            created_at,
            consents,
            [_held_response(row) for row in held],
            answering,
            last_message_id or 0,
            entries,
            [at for (at,) in taps],
            contact,
            [(survey_id, state) for survey_id, state in invitations],
        )

    async def anything_held(self, telegram_id: int) -> bool:
        """Whether anything names this Telegram id: a member, or audit log entries."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "SELECT EXISTS (SELECT 1 FROM members WHERE telegram_id = ?1)"
                " OR EXISTS (SELECT 1 FROM audit_log WHERE actor = ?1 OR chat_id = ?1)"
                " OR EXISTS (SELECT 1 FROM invitation_rounds WHERE card_chat_id = ?1)",
                (telegram_id,),
            )
        return bool(rows[0][0])

    async def forget_member(
        self, telegram_id: int, count: Counter_, now: dt.datetime, describe: Describe
    ) -> Forgotten | None:
        """Delete the member and everything keyed to them, take their responses out of the report
        totals (`count` gives a completed response's area and tally keys), remove their id from
        the audit log, and record the deletion there, all in one transaction; None if nothing was
        held about them."""
        async with self._db.transaction() as connection:
            rows = await fetch_all(
                connection, "SELECT id FROM members WHERE telegram_id = ?", (telegram_id,)
            )
            member_id: int | None = rows[0][0] if rows else None
            removed = (
                [] if member_id is None else await _remove_member(connection, member_id, count)
            )
            # An organiser's or administrator's own entries stay, without who they were; so do
            # the invitation rounds they started, without the chat their progress card was in.
            cards = await connection.execute(
                "UPDATE invitation_rounds SET card_chat_id = NULL WHERE card_chat_id = ?",
                (telegram_id,),
            )
            named = await audit.unname(connection, telegram_id) or cards.rowcount
            if not named and not rows:
                return None  # nothing was held: the transaction ends with nothing changed
            await audit.add(connection, "forget", now, scope=describe(member_id, len(removed)))
            await _compact_later(connection)
        return Forgotten(member_id, len(removed), await self._db.checkpoint())

    async def linked_surveys(self) -> dict[str, dt.datetime]:
        """Surveys with responses still linked to members, and their latest activity."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "SELECT survey_id, MAX(updated_at) FROM responses WHERE member_id IS NOT NULL"
                " GROUP BY survey_id",
            )
        return {survey_id: dt.datetime.fromisoformat(last) for survey_id, last in rows}

    async def unlink_responses(self, survey_ids: Iterable[str]) -> int:
        """Remove the link between members and their responses to these surveys; returns how
        many responses were unlinked. The responses stay, anonymous, and still count."""
        async with self._db.transaction() as connection:
            rows = await fetch_all(
                connection,
                "SELECT id FROM responses WHERE member_id IS NOT NULL"
                " AND survey_id IN (SELECT value FROM json_each(?))",
                (json.dumps(list(survey_ids)),),
            )
            await _unlink(connection, [response_id for (response_id,) in rows])
        return len(rows)

    async def delete_inactive_members(self, inactive_since: dt.datetime) -> int:
        """Delete members with no consent decision and no answer since `inactive_since`; their
        responses are unlinked first, and stay, anonymous. Returns how many were deleted."""
        since = inactive_since.isoformat()
        async with self._db.transaction() as connection:
            members = await fetch_all(
                connection,
                "SELECT id FROM members m WHERE m.created_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM consents c"
                "  WHERE c.member_id = m.id AND c.decided_at >= ?)"
                " AND NOT EXISTS (SELECT 1 FROM responses r"
                "  WHERE r.member_id = m.id AND r.updated_at >= ?)",
                (since, since, since),
            )
            inactive = json.dumps([member_id for (member_id,) in members])
            responses = await fetch_all(
                connection,
                "SELECT id FROM responses WHERE member_id IN (SELECT value FROM json_each(?))",
                (inactive,),
            )
            await _unlink(connection, [response_id for (response_id,) in responses])
            await connection.execute(
                "DELETE FROM members WHERE id IN (SELECT value FROM json_each(?))", (inactive,)
            )
            if members:
                await _compact_later(connection)
        return len(members)

    async def compaction(self) -> Compaction:
        """Whether the file waits for a rebuild, and when it was last rebuilt."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection, "SELECT compact_due, last_compacted_at FROM maintenance"
            )
        due, last = rows[0]
        return Compaction(bool(due), dt.datetime.fromisoformat(last) if last else None)

    async def compact_if_due(
        self, now: dt.datetime, spacing: dt.timedelta = dt.timedelta(0)
    ) -> bool:
        """After deletions, rebuild the file so that no fragment of a deleted row is left in it
        (see the `maintenance` table), unless it was rebuilt less than `spacing` before `now`;
        returns whether it was rebuilt. Checkpoint after."""
        state = await self.compaction()
        allowed_from = state.allowed_from(spacing)
        if not state.due or (allowed_from is not None and now < allowed_from):
            return False
        await self._db.vacuum()
        async with (
            self._db.statement() as connection
        ):  # only once rebuilt: a failed VACUUM is retried
            await connection.execute(
                "UPDATE maintenance SET compact_due = 0, last_compacted_at = ?", (now.isoformat(),)
            )
        return True
