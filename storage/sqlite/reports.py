"""Running totals for organiser reports: reading them, adding responses in bulk, rebuilding.

A completed response adds one to each of its tallies (keys decided by `surveys.tally`) in the
statement that completes it (see `answer_path.sql`), so a report reads a few thousand
rows whatever the number of responses. The bulk path adds many completed responses at once, for
imports and benchmarks, with the same keys; a rebuild recounts every completed response, for
databases whose responses predate the totals.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass

import aiosqlite

from storage.model import CompletedResponse, Counter_
from storage.sqlite.db import Part, fetch_all
from surveys.summary import Activity

REBUILD_BATCH = 2000


@dataclass(frozen=True)
class RemovedResponse:
    """A response about to be deleted, as its totals need it."""

    survey_id: str
    version_id: int
    answers: Mapping[str, object]
    started_at: str
    completed_at: str | None  # None while in progress: it counts as started only
    counted: bool = True  # False for a completion the member's later one replaced


async def _completed_batches(connection: aiosqlite.Connection) -> AsyncIterator[list[tuple]]:
    last_id = 0
    while True:
        rows = await fetch_all(
            connection,
            "SELECT r.id, r.survey_id, r.survey_version_id, r.completed_at,"
            " (SELECT json_group_object(a.question_id, json(a.value)) FROM answers a"
            "  WHERE a.response_id = r.id AND a.value IS NOT NULL)"
            " FROM responses r WHERE r.status = 'completed' AND r.counted = 1 AND r.id > ?"
            " ORDER BY r.id LIMIT ?",
            (last_id, REBUILD_BATCH),
        )
        if not rows:
            return
        last_id = rows[-1][0]
        yield [row[1:] for row in rows]


async def remove_from_totals(
    connection: aiosqlite.Connection, removed: Sequence[RemovedResponse], count: Counter_
) -> None:
    """Take responses about to be deleted out of every total, as if never given.

    `count(version_id, answers)` gives a completed response's area and tally keys, as it did
    when the response was counted. Totals that reach zero are deleted, as a rebuild would."""
    completed: dict[str, list[CompletedResponse]] = {}
    starts: Counter[tuple] = Counter()
    for response in removed:
        starts[response.survey_id, "", response.started_at[:10]] += 1
        if response.completed_at is not None and response.counted:
            area, keys = count(response.version_id, response.answers)
            stamp = dt.datetime.fromisoformat(response.completed_at)
            completed.setdefault(response.survey_id, []).append(
                CompletedResponse(
                    0, response.version_id, response.answers, area, keys, stamp, stamp
                )
            )
    await connection.executemany(
        "UPDATE survey_days SET started = started - ? WHERE survey_id = ? AND area = ? AND day = ?",
        [(n, *key) for key, n in starts.items()],
    )
    await _add_totals(connection, completed, sign=-1)
    await connection.execute("DELETE FROM tallies WHERE responses <= 0")
    await connection.execute("DELETE FROM survey_days WHERE started <= 0 AND completed <= 0")


async def _add_totals(
    connection: aiosqlite.Connection,
    batches: Mapping[str, Iterable[CompletedResponse]],
    *,
    sign: int = 1,
) -> None:
    """Add completed responses to the tallies and daily counts, aggregated first (sign -1:
    take them out)."""
    tally: Counter[tuple] = Counter()
    days: Counter[tuple] = Counter()
    for survey_id, batch in batches.items():
        for response in batch:
            # the UTC day, as the answer path takes it from the stored timestamp
            days[survey_id, response.area, response.completed_at.isoformat()[:10]] += 1
            tally.update((survey_id, response.area, *key) for key in response.counted)
    await connection.executemany(
        "INSERT INTO tallies (survey_id, area, split_question, split_value, question_id, value,"
        " responses) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO UPDATE SET responses = responses + excluded.responses",
        [(*key, sign * n) for key, n in tally.items()],
    )
    await connection.executemany(
        "INSERT INTO survey_days (survey_id, area, day, completed) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO UPDATE SET completed = completed + excluded.completed",
        [(*key, sign * n) for key, n in days.items()],
    )


class SQLiteReports(Part):
    """The running totals reports read, and rebuilding them."""

    async def activity(self, survey_id: str, recent_since: dt.date) -> Activity:
        """Responses started, and per area the people counted as completed, and of them those who
        completed on or after `recent_since` (UTC days). A response's area is known only once it is
        completed, so starts are counted in all."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "SELECT area, SUM(started), SUM(completed), SUM(completed * (day >= ?))"
                " FROM survey_days WHERE survey_id = ? GROUP BY area",
                (recent_since.isoformat(), survey_id),
            )
        return Activity(
            started=sum(started for _, started, _, _ in rows),
            completed={area: completed for area, _, completed, _ in rows if completed},
            recent={area: recent for area, _, _, recent in rows if recent},
        )

    async def completed_overall(self, survey_id: str) -> int:
        """The people counted as having completed a survey (its milestones count these)."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "SELECT SUM(completed) FROM survey_days WHERE survey_id = ?",
                (survey_id,),
            )
        return rows[0][0] or 0

    async def tallies_by_area(self, survey_id: str) -> dict[tuple[str, str, str], int]:
        """(area, question, value) -> completed responses."""
        return await self._tallies(
            "SELECT area, question_id, value, SUM(responses) FROM tallies"
            " WHERE survey_id = ? AND split_question = '' GROUP BY area, question_id, value",
            (survey_id,),
        )

    async def tallies_by_area_and_answer(
        self, survey_id: str, split_question: str
    ) -> dict[tuple[str, str, str, str], int]:
        """(area, answer to split_question, question, value) -> completed responses."""
        async with self._db.statement() as connection:
            rows = await fetch_all(
                connection,
                "SELECT area, split_value, question_id, value, SUM(responses) FROM tallies"
                " WHERE survey_id = ? AND split_question = ?"
                " GROUP BY area, split_value, question_id, value",
                (survey_id, split_question),
            )
        return {
            (area, split, question, value): count for area, split, question, value, count in rows
        }

    async def _tallies(self, query: str, params: Sequence) -> dict[tuple[str, str, str], int]:
        async with self._db.statement() as connection:
            rows = await fetch_all(connection, query, params)
        return {(row, question, value): count for row, question, value, count in rows}

    async def add_completed(self, survey_id: str, batch: Sequence[CompletedResponse]) -> None:
        """Store completed responses with their answers, and count them, in one transaction.

        Three statements for the whole batch: the responses take the ids after the highest, which
        nothing else can take meanwhile (the transaction holds the write lock)."""
        async with self._db.transaction() as connection:
            ((last_id,),) = await fetch_all(
                connection, "SELECT COALESCE(MAX(id), 0) FROM responses"
            )
            stamps = [
                (response.started_at.isoformat(), response.completed_at.isoformat())
                for response in batch
            ]
            await connection.executemany(
                "INSERT INTO responses (id, member_id, survey_id, survey_version_id, status,"
                " started_at, updated_at, completed_at) VALUES (?, ?, ?, ?, 'completed', ?, ?, ?)",
                [
                    (last_id + n, r.member_id, survey_id, r.version_id, started, done, done)
                    for n, (r, (started, done)) in enumerate(zip(batch, stamps, strict=True), 1)
                ],
            )
            await connection.executemany(
                "INSERT INTO answers (response_id, question_id, value, answered_at)"
                " VALUES (?, ?, ?, ?)",
                [
                    (last_id + n, question, json.dumps(value, ensure_ascii=False), done)
                    for n, (r, (_, done)) in enumerate(zip(batch, stamps, strict=True), 1)
                    for question, value in r.answers.items()
                    if value is not None
                ],
            )
            await _add_totals(connection, {survey_id: batch})

    async def totals_stale(self) -> bool:
        """Whether responses completed before the totals existed still need counting."""
        async with self._db.statement() as connection:
            rows = await fetch_all(connection, "SELECT totals_stale FROM report_state")
        return bool(rows and rows[0][0])

    async def rebuild_totals(self, count: Counter_) -> int:
        """Recount every response into fresh totals (one transaction); returns how many completed.

        `count(version_id, answers)` gives a completed response's area and tally keys.
        """
        async with self._db.transaction() as connection:
            await connection.execute("DELETE FROM tallies")
            await connection.execute("DELETE FROM survey_days")
            await connection.execute(
                "INSERT INTO survey_days (survey_id, area, day, started)"
                " SELECT survey_id, '', substr(started_at, 1, 10), COUNT(*) FROM responses"
                " GROUP BY survey_id, substr(started_at, 1, 10)"
            )
            completed = 0
            async for batch in _completed_batches(connection):
                by_survey: dict[str, list[CompletedResponse]] = {}
                for survey_id, version_id, completed_at, answers in batch:
                    decoded = json.loads(answers)
                    area, keys = count(version_id, decoded)
                    stamp = dt.datetime.fromisoformat(completed_at)
                    by_survey.setdefault(survey_id, []).append(
                        CompletedResponse(0, version_id, decoded, area, keys, stamp, stamp)
                    )
                await _add_totals(connection, by_survey)
                completed += len(batch)
            await connection.execute("UPDATE report_state SET totals_stale = 0")
        return completed
