"""Storage: migrations, consent, survey versions, and conditional (idempotent) response changes."""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
import stat
import threading
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import aiosqlite
import pytest

from storage.errors import Busy, StorageError, UnusableDatabase
from storage.model import (
    AnswerValue,
    ConsentRecord,
    HeldData,
    HeldResponse,
    Member,
    Response,
    Standing,
)
from storage.protocol import Store
from storage.sqlite.db import migrations
from storage.sqlite.store import SQLiteStore, open_store

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=5)
TELEGRAM_ID = 424242
NOTICE = "notice-v1"


async def scalar(db: SQLiteStore, sql: str, params: tuple = ()) -> object:
    async with db.statement() as connection:
        cursor = await connection.execute(sql, params)
        row = await cursor.fetchone()
    return None if row is None else row[0]


async def rows(db: SQLiteStore, sql: str, params: tuple = ()) -> list[tuple]:
    async with db.statement() as connection:
        cursor = await connection.execute(sql, params)
        return [tuple(row) for row in await cursor.fetchall()]


async def answers_table(db: SQLiteStore, response_id: int) -> list[tuple]:
    return await rows(
        db,
        "SELECT question_id, value, answered_at FROM answers WHERE response_id = ?"
        " ORDER BY question_id",
        (response_id,),
    )


async def answer(
    db: Store, response_id: int, question_id: str, value: AnswerValue, **kwargs
) -> Response | None:
    """`record_answer` from an update that saw the response at `question_id` (maybe stale)."""
    seen = await db.responses.get_response(response_id)
    assert seen is not None
    return await db.responses.record_answer(
        replace(seen, current_question=question_id), value, **kwargs
    )


_taps = itertools.count(1)


async def decide(
    db: Store, telegram_id: int, agreed: bool, notice: str, when, tap: str | None = None
) -> Member:
    """A decision made by a button tap (a new tap unless `tap` names one)."""
    tap = tap or f"tap-{next(_taps)}"
    return await db.members.record_consent(
        telegram_id, agreed, notice, when, query_id=tap, notice_message_id=0
    )


async def back(db: Store, response_id: int, from_question: str, to_question: str, **kwargs):
    """move_back as a handler calls it: with the response as it was read."""
    seen = await db.responses.get_response(response_id)
    assert seen is not None
    return await db.responses.move_back(
        replace(seen, current_question=from_question), to_question, **kwargs
    )


async def tick(db: Store, response_id: int, question_id: str, choices, when) -> bool:
    """set_pending_choices as a handler calls it: at the step its keyboard was drawn."""
    seen = await db.responses.get_response(response_id)
    assert seen is not None
    shown = replace(seen, current_question=question_id)
    return await db.responses.set_pending_choices(shown, seen.step, choices, when)


async def new_member(db: Store, telegram_id: int = TELEGRAM_ID) -> Member:
    return await decide(db, telegram_id, True, NOTICE, NOW)


async def version(db: Store, survey_id: str = "s") -> int:
    return await db.versions.register_version(survey_id, f"hash-{survey_id}", "{}", NOW)


async def started(db: Store, survey_id: str = "s", telegram_id: int = TELEGRAM_ID) -> Response:
    """A member who agreed, at question q1 of a new response to `survey_id`."""
    member = await new_member(db, telegram_id)
    version_id = await version(db, survey_id)
    return await db.responses.start_response(member.id, survey_id, version_id, "q1", NOW)


async def visible(
    store: Store, response_id: int, telegram_id: int = TELEGRAM_ID
) -> tuple[Response | None, Member | None, HeldData | None]:
    """All the protocol shows of a response and its member: what a stale write must not change
    (answers and when each was given, where the response stands, its ticks and times, the
    member's active response and last handled message, their consents)."""
    return (
        await store.responses.get_response(response_id),
        await store.members.find_member(telegram_id),
        await store.privacy.held_data(telegram_id),
    )


