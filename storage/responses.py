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
from dataclasses import dataclass, field, replace

import aiosqlite

from storage import messages
from storage.db import Database, Stale

# An answer as stored: the JSON of the value, None for a skipped question.
AnswerValue = str | int | float | list[str] | None


@dataclass(frozen=True)
class Response:
    """One member's response to one survey version."""

    id: int
    member_id: int
    survey_id: str
    version_id: int
    current_question: str | None
    pending_choices: list[str]
    answers: dict[str, AnswerValue] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        """True once the last question was answered."""
        return self.current_question is None


# A response in one row: its columns, then every answer as one JSON object (question -> value).
RESPONSE_COLUMNS = """
    r.id, r.member_id, r.survey_id, r.survey_version_id, r.current_question, r.pending_choices,
    (SELECT json_group_object(a.question_id, json(a.value)) FROM answers a
     WHERE a.response_id = r.id)
"""


def assemble(row: Sequence) -> Response | None:
    """A response from a row of RESPONSE_COLUMNS (None when the row has no response)."""
    if row[0] is None:
        return None
    response_id, member_id, survey_id, version_id, current, pending, answers = row
    return Response(
        response_id,
        member_id,
        survey_id,
        version_id,
        current,
        json.loads(pending),
        json.loads(answers),
    )


async def _load(connection: aiosqlite.Connection, where: str, params: Sequence) -> Response | None:
    rows = await connection.execute_fetchall(
        f"SELECT {RESPONSE_COLUMNS} FROM responses r WHERE {where}", params
    )
    return assemble(rows[0]) if rows else None


async def get_response(db: Database, response_id: int) -> Response | None:
    """A response with its answers, or None."""
    async with db.statement() as connection:
        return await _load(connection, "r.id = ?", (response_id,))


async def open_response(db: Database, member_id: int, survey_id: str) -> Response | None:
    """The member's unfinished response to a survey, if any."""
    async with db.statement() as connection:
        return await _load(
            connection,
            "r.member_id = ? AND r.survey_id = ? AND r.status = 'in_progress'",
            (member_id, survey_id),
        )


async def unfinished_surveys(db: Database, member_id: int) -> list[str]:
    """Ids of the surveys the member has started and not finished, most recent first."""
    async with db.statement() as connection:
        rows = await connection.execute_fetchall(
            "SELECT survey_id FROM responses WHERE member_id = ? AND status = 'in_progress'"
            " ORDER BY updated_at DESC, id DESC",
            (member_id,),
        )
    return [survey_id for (survey_id,) in rows]


async def has_completed(db: Database, member_id: int, survey_id: str) -> bool:
    """Whether the member has completed this survey at least once."""
    async with db.statement() as connection:
        rows = await connection.execute_fetchall(
            "SELECT 1 FROM responses WHERE member_id = ? AND survey_id = ?"
            " AND status = 'completed' LIMIT 1",
            (member_id, survey_id),
        )
    return bool(rows)


async def start_response(
    db: Database,
    member_id: int,
    survey_id: str,
    version_id: int,
    first_question: str,
    now: dt.datetime,
    *,
    message_id: int | None = None,
    query_id: str | None = None,
) -> Response | None:
    """Start a response at its first question and make it the member's active survey.

    The update that asks is a message (`message_id`) or a button tap (`query_id`); if it was
    handled before (Telegram redelivering it), nothing changes and the result is None. If the
    member already has this survey open, that response is returned: there is at most one open
    response per member and survey.
    """
    async with db.transaction_unless_stale() as connection:
        await messages.claim(connection, member_id, message_id)
        cursor = await connection.execute(
            "INSERT INTO responses (member_id, survey_id, survey_version_id, status,"
            " current_question, started_at, updated_at, opened_by_query)"
            " VALUES (?, ?, ?, 'in_progress', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                member_id,
                survey_id,
                version_id,
                first_question,
                now.isoformat(),
                now.isoformat(),
                query_id,
            ),
        )
        if cursor.rowcount == 0 and query_id is not None:
            rows = await connection.execute_fetchall(
                "SELECT 1 FROM responses WHERE opened_by_query = ?", (query_id,)
            )
            if rows:
                raise Stale  # this very tap started a response before
        response = await _load(
            connection,
            "r.member_id = ? AND r.survey_id = ? AND r.status = 'in_progress'",
            (member_id, survey_id),
        )
        await _make_active(connection, member_id, response.id)
        return response
    return None


async def record_answer(
    db: Database,
    response: Response,
    value: AnswerValue,
    *,
    next_question: str | None,
    dropped: Sequence[str] = (),
    now: dt.datetime,
    message_id: int | None = None,
) -> Response | None:
    """Store the answer to the response's current question and move to `next_question`.

    `next_question` None completes the response; `dropped` are answers the new one hides.
    Returns the response as it is now, or None, changing nothing, when the response is no
    longer at that question or when `message_id` (a typed answer) is not newer than the
    member's last handled message: both mean a stale or redelivered update.
    One statement (see the `accept_answer` trigger), so one round trip and one commit.
    """
    question_id = response.current_question
    try:
        async with db.statement() as connection:
            await connection.execute(
                "INSERT INTO answer_submissions (response_id, question_id, value, next_question,"
                " dropped, message_id, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    response.id,
                    question_id,
                    _encode(value),
                    next_question,
                    json.dumps(list(dropped)),
                    message_id,
                    now.isoformat(),
                ),
            )
    except sqlite3.IntegrityError as error:
        if str(error) != "stale":
            raise
        return None
    answers = {k: v for k, v in response.answers.items() if k not in dropped}
    answers[question_id] = value
    return replace(response, current_question=next_question, pending_choices=[], answers=answers)


async def move_back(
    db: Database,
    response: Response,
    to_question: str,
    *,
    pending_choices: Sequence[str] = (),
    now: dt.datetime,
    message_id: int | None = None,
) -> bool:
    """Return the response from its current question to the earlier `to_question` (Back).

    The earlier answer stays until the member replaces it; `pending_choices` preloads a multi
    question's ticks. Returns False, changing nothing, for a stale or redelivered update.
    """
    async with db.transaction_unless_stale() as connection:
        await messages.claim(connection, response.member_id, message_id)
        cursor = await connection.execute(
            "UPDATE responses SET current_question = ?, pending_choices = ?, updated_at = ?"
            " WHERE id = ? AND status = 'in_progress' AND current_question = ?",
            (
                to_question,
                json.dumps(list(pending_choices)),
                now.isoformat(),
                response.id,
                response.current_question,
            ),
        )
        if cursor.rowcount != 1:
            raise Stale
        return True
    return False


async def set_pending_choices(
    db: Database, response_id: int, question_id: str, choices: Sequence[str], now: dt.datetime
) -> bool:
    """Keep a multi question's ticks until Done; False if the response moved on."""
    async with db.transaction() as connection:
        cursor = await connection.execute(
            "UPDATE responses SET pending_choices = ?, updated_at = ?"
            " WHERE id = ? AND status = 'in_progress' AND current_question = ?",
            (json.dumps(list(choices)), now.isoformat(), response_id, question_id),
        )
        return cursor.rowcount == 1


async def _make_active(connection: aiosqlite.Connection, member_id: int, response_id: int) -> None:
    """The response a member works on is the one their typed answers go to."""
    await connection.execute(
        "UPDATE members SET active_response_id = ? WHERE id = ?", (response_id, member_id)
    )


def _encode(value: AnswerValue) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)
