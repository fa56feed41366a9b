"""Members' data rights in storage: what is held about a member, forgetting them (with the report
totals and the file's bytes), unlinking responses, deleting inactive members, pruning logs, and
migration 0004 (responses whose member may be NULL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services import Catalogue
from storage.model import AnswerValue, Compaction, ConsentRecord, Counter_, Forgotten, HeldResponse
from storage.protocol import Store
from storage.sqlite.db import BUSY_TIMEOUT_MS, migrations
from storage.sqlite.store import SQLiteStore, open_store
from surveys import tally
from surveys.loader import canonical_json
from surveys.model import Survey
from surveys.summary import Activity
from tests.storage.test_storage import NOW, decide, rows, scalar
from tests.support.database_files import reading, stored_bytes, wal_size

SURVEY = Survey.model_validate(
    {
        "id": "s",
        "title": "Your street",
        "intro": "Hello",
        "questions": [
            {
                "id": "area",
                "type": "choice",
                "text": "Where?",
                "breakdown": True,
                "choices": ["north", "south"],
            },
            {"id": "issues", "type": "multi", "text": "Which?", "choices": ["rent", "jobs", "bus"]},
            {
                "id": "member",
                "type": "yesno",
                "text": "Member?",
                "breakdown": True,
                "required": False,
            },
            {
                "id": "why",
                "type": "text",
                "text": "Why?",
                "required": False,
                "themes": {"rent": ["rent"]},
            },
        ],
    }
)
OTHER = Survey.model_validate(
    {
        "id": "t",
        "title": "Quick count",
        "intro": "Hello",
        "questions": [
            {"id": "size", "type": "number", "text": "How many?"},
            {"id": "note", "type": "text", "text": "Anything else?", "required": False},
        ],
    }
)
TEXT_FIRST = Survey.model_validate(
    {
        "id": "u",
        "title": "Words first",
        "intro": "Hello",
        "questions": [
            {"id": "story", "type": "text", "text": "Tell us."},
            {"id": "sure", "type": "yesno", "text": "Sure?"},
        ],
    }
)
SURVEYS = {survey.id: survey for survey in (SURVEY, OTHER, TEXT_FIRST)}
DAY = dt.timedelta(days=1)


@dataclass
class Setup:
    """The surveys registered as the bot registers them, and the bot's own counter."""

    version_ids: dict[str, int]
    count: Counter_


async def register(db: Store) -> Setup:
    catalogue = Catalogue()
    await catalogue.register(db, list(SURVEYS.values()), NOW)
    version_ids = {
        survey_id: version_id for survey_id, (_, version_id) in catalogue.current.items()
    }
    return Setup(version_ids, await catalogue.tally_counter(db))


async def member_id_of(db: Store, telegram_id: int, when: dt.datetime = NOW) -> int:
    member = await db.members.find_member(telegram_id)
    if member is None:
        member = await decide(db, telegram_id, True, "notice-v1", when)
    return member.id


async def respond(
    db: Store,
    setup: Setup,
    telegram_id: int,
    survey: Survey,
    answers: Mapping[str, AnswerValue],
    *,
    complete: bool = True,
    started_at: dt.datetime = NOW,
    answered_at: dt.datetime | None = None,
) -> int:
    """A response through the answer path: `answers` (in survey order, None for a skipped
    question), completed (counted in the totals) or left in progress after them."""
    member_id = await member_id_of(db, telegram_id, started_at)
    questions = [question.id for question in survey.questions]
    response = await db.responses.start_response(
        member_id, survey.id, setup.version_ids[survey.id], questions[0], started_at
    )
    assert response is not None
    given = list(answers)
    assert given == questions[: len(given)]
    assert complete == (len(given) == len(questions))
    for index, question in enumerate(given):
        last = index == len(questions) - 1
        totals = (
            {"area": tally.area_of(survey, answers), "counted": tally.keys(survey, answers)}
            if last
            else {}
        )
        response = await db.responses.record_answer(
            response,
            answers[question],
            next_question=None if last else questions[index + 1],
            now=answered_at or started_at,
            **totals,
        )
        assert response is not None
    return response.id


async def totals(db: SQLiteStore) -> tuple[list[tuple], list[tuple]]:
    return (
        await rows(db, "SELECT * FROM tallies ORDER BY 1, 2, 3, 4, 5, 6"),
        await rows(db, "SELECT * FROM survey_days ORDER BY 1, 2, 3"),
    )


async def rebuilt_totals(db: SQLiteStore, count: Counter_) -> tuple[list[tuple], list[tuple]]:
    await db.reports.rebuild_totals(count)
    return await totals(db)


async def count_rows(db: SQLiteStore, table: str, where: str = "1", params: tuple = ()) -> int:
    return await scalar(db, f"SELECT COUNT(*) FROM {table} WHERE {where}", params)


# What the protocol shows of the report totals: every tally, split by every question, and each
# survey's activity as of each day the tests use (so completions per day too).
REPORT_DAYS = sorted(
    {(NOW + n * DAY).date() for n in range(-1, 11)}
    | {(dt.datetime(2025, 6, 1, tzinfo=dt.UTC) + n * DAY).date() for n in range(-101, 3)}
)


async def reported(store: Store) -> dict[str, tuple]:
    """Every report figure of every survey, read through the protocol."""
    view = {}
    for survey in SURVEYS.values():
        view[survey.id] = (
            await store.reports.tallies_by_area(survey.id),
            [
                await store.reports.tallies_by_area_and_answer(survey.id, question.id)
                for question in survey.questions
            ],
            await store.reports.completed_overall(survey.id),
            [await store.reports.activity(survey.id, day) for day in REPORT_DAYS],
        )
    return view


async def rebuilt(store: Store, count: Counter_) -> dict[str, tuple]:
    await store.reports.rebuild_totals(count)
    return await reported(store)


def nothing_reported() -> dict[str, tuple]:
    """The figures of a store where no one answered anything."""
    nothing = Activity(0, {}, {})
    return {
        survey.id: ({}, [{} for _ in survey.questions], 0, [nothing] * len(REPORT_DAYS))
        for survey in SURVEYS.values()
    }


async def linked_to(store: Store, survey_id: str) -> list[int | None]:
    """The member of each response to a survey, in id order (None: unlinked, anonymous)."""
    return [exported.member_id async for exported in store.export.exported_responses(survey_id)]