async def held_response(store: Store, telegram_id: int = TELEGRAM_ID) -> HeldResponse:
    """The member's only response, as `held_data` shows it (with its times)."""
    held = await store.privacy.held_data(telegram_id)
    assert held is not None
    (response,) = held.responses
    return response


async def answering(store: Store, telegram_id: int = TELEGRAM_ID) -> tuple[int | None, int]:
    """The member's active response and the newest message of theirs handled."""
    member = await store.members.find_member(telegram_id)
    assert member is not None
    return member.active_response_id, member.last_message_id


# --- the database file ------------------------------------------------------------------------


async def test_migrations_set_user_version_to_the_number_of_migration_files(db):
    folder = Path(__file__).parents[2] / "storage" / "sqlite" / "migrations"
    migration_files = list(folder.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    assert len(migration_files) == len(migrations()) >= 1
    assert await scalar(db, "PRAGMA user_version") == len(migration_files)
    tables = {name for (name,) in await rows(db, "SELECT name FROM sqlite_master")}
    assert {"members", "consents", "survey_versions", "responses", "answers"} <= tables


async def test_reopening_keeps_data_and_applies_no_migration_again(db, open_db, db_path):
    member = await new_member(db)
    await db.close()
    reopened = await open_db(db_path)  # would fail on CREATE TABLE if migrated twice
    assert await scalar(reopened, "PRAGMA user_version") == len(migrations())
    assert await reopened.members.find_member(TELEGRAM_ID) == member


async def test_journal_mode_is_wal_and_foreign_keys_are_on(db):
    assert await scalar(db, "PRAGMA journal_mode") == "wal"
    assert await scalar(db, "PRAGMA foreign_keys") == 1


async def test_foreign_keys_are_enforced(db):
    with pytest.raises(StorageError, match="FOREIGN KEY"):
        async with db.transaction() as connection:
            await connection.execute(
                "INSERT INTO consents (member_id, agreed, notice_version, decided_at)"
                " VALUES (999, 1, 'v', 'now')"
            )


async def test_new_database_file_is_readable_by_its_owner_only(db, db_path):
    await new_member(db)  # a write, so the WAL file exists too
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    wal = db_path.with_name(db_path.name + "-wal")
    assert stat.S_IMODE(wal.stat().st_mode) == 0o600


async def test_database_in_a_missing_folder_is_created(open_db, tmp_path):
    path = tmp_path / "nested" / "folder" / "t.db"
    await open_db(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_a_failing_migration_leaves_no_connection_open(tmp_path, monkeypatch):
    path = tmp_path / "conflict.db"
    with closing(sqlite3.connect(path)) as plain:
        plain.execute("CREATE TABLE members (x)")  # clashes with migration 0001
        plain.commit()
    opened: list[aiosqlite.Connection] = []
    real_connect = aiosqlite.connect

    def recording_connect(*args, **kwargs):
        opened.append(real_connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(aiosqlite, "connect", recording_connect)
    threads_before = set(threading.enumerate())
    try:
        with pytest.raises(StorageError, match="already exists"):
            await open_store(path)
        started = [t for t in threading.enumerate() if t not in threads_before]
        for thread in started:  # a closed connection's worker ends on its own, soon
            thread.join(timeout=5)
        assert [t for t in started if t.is_alive()] == []
    finally:
        for connection in opened:  # so that this test never hangs the test run
            await connection.close()


async def test_an_existing_database_only_is_opened_without_create(db, db_path, tmp_path):
    await new_member(db)
    await db.close()
    reopened = await open_store(db_path, create=False)
    assert await reopened.members.find_member(TELEGRAM_ID) is not None
    await reopened.close()

    missing = tmp_path / "elsewhere" / "doorstep.db"
    with pytest.raises(UnusableDatabase, match="no database at"):
        await open_store(missing, create=False)
    assert not missing.parent.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "is a folder"), (b"plain text", "file is not a database"), (b"", "never ran")],
    ids=["folder", "not SQLite", "empty"],
)
async def test_a_path_that_is_not_the_bots_database_is_unusable(tmp_path, content, reason):
    path = tmp_path / "doorstep.db"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(UnusableDatabase, match=reason):
        await open_store(path, create=False)
    assert sorted(tmp_path.iterdir()) == [path]  # no -wal, no -shm


