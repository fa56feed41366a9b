"""Responses and their answers: starting, answering, going back, completing.

Every change is conditional on the state the member's update was answering ("record the answer
to question 4 of response R only if R is at question 4"), and a typed message is claimed by its
message id, so that a redelivered update changes nothing. Each call is one transaction,
committed before it returns; the answer path is a single statement and a single read.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import replace

import aiosqlite

from storage.model import AnswerValue, Replaced, Response, TallyKey
from storage.sqlite import handled
from storage.sqlite.db import Part, Stale, fetch_all

# A response in one row: its columns, then every answer as one JSON object (question -> value).
RESPONSE_FIELDS = (
    "r.id",
    "r.member_id",
    "r.survey_id",
    "r.survey_version_id",
    "r.current_question",
    "r.pending_choices",
    "r.step",
    "(SELECT json_group_object(a.question_id, json(a.value)) FROM answers a"
    " WHERE a.response_id = r.id)",
)
RESPONSE_COLUMNS = ", ".join(RESPONSE_FIELDS)

# The same row for the response an opening made active, as the RETURNING clause of the INSERT
# into `survey_openings`: one subquery per field, as RETURNING takes no FROM. SQLite works out a
# RETURNING clause once the row's change is made, which for a view is its trigger having run
# (a contract test holds it to that).
_OPENED = ", ".join(
    f"(SELECT {field} FROM responses r WHERE r.id = (SELECT active_response_id FROM members"
    " WHERE id = survey_openings.member_id))"
    for field in RESPONSE_FIELDS
)


def assemble(row: Sequence) -> Response | None:
    """A response from a row of RESPONSE_COLUMNS (None when the row has no response)."""
    if row[0] is None:
        return None
    response_id, member_id, survey_id, version_id, current, pending, step, answers = row
    return Response(
        response_id,
        member_id,
        survey_id,
        version_id,
        current,
        json.loads(pending),
        json.loads(answers),
        step,
    )


async def _load(connection: aiosqlite.Connection, where: str, params: Sequence) -> Response | None:
    rows = await fetch_all(
        connection, f"SELECT {RESPONSE_COLUMNS} FROM responses r WHERE {where}", params
    )
    return assemble(rows[0]) if rows else None


def _encode(value: AnswerValue) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


class SQLiteResponses(Part):
    """Responses: starting, answering (the one-statement answer path), going back."""

    async def get_response(self, response_id: int) -> Response | None:
        """A response with its answers, or None."""
        async with self._db.statement() as connection:
            return await _load(connection, "r.id = ?", (response_id,))

    async def unfinished_surveys(self, member_id: int) -> list[str]:
        """Ids of the surveys the member has started and not finished, most recent first."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "SELECT survey_id FROM responses WHERE member_id = ? AND status = 'in_progress'"
                " ORDER BY updated_at DESC, id DESC",
                (member_id,),
            )
        return [survey_id for (survey_id,) in rows]

    async def completed_surveys(self, member_id: int) -> set[str]:
        """Ids of the surveys the member has completed at least once."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "SELECT DISTINCT survey_id FROM responses"
                " WHERE member_id = ? AND status = 'completed'",
                (member_id,),
            )
        return {survey_id for (survey_id,) in rows}

    async def start_response(
        self,
        member_id: int,
        survey_id: str,
        version_id: int,
        first_question: str,
        now: dt.datetime,
        *,
        message_id: int | None = None,
        query_id: str | None = None,
    ) -> Response | None:
        """Start a response at its first question, or, if the member has this survey open
        already, take that one (there is at most one open response per member and survey):
        either way it becomes the member's active survey, and is returned as it is now.

        The update that asks is a message (`message_id`) or a button tap (`query_id`); if it was
        handled before (Telegram delivering it again), nothing changes and the result is None.
        One statement (see `answer_path.sql`), so one round trip and one commit.
        """
        async with self._db.statement() as connection:
            try:
                rows = await fetch_all(
                    connection,
                    "INSERT INTO survey_openings (member_id, survey_id, version_id,"
                    " first_question, message_id, query_id, opened_at)"
                    f" VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {_OPENED}",
                    (
                        member_id,
                        survey_id,
                        version_id,
                        first_question,
                        message_id,
                        query_id,
                        now.isoformat(),
                    ),
                )
            except sqlite3.IntegrityError as error:
                # The trigger's only RAISE is its guard: the update was handled before.
                if error.sqlite_errorcode != sqlite3.SQLITE_CONSTRAINT_TRIGGER:
                    raise
                return None
        return assemble(rows[0])

    async def counted_completion(
        self, member_id: int, survey_id: str
    ) -> tuple[Response, dt.datetime] | None:
        """The member's completed response to the survey that counts in the totals, and when it
        was completed (None before their first completion)."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                f"SELECT {RESPONSE_COLUMNS}, r.completed_at FROM responses r"
                " WHERE r.member_id = ? AND r.survey_id = ? AND r.status = 'completed'"
                " AND r.counted = 1 ORDER BY r.completed_at DESC, r.id DESC LIMIT 1",
                (member_id, survey_id),
            )
        if not rows:
            return None
        response = assemble(rows[0][:-1])
        assert response is not None
        return response, dt.datetime.fromisoformat(rows[0][-1])

    async def record_answer(
        self,
        response: Response,
        value: AnswerValue,
        *,
        next_question: str | None,
        dropped: Sequence[str] = (),
        now: dt.datetime,
        message_id: int | None = None,
        step: int | None = None,
        area: str = "",
        counted: Sequence[TallyKey] = (),
        replaced: Replaced | None = None,
        member_area: str | None = None,
    ) -> Response | None:
        """Store the answer to the response's current question and move to `next_question`.

        `next_question` None completes the response, which then counts in the report totals of
        `area` under each of the `counted` keys, in place of the member's `replaced` completion
        (if it still counts); `dropped` are answers the new one hides; `member_area`, when
        given, becomes the member's area (the answer was to an area question). The
        answer came from a button drawn at `step`, or from the message `message_id`. Returns the
        response as it is now, or None, changing nothing, when the response has moved on since the
        button was drawn, or the message was handled before: both mean a stale or repeated update.
        One statement (see `answer_path.sql`), so one round trip and one commit.
        """
        question_id = response.current_question
        assert question_id is not None, "a completed response takes no answer"
        async with self._db.statement() as connection:
            try:
                await connection.execute(
                    "INSERT INTO answer_submissions (response_id, question_id, value,"
                    " next_question, dropped, message_id, step, submitted_at, area, counted,"
                    " replaced, replaced_area, replaced_counted, replaced_day, member_area)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        response.id,
                        question_id,
                        _encode(value),
                        next_question,
                        json.dumps(list(dropped)),
                        message_id,
                        step,
                        now.isoformat(),
                        area,
                        json.dumps(counted, ensure_ascii=False),
                        replaced.response_id if replaced else None,
                        replaced.area if replaced else None,
                        json.dumps(replaced.counted if replaced else [], ensure_ascii=False),
                        replaced.day if replaced else None,
                        member_area,
                    ),
                )
            except sqlite3.IntegrityError as error:
                # The trigger's only RAISE is its guard: the response moved on, or the message
                # was handled before.
                if error.sqlite_errorcode != sqlite3.SQLITE_CONSTRAINT_TRIGGER:
                    raise
                return None
        answers = {k: v for k, v in response.answers.items() if k not in dropped}
        answers[question_id] = value
        return replace(
            response,
            current_question=next_question,
            pending_choices=[],
            answers=answers,
            step=response.step + 1,
        )

    async def move_back(
        self,
        response: Response,
        to_question: str,
        *,
        pending_choices: Sequence[str] = (),
        now: dt.datetime,
        message_id: int | None = None,
        step: int | None = None,
    ) -> Response | None:
        """Return the response from its current question to the earlier `to_question` (Back).

        The earlier answer stays until the member replaces it; `pending_choices` preloads a multi
        question's ticks. Asked by the Back button drawn at `step`, or by the message `message_id`.
        Returns the response as it is now, or None, changing nothing, for a stale or repeated
        update.
        """
        async with self._db.transaction_unless_stale() as connection:
            await handled.claim_message(connection, response.member_id, message_id)
            cursor = await connection.execute(
                "UPDATE responses SET current_question = ?, pending_choices = ?, step = step + 1,"
                " updated_at = ? WHERE id = ? AND status = 'in_progress' AND current_question = ?"
                " AND (? IS NULL OR step = ?)",
                (
                    to_question,
                    json.dumps(list(pending_choices)),
                    now.isoformat(),
                    response.id,
                    response.current_question,
                    step,
                    step,
                ),
            )
            if cursor.rowcount != 1:
                raise Stale
            return replace(
                response,
                current_question=to_question,
                pending_choices=list(pending_choices),
                step=response.step + 1,
            )
        return None

    async def set_pending_choices(
        self, response: Response, step: int, choices: Sequence[str], now: dt.datetime
    ) -> bool:
        """Keep a multi question's ticks until Done; False if the response moved on since `step`.

        Ticking does not move the step: quick taps on several options all count.
        """
        async with self._db.statement() as connection:
            cursor = await connection.execute(
                "UPDATE responses SET pending_choices = ?, updated_at = ?"
                " WHERE id = ? AND status = 'in_progress' AND current_question = ? AND step = ?",
                (
                    json.dumps(list(choices)),
                    now.isoformat(),
                    response.id,
                    response.current_question,
                    step,
                ),
            )
        return cursor.rowcount == 1
