"""The answer path costs the database one statement: an accepted answer is one write (which
commits itself) after one read, through the real Application, whatever the tap or message. So
does opening a survey, the first update of every member at a launch, new or resumed (resuming
a response to an older version of the survey reads that version too, the first time the process
meets it: the catalogue keeps it from then on)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.test_answering import answer_up_to_priorities
from tests.support.harness import BotHarness, MemberChat


@pytest.fixture
async def statements(harness: BotHarness) -> AsyncIterator[list[str]]:
    """Every SQL statement the store runs from here on. SQLite reports each step of a trigger
    with the text of the statement that fired it: those repeats are one statement."""
    seen: list[str] = []

    def record(sql: str) -> None:
        if not seen or seen[-1] != sql:
            seen.append(sql)

    connection = harness.db._connection
    await connection.set_trace_callback(record)
    yield seen
    await connection.set_trace_callback(None)


def kinds(statements: list[str]) -> list[str]:
    """The first word of each statement: SELECT, INSERT, BEGIN, COMMIT, …"""
    return [sql.split()[0].upper() for sql in statements]


def assert_one_read_and_one_insert_into(view: str, statements: list[str]) -> None:
    """The statements were one read, then one insert into `view` (a path's one write)."""
    assert kinds(statements) == ["SELECT", "INSERT"], statements
    assert statements[1].startswith(f"INSERT INTO {view} "), statements[1]


async def test_a_typed_answer_is_one_read_and_one_write(
    harness: BotHarness, member: MemberChat, statements: list[str]
) -> None:
    await member.send("/start all-types")
    await member.tap("North <b>&</b> *stars*")
    await member.tap("Yes")
    statements.clear()

    await member.send("Central branch")

    assert_one_read_and_one_insert_into("answer_submissions", statements)
    assert (await harness.answers_of(member))["branch"] == "Central branch"


async def test_a_tapped_answer_is_one_read_and_one_write(
    harness: BotHarness, member: MemberChat, statements: list[str]
) -> None:
    await answer_up_to_priorities(member)
    await member.tap("Housing")
    await member.tap("Done")
    statements.clear()

    await member.tap("4")

    assert_one_read_and_one_insert_into("answer_submissions", statements)
    assert (await harness.answers_of(member))["hope"] == 4


async def test_opening_a_survey_is_one_read_and_one_write(
    harness: BotHarness, member: MemberChat, statements: list[str]
) -> None:
    await member.send("/start all-types")

    assert_one_read_and_one_insert_into("survey_openings", statements)
    assert "Where do you live? <North> & *South*" in member.latest().plain


async def test_resuming_a_survey_by_its_button_is_one_read_and_one_write(
    harness: BotHarness, member: MemberChat, statements: list[str]
) -> None:
    await answer_up_to_priorities(member)
    await member.send("/cancel")
    await member.send("/surveys")
    statements.clear()

    await member.tap("Continue: Test <all> & *types*")

    assert_one_read_and_one_insert_into("survey_openings", statements)
    assert "Your priorities?" in member.latest().plain