async def test_a_database_cannot_be_made_under_a_file(tmp_path):
    (tmp_path / "a-file").touch()
    with pytest.raises(UnusableDatabase, match="is not writable"):
        await open_store(tmp_path / "a-file" / "doorstep.db")


# --- members and consent ----------------------------------------------------------------------


async def test_find_member_is_none_before_any_decision(store: Store):
    assert await store.members.find_member(TELEGRAM_ID) is None
    assert await store.privacy.held_data(TELEGRAM_ID) is None
    assert not await store.privacy.anything_held(TELEGRAM_ID)


async def test_record_consent_creates_the_member_once(store: Store):
    first = await decide(store, TELEGRAM_ID, True, NOTICE, NOW)
    again = await decide(store, TELEGRAM_ID, False, NOTICE, LATER)
    assert first.id == again.id
    assert first == Member(first.id, True, None, 0)
    assert await store.members.find_member(TELEGRAM_ID) == again
    held = await store.privacy.held_data(TELEGRAM_ID)
    assert held.member_id == first.id
    assert held.created_at == NOW.isoformat()  # not created again by the second decision
    assert [consent.agreed for consent in held.consents] == [True, False]


async def test_a_refusal_by_someone_not_yet_a_member_creates_nothing(store: Store):
    assert await decide(store, TELEGRAM_ID, False, NOTICE, NOW) is None
    assert await store.members.find_member(TELEGRAM_ID) is None
    assert await store.members.latest_consent(TELEGRAM_ID) is None
    assert await store.privacy.held_data(TELEGRAM_ID) is None
    assert not await store.privacy.anything_held(TELEGRAM_ID)


async def test_a_redelivered_tap_adds_no_consent_row(store: Store):
    for _ in range(3):
        await decide(store, TELEGRAM_ID, True, NOTICE, NOW, tap="the-same-tap")
    held = await store.privacy.held_data(TELEGRAM_ID)
    assert held.consents == [ConsentRecord(True, NOTICE, NOW.isoformat())]


async def test_every_decision_tap_is_kept_in_order(store: Store):
    await decide(store, TELEGRAM_ID, True, NOTICE, NOW)
    changed = await decide(store, TELEGRAM_ID, False, NOTICE, LATER)
    assert changed.agreed is False
    again = await decide(store, TELEGRAM_ID, True, "notice-v2", LATER)
    assert again.agreed is True
    history = (await store.privacy.held_data(TELEGRAM_ID)).consents
    assert history == [
        ConsentRecord(True, NOTICE, NOW.isoformat()),
        ConsentRecord(False, NOTICE, LATER.isoformat()),
        ConsentRecord(True, "notice-v2", LATER.isoformat()),
    ]
    assert await store.members.latest_consent(TELEGRAM_ID) == history[-1]


async def test_consent_of_one_member_does_not_touch_another(store):
    await decide(store, 1, True, NOTICE, NOW)
    await decide(store, 2, True, NOTICE, NOW)
    await decide(store, 2, False, NOTICE, LATER)
    assert (await store.members.find_member(1)).agreed is True
    assert (await store.members.find_member(2)).agreed is False


# --- survey versions --------------------------------------------------------------------------


async def test_register_version_returns_the_same_id_for_the_same_hash(store: Store):
    first = await store.versions.register_version("s", "hash1", "{}", NOW)
    again = await store.versions.register_version("s", "hash1", '{"ignored": true}', LATER)
    assert first == again
    assert await store.versions.version_definition(first) == "{}"
    assert await store.versions.version_ids() == [first]


async def test_register_version_returns_a_new_id_for_a_new_hash(store):
    first = await store.versions.register_version("s", "hash1", "{}", NOW)
    second = await store.versions.register_version("s", "hash2", "[]", LATER)
    other_survey = await store.versions.register_version("t", "hash1", "{}", LATER)
    assert len({first, second, other_survey}) == 3
    assert await store.versions.version_definition(second) == "[]"