async def answers_given(store: Store) -> int:
    """How many answers are stored, over every response of every survey."""
    given = 0
    for survey_id in SURVEYS:
        async for exported in store.export.exported_responses(survey_id):
            given += len(exported.answers)
    return given


ALICE, BOB, CAROL = 1001, 1002, 1003
NORTH_FULL = {"area": "north", "issues": ["rent", "bus"], "member": "yes", "why": "the rent!"}
NORTH_SKIPPING = {"area": "north", "issues": ["jobs"], "member": None, "why": None}
SOUTH = {"area": "south", "issues": ["rent"], "member": "no", "why": "buses"}


# --- held_data --------------------------------------------------------------------------------


async def test_held_data_is_none_for_someone_never_seen(store):
    await register(store)
    await decide(store, ALICE, True, "v1", NOW)

    assert await store.privacy.held_data(BOB) is None


async def test_held_data_has_every_consent_in_order_and_every_response_with_its_answers(store):
    setup = await register(store)
    later, latest = NOW + DAY, NOW + 2 * DAY
    await decide(store, ALICE, True, "v1", NOW)
    await decide(store, ALICE, False, "v1", later)
    await decide(store, ALICE, True, "v2", latest)
    await respond(store, setup, ALICE, SURVEY, NORTH_SKIPPING, started_at=NOW, answered_at=later)
    await respond(store, setup, ALICE, OTHER, {"size": 2.5}, complete=False, started_at=latest)
    await respond(store, setup, BOB, SURVEY, SOUTH)  # someone else's

    held = await store.privacy.held_data(ALICE)

    assert held is not None
    assert held.telegram_id == ALICE
    assert held.member_id == (await store.members.find_member(ALICE)).id
    assert held.created_at == NOW.isoformat()
    assert held.consents == [
        ConsentRecord(True, "v1", NOW.isoformat()),
        ConsentRecord(False, "v1", later.isoformat()),
        ConsentRecord(True, "v2", latest.isoformat()),
    ]
    assert held.responses == [
        HeldResponse(
            "s",
            setup.version_ids["s"],
            True,
            NOW.isoformat(),
            later.isoformat(),
            {"area": "north", "issues": ["jobs"], "member": None, "why": None},
            dict.fromkeys(NORTH_SKIPPING, later.isoformat()),
            updated_at=later.isoformat(),
        ),
        HeldResponse(
            "t",
            setup.version_ids["t"],
            False,
            latest.isoformat(),
            None,
            {"size": 2.5},
            {"size": latest.isoformat()},
            updated_at=latest.isoformat(),
            current_question=OTHER.questions[1].id,  # where it stands
        ),
    ]


async def test_held_data_of_a_member_without_responses(store):
    await decide(store, ALICE, True, "v1", NOW)
    await decide(store, ALICE, False, "v1", NOW + DAY)

    held = await store.privacy.held_data(ALICE)

    assert held.consents == [
        ConsentRecord(True, "v1", NOW.isoformat()),
        ConsentRecord(False, "v1", (NOW + DAY).isoformat()),
    ]
    assert held.responses == []


async def test_a_refusal_by_someone_never_recorded_stores_nothing(store: Store):
    assert await decide(store, ALICE, False, "v1", NOW) is None

    assert await store.privacy.held_data(ALICE) is None
    assert not await store.privacy.anything_held(ALICE)


# --- forget_member ----------------------------------------------------------------------------


async def test_forgetting_someone_never_seen_is_none_and_changes_nothing(store: Store):
    setup = await register(store)
    await respond(store, setup, ALICE, SURVEY, NORTH_FULL)
    before = await reported(store)
    alice_before = await store.privacy.held_data(ALICE)

    assert await forget(store, BOB, setup.count) is None

    assert await reported(store) == before
    assert await store.privacy.held_data(ALICE) == alice_before
    assert await store.audit.recent() == []  # no deletion recorded


async def forget(db: Store, telegram_id: int, count: Counter_) -> Forgotten | None:
    """/forget as the bot does it, with an audit entry saying how many responses went."""
    return await db.privacy.forget_member(
        telegram_id, count, NOW, lambda _, responses: f"responses deleted: {responses}"
    )


async def everything_of(db: SQLiteStore, member_id: int) -> list[list[tuple]]:
    """Every row keyed to a member, table by table."""
    return [
        await rows(db, "SELECT * FROM members WHERE id = ?", (member_id,)),
        await rows(db, "SELECT * FROM consents WHERE member_id = ?", (member_id,)),
        await rows(db, "SELECT * FROM responses WHERE member_id = ?", (member_id,)),
        await rows(
            db,
            "SELECT a.* FROM answers a JOIN responses r ON r.id = a.response_id"
            " WHERE r.member_id = ?",
            (member_id,),
        ),
        await rows(db, "SELECT * FROM handled_taps WHERE member_id = ?", (member_id,)),
    ]


async def test_forgetting_deletes_the_member_and_everything_keyed_to_them_only(store: Store):
    setup = await register(store)
    await respond(store, setup, ALICE, SURVEY, NORTH_FULL)
    await respond(store, setup, ALICE, OTHER, {"size": 3}, complete=False)
    await respond(store, setup, BOB, SURVEY, SOUTH)
    alice = (await store.members.find_member(ALICE)).id
    bob_before = await store.privacy.held_data(BOB)
    assert len((await store.privacy.held_data(ALICE)).taps_handled_at) == 1
    assert await answers_given(store) == 9

    forgotten = await forget(store, ALICE, setup.count)

    assert forgotten == Forgotten(alice, 2, checkpointed=True)
    assert await store.members.find_member(ALICE) is None
    assert await store.members.latest_consent(ALICE) is None
    assert await store.privacy.held_data(ALICE) is None
    assert not await store.privacy.anything_held(ALICE)
    assert await answers_given(store) == 4  # Bob's only
    assert [exported.member_id async for exported in store.export.exported_responses("t")] == []
    assert await store.privacy.held_data(BOB) == bob_before
    # a second /forget (a tap delivered again) finds nothing
    assert await forget(store, ALICE, setup.count) is None


