"""Reading every response of a survey for export, in batches, so none sit in memory at once.

An export walks the responses in id order, a batch per statement, each batch starting after
the last id of the one before (keyset pagination): a batch costs the same however far in the
export is, and the database lock is never held while the caller writes out a batch.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence

from storage.model import ExportedResponse
from storage.sqlite.db import Part, fetch_all

EXPORT_BATCH = 2000

# The unary plus keeps SQLite off the (survey_id, status) index: with it every batch would
# collect and sort all of the survey's responses; walking the primary key from the last id
# reads each response once over the whole export.
_BATCH_QUERY = """
    SELECT r.id, r.member_id, r.survey_version_id, r.status, r.started_at, r.completed_at,
        r.counted, (SELECT json_group_object(a.question_id, json(a.value)) FROM answers a
         WHERE a.response_id = r.id)
    FROM responses r
    WHERE +r.survey_id = ? AND r.id > ?
    ORDER BY r.id
    LIMIT ?
"""


def _exported(row: Sequence) -> ExportedResponse:
    """A response from a row of the batch query (its id dropped: it is only the cursor)."""
    _, member_id, version_id, status, started_at, completed_at, counted, answers = row
    return ExportedResponse(
        member_id, version_id, status, started_at, completed_at, bool(counted), json.loads(answers)
    )


class SQLiteExport(Part):
    """Every response of a survey, read in batches for the CSV export."""

    async def exported_responses(
        self, survey_id: str, batch: int = EXPORT_BATCH
    ) -> AsyncIterator[ExportedResponse]:
        """Every response to `survey_id`, in progress or completed, in id order, read `batch`
        at a time."""
        last_id = 0
        while True:
            async with self._db.statement() as connection:
                rows = await fetch_all(connection, _BATCH_QUERY, (survey_id, last_id, batch))
            for row in rows:
                yield _exported(row)
            if len(rows) < batch:
                return  # a short batch is the last one: no need to ask again
            last_id = rows[-1][0]