async def test_version_definition_is_none_for_an_unknown_version(store):
    assert await store.versions.version_definition(12345) is None


async def test_the_newest_version_of_a_survey_is_the_last_stored(store):
    assert await store.versions.newest_version_id("s") is None
    await store.versions.register_version("s", "hash1", "{}", NOW)
    second = await store.versions.register_version("s", "hash2", "[]", LATER)
    await store.versions.register_version("t", "hash3", "{}", LATER)
    await store.versions.register_version(
        "s", "hash1", "{}", LATER
    )  # the first content again: no new version
    assert await store.versions.newest_version_id("s") == second


# --- starting a response ----------------------------------------------------------------------


async def test_start_response_begins_at_the_first_question_and_activates_it(store):
    response = await started(store)
    assert response.current_question == "q1"
    assert response.answers == {}
    assert response.pending_choices == []
    assert not response.completed
    member = await store.members.find_member(TELEGRAM_ID)
    assert member.active_response_id == response.id
    assert await store.responses.get_response(response.id) == response


async def test_start_response_twice_returns_the_same_open_response(store: Store):
    response = await started(store)
    await answer(store, response.id, "q1", "a", next_question="q2", now=NOW)
    again = await store.responses.start_response(
        response.member_id, "s", response.version_id, "q1", LATER
    )
    assert again.id == response.id
    assert again.current_question == "q2"  # not restarted
    assert again.answers == {"q1": "a"}
    assert len((await store.privacy.held_data(TELEGRAM_ID)).responses) == 1
    assert len([e async for e in store.export.exported_responses("s")]) == 1


async def test_start_response_after_completion_starts_a_new_one(store):
    response = await started(store)
    await answer(store, response.id, "q1", "a", next_question=None, now=NOW)
    again = await store.responses.start_response(
        response.member_id, "s", response.version_id, "q1", LATER
    )
    assert again.id != response.id
    assert again.current_question == "q1"


async def test_a_standing_holds_the_unfinished_response_and_any_earlier_completion(store):
    response = await started(store)
    await answer(store, response.id, "q1", "a", next_question="q2", now=NOW)
    unfinished = await store.responses.get_response(response.id)

    standing = await store.members.find_standing(TELEGRAM_ID, "s")
    assert standing == Standing(
        await store.members.find_member(TELEGRAM_ID), "s", unfinished, completed=False
    )
    other = await store.members.find_standing(TELEGRAM_ID, "other")
    assert (other.unfinished, other.completed) == (None, False)

    await answer(store, response.id, "q2", "b", next_question=None, now=NOW)
    done = await store.members.find_standing(TELEGRAM_ID, "s")
    assert (done.unfinished, done.completed) == (None, True)
    again = await store.responses.start_response(response.member_id, "s", 1, "q1", LATER)
    assert (await store.members.find_standing(TELEGRAM_ID, "s")).unfinished == again
    assert await store.members.find_standing(TELEGRAM_ID + 1, "s") is None


async def test_opening_the_open_survey_again_makes_it_active_with_its_answers(store):
    response = await started(store)
    await answer(store, response.id, "q1", "a", next_question="q2", now=NOW)
    await store.members.set_active_response(response.member_id, None, NOW)  # /cancel

    resumed = await store.responses.start_response(
        response.member_id, "s", response.version_id, "q1", LATER, message_id=3
    )

    assert resumed == await store.responses.get_response(response.id)
    assert resumed.answers == {"q1": "a"}
    member = await store.members.find_member(TELEGRAM_ID)
    assert (member.active_response_id, member.last_message_id) == (response.id, 3)


async def test_a_survey_opened_by_a_message_is_not_opened_again_by_it_or_an_older_one(store):
    member = await new_member(store)
    version_id = await version(store)
    first = await store.responses.start_response(
        member.id, "s", version_id, "q1", NOW, message_id=5
    )
    await answer(store, first.id, "q1", "a", next_question=None, now=NOW)

    for message_id in (5, 4):
        assert (
            await store.responses.start_response(
                member.id, "s", version_id, "q1", LATER, message_id=message_id
            )
            is None
        )
    assert await store.responses.unfinished_surveys(member.id) == []
    assert (await store.members.find_member(TELEGRAM_ID)).last_message_id == 5


