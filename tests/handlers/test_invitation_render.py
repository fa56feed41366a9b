"""Invitations, reminders, the preview and the progress card: escaped, within Telegram's 4096
characters whatever the survey's title and intro, and the card's counts and buttons."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from handlers import contact_render, invitation_render
from handlers.render import MAX_MESSAGE_LENGTH, shown_length
from storage.model import LeftOut, Round, RoundProgress
from surveys.model import Survey
from tests.app.test_notice import telegram_html_problems

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def survey(title: str = "Local <b>&</b> priorities", intro: str = "Why <i>&</i> how.") -> Survey:
    return Survey.model_validate(
        {
            "id": "local",
            "title": title,
            "intro": intro,
            "questions": [{"id": "q", "type": "yesno", "text": "Yes?"}],
        }
    )


# The longest a survey allows, in characters UTF-16 counts twice, with markup to escape.
LONGEST = survey("😀" * 199 + "<", "&" + "🏠" * 1999)
SENDING = Round(1, "local", "north <b>", "sending", NOW.isoformat(), NOW.isoformat())


def test_an_invitation_says_which_survey_and_why_with_its_two_buttons():
    text, markup = contact_render.invitation(survey())

    assert (
        text
        == "<b>Local &lt;b&gt;&amp;&lt;/b&gt; priorities</b>\n\nWhy &lt;i&gt;&amp;&lt;/i&gt; how."
    )
    assert [b.text for row in markup.inline_keyboard for b in row] == [
        "Take part",
        "No more invitations",
    ]


@pytest.mark.parametrize("room", [MAX_MESSAGE_LENGTH, invitation_render.QUOTE_ROOM])
def test_the_longest_invitation_is_cut_to_fit_and_still_parses(room: int):
    text, _ = contact_render.invitation(LONGEST, room)

    assert shown_length(text) <= room
    assert text.endswith("…")
    assert telegram_html_problems(text) == []


def test_the_preview_of_the_longest_survey_fits_one_message():
    text, markup = invitation_render.preview(LONGEST, SENDING, 10_000, LeftOut(1, 2, 3))

    assert shown_length(text) <= MAX_MESSAGE_LENGTH
    assert telegram_html_problems(text) == []
    assert [b.text for row in markup.inline_keyboard for b in row] == [
        "Send to 10000 members",
        "Cancel",
    ]


def test_a_preview_that_reaches_nobody_offers_only_cancel():
    _, markup = invitation_render.preview(survey(), SENDING, 0, LeftOut(3, 0, 0))

    assert [b.text for row in markup.inline_keyboard for b in row] == ["Cancel"]


def test_the_card_counts_each_state_and_estimates_the_time_left():
    progress = RoundProgress({"sent": 50, "waiting": 50, "failed": 1, "unreachable": 2})
    started = replace(SENDING, started_at=(NOW - dt.timedelta(minutes=2)).isoformat())

    text, markup = invitation_render.card(LONGEST, started, progress, NOW)

    assert "53 of 103" in text
    assert "Sent 50 · waiting 50 · failed 1 · unreachable 2 · skipped 0 · unknown 0" in text
    assert "About 2 min left." in text
    assert "north &lt;b&gt;" in text
    assert shown_length(text) <= MAX_MESSAGE_LENGTH
    assert markup is not None
    assert [b.text for row in markup.inline_keyboard for b in row] == ["Pause", "Cancel"]


def test_in_quiet_hours_the_card_says_when_they_end_and_no_time_left():
    progress = RoundProgress({"sent": 5, "waiting": 5})

    text, _ = invitation_render.card(survey(), SENDING, progress, NOW, NOW.replace(hour=9))

    assert "quiet hours end at 09:00" in text
    assert "left." not in text


@pytest.mark.parametrize(
    ("state", "buttons"),
    [("paused", ["Resume", "Cancel"]), ("cancelled", None), ("finished", None), ("closed", None)],
)
def test_the_card_offers_what_the_state_allows(state: str, buttons: list[str] | None):
    ended = replace(SENDING, state=state)

    _, markup = invitation_render.card(survey(), ended, RoundProgress({}), NOW)

    labels = None if markup is None else [b.text for row in markup.inline_keyboard for b in row]
    assert labels == buttons


def test_the_progress_bar_fills_with_what_is_done():
    assert invitation_render.progress_bar(0, 10) == "░" * 20
    assert invitation_render.progress_bar(5, 10) == "▓" * 10 + "░" * 10
    assert invitation_render.progress_bar(0, 0) == "▓" * 20