async def test_after_forgetting_the_totals_are_those_a_rebuild_gives_over_what_remains(
    store: Store,
):
    setup = await register(store)
    day1 = dt.datetime(2025, 3, 1, 23, 30, tzinfo=dt.UTC)
    day2, day3 = day1 + DAY, day1 + 2 * DAY
    # Alice: completed across midnight (started day 1, counted day 2), skipping two questions,
    # another survey completed, and one left in progress (counts as started only).
    await respond(store, setup, ALICE, SURVEY, NORTH_SKIPPING, started_at=day1, answered_at=day2)
    await respond(store, setup, ALICE, OTHER, {"size": 4, "note": None}, started_at=day2)
    await respond(store, setup, ALICE, SURVEY, {"area": "south"}, complete=False, started_at=day3)
    # Bob and Carol share some of Alice's tallies and days, and have some of their own.
    await respond(store, setup, BOB, SURVEY, NORTH_FULL, started_at=day1, answered_at=day2)
    await respond(store, setup, BOB, SURVEY, {"area": "north"}, complete=False, started_at=day3)
    await respond(store, setup, CAROL, SURVEY, SOUTH, started_at=day1)
    await respond(store, setup, CAROL, OTHER, {"size": 4, "note": "fine"}, started_at=day2)
    alice = (await store.members.find_member(ALICE)).id
    before = await reported(store)
    assert before == await rebuilt(store, setup.count)  # the answer path counted right
    assert (await store.reports.tallies_by_area("s"))[("north", "issues", "jobs")] == 1

    assert await forget(store, ALICE, setup.count) == Forgotten(alice, 3, checkpointed=True)

    after = await reported(store)
    assert after != before
    assert after == await rebuilt(store, setup.count)
    counts = await store.reports.activity("s", day1.date())
    assert (counts.started, sum(counts.completed.values())) == (3, 2)  # Bob's two, Carol's one
    by_area = await store.reports.tallies_by_area("s")
    assert ("north", "issues", "jobs") not in by_area  # Alice's alone
    assert by_area[("north", "issues", "rent")] == 1  # Bob's stays
    assert await store.reports.completed_overall("t") == 1


async def test_forgetting_the_only_respondent_leaves_no_total_behind(store: Store):
    setup = await register(store)
    await respond(store, setup, ALICE, SURVEY, NORTH_FULL, answered_at=NOW + DAY)
    await respond(store, setup, ALICE, OTHER, {"size": 1}, complete=False)
    assert await reported(store) != nothing_reported()

    await forget(store, ALICE, setup.count)

    assert await reported(store) == nothing_reported()


async def test_forgetting_an_organiser_keeps_their_audit_entries_without_their_id(db, db_path):
    setup = await register(db)
    await respond(db, setup, BIG_ID, SURVEY, NORTH_FULL)  # an administrator who also answered
    await respond(db, setup, CAROL, SURVEY, SOUTH)
    group = -1001000000001
    await db.audit.record("export", NOW, actor=BIG_ID, chat_id=BIG_ID, survey_id="s", scope="all")
    await db.audit.record("summary", NOW, actor=BIG_ID, chat_id=group, survey_id="s", scope="all")
    await db.audit.record("digest", NOW, actor=CAROL, chat_id=BIG_ID, survey_id="s", scope="all")
    await db.audit.record("summary", NOW, actor=CAROL, chat_id=group, survey_id="s", scope="all")
    entries = "SELECT actor, chat_id, action FROM audit_log ORDER BY id"
    assert "id as a number" in traces(db_path, BIG_ID, SECRET_WORDS)

    assert await forget(db, BIG_ID, setup.count) is not None

    assert await rows(db, entries) == [
        (None, None, "export"),  # the entry stays, without who or where
        (None, group, "summary"),
        (CAROL, None, "digest"),
        (CAROL, group, "summary"),  # someone else's, untouched
        (None, None, "forget"),  # the deletion itself, naming no one
    ]
    assert traces(db_path, BIG_ID, SECRET_WORDS) == set()


async def test_member_ids_are_never_given_again_after_forgetting(store: Store):
    setup = await register(store)
    await respond(store, setup, ALICE, SURVEY, NORTH_FULL)
    await respond(store, setup, BOB, SURVEY, SOUTH)
    alice = await member_id_of(store, ALICE)
    bob = await member_id_of(store, BOB)
    assert bob > alice  # the newest member has the highest id

    await forget(store, BOB, setup.count)
    carol = await member_id_of(store, CAROL)

    assert carol > bob  # a plain rowid would be Bob's again: his export code would be Carol's
    await forget(store, ALICE, setup.count)
    await forget(store, CAROL, setup.count)
    for telegram_id in (ALICE, BOB, CAROL):
        assert await store.members.find_member(telegram_id) is None
    assert await member_id_of(store, BOB) > carol  # even once no member is left


# A hypothesis property: any population, any members forgotten, totals equal a fresh rebuild.

survey_answers = st.fixed_dictionaries(
    {
        "area": st.sampled_from(["north", "south"]),
        "issues": st.lists(st.sampled_from(["rent", "jobs", "bus"]), min_size=1, unique=True),
        "member": st.sampled_from(["yes", "no", None]),
        "why": st.sampled_from(["rent", "my rent is high", "nothing", None]),
    }
)
other_answers = st.fixed_dictionaries(
    {
        "size": st.sampled_from([0, 1, 2.5, 7]),
        "note": st.sampled_from(["ok", None]),
    }
)


@st.composite
def a_response(draw) -> tuple[str, dict, bool, int, int]:
    survey_id = draw(st.sampled_from(["s", "t"]))
    drawn = draw(survey_answers if survey_id == "s" else other_answers)
    answers = {question.id: drawn[question.id] for question in SURVEYS[survey_id].questions}
    complete = draw(st.booleans())
    if not complete:  # in progress after some of the questions
        kept = draw(st.integers(min_value=0, max_value=len(answers) - 1))
        answers = dict(list(answers.items())[:kept])
    start_day = draw(st.integers(0, 2))
    hours_to_answer = draw(st.sampled_from([0, 1, 3, 27]))  # 22:00 + 3 h is the next day
    return survey_id, answers, complete, start_day, hours_to_answer


population = st.lists(st.lists(a_response(), max_size=3), min_size=1, max_size=4)


