"""Consent: nothing is stored before a member agrees, and the decision is kept with its version."""

from __future__ import annotations

from pathlib import Path

from handlers import render
from tests.support.fake_telegram import plain_text
from tests.support.harness import BotHarness


async def test_start_shows_the_notice_and_stores_nothing(harness: BotHarness) -> None:
    chat = harness.member()
    await chat.send("/start")

    assert "Your privacy" in chat.latest().plain
    assert chat.latest().labels() == ["I agree", "No thanks"]
    assert await harness.rows("SELECT * FROM members") == []


async def test_agreeing_records_time_and_notice_version(harness: BotHarness) -> None:
    chat = harness.member()
    await chat.send("/start")
    await chat.tap("I agree")

    consents = await harness.rows("SELECT agreed, notice_version, decided_at FROM consents")
    assert consents == [(1, harness.notice.version, harness.clock().isoformat())]
    # The notice was replaced by the thanks and the list, its buttons by the list's.
    (shown,) = chat.messages()
    assert shown.plain.startswith(f"{render.AGREED}\n\nSurveys open now")
    assert shown.labels() == ["Test <all> & *types*", "Quick poll"]


async def test_refusing_stores_nothing_at_all(harness: BotHarness) -> None:
    chat = harness.member()
    await chat.send("/start")
    await chat.tap("No thanks")

    # Not even the refusal: a record of it would itself be data about someone who said no.
    for table in ("members", "consents", "responses", "handled_taps"):
        assert await harness.count(table) == 0, table
    assert chat.latest().plain == plain_text(render.DECLINED)


async def test_a_member_who_refused_cannot_answer(harness: BotHarness) -> None:
    chat = harness.member()
    await chat.send("/start")
    await chat.tap("No thanks")

    await chat.send("/surveys")
    assert "Your privacy" in chat.latest().plain
    await chat.send("hello")
    assert chat.latest().plain == render.NEEDS_CONSENT
    await chat.press("o:all-types")
    assert chat.callback_answers()[-1]["text"] == render.NEEDS_CONSENT
    assert await harness.rows("SELECT count(*) FROM responses") == [(0,)]


async def test_the_deep_link_survey_opens_after_agreeing(harness: BotHarness) -> None:
    chat = harness.member()
    await chat.send("/start all-types")
    await chat.tap("I agree")

    # The notice became the thanks, the survey's intro and its first question, with its buttons.
    (shown,) = chat.messages()
    assert shown.plain.startswith(f"{render.AGREED}\n\nTest <all> & *types*\n\nA survey for")
    assert "Question 1 of" in shown.plain
    assert "Where do you live?" in shown.plain
    assert shown.labels() == ["North <b>&</b> *stars*", "South_under [x]"]


async def test_a_forged_deep_link_payload_is_dropped(harness: BotHarness) -> None:
    chat = harness.member()
    await chat.send("/start ../../etc")
    await chat.tap("I agree")

    assert "Surveys open now" in chat.latest().plain


async def test_agreeing_after_refusing_records_the_agreement(harness: BotHarness) -> None:
    chat = harness.member()
    await chat.send("/start")
    await chat.tap("No thanks")
    await chat.send("/start")
    await chat.tap("I agree")

    assert await harness.rows("SELECT agreed FROM consents ORDER BY id") == [(1,)]
    await chat.send("/surveys")
    assert chat.latest().labels() == ["Test <all> & *types*", "Quick poll"]


async def test_a_redelivered_agreement_adds_no_row(harness: BotHarness) -> None:
    chat = harness.member()
    await chat.send("/start")
    await chat.tap("I agree")
    await chat.redeliver()

    assert await harness.rows("SELECT count(*) FROM consents") == [(1,)]


async def test_agreeing_to_a_notice_whose_text_has_since_changed_shows_the_new_text(
    database: Path, tmp_path: Path
) -> None:
    before = await BotHarness.start(database)
    await before.member().send("/start all-types")
    old_notice = before.member().latest_with_buttons()
    # A deployment changes the notice file.
    changed = tmp_path / "notice.md"
    changed.write_text("**We changed the notice.** Retention: {retention_days} days.")
    await before.stop()
    harness = await BotHarness.start(
        database, api=before.api, clock=before.clock, privacy_notice=changed
    )
    chat = harness.member()

    await chat.tap("I agree", old_notice)

    assert chat.callback_answers()[-1]["text"] == render.NOTICE_CHANGED
    assert "We changed the notice. Retention: 730 days." in chat.latest().plain
    assert await harness.count("consents") == 0
    await chat.tap("I agree")  # on the notice just sent, carrying the new version
    assert await harness.rows("SELECT agreed, notice_version FROM consents") == [
        (1, harness.notice.version)
    ]
    assert harness.notice.version != before.notice.version
    assert "Where do you live?" in chat.latest().plain
    await harness.stop()
    before.assert_no_errors()
    harness.assert_no_errors()
