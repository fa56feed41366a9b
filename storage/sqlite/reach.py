"""Members' contact state, invitation rounds with their outbox, and reminders (`Reach`).

The outbox is how "at most one invitation per member per round" survives a crash: rows are
claimed ("sending", committed) before anything is sent, and a row still "sending" when the
process starts again may or may not have left, so it becomes "unknown" and is never sent again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from storage.model import (
    Contact,
    ContactState,
    Delivery,
    DeliveryState,
    DueReminder,
    LeftOut,
    Round,
    RoundProgress,
    RoundState,
)
from storage.sqlite import audit
from storage.sqlite.db import Part, fetch_all

INVITE_ACTION = "invite"  # the audit log's name for a round started

_ROUND_COLUMNS = (
    "id, survey_id, area, state, created_at, started_at, ended_at, left_out_done,"
    " left_out_turned_off, left_out_unreachable, card_chat_id, card_message_id"
)
# The member's current decision on the notice: their latest consent row.
_AGREED = "(SELECT agreed FROM consents c WHERE c.member_id = m.id ORDER BY c.id DESC LIMIT 1)"


# What the audience rules read of member m for survey :survey, responses since :since (as Contact).
_CONTACT = f"""
    m.id, m.telegram_id, COALESCE({_AGREED}, 0), m.invitations, m.unreachable_since IS NULL,
    EXISTS (SELECT 1 FROM responses r WHERE r.member_id = m.id
        AND r.survey_id = :survey AND r.status = 'completed'),
    :since IS NOT NULL AND EXISTS (SELECT 1 FROM responses r
        WHERE r.member_id = m.id AND r.survey_id = :survey
        AND (r.started_at > :since OR r.completed_at > :since))