async def forget_and_compare(people: list[list[tuple]], forgotten: set[int]) -> None:
    db = await open_store(":memory:")
    try:
        setup = await register(db)
        base = dt.datetime(2025, 3, 1, 22, 0, tzinfo=dt.UTC)
        for person, answered in enumerate(people):
            await decide(db, person, True, "v1", base)
            open_surveys: set[str] = set()
            for survey_id, answers, complete, start_day, hours in answered:
                if survey_id in open_surveys:  # one open response per member and survey
                    continue
                if not complete:
                    open_surveys.add(survey_id)
                started_at = base + start_day * DAY
                await respond(
                    db,
                    setup,
                    person,
                    SURVEYS[survey_id],
                    answers,
                    complete=complete,
                    started_at=started_at,
                    answered_at=started_at + dt.timedelta(hours=hours),
                )
        for person in sorted(forgotten):
            assert await forget(db, person, setup.count) is not None
        kept = await totals(db)
        assert kept == await rebuilt_totals(db, setup.count)
        assert await count_rows(db, "members") == len(people) - len(forgotten)
    finally:
        await db.close()


@settings(max_examples=25, deadline=None)
@given(population, st.data())
def test_any_members_forgotten_leave_the_totals_a_rebuild_gives(people, data):
    forgotten = data.draw(st.sets(st.integers(0, len(people) - 1)))
    asyncio.run(forget_and_compare(people, forgotten))


# --- the file keeps nothing of a forgotten member ---------------------------------------------

BIG_ID = 7391045216883  # six bytes in a record
SECRET_WORDS = "Quokka marmalade under the viaduct 4417"
OTHER_WORDS = "Carol keeps her own words 9921"


def traces(path: Path, telegram_id: int, words: str) -> set[str]:
    """What the database file and its write-ahead log still hold of a member."""
    contents = stored_bytes(path)
    found = {
        "id as a number": telegram_id.to_bytes(6, "big"),
        "id as text": str(telegram_id).encode(),
        "words": words.encode(),
    }
    return {name for name, needle in found.items() if needle in contents}


async def test_after_forgetting_neither_file_holds_the_member_id_or_their_words(db, db_path):
    setup = await register(db)
    words = {**NORTH_FULL, "why": SECRET_WORDS}
    await respond(db, setup, BIG_ID, SURVEY, words)
    await respond(db, setup, BIG_ID, OTHER, {"size": 2, "note": SECRET_WORDS + " again"})
    await respond(db, setup, CAROL, SURVEY, {**SOUTH, "why": OTHER_WORDS})
    await db.checkpoint()  # in the main file, not only in the log
    assert traces(db_path, BIG_ID, SECRET_WORDS) >= {"id as a number", "words"}

    await forget(db, BIG_ID, setup.count)

    assert traces(db_path, BIG_ID, SECRET_WORDS) == set()
    assert traces(db_path, CAROL, OTHER_WORDS) >= {"words"}  # the check does look at the data


async def test_forgetting_a_member_still_only_in_the_log_leaves_no_trace_either(db, db_path):
    setup = await register(db)
    await respond(db, setup, CAROL, SURVEY, SOUTH)
    await db.checkpoint()
    await respond(db, setup, BIG_ID, SURVEY, {**NORTH_FULL, "why": SECRET_WORDS})
    assert "words" in traces(db_path, BIG_ID, SECRET_WORDS)

    await forget(db, BIG_ID, setup.count)

    assert traces(db_path, BIG_ID, SECRET_WORDS) == set()


async def test_words_replaced_before_forgetting_leave_no_trace_either(db, db_path):
    setup = await register(db)
    await respond(db, setup, CAROL, SURVEY, {**SOUTH, "why": OTHER_WORDS})
    member_id = await member_id_of(db, BIG_ID)
    response = await db.responses.start_response(
        member_id, "u", setup.version_ids["u"], "story", NOW
    )
    first_words = "Wombat chutney beside the gasworks 5120"
    response = await db.responses.record_answer(
        response, first_words, next_question="sure", now=NOW
    )
    await db.checkpoint()
    response = await db.responses.move_back(response, "story", now=NOW)
    response = await db.responses.record_answer(
        response, SECRET_WORDS, next_question="sure", now=NOW
    )
    final = {"story": SECRET_WORDS, "sure": "yes"}
    await db.responses.record_answer(
        response,
        "yes",
        next_question=None,
        now=NOW,
        area=tally.area_of(TEXT_FIRST, final),
        counted=tally.keys(TEXT_FIRST, final),
    )
    assert "words" in traces(db_path, BIG_ID, SECRET_WORDS)

    await forget(db, BIG_ID, setup.count)

    assert traces(db_path, BIG_ID, SECRET_WORDS) == set()
    assert traces(db_path, BIG_ID, first_words) == set()
    assert "words" in traces(db_path, CAROL, OTHER_WORDS)


async def test_a_checkpoint_a_reader_blocks_is_false_at_once_and_true_once_it_is_gone(db, db_path):
    setup = await register(db)
    await respond(db, setup, ALICE, SURVEY, NORTH_FULL)
    with reading(db_path):
        started = time.monotonic()
        assert await db.checkpoint() is False
        assert time.monotonic() - started < 1  # not the busy timeout: every update would wait
        assert wal_size(db_path) > 0
        # the bot's own waits for a lock are as long as before
        assert await scalar(db, "PRAGMA busy_timeout") == BUSY_TIMEOUT_MS

    assert await db.checkpoint() is True
    assert wal_size(db_path) == 0


async def test_forgetting_while_a_reader_holds_the_log_says_it_was_not_checkpointed(db, db_path):
    setup = await register(db)
    await respond(db, setup, CAROL, SURVEY, SOUTH)
    await respond(db, setup, BIG_ID, SURVEY, {**NORTH_FULL, "why": SECRET_WORDS})
    member_id = await member_id_of(db, BIG_ID)
    with reading(db_path):
        forgotten = await forget(db, BIG_ID, setup.count)

        assert forgotten == Forgotten(member_id, 1, checkpointed=False)
        assert await db.members.find_member(BIG_ID) is None  # deleted all the same
        assert "words" in traces(db_path, BIG_ID, SECRET_WORDS)  # the log still has them

    assert await db.checkpoint()
    assert traces(db_path, BIG_ID, SECRET_WORDS) == set()


async def test_secure_delete_is_on(db):
    assert await scalar(db, "PRAGMA secure_delete") == 1


# --- unlink_responses -------------------------------------------------------------------------


