"""Export: every response of a survey read in id-ordered batches, and the CSV written from them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator

import pytest

from app.export import write_export
from storage.model import CompletedResponse, ExportedResponse
from storage.protocol import Store
from storage.sqlite.store import SQLiteStore, open_store
from surveys.export import header, pseudonym
from surveys.model import Survey
from tests.storage.test_storage import LATER, NOW, TELEGRAM_ID, answer, new_member, version

KEY = b"export-key"
SURVEY = Survey.model_validate(
    {
        "id": "s",
        "title": "T",
        "intro": "I",
        "questions": [
            {"id": "q1", "type": "choice", "text": "Where?", "choices": ["north", "south"]},
            {"id": "q2", "type": "multi", "text": "What?", "choices": ["Housing", "NHS"]},
            {"id": "q3", "type": "text", "text": "Else?", "required": False},
        ],
    }
)


@pytest.fixture
async def db() -> AsyncIterator[SQLiteStore]:
    database = await open_store(":memory:")
    yield database
    await database.close()


def completed(
    member_id: int, version_id: int, answers: dict[str, object], minute: int = 1
) -> CompletedResponse:
    """A completed response for the bulk path, `minute` minutes after NOW."""
    at = NOW + dt.timedelta(minutes=minute)
    return CompletedResponse(member_id, version_id, answers, "", (), NOW, at)


async def exported(db: Store, survey_id: str = "s", batch: int = 2) -> list[ExportedResponse]:
    return [response async for response in db.export.exported_responses(survey_id, batch=batch)]


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 5])
async def test_every_response_comes_once_in_id_order_across_batches(db, count) -> None:
    member = await new_member(db)
    version_id = await version(db, "s")
    other_id = await version(db, "other")
    for n in range(count):
        await db.reports.add_completed("s", [completed(member.id, version_id, {"n": n})])
        # another survey's responses fall between this one's and are left out
        await db.reports.add_completed("other", [completed(member.id, other_id, {"n": -1})])

    found = await exported(db, batch=2)

    assert [response.answers for response in found] == [{"n": n} for n in range(count)]
    assert {(r.member_id, r.version_id, r.status) for r in found} <= {
        (member.id, version_id, "completed")
    }


async def test_a_completed_response_keeps_its_stored_timestamps(db) -> None:
    member = await new_member(db)
    version_id = await version(db, "s")
    await db.reports.add_completed(
        "s", [completed(member.id, version_id, {"q1": "north"}, minute=5)]
    )

    (found,) = await exported(db)

    assert found.started_at == NOW.isoformat()
    assert found.completed_at == (NOW + dt.timedelta(minutes=5)).isoformat()


async def test_in_progress_responses_are_included_with_skipped_answers_as_none(store) -> None:
    member = await new_member(store)
    version_id = await version(store, "s")
    started = await store.responses.start_response(member.id, "s", version_id, "q1", NOW)
    await answer(store, started.id, "q1", None, next_question="q2", now=LATER)
    await answer(store, started.id, "q2", ["NHS"], next_question="q3", now=LATER)

    assert await exported(store) == [
        ExportedResponse(
            member.id,
            version_id,
            "in_progress",
            NOW.isoformat(),
            None,
            True,
            {"q1": None, "q2": ["NHS"]},
        )
    ]


async def test_a_response_without_answers_has_none(store) -> None:
    member = await new_member(store)
    version_id = await version(store, "s")
    await store.responses.start_response(member.id, "s", version_id, "q1", NOW)

    (found,) = await exported(store)

    assert found.answers == {}


# --- the CSV -----------------------------------------------------------------------------------


async def test_write_export_writes_a_header_and_a_row_per_response(db) -> None:
    first = await new_member(db)
    second = await new_member(db, TELEGRAM_ID + 1)
    version_id = await version(db, "s")
    answers = {"q1": "north", "q2": ["Housing"], "q3": "=cmd|' /C calc'!A0"}
    await db.reports.add_completed("s", [completed(first.id, version_id, answers, minute=5)])
    started = await db.responses.start_response(second.id, "s", version_id, "q1", NOW)
    await answer(db, started.id, "q1", "south", next_question="q2", now=LATER)
    stream = io.StringIO()

    written = await write_export(db, SURVEY, KEY, stream)

    assert written == 2
    assert list(csv.reader(io.StringIO(stream.getvalue()))) == [
        header(SURVEY),
        [
            pseudonym(KEY, first.id),
            "completed",
            "1",
            NOW.isoformat(),
            (NOW + dt.timedelta(minutes=5)).isoformat(),
            "north",
            "1",
            "0",
            "'=cmd|' /C calc'!A0",
        ],
        [pseudonym(KEY, second.id), "in_progress", "0", NOW.isoformat(), "", "south", "", "", ""],
    ]
    assert str(TELEGRAM_ID) not in stream.getvalue()


async def test_write_export_of_a_survey_without_responses_is_the_header_alone(store) -> None:
    stream = io.StringIO()

    assert await write_export(store, SURVEY, KEY, stream) == 0
    assert list(csv.reader(io.StringIO(stream.getvalue()))) == [header(SURVEY)]
