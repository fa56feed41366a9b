"""The audit log: every release of results and every registration is recorded, never content,
and administrators read it with /audit in private."""

from __future__ import annotations

import pytest

from handlers import organiser_render as text
from tests.support.harness import BotHarness, GroupChat
from tests.support.organisers import ADMIN, GROUP, ORGANISER, digest_jobs


async def audit_rows(harness: BotHarness) -> list[tuple]:
    return await harness.rows(
        "SELECT actor, chat_id, action, survey_id, scope FROM audit_log ORDER BY id"
    )


async def test_results_released_and_registrations_are_recorded_with_who_and_where(
    harness: BotHarness,
) -> None:
    for number in range(5):
        await harness.member(6000 + number).take_survey("pulse", "Yes")
    organisers = harness.group(GROUP, "Organisers", ADMIN)
    await organisers.send("/register")
    await organisers.speaker(ORGANISER).send("/summary pulse")
    await organisers.speaker(ORGANISER).tap("📊 Chart")
    await organisers.send("/digest daily 08:00")
    (job,) = digest_jobs(harness)
    await job.run(harness.application)
    admin = harness.member(ADMIN, "Ada")
    await admin.send("/export pulse")

    rows = await audit_rows(harness)

    assert rows[:3] == [
        (ADMIN, GROUP, "register", None, "all"),
        (ORGANISER, GROUP, "summary", "pulse", "all"),
        (ORGANISER, GROUP, "summary", "pulse", "all chart"),
    ]
    assert (None, GROUP, "digest", "pulse", "all") in rows[3:]
    assert rows[-1] == (ADMIN, ADMIN, "export", "pulse", "all")


async def test_administrators_read_the_newest_entries_in_private(harness: BotHarness) -> None:
    organisers = harness.group(GROUP, "Organisers", ADMIN)
    await organisers.send("/register north")
    await organisers.send("/summary local")
    admin = harness.member(ADMIN, "Ada")

    await admin.send("/audit")

    lines = admin.latest().plain.splitlines()
    assert lines[0] == "Audit log (newest first)"
    assert lines[1].endswith(f"summary local area north · chat {GROUP} · user {ADMIN}")
    assert lines[2].endswith(f"register area north · chat {GROUP} · user {ADMIN}")


@pytest.mark.parametrize("where", ["group", "private"])
async def test_anyone_else_is_refused_the_audit_log(harness: BotHarness, where: str) -> None:
    organisers = harness.group(GROUP, "Organisers", ADMIN)
    await organisers.send("/register")
    chat: GroupChat | object = organisers if where == "group" else harness.member(ORGANISER, "Olu")

    await chat.send("/audit")

    assert chat.latest().plain == text.ADMINS_ONLY