async def test_unlinking_a_survey_detaches_only_its_responses_and_keeps_the_totals(
    store: Store,
):
    setup = await register(store)
    await respond(store, setup, ALICE, SURVEY, NORTH_FULL)
    open_t = await respond(store, setup, ALICE, OTHER, {"size": 1}, complete=False)
    await respond(store, setup, BOB, OTHER, {"size": 5, "note": "ok"})
    open_s = await respond(store, setup, BOB, SURVEY, {"area": "south"}, complete=False)
    alice = await store.members.find_member(ALICE)
    bob = await store.members.find_member(BOB)
    assert alice.active_response_id == open_t
    before = await reported(store)

    unlinked = await store.privacy.unlink_responses(["t"])

    assert unlinked == 2
    assert await linked_to(store, "t") == [None, None]
    assert await linked_to(store, "s") == [alice.id, bob.id]
    assert (await store.members.find_member(ALICE)).active_response_id is None
    assert (await store.members.find_member(BOB)).active_response_id == open_s  # not unlinked
    assert await reported(store) == before
    assert await answers_given(store) == 4 + 1 + 2 + 1  # every answer stays
    assert await store.privacy.held_data(ALICE) is not None  # both members stay
    assert await store.privacy.held_data(BOB) is not None
    assert await store.privacy.unlink_responses(["t"]) == 0  # nothing left to unlink
    # the anonymous responses still count in a rebuild
    assert await rebuilt(store, setup.count) == before


async def test_unlinked_responses_are_no_longer_part_of_the_members_data(store: Store):
    setup = await register(store)
    await respond(store, setup, ALICE, SURVEY, NORTH_FULL)
    await respond(store, setup, ALICE, OTHER, {"size": 1, "note": None})

    await store.privacy.unlink_responses(["s"])

    held = await store.privacy.held_data(ALICE)
    assert [response.survey_id for response in held.responses] == ["t"]
    # forgetting then leaves the anonymous response, and its totals, alone
    before_s = await store.reports.tallies_by_area("s")
    assert (await forget(store, ALICE, setup.count)).responses == 1
    assert await store.reports.tallies_by_area("s") == before_s
    assert await store.reports.tallies_by_area("t") == {}
    assert await linked_to(store, "s") == [None]
    assert await reported(store) == await rebuilt(store, setup.count)


async def times_of(db: SQLiteStore, survey_id: str) -> list[tuple]:
    """Each response's started, changed and completed times, then its answers' times."""
    found = await rows(
        db,
        "SELECT id, started_at, updated_at, completed_at FROM responses WHERE survey_id = ?"
        " ORDER BY id",
        (survey_id,),
    )
    return [
        (
            *times,
            await rows(
                db,
                "SELECT question_id, answered_at FROM answers WHERE response_id = ?"
                " ORDER BY question_id",
                (response_id,),
            ),
        )
        for response_id, *times in found
    ]


LATE = dt.datetime(2025, 3, 1, 23, 30, 15, tzinfo=dt.UTC)
NEXT_DAY = LATE + dt.timedelta(hours=1, minutes=7)  # 2 March, 00:37:15


async def test_unlinked_responses_keep_the_days_not_the_times_and_the_totals(db):
    setup = await register(db)
    await respond(db, setup, ALICE, SURVEY, NORTH_FULL, started_at=LATE, answered_at=NEXT_DAY)
    await respond(db, setup, BOB, SURVEY, {"area": "south"}, complete=False, started_at=LATE)
    await respond(db, setup, ALICE, OTHER, {"size": 2, "note": None}, started_at=LATE)
    others = await times_of(db, "t")
    assert others[0][0] == LATE.isoformat()
    before = await totals(db)

    assert await db.privacy.unlink_responses(["s"]) == 2

    (alice, bob) = await times_of(db, "s")
    assert alice == (
        "2025-03-01",
        "2025-03-02",
        "2025-03-02",
        [(question, "2025-03-02") for question in sorted(NORTH_FULL)],
    )
    assert bob == ("2025-03-01", "2025-03-01", None, [("area", "2025-03-01")])
    assert await times_of(db, "t") == others  # still linked: exact times
    assert await totals(db) == before
    assert await rebuilt_totals(db, setup.count) == before


async def test_unlinking_nothing_unlinks_nothing(store: Store):
    setup = await register(store)
    await respond(store, setup, ALICE, SURVEY, NORTH_FULL)
    before = await store.privacy.held_data(ALICE)

    assert await store.privacy.unlink_responses([]) == 0
    assert await store.privacy.unlink_responses(["no-such-survey"]) == 0
    assert await linked_to(store, "s") == [before.member_id]
    assert await store.privacy.held_data(ALICE) == before


# --- delete_inactive_members ------------------------------------------------------------------

CUTOFF = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
LONG_AGO = CUTOFF - 100 * DAY
RECENTLY = CUTOFF + DAY


async def test_inactive_members_are_deleted_and_their_responses_stay_anonymous(store: Store):
    setup = await register(store)
    # 1: everything long ago: deleted
    await respond(store, setup, 1, SURVEY, NORTH_FULL, started_at=LONG_AGO)
    await respond(store, setup, 1, OTHER, {"size": 3}, complete=False, started_at=LONG_AGO)
    # 2: created long ago, decided again recently: kept
    await respond(store, setup, 2, SURVEY, SOUTH, started_at=LONG_AGO)
    await decide(store, 2, False, "v2", RECENTLY)
    # 3: created and decided long ago, answered recently: kept
    await respond(
        store, setup, 3, SURVEY, NORTH_SKIPPING, started_at=LONG_AGO, answered_at=RECENTLY
    )
    # 4: joined recently: kept; 5: joined exactly at the cutoff: kept
    await respond(store, setup, 4, SURVEY, SOUTH, started_at=RECENTLY)
    await decide(store, 5, True, "v1", CUTOFF)
    # 6: decided long ago and never answered: deleted
    await decide(store, 6, True, "v1", LONG_AGO)
    before = await reported(store)
    kept_before = [await store.privacy.held_data(n) for n in (2, 3, 4, 5)]
    ids = {n: (await store.members.find_member(n)).id for n in (2, 3, 4)}

    deleted = await store.privacy.delete_inactive_members(CUTOFF)

    assert deleted == 2
    assert [n for n in range(1, 7) if await store.members.find_member(n) is not None] == [
        2,
        3,
        4,
        5,
    ]
    for gone in (1, 6):  # their consents and handled taps went with them
        assert await store.privacy.held_data(gone) is None
        assert await store.members.latest_consent(gone) is None
    assert [await store.privacy.held_data(n) for n in (2, 3, 4, 5)] == kept_before
    # member 1's two responses stay, anonymous
    assert await linked_to(store, "s") == [None, ids[2], ids[3], ids[4]]
    assert await linked_to(store, "t") == [None]
    assert await answers_given(store) == 4 + 1 + 4 + 4 + 4
    assert await reported(store) == before
    assert await rebuilt(store, setup.count) == before