async def test_get_response_is_none_for_an_unknown_id(store):
    assert await store.responses.get_response(999) is None


# --- answering --------------------------------------------------------------------------------


async def test_record_answer_stores_the_value_and_moves_on(store: Store):
    response = await started(store)
    assert await answer(store, response.id, "q1", ["x", "ü"], next_question="q2", now=LATER)
    stored = await store.responses.get_response(response.id)
    assert stored.current_question == "q2"
    assert stored.answers == {"q1": ["x", "ü"]}
    held = await held_response(store)
    assert held.answers == {"q1": ["x", "ü"]}
    assert held.answered_at == {"q1": LATER.isoformat()}


async def test_answers_are_stored_as_json_text_as_given(db):
    """SQLite's own encoding of a value: JSON, non-ASCII characters as they are."""
    response = await started(db)
    assert await answer(db, response.id, "q1", ["x", "ü"], next_question="q2", now=LATER)
    assert await answers_table(db, response.id) == [("q1", '["x", "ü"]', LATER.isoformat())]


async def test_record_answer_returns_the_response_as_stored(store):
    response = await started(store)
    await tick(store, response.id, "q1", ["a"], NOW)
    first = await answer(store, response.id, "q1", ["a"], next_question="q2", now=NOW)
    assert first == await store.responses.get_response(response.id)
    last = await answer(store, response.id, "q2", 4, next_question=None, now=LATER)
    assert last == await store.responses.get_response(response.id)
    assert last.completed
    assert last.answers == {"q1": ["a"], "q2": 4}


@pytest.mark.parametrize("value", ["text", 3, 2.5, ["a", "b"], [], None])
async def test_every_kind_of_answer_value_round_trips(store, value):
    response = await started(store)
    await answer(store, response.id, "q1", value, next_question="q2", now=NOW)
    stored = await store.responses.get_response(response.id)
    assert stored.answers == {"q1": value}
    assert type(stored.answers["q1"]) is type(value)


async def test_a_second_answer_to_the_same_question_returns_false_and_changes_nothing(
    store: Store,
):
    response = await started(store)
    assert await answer(store, response.id, "q1", "a", next_question="q2", now=NOW)
    before = await visible(store, response.id)

    assert not await answer(store, response.id, "q1", "b", next_question="q3", now=LATER)
    assert await visible(store, response.id) == before


async def test_an_answer_to_a_question_the_response_is_not_at_returns_false(store: Store):
    response = await started(store)
    before = await visible(store, response.id)
    assert not await answer(store, response.id, "q5", "x", next_question="q6", now=NOW)
    assert await visible(store, response.id) == before
    held = await held_response(store)
    assert (held.answers, held.answered_at) == ({}, {})
    assert (await store.responses.get_response(response.id)).current_question == "q1"


async def test_a_typed_answer_claims_its_message_id(store: Store):
    response = await started(store)
    assert await answer(store, response.id, "q1", "a", next_question="q2", now=NOW, message_id=10)
    assert await answering(store) == (response.id, 10)


@pytest.mark.parametrize("message_id", [10, 9, 0])
async def test_a_message_not_newer_than_the_last_handled_one_returns_false_and_changes_nothing(
    store: Store, message_id
):
    response = await started(store)
    await answer(store, response.id, "q1", "a", next_question="q2", now=NOW, message_id=10)
    before = await visible(store, response.id)

    # The response *is* at q2, so only the message id makes this stale.
    assert not await answer(
        store, response.id, "q2", "b", next_question="q3", now=LATER, message_id=message_id
    )
    assert await visible(store, response.id) == before
    assert await answering(store) == (response.id, 10)


