"""Report totals: the answer path, the bulk path and a rebuild count the same; an upgraded
database is recounted; organiser chats and milestones are stored once."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from storage.model import CompletedResponse, Digest, Replaced
from storage.protocol import Store
from storage.sqlite.db import migrations
from storage.sqlite.store import open_store
from surveys import tally
from surveys.loader import canonical_json
from surveys.model import Survey
from surveys.summary import Activity
from tests.storage.test_storage import NOW, answer, new_member, rows, started, version

SURVEY = Survey.model_validate(
    {
        "id": "s",
        "title": "S",
        "intro": "I",
        "questions": [
            {
                "id": "q1",
                "type": "choice",
                "text": "Area?",
                "breakdown": True,
                "choices": ["n", "s"],
            },
            {"id": "q2", "type": "multi", "text": "Which?", "choices": ["a", "b", "c"]},
            {"id": "q3", "type": "yesno", "text": "Member?", "breakdown": True},
            {"id": "q4", "type": "text", "text": "Why?", "themes": {"rent": ["rent"]}},
        ],
    }
)
ANSWERS = [
    {"q1": "n", "q2": ["a", "b"], "q3": "yes", "q4": "The rent!"},
    {"q1": "s", "q2": ["c"], "q3": "no", "q4": "nothing"},
    {"q1": "n", "q2": ["a"], "q3": None, "q4": "rent and more rent"},
]


async def complete_live(
    db: Store, answers: dict, telegram_id: int, replaced: Replaced | None = None
) -> int:
    """A response completed through the answer path, one answer at a time (in place of the
    member's `replaced` completion); its id."""
    response = await started(db, "s", telegram_id)
    questions = list(answers)
    for index, question in enumerate(questions):
        last = index == len(questions) - 1
        done = answers if last else {}
        await answer(
            db,
            response.id,
            question,
            answers[question],
            next_question=None if last else questions[index + 1],
            now=NOW,
            area=tally.area_of(SURVEY, done),
            counted=tally.keys(SURVEY, done),
            replaced=replaced if last else None,
        )
    return response.id


async def reported(store: Store) -> tuple:
    """Every report figure of survey s, read through the protocol: the tallies, split by each
    question, the people counted, and the activity as of the days around NOW."""
    days = [NOW.date() + dt.timedelta(days=n) for n in (-1, 0, 1)]
    return (
        await store.reports.tallies_by_area("s"),
        [
            await store.reports.tallies_by_area_and_answer("s", question.id)
            for question in SURVEY.questions
        ],
        await store.reports.completed_overall("s"),
        [await store.reports.activity("s", day) for day in days],
    )


def count(version_id: int, answers: dict) -> tuple[str, list[tally.Key]]:
    return tally.area_of(SURVEY, answers), tally.keys(SURVEY, answers)


async def test_the_answer_path_counts_a_response_when_it_is_completed(store) -> None:
    await complete_live(store, ANSWERS[0], 1)

    by_area = await store.reports.tallies_by_area("s")
    assert by_area[("n", "q2", "a")] == 1
    assert by_area[("n", "q4", "rent")] == 1
    assert by_area[("n", "q2", tally.ANSWERED)] == 1
    by_member = await store.reports.tallies_by_area_and_answer("s", "q3")
    assert by_member[("n", "yes", "q2", "b")] == 1
    counts = await store.reports.activity("s", NOW.date())
    assert counts == Activity(started=1, completed={"n": 1}, recent={"n": 1})


async def test_a_member_who_completes_again_counts_once_with_their_latest_answers(
    store: Store,
) -> None:
    first = await complete_live(store, ANSWERS[0], 1)
    await complete_live(store, ANSWERS[1], 2)
    earlier = Replaced(first, "n", tally.keys(SURVEY, ANSWERS[0]), NOW.date().isoformat())

    second = await complete_live(store, ANSWERS[2], 1, replaced=earlier)

    by_area = await store.reports.tallies_by_area("s")
    assert by_area[("n", tally.COMPLETED, tally.ANSWERED)] == 1  # one person in n, not two
    assert ("n", "q2", "b") not in by_area  # only the first completion chose b
    assert by_area[("n", "q2", "a")] == 1
    assert (await store.reports.activity("s", NOW.date())).completed == {"n": 1, "s": 1}
    assert await store.reports.completed_overall("s") == 2
    exported = [response async for response in store.export.exported_responses("s")]
    assert [(response.answers, response.counted) for response in exported] == [
        (ANSWERS[0], False),
        (ANSWERS[1], True),
        (ANSWERS[2], True),
    ]
    assert second > first
    counted = await reported(store)
    await store.reports.rebuild_totals(count)
    assert await reported(store) == counted  # a recount counts the latest completion only


async def test_an_unfinished_response_counts_as_started_only(store) -> None:
    response = await started(store, "s", 1)
    await answer(store, response.id, "q1", "n", next_question="q2", now=NOW)

    assert await store.reports.tallies_by_area("s") == {}
    assert await store.reports.activity("s", NOW.date()) == Activity(1, {}, {})


async def test_completed_and_recent_are_counted_by_area_and_started_in_all(store) -> None:
    for telegram_id, answers in enumerate(ANSWERS, start=1):
        await complete_live(store, answers, telegram_id)

    counts = await store.reports.activity("s", NOW.date())
    assert counts.started == 3
    assert counts.completed == counts.recent == {"n": 2, "s": 1}
    assert (await store.reports.activity("s", NOW.date() + dt.timedelta(days=1))).recent == {}
    assert await store.reports.completed_overall("s") == 3
    assert await store.reports.completed_overall("elsewhere") == 0


async def test_rebuilding_gives_the_totals_the_answer_path_kept(store: Store) -> None:
    for telegram_id, answers in enumerate(ANSWERS, start=1):
        await complete_live(store, answers, telegram_id)
    unfinished = await started(store, "s", 99)
    await answer(store, unfinished.id, "q1", "s", next_question="q2", now=NOW)
    live = await reported(store)

    assert await store.reports.rebuild_totals(count) == 3

    assert await reported(store) == live
    assert not await store.reports.totals_stale()


async def test_the_bulk_path_counts_as_the_answer_path_does(
    store: Store, other_store: Store
) -> None:
    for telegram_id, answers in enumerate(ANSWERS, start=1):
        await complete_live(store, answers, telegram_id)
    bulk = other_store
    member = await new_member(bulk, 1)
    version_id = await version(bulk, "s")
    await bulk.reports.add_completed(
        "s",
        [
            CompletedResponse(member.id, version_id, answers, *count(version_id, answers), NOW, NOW)
            for answers in ANSWERS
        ],
    )

    assert await reported(bulk) == await reported(store)
    assert await store.reports.completed_overall("s") == 3  # the figures compared are there


def build_version(path: Path, version: int, completions: list[tuple[int, dict]]) -> None:
    """A database as Doorstep left it at `version`, with these (member, answers) completions
    of survey s, in order."""
    stamp = NOW.isoformat()
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        for number, sql in migrations():
            if number <= version:
                connection.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};COMMIT;")
        connection.execute(
            "INSERT INTO survey_versions (id, survey_id, content_hash, definition,"
            " first_loaded_at) VALUES (1, 's', 'h', ?, ?)",
            (canonical_json(SURVEY), stamp),
        )
        for member_id in sorted({member_id for member_id, _ in completions}):
            connection.execute(
                "INSERT INTO members (id, telegram_id, created_at) VALUES (?, ?, ?)",
                (member_id, 1000 + member_id, stamp),
            )
        for response_id, (member_id, answers) in enumerate(completions, start=1):
            connection.execute(
                "INSERT INTO responses (id, member_id, survey_id, survey_version_id, status,"
                " step, started_at, updated_at, completed_at)"
                " VALUES (?, ?, 's', 1, 'completed', 4, ?, ?, ?)",
                (response_id, member_id, stamp, stamp, f"{stamp[:-6]}.{response_id:06d}+00:00"),
            )
            connection.executemany(
                "INSERT INTO answers (response_id, question_id, value, answered_at)"
                " VALUES (?, ?, ?, ?)",
                [(response_id, q, json.dumps(v), stamp) for q, v in answers.items() if v],
            )