async def test_an_inactive_members_responses_keep_the_days_not_the_times(db):
    setup = await register(db)
    long_ago = LONG_AGO + dt.timedelta(hours=11, minutes=59, seconds=30)  # 23:59:30
    await respond(db, setup, 1, SURVEY, NORTH_FULL, started_at=long_ago, answered_at=long_ago)
    await respond(db, setup, 2, SURVEY, SOUTH, started_at=long_ago, answered_at=RECENTLY)
    kept = await times_of(db, "s")
    before = await totals(db)

    assert await db.privacy.delete_inactive_members(CUTOFF) == 1

    day = long_ago.date().isoformat()
    (unlinked, active) = await times_of(db, "s")
    assert unlinked == (day, day, day, [(question, day) for question in sorted(NORTH_FULL)])
    assert active == kept[1]  # member 2 is active: their response keeps its times
    assert await totals(db) == before
    assert await rebuilt_totals(db, setup.count) == before


async def test_a_response_updated_exactly_at_the_cutoff_keeps_its_member(store):
    setup = await register(store)
    await respond(store, setup, 1, OTHER, {"size": 3}, complete=False, started_at=LONG_AGO)
    await respond(store, setup, 1, SURVEY, {"area": "north"}, complete=False, started_at=CUTOFF)

    assert await store.privacy.delete_inactive_members(CUTOFF) == 0
    assert await store.privacy.delete_inactive_members(CUTOFF + dt.timedelta(seconds=1)) == 1


# --- linked_surveys ---------------------------------------------------------------------------


async def test_linked_surveys_gives_the_latest_activity_over_linked_responses(store):
    setup = await register(store)
    await respond(store, setup, ALICE, SURVEY, NORTH_FULL, started_at=NOW, answered_at=NOW + DAY)
    await respond(store, setup, BOB, SURVEY, {"area": "south"}, complete=False, started_at=NOW)
    await respond(store, setup, ALICE, OTHER, {"size": 1, "note": None}, started_at=NOW + 5 * DAY)

    assert await store.privacy.linked_surveys() == {"s": NOW + DAY, "t": NOW + 5 * DAY}

    await store.privacy.unlink_responses(["t"])
    await respond(store, setup, CAROL, SURVEY, SOUTH, started_at=NOW + 9 * DAY)
    await store.privacy.unlink_responses([])
    assert await store.privacy.linked_surveys() == {"s": NOW + 9 * DAY}


async def test_linked_surveys_ignores_unlinked_responses(store: Store):
    setup = await register(store)
    await respond(store, setup, ALICE, SURVEY, NORTH_FULL, started_at=NOW)
    await respond(store, setup, BOB, SURVEY, SOUTH, started_at=NOW + 3 * DAY)
    await store.privacy.delete_inactive_members(NOW + DAY)  # Alice goes, her response stays

    assert await store.privacy.linked_surveys() == {"s": NOW + 3 * DAY}
    bob = (await store.members.find_member(BOB)).id
    assert await linked_to(store, "s") == [None, bob]


async def test_linked_surveys_is_empty_without_responses(store):
    assert await store.privacy.linked_surveys() == {}


# --- pruning the audit log and handled taps ---------------------------------------------------


async def test_audit_prune_deletes_only_entries_older_than_the_cutoff(store):
    for days_before in (3, 2, 1, 0):
        await store.audit.record(f"action-{days_before}", NOW - days_before * DAY)

    assert await store.audit.prune(NOW - DAY) == 2

    assert [entry.action for entry in await store.audit.recent()] == ["action-0", "action-1"]
    assert await store.audit.prune(NOW - DAY) == 0


async def test_prune_taps_forgets_only_taps_older_than_the_cutoff(store: Store):
    for days_before in (3, 1, 0):
        await decide(store, ALICE, True, "v1", NOW - days_before * DAY, tap=f"tap-{days_before}")

    await store.handled.prune_taps(NOW - DAY)

    kept = (await store.privacy.held_data(ALICE)).taps_handled_at
    assert kept == [(NOW - DAY).isoformat(), NOW.isoformat()]
    # a kept tap delivered again is still refused
    assert await decide(store, ALICE, False, "v1", NOW, tap="tap-1") is None
    # and a forgotten one is taken as new (Telegram no longer delivers it again)
    assert await decide(store, ALICE, False, "v1", NOW, tap="tap-3") is not None


# --- record_consent and latest_consent --------------------------------------------------------


async def test_declining_closes_the_open_survey_and_agreeing_does_not(store: Store):
    setup = await register(store)
    open_s = await respond(store, setup, ALICE, SURVEY, {"area": "north"}, complete=False)
    assert (await store.members.find_member(ALICE)).active_response_id == open_s

    agreed = await store.members.record_consent(ALICE, True, "v2", NOW, message_id=10)
    assert agreed.active_response_id == open_s

    withdrawn = await store.members.record_consent(ALICE, False, "v2", NOW, message_id=11)
    assert withdrawn.agreed is False
    assert withdrawn.active_response_id is None
    assert withdrawn.last_message_id == 11
    kept = await store.responses.get_response(open_s)  # kept, not deleted
    assert kept is not None
    assert (kept.current_question, kept.answers) == ("issues", {"area": "north"})


async def test_a_withdraw_message_handled_before_is_refused(store: Store):
    await decide(store, ALICE, True, "v1", NOW)
    assert await store.members.record_consent(ALICE, False, "v1", NOW, message_id=20) is not None
    before = await store.privacy.held_data(ALICE)

    assert await store.members.record_consent(ALICE, False, "v1", NOW, message_id=20) is None
    assert await store.members.record_consent(ALICE, True, "v1", NOW, message_id=19) is None

    assert await store.privacy.held_data(ALICE) == before  # no consent added, nothing changed
    assert len(before.consents) == 2
    assert (await store.members.latest_consent(ALICE)).agreed is False