async def test_a_newer_message_is_accepted(store: Store):
    response = await started(store)
    await answer(store, response.id, "q1", "a", next_question="q2", now=NOW, message_id=10)
    assert await answer(store, response.id, "q2", "b", next_question="q3", now=LATER, message_id=11)
    assert await answering(store) == (response.id, 11)


async def test_a_stale_answer_does_not_claim_its_message_id(store: Store):
    response = await started(store)
    before = await visible(store, response.id)
    assert not await answer(
        store, response.id, "wrong", "a", next_question="q2", now=NOW, message_id=10
    )
    assert await visible(store, response.id) == before
    assert await answering(store) == (response.id, 0)
    # The same message can still answer the question the response is really at.
    assert await answer(store, response.id, "q1", "a", next_question="q2", now=NOW, message_id=10)


async def test_answering_the_last_question_completes_and_deactivates_the_response(store: Store):
    response = await started(store)
    assert await answer(store, response.id, "q1", "a", next_question=None, now=LATER)
    stored = await store.responses.get_response(response.id)
    assert stored.completed
    assert (stored.current_question, stored.pending_choices) == (None, [])
    held = await held_response(store)
    assert held.completed
    assert (held.current_question, held.ticked) == (None, [])
    assert (held.updated_at, held.completed_at) == (LATER.isoformat(), LATER.isoformat())
    assert (await store.members.find_member(TELEGRAM_ID)).active_response_id is None
    assert (await store.privacy.held_data(TELEGRAM_ID)).answering is None
    before = await visible(store, response.id)
    assert not await answer(store, response.id, "q1", "b", next_question=None, now=LATER)
    assert await visible(store, response.id) == before


async def test_completing_a_response_keeps_another_active_response(store):
    first = await started(store, "s")
    second_version = await version(store, "t")
    second = await store.responses.start_response(first.member_id, "t", second_version, "q1", NOW)
    # The member is now on `second`; an old tap completes `first`.
    await answer(store, first.id, "q1", "a", next_question=None, now=LATER)
    assert (await store.members.find_member(TELEGRAM_ID)).active_response_id == second.id


async def test_answering_makes_that_response_the_active_one(store):
    first = await started(store, "s")
    second_version = await version(store, "t")
    await store.responses.start_response(first.member_id, "t", second_version, "q1", NOW)
    await answer(store, first.id, "q1", "a", next_question="q2", now=LATER)
    assert (await store.members.find_member(TELEGRAM_ID)).active_response_id == first.id


async def test_dropped_answers_are_removed(store: Store):
    response = await started(store)
    await answer(store, response.id, "q1", "yes", next_question="q2", now=NOW)
    await answer(store, response.id, "q2", "x", next_question="q3", now=NOW)
    await answer(store, response.id, "q3", "y", next_question="q4", now=NOW)
    await back(store, response.id, "q4", "q1", now=NOW)
    returned = await answer(
        store, response.id, "q1", "no", next_question="q4", dropped=["q2", "q3"], now=LATER
    )
    stored = await store.responses.get_response(response.id)
    assert stored.answers == {"q1": "no"}
    assert returned == stored
    held = await held_response(store)
    assert held.answers == {"q1": "no"}
    assert held.answered_at == {"q1": LATER.isoformat()}
    (exported,) = [e async for e in store.export.exported_responses("s")]
    assert exported.answers == {"q1": "no"}


async def test_answers_of_other_responses_are_not_dropped(store):
    first = await started(store, "s")
    second = await started(store, "s", telegram_id=TELEGRAM_ID + 1)
    await answer(store, second.id, "q1", "keep", next_question="q2", now=NOW)
    await answer(store, first.id, "q1", "a", next_question="q2", dropped=["q1"], now=NOW)
    assert (await store.responses.get_response(second.id)).answers == {"q1": "keep"}


async def test_recording_an_answer_clears_pending_choices(store):
    response = await started(store)
    await tick(store, response.id, "q1", ["a", "b"], NOW)
    await answer(store, response.id, "q1", ["a", "b"], next_question="q2", now=NOW)
    assert (await store.responses.get_response(response.id)).pending_choices == []