async def test_a_database_from_before_the_totals_is_marked_for_a_recount(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    build_version(path, 1, [(1, ANSWERS[0])])

    db = await open_store(path)
    try:
        assert await db.reports.totals_stale()
        assert await db.reports.rebuild_totals(count) == 1
        assert (await db.reports.tallies_by_area("s"))[("n", "q2", "b")] == 1
        assert (await db.reports.activity("s", NOW.date())).started == 1
    finally:
        await db.close()


async def test_an_upgrade_counts_each_member_once_with_their_latest_completion(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    build_version(path, 5, [(1, ANSWERS[0]), (2, ANSWERS[1]), (1, ANSWERS[2])])

    db = await open_store(path)
    try:
        assert await rows(db, "SELECT id, counted FROM responses ORDER BY id") == [
            (1, 0),
            (2, 1),
            (3, 1),
        ]
        assert await db.reports.totals_stale()
        assert await db.reports.rebuild_totals(count) == 2
        by_area = await db.reports.tallies_by_area("s")
        assert by_area[("n", tally.COMPLETED, tally.ANSWERED)] == 1
        assert ("n", "q2", "b") not in by_area  # member 1's first answers are replaced
    finally:
        await db.close()


async def test_a_new_database_needs_no_recount(store) -> None:
    assert not await store.reports.totals_stale()


# --- organiser chats ------------------------------------------------------------------------


async def test_registering_again_changes_the_area_and_reactivates(store) -> None:
    await store.organisers.register_chat(-5, "group", "Team", None, NOW)
    await store.organisers.deactivate_chat(-5)

    chat = await store.organisers.register_chat(-5, "group", "Team North", "n", NOW)

    assert (chat.title, chat.area, chat.active) == ("Team North", "n", True)
    assert [c.chat_id for c in await store.organisers.active_chats()] == [-5]


async def test_a_digest_is_stored_and_cleared(store) -> None:
    await store.organisers.register_chat(-5, "group", "Team", None, NOW)
    weekly = Digest("weekly", dt.time(9, 30), 0)

    assert await store.organisers.set_digest(-5, weekly)
    assert (await store.organisers.find_chat(-5)).digest == weekly
    assert await store.organisers.set_digest(-5, None)
    assert (await store.organisers.find_chat(-5)).digest is None
    assert not await store.organisers.set_digest(-6, weekly)


async def test_a_migrated_group_keeps_its_registration(store: Store) -> None:
    await store.organisers.register_chat(-5, "group", "Team", "n", NOW)

    moved = await store.organisers.move_chat(-5, -1005)

    assert (moved.chat_id, moved.area) == (-1005, "n")
    assert await store.organisers.find_chat(-5) is None
    assert await store.organisers.find_chat(-1005) == moved


async def test_a_milestone_is_claimed_once(store) -> None:
    assert await store.organisers.claim_milestone("s", 10, NOW)
    assert not await store.organisers.claim_milestone("s", 10, NOW)
    assert await store.organisers.claim_milestone("s", 50, NOW)


async def test_unregistering_a_chat_that_is_not_registered_says_so(store) -> None:
    assert not await store.organisers.unregister_chat(-5)