async def test_latest_consent_is_the_newest_decision_of_that_member(store):
    assert await store.members.latest_consent(ALICE) is None
    await decide(store, ALICE, True, "v1", NOW)
    await decide(store, ALICE, False, "v2", NOW + DAY)
    await decide(store, BOB, True, "v3", NOW + 2 * DAY)

    assert await store.members.latest_consent(ALICE) == ConsentRecord(
        False, "v2", (NOW + DAY).isoformat()
    )
    assert await store.members.latest_consent(BOB) == ConsentRecord(
        True, "v3", (NOW + 2 * DAY).isoformat()
    )
    assert await store.members.latest_consent(CAROL) is None


# --- migration 0004 ---------------------------------------------------------------------------


def build_version_3(path: Path) -> None:
    """A database as Doorstep left it before 0004, with members, answers and an open survey."""
    stamp = NOW.isoformat()
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA foreign_keys = ON")
        for number, sql in migrations():
            if number <= 3:
                connection.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};COMMIT;")
        connection.execute(
            "INSERT INTO survey_versions (id, survey_id, content_hash, definition,"
            " first_loaded_at) VALUES (1, 's', 'h', ?, ?)",
            (canonical_json(SURVEY), stamp),
        )
        connection.executescript(
            f"""
            BEGIN;
            INSERT INTO members (id, telegram_id, created_at, last_message_id)
                VALUES (1, 111, '{stamp}', 5), (2, 222, '{stamp}', 0);
            INSERT INTO consents (member_id, agreed, notice_version, decided_at)
                VALUES (1, 1, 'v1', '{stamp}'), (2, 1, 'v1', '{stamp}');
            INSERT INTO handled_taps VALUES ('tap-a', 1, '{stamp}'), ('tap-b', 2, '{stamp}');
            INSERT INTO responses (id, member_id, survey_id, survey_version_id, status,
                current_question, step, started_at, updated_at, completed_at)
                VALUES (1, 1, 's', 1, 'completed', NULL, 4, '{stamp}', '{stamp}', '{stamp}'),
                       (2, 2, 's', 1, 'in_progress', 'issues', 1, '{stamp}', '{stamp}', NULL);
            INSERT INTO answers VALUES
                (1, 'area', '"north"', '{stamp}'), (1, 'issues', '["rent"]', '{stamp}'),
                (1, 'member', NULL, '{stamp}'), (1, 'why', '"words"', '{stamp}'),
                (2, 'area', '"south"', '{stamp}');
            UPDATE members SET active_response_id = 2 WHERE id = 2;
            COMMIT;
            """
        )
        # before 0004 a response cannot lose its member
        with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
            connection.execute("UPDATE responses SET member_id = NULL WHERE id = 1")
        assert connection.execute("PRAGMA user_version").fetchone() == (3,)


def snapshot(path: Path) -> dict[str, list[tuple]]:
    tables = ["members", "consents", "handled_taps", "survey_versions", "responses", "answers"]
    with closing(sqlite3.connect(path)) as connection:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
            for table in [*tables, "survey_days"]
        }


def count_version_1(version_id: int, answers: Mapping) -> tuple[str, list[tally.Key]]:
    assert version_id == 1
    return tally.area_of(SURVEY, answers), tally.keys(SURVEY, answers)


@pytest.fixture
async def upgraded(open_db, db_path) -> tuple[SQLiteStore, dict[str, list[tuple]]]:
    """A version 3 database opened (so migrated) by Doorstep, and its rows before."""
    build_version_3(db_path)
    before = snapshot(db_path)
    assert len(before["answers"]) == 5
    return await open_db(db_path), before


async def test_migration_4_keeps_every_row(upgraded):
    db, before = upgraded

    assert await scalar(db, "PRAGMA user_version") == len(migrations())  # and every later one
    for table, kept in before.items():
        now = await rows(db, f"SELECT * FROM {table} ORDER BY 1, 2, 3")
        width = len(kept[0]) if kept else 0  # later migrations add columns at the end
        assert [row[:width] for row in now] == kept, table
    assert (await db.members.find_member(222)).active_response_id == 2


async def test_migration_4_leaves_foreign_keys_on_and_consistent(upgraded):
    db, _ = upgraded

    assert await scalar(db, "PRAGMA foreign_keys") == 1
    assert await rows(db, "PRAGMA foreign_key_check") == []
    schema = " ".join(sql for (sql,) in await rows(db, "SELECT sql FROM sqlite_master") if sql)
    assert "responses_new" not in schema
    assert await scalar(db, "PRAGMA secure_delete") == 1


async def test_after_migration_4_a_response_can_lose_its_member(upgraded):
    db, _ = upgraded

    assert await db.privacy.unlink_responses(["s"]) == 2

    assert await count_rows(db, "responses", "member_id IS NULL") == 2
    assert (await db.members.find_member(222)).active_response_id is None


async def test_after_migration_4_answers_and_starts_are_still_counted(upgraded):
    db, _ = upgraded
    open_response = await db.responses.get_response(2)
    final = {"area": "south", "issues": ["jobs"], "member": "no", "why": None}
    for question, following in [("issues", "member"), ("member", "why"), ("why", None)]:
        extra = (
            {"area": tally.area_of(SURVEY, final), "counted": tally.keys(SURVEY, final)}
            if following is None
            else {}
        )
        open_response = await db.responses.record_answer(
            open_response, final[question], next_question=following, now=NOW, **extra
        )
        assert open_response is not None, question  # the accept_answer trigger took it

    assert open_response.completed
    assert (await db.reports.tallies_by_area("s"))[("south", "issues", "jobs")] == 1
    started_again = await db.responses.start_response(1, "s", 1, "area", NOW + DAY)
    assert started_again is not None
    counts = await db.reports.activity("s", NOW.date())
    assert (counts.started, sum(counts.completed.values())) == (3, 1)  # count_start took it
    assert await rows(db, "SELECT area, day, completed FROM survey_days WHERE completed > 0") == [
        ("south", NOW.date().isoformat(), 1)
    ]