# --- going back -------------------------------------------------------------------------------


async def test_move_back_returns_to_the_earlier_question_keeping_its_answer(store):
    response = await started(store)
    await answer(store, response.id, "q1", ["a"], next_question="q2", now=NOW)
    assert await back(store, response.id, "q2", "q1", pending_choices=["a"], now=LATER)
    stored = await store.responses.get_response(response.id)
    assert stored.current_question == "q1"
    assert stored.pending_choices == ["a"]
    assert stored.answers == {"q1": ["a"]}


async def test_move_back_from_a_question_the_response_is_not_at_returns_false(store: Store):
    response = await started(store)
    await answer(store, response.id, "q1", "a", next_question="q2", now=NOW)
    assert await back(store, response.id, "q2", "q1", now=NOW)
    before = await visible(store, response.id)
    # The redelivered Back tap: the response is no longer at q2.
    assert not await back(store, response.id, "q2", "q1", now=LATER)
    assert await visible(store, response.id) == before


async def test_move_back_with_a_stale_message_id_returns_false_and_changes_nothing(store: Store):
    response = await started(store)
    await answer(store, response.id, "q1", "a", next_question="q2", now=NOW, message_id=7)
    before = await visible(store, response.id)
    assert not await back(store, response.id, "q2", "q1", now=LATER, message_id=7)
    assert await visible(store, response.id) == before
    assert await back(store, response.id, "q2", "q1", now=LATER, message_id=8)
    assert await answering(store) == (response.id, 8)


async def test_move_back_on_a_completed_response_returns_false(store):
    response = await started(store)
    await answer(store, response.id, "q1", "a", next_question=None, now=NOW)
    assert not await back(store, response.id, "q1", "q1", now=LATER)
    assert (await store.responses.get_response(response.id)).completed


# --- pending choices --------------------------------------------------------------------------


async def test_set_pending_choices_at_the_current_question(store):
    response = await started(store)
    assert await tick(store, response.id, "q1", ["b", "a"], LATER)
    assert (await store.responses.get_response(response.id)).pending_choices == ["b", "a"]


async def test_set_pending_choices_at_another_question_returns_false_and_changes_nothing(store):
    response = await started(store)
    await tick(store, response.id, "q1", ["a"], NOW)
    assert not await tick(store, response.id, "q2", ["b"], LATER)
    assert (await store.responses.get_response(response.id)).pending_choices == ["a"]


async def test_set_pending_choices_on_a_completed_response_returns_false(store):
    response = await started(store)
    await answer(store, response.id, "q1", "a", next_question=None, now=NOW)
    assert not await tick(store, response.id, "q1", ["a"], LATER)


# --- listings ---------------------------------------------------------------------------------


async def test_unfinished_surveys_lists_started_ones_most_recent_first(store):
    member = await new_member(store)
    ids = {}
    for survey_id in ("s", "t", "u"):
        version_id = await version(store, survey_id)
        ids[survey_id] = (
            await store.responses.start_response(member.id, survey_id, version_id, "q1", NOW)
        ).id
    await answer(store, ids["s"], "q1", "a", next_question="q2", now=LATER)
    await answer(store, ids["u"], "q1", "a", next_question=None, now=LATER)
    assert await store.responses.unfinished_surveys(member.id) == ["s", "t"]


async def test_unfinished_surveys_breaks_time_ties_by_newest_response(store):
    member = await new_member(store)
    for survey_id in ("s", "t"):
        version_id = await version(store, survey_id)
        await store.responses.start_response(member.id, survey_id, version_id, "q1", NOW)
    assert await store.responses.unfinished_surveys(member.id) == ["t", "s"]


async def test_unfinished_surveys_are_per_member(store):
    await started(store, "s", telegram_id=1)
    other = await new_member(store, telegram_id=2)
    assert await store.responses.unfinished_surveys(other.id) == []