"""


def _contact(row: Sequence) -> Contact:
    member, telegram, agreed, on, reachable, done, responded = row
    return Contact(
        member, telegram, bool(agreed), bool(on), bool(reachable), bool(done), bool(responded)
    )


def _round(row: Sequence) -> Round:
    round_id, survey_id, area, state, created, started, ended, done, off, gone, chat, message = row
    return Round(
        round_id,
        survey_id,
        area,
        state,
        created,
        started,
        ended,
        LeftOut(done, off, gone),
        chat,
        message,
    )


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


class SQLiteReach(Part):
    """Members' contact state, invitation rounds with their outbox, and reminders."""

    async def contact_state(self, telegram_id: int) -> ContactState | None:
        """The member's contact state (None: not a member)."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "SELECT invitations, unreachable_since, area FROM members WHERE telegram_id = ?",
                (telegram_id,),
            )
        if not rows:
            return None
        invitations, unreachable_since, area = rows[0]
        return ContactState(bool(invitations), unreachable_since, area)

    async def set_invitations(self, telegram_id: int, on: bool) -> bool:
        """Turn the member's invitations and reminders on or off; False if not a member."""
        async with self._db.statement() as connection:
            cursor = await connection.execute(
                "UPDATE members SET invitations = ? WHERE telegram_id = ?", (int(on), telegram_id)
            )
        return cursor.rowcount > 0

    async def set_reachable(self, telegram_id: int, reachable: bool, now: dt.datetime) -> bool:
        """Record that the bot can (again) or cannot write to the member; False if not a
        member. The first refusal's time is kept."""
        async with self._db.statement() as connection:
            cursor = await connection.execute(
                "UPDATE members SET unreachable_since ="
                " CASE WHEN ? THEN NULL ELSE COALESCE(unreachable_since, ?) END"
                " WHERE telegram_id = ?",
                (int(reachable), now.isoformat(), telegram_id),
            )
        return cursor.rowcount > 0

    async def contacts(
        self, survey_id: str, area: str | None, responded_since: dt.datetime | None
    ) -> list[Contact]:
        """Every member (in `area`, when given), with what the audience rules need to decide on
        inviting them to the survey."""
        since = responded_since.isoformat() if responded_since else None
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                f"SELECT {_CONTACT} FROM members m WHERE :area IS NULL OR m.area = :area"
                " ORDER BY m.id",
                {"survey": survey_id, "since": since, "area": area},
            )
        return [_contact(row) for row in rows]

    async def create_round(self, survey_id: str, area: str | None, now: dt.datetime) -> Round:
        """A round in preview: nothing is sent until it starts."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "INSERT INTO invitation_rounds (survey_id, area, state, created_at)"
                f" VALUES (?, ?, 'preview', ?) RETURNING {_ROUND_COLUMNS}",
                (survey_id, area, now.isoformat()),
            )
        return _round(rows[0])

    async def find_round(self, round_id: int) -> Round | None:
        """A round, or None."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                f"SELECT {_ROUND_COLUMNS} FROM invitation_rounds WHERE id = ?",
                (round_id,),
            )
        return _round(rows[0]) if rows else None

    async def latest_start(self, survey_id: str) -> dt.datetime | None:
        """When the survey's latest round began sending (None: never)."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "SELECT max(started_at) FROM invitation_rounds WHERE survey_id = ?",
                (survey_id,),
            )
        started = rows[0][0]
        return dt.datetime.fromisoformat(started) if started else None

    async def start_round(
        self,
        round_id: int,
        member_ids: Sequence[int],
        left_out: LeftOut,
        card: tuple[int, int],
        now: dt.datetime,
        *,
        actor: int,
        scope: str,
    ) -> bool:
        """Move a previewed round to sending, with one outbox row per member to invite, the
        progress card's (chat, message) and its audit entry (`actor`, `scope`), in one
        transaction; False, changing nothing, unless it was in preview and no other round of
        its survey is sending or paused."""
        async with self._db.transaction() as connection:
            rows = await fetch_all(
                connection,
                "UPDATE invitation_rounds SET state = 'sending', started_at = :now,"
                " left_out_done = :done, left_out_turned_off = :off,"
                " left_out_unreachable = :gone, card_chat_id = :chat, card_message_id = :message"
                " WHERE id = :round AND state = 'preview' AND NOT EXISTS ("
                "   SELECT 1 FROM invitation_rounds other"
                "   WHERE other.survey_id = invitation_rounds.survey_id"
                "   AND other.state IN ('sending', 'paused'))"
                " RETURNING survey_id",
                {
                    "now": now.isoformat(),
                    "done": left_out.done,
                    "off": left_out.turned_off,
                    "gone": left_out.unreachable,
                    "chat": card[0],
                    "message": card[1],
                    "round": round_id,
                },
            )
            if not rows:
                return False
            await connection.executemany(
                "INSERT INTO outbox (round_id, member_id) VALUES (?, ?)",
                ((round_id, member_id) for member_id in member_ids),
            )
            await audit.add(
                connection, INVITE_ACTION, now, actor=actor, survey_id=rows[0][0], scope=scope
            )
        return True

    async def set_round_state(
        self, round_id: int, expected: Sequence[RoundState], state: RoundState, now: dt.datetime
    ) -> bool:
        """Move a round to `state` if it is in one of the `expected` states. A round that ends
        (cancelled, finished, closed) records when, and its rows still waiting are skipped:
        none of them will be sent."""
        ends = state in ("cancelled", "finished", "closed")
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "UPDATE invitation_rounds SET state = ?,"
                " ended_at = CASE WHEN ? THEN ? ELSE ended_at END"
                f" WHERE id = ? AND state IN ({_placeholders(len(expected))})",
                (state, int(ends), now.isoformat(), round_id, *expected),
            )
            if cursor.rowcount and ends:
                await connection.execute(
                    "UPDATE outbox SET state = 'skipped' WHERE round_id = ? AND state = 'waiting'",
                    (round_id,),
                )
        return cursor.rowcount > 0

    async def prune_previews(self, before: dt.datetime) -> int:
        """Delete previews never started that were made before `before`; returns how many."""
        async with self._db.statement() as connection:
            cursor = await connection.execute(
                "DELETE FROM invitation_rounds WHERE state = 'preview' AND created_at < ?",
                (before.isoformat(),),
            )
        return cursor.rowcount

    async def rounds_in(self, states: Sequence[RoundState]) -> list[Round]:
        """Rounds in these states, oldest first."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                f"SELECT {_ROUND_COLUMNS} FROM invitation_rounds"
                f" WHERE state IN ({_placeholders(len(states))}) ORDER BY id",
                tuple(states),
            )
        return [_round(row) for row in rows]

    async def recent_rounds(self, limit: int) -> list[Round]:
        """Rounds that started, newest first."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                f"SELECT {_ROUND_COLUMNS} FROM invitation_rounds WHERE started_at IS NOT NULL"
                " ORDER BY started_at DESC, id DESC LIMIT ?",
                (limit,),
            )
        return [_round(row) for row in rows]

    async def claim_deliveries(
        self, invitation: Round, limit: int, now: dt.datetime
    ) -> list[Delivery]:
        """Mark up to `limit` waiting rows due by `now` of a round still sending as "sending",
        and return them with their members' contact facts as they are now (responses since the
        round began)."""
        async with self._db.transaction() as connection:
            rows = await fetch_all(
                connection,
                f"SELECT o.attempts, {_CONTACT} FROM outbox o JOIN members m ON m.id = o.member_id"
                " JOIN invitation_rounds ir ON ir.id = o.round_id AND ir.state = 'sending'"
                " WHERE o.round_id = :round AND o.state = 'waiting'"
                " AND (o.not_before IS NULL OR o.not_before <= :now)"
                " ORDER BY o.member_id LIMIT :limit",
                {
                    "round": invitation.id,
                    "now": now.isoformat(),
                    "limit": limit,
                    "survey": invitation.survey_id,
                    "since": invitation.started_at,
                },
            )
            deliveries = [Delivery(invitation.id, row[0], _contact(row[1:])) for row in rows]
            await connection.executemany(
                "UPDATE outbox SET state = 'sending' WHERE round_id = ? AND member_id = ?",
                ((invitation.id, delivery.contact.member_id) for delivery in deliveries),
            )
        return deliveries

    async def still_wanted(self, invitation: Round, delivery: Delivery) -> Contact | None:
        """The member's facts as they are now (responses since the round began), while the
        round is still sending (None: it is not, or the member is gone)."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                f"SELECT {_CONTACT} FROM members m JOIN invitation_rounds ir"
                " ON ir.id = :round AND ir.state = 'sending' WHERE m.id = :member",
                {
                    "round": invitation.id,
                    "member": delivery.contact.member_id,
                    "survey": invitation.survey_id,
                    "since": invitation.started_at,
                },
            )
        return _contact(rows[0]) if rows else None

    async def reminder_still_wanted(self, reminder: DueReminder) -> bool:
        """Whether a reminder counted as sent should still go: its response is unfinished and
        untouched since, and its member agreed, takes invitations and can be reached."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "SELECT 1 FROM responses r JOIN members m ON m.id = r.member_id"
                " WHERE r.id = ? AND r.status = 'in_progress' AND r.updated_at <= r.reminded_at"
                f" AND m.invitations = 1 AND m.unreachable_since IS NULL AND {_AGREED} = 1",
                (reminder.response_id,),
            )
        return bool(rows)

    async def settle_deliveries(
        self, outcomes: Sequence[tuple[Delivery, DeliveryState, dt.datetime | None]]
    ) -> None:
        """Record how claimed deliveries ended: sent, unreachable, failed, skipped, or waiting
        again (retry no earlier than the given time, one more attempt counted). Only rows still
        "sending" change."""
        async with self._db.transaction() as connection:
            await connection.executemany(
                "UPDATE outbox SET state = :state, not_before = :not_before,"
                " attempts = attempts + (:state IN ('waiting', 'failed'))"
                " WHERE round_id = :round AND member_id = :member AND state = 'sending'",
                (
                    {
                        "state": state,
                        "not_before": not_before.isoformat() if not_before else None,
                        "round": delivery.round_id,
                        "member": delivery.contact.member_id,
                    }
                    for delivery, state, not_before in outcomes
                ),
            )

    async def release_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """Claimed deliveries that were not sent after all (their last look held them back):
        waiting again, with no attempt counted, while their round may still send (sending or
        paused); skipped once it has ended. Only rows still "sending" change."""
        async with self._db.transaction() as connection:
            await connection.executemany(
                "UPDATE outbox SET state = CASE WHEN (SELECT state FROM invitation_rounds"
                "   WHERE id = :round) IN ('sending', 'paused') THEN 'waiting' ELSE 'skipped' END"
                " WHERE round_id = :round AND member_id = :member AND state = 'sending'",
                (
                    {"round": delivery.round_id, "member": delivery.contact.member_id}
                    for delivery in deliveries
                ),
            )

    async def recover_in_flight(self) -> int:
        """After a restart: rows still "sending" may or may not have left; make them "unknown"
        (never sent again). Returns how many."""
        async with self._db.statement() as connection:
            cursor = await connection.execute(
                "UPDATE outbox SET state = 'unknown' WHERE state = 'sending'"
            )
        return cursor.rowcount

    async def round_progress(self, round_id: int) -> RoundProgress:
        """A round's outbox rows, counted by state."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "SELECT state, count(*) FROM outbox WHERE round_id = ? GROUP BY state",
                (round_id,),
            )
        return RoundProgress({str(state): int(count) for state, count in rows})

    async def due_reminders(
        self,
        survey_id: str,
        idle_before: dt.datetime,
        idle_after: dt.datetime,
        allowed: int,
        limit: int,
    ) -> list[DueReminder]:
        """Unfinished responses to the survey idle (no answer, no reminder) since a moment
        between `idle_after` and `idle_before`, reminded fewer than `allowed` times, of members
        who agreed, take invitations and are reachable."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "SELECT r.id, m.telegram_id, r.survey_id, r.reminders_sent"
                " FROM responses r JOIN members m ON m.id = r.member_id"
                " WHERE r.survey_id = ? AND r.status = 'in_progress' AND r.reminders_sent < ?"
                " AND max(r.updated_at, COALESCE(r.reminded_at, '')) >= ?"
                " AND max(r.updated_at, COALESCE(r.reminded_at, '')) < ?"
                f" AND m.invitations = 1 AND m.unreachable_since IS NULL AND {_AGREED} = 1"
                " ORDER BY r.id LIMIT ?",
                (survey_id, allowed, idle_after.isoformat(), idle_before.isoformat(), limit),
            )
        return [DueReminder(*row) for row in rows]

    async def claim_reminder(
        self, reminder: DueReminder, idle_before: dt.datetime, now: dt.datetime
    ) -> bool:
        """Count a reminder as sent before sending it (so none goes twice); False if the response
        moved on, or was reminded, since `idle_before`."""
        async with self._db.statement() as connection:
            cursor = await connection.execute(
                "UPDATE responses SET reminders_sent = reminders_sent + 1, reminded_at = ?"
                " WHERE id = ? AND status = 'in_progress' AND reminders_sent = ?"
                " AND max(updated_at, COALESCE(reminded_at, '')) < ?",
                (
                    now.isoformat(),
                    reminder.response_id,
                    reminder.reminders_sent,
                    idle_before.isoformat(),
                ),
            )
        return cursor.rowcount > 0