async def test_after_migration_4_forgetting_cascades_through_the_rebuilt_table(upgraded):
    db, _ = upgraded
    await db.reports.rebuild_totals(count_version_1)
    assert (await db.reports.tallies_by_area("s"))[("north", "issues", "rent")] == 1

    forgotten = await forget(db, 111, count_version_1)

    assert forgotten == Forgotten(1, 1, checkpointed=True)
    assert await count_rows(db, "responses") == 1
    assert await count_rows(db, "answers") == 1  # the open response's answer only
    assert await count_rows(db, "handled_taps") == 1
    assert await db.reports.tallies_by_area("s") == {}


# --- compaction: no fragment of a deleted row survives page reorganisation -----------------------


async def test_after_many_forgets_the_nightly_rebuild_leaves_no_fragment_of_any_id(db, db_path):
    # Thousands of members make a multi-level index on telegram_id; deleting from it makes
    # SQLite rebuild pages, which can leave old bytes in a page's free gap (secure_delete
    # zeroes only the cells it frees). The rebuild after deletions leaves none.
    random = __import__("random").Random(7)
    ids = random.sample(range(5_000_000_000, 7_000_000_000), 3000)
    for telegram_id in ids:
        await db.members.record_consent(
            telegram_id, True, "v1", NOW, query_id=f"q{telegram_id}", notice_message_id=1
        )
    forgotten = random.sample(ids, 150)
    for telegram_id in forgotten:
        assert await forget(db, telegram_id, lambda *_: ("", [])) is not None

    assert await db.privacy.compact_if_due(NOW)
    assert await db.checkpoint()

    stored = stored_bytes(db_path)
    assert [i for i in forgotten if i.to_bytes(6, "big") in stored] == []
    kept = sorted(set(ids) - set(forgotten))[:50]
    assert all(i.to_bytes(6, "big") in stored for i in kept)  # the check finds what is there
    assert not await db.privacy.compact_if_due(NOW)  # done: nothing more to rebuild


async def compact_due(db: SQLiteStore) -> int:
    return await scalar(db, "SELECT compact_due FROM maintenance")


async def test_what_changes_nothing_does_not_mark_the_file_for_a_rebuild(store: Store):
    setup = await register(store)
    await respond(store, setup, ALICE, SURVEY, NORTH_FULL, started_at=RECENTLY)
    assert not (await store.privacy.compaction()).due

    assert await store.privacy.unlink_responses([]) == 0
    assert await store.privacy.unlink_responses(["no-such-survey"]) == 0
    assert await store.privacy.delete_inactive_members(CUTOFF) == 0
    assert await forget(store, BOB, setup.count) is None

    assert await store.privacy.compaction() == Compaction(due=False, last=None)
    assert await store.privacy.compact_if_due(NOW) is False


@pytest.mark.parametrize(
    "change",
    ["unlink", "delete an inactive member who answered", "delete an inactive member", "forget"],
)
async def test_each_deletion_marks_the_file_for_one_rebuild(store: Store, change):
    setup = await register(store)
    await respond(store, setup, ALICE, SURVEY, NORTH_FULL, started_at=LONG_AGO)
    await decide(store, BOB, True, "v1", LONG_AGO)  # never answered
    await respond(store, setup, CAROL, OTHER, {"size": 1, "note": None}, started_at=RECENTLY)
    if change == "delete an inactive member":  # Bob only: nothing of his to unlink
        await decide(store, ALICE, True, "v1", RECENTLY)
    elif change == "delete an inactive member who answered":  # Alice only
        await decide(store, BOB, True, "v1", RECENTLY)

    async def apply() -> bool:
        """The change; whether it changed anything."""
        if change == "unlink":
            return await store.privacy.unlink_responses(["s"]) > 0
        if change == "forget":
            return await forget(store, ALICE, setup.count) is not None
        return await store.privacy.delete_inactive_members(CUTOFF) > 0

    assert await apply()
    assert await store.privacy.compaction() == Compaction(due=True, last=None)

    assert await store.privacy.compact_if_due(NOW) is True
    assert await store.privacy.compaction() == Compaction(due=False, last=NOW)
    assert await store.privacy.compact_if_due(NOW) is False
    assert not await apply()  # done before: changes nothing, and marks nothing
    assert not (await store.privacy.compaction()).due


async def test_a_rebuild_waits_for_the_spacing_after_the_last_and_records_its_time(store):
    setup = await register(store)
    hour = dt.timedelta(hours=1)
    assert await store.privacy.compaction() == Compaction(due=False, last=None)
    for member in (ALICE, BOB):
        await respond(store, setup, member, SURVEY, NORTH_FULL, started_at=RECENTLY)
    await forget(store, ALICE, setup.count)

    assert await store.privacy.compact_if_due(NOW, hour) is True  # never rebuilt before
    assert await store.privacy.compaction() == Compaction(due=False, last=NOW)
    await forget(store, BOB, setup.count)
    assert await store.privacy.compact_if_due(NOW + hour - dt.timedelta(seconds=1), hour) is False
    assert (await store.privacy.compaction()).allowed_from(hour) == NOW + hour

    assert await store.privacy.compact_if_due(NOW + hour, hour) is True
    assert await store.privacy.compaction() == Compaction(due=False, last=NOW + hour)


async def test_the_rebuild_runs_only_when_due_and_gives_back_the_freed_pages(db):
    async with db.transaction() as connection:
        await connection.executemany(
            "INSERT INTO members (telegram_id, created_at) VALUES (?, ?)",
            [(5_000_000_000 + n, NOW.isoformat()) for n in range(2000)],
        )
    async with db.transaction() as connection:
        await connection.execute("DELETE FROM members WHERE telegram_id % 20 != 0")
    pages = await scalar(db, "PRAGMA page_count")
    free = await scalar(db, "PRAGMA freelist_count")
    assert free > 0
    async with db.statement() as connection:
        await connection.execute("UPDATE maintenance SET compact_due = 0")

    assert await db.privacy.compact_if_due(NOW) is False
    assert (await scalar(db, "PRAGMA page_count"), await scalar(db, "PRAGMA freelist_count")) == (
        pages,
        free,
    )

    async with db.statement() as connection:
        await connection.execute("UPDATE maintenance SET compact_due = 1")
    assert await db.privacy.compact_if_due(NOW) is True
    assert await scalar(db, "PRAGMA page_count") < pages
    assert await scalar(db, "PRAGMA freelist_count") == 0
    assert await compact_due(db) == 0