async def test_a_survey_is_completed_only_after_the_last_answer(store):
    response = await started(store)
    assert "s" not in await store.responses.completed_surveys(response.member_id)
    await answer(store, response.id, "q1", "a", next_question="q2", now=NOW)
    assert "s" not in await store.responses.completed_surveys(response.member_id)
    await answer(store, response.id, "q2", "b", next_question=None, now=NOW)
    assert "s" in await store.responses.completed_surveys(response.member_id)
    assert "other" not in await store.responses.completed_surveys(response.member_id)


async def test_a_survey_stays_completed_while_a_repeat_is_in_progress(store):
    response = await started(store)
    await answer(store, response.id, "q1", "a", next_question=None, now=NOW)
    await store.responses.start_response(response.member_id, "s", response.version_id, "q1", LATER)
    assert "s" in await store.responses.completed_surveys(response.member_id)
    assert await store.responses.unfinished_surveys(response.member_id) == ["s"]


# --- failures and repeats ---------------------------------------------------------------------


async def test_a_database_another_process_holds_is_busy_not_a_driver_error(db, db_path):
    """The driver's "database is locked" reaches callers as the domain's Busy."""
    with closing(sqlite3.connect(db_path, isolation_level=None, timeout=0)) as other:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock
        async with db.statement() as connection:
            await connection.execute("PRAGMA busy_timeout = 0")
        with pytest.raises(Busy):
            async with db.transaction():
                pass
        other.execute("ROLLBACK")


async def test_a_failed_commit_leaves_no_transaction_open_on_the_shared_connection(db):
    connection = db._connection
    real_commit = connection.commit

    async def busy_once() -> None:
        connection.commit = real_commit
        raise sqlite3.OperationalError("database is locked")

    connection.commit = busy_once
    with pytest.raises(StorageError):
        async with db.transaction() as open_transaction:
            await open_transaction.execute(
                "INSERT INTO members (telegram_id, created_at) VALUES (1, 'x')"
            )

    assert not connection.in_transaction
    assert await scalar(db, "SELECT COUNT(*) FROM members") == 0


async def test_a_consent_tap_is_recorded_once_and_raises_the_message_mark(store: Store):
    first = await store.members.record_consent(
        TELEGRAM_ID, True, NOTICE, NOW, query_id="tap-1", notice_message_id=9
    )
    again = await store.members.record_consent(
        TELEGRAM_ID, True, NOTICE, LATER, query_id="tap-1", notice_message_id=9
    )

    assert first is not None
    assert first.last_message_id == 9
    assert again is None
    held = await store.privacy.held_data(TELEGRAM_ID)
    assert held.consents == [ConsentRecord(True, NOTICE, NOW.isoformat())]
    assert held.last_message_id == 9


async def test_a_survey_opened_by_a_tap_is_not_opened_again_by_the_same_tap(store: Store):
    member = await new_member(store)
    version_id = await version(store)
    first = await store.responses.start_response(
        member.id, "s", version_id, "q1", NOW, query_id="t"
    )
    await answer(store, first.id, "q1", "a", next_question=None, now=NOW)

    again = await store.responses.start_response(
        member.id, "s", version_id, "q1", NOW, query_id="t"
    )

    assert again is None
    assert len((await store.privacy.held_data(TELEGRAM_ID)).responses) == 1
    assert len([e async for e in store.export.exported_responses("s")]) == 1
    assert await store.responses.unfinished_surveys(member.id) == []


async def test_a_button_drawn_before_the_last_move_is_stale(store):
    response = await started(store)
    drawn_at = response.step
    await answer(store, response.id, "q1", "a", next_question="q2", now=NOW)
    await back(store, response.id, "q2", "q1", now=NOW)  # back on q1, one step later

    fresh = await store.responses.get_response(response.id)
    assert fresh.step == drawn_at + 2
    assert (
        await store.responses.record_answer(
            fresh, "b", next_question="q2", now=LATER, step=drawn_at
        )
        is None
    )
    assert not await store.responses.set_pending_choices(fresh, drawn_at, ["x"], LATER)
    assert (
        await store.responses.record_answer(
            fresh, "b", next_question="q2", now=LATER, step=fresh.step
        )
        is not None
    )
