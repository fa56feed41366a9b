"""What a member reads when the bot writes to them unasked: invitations and reminders, and
the replies to turning them off or on. HTML, escaped here (button labels are plain text).
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.callbacks import Invitations, OpenSurvey
from handlers.render import (
    MAX_MESSAGE_LENGTH,
    button,
    shown_length,
    survey_intro,
    utf16_length,
)
from storage.model import ContactState
from surveys.model import Survey

NO_MORE = "No more invitations"
TURN_ON = "Turn invitations back on"
TURNED_OFF = (
    "Done: no more invitations or reminders. I still answer whenever you write to me; "
    "turn them back on in /privacy."
)
TURNED_ON = (
    "Invitations are on: I will tell you when a survey opens, and remind you of one you leave "
    "half way."
)
# Someone with no record: the bot never writes to them unasked, and stores nothing to say so.
NOTHING_TO_STOP = (
    "I only write to people who agreed to the privacy notice, and nothing about you is stored: "
    "you will get no invitations."
)


def invitation(survey: Survey, room: int = MAX_MESSAGE_LENGTH) -> tuple[str, InlineKeyboardMarkup]:
    """An invitation: which survey, why (its intro, cut to fit `room` as Telegram counts it), a
    button to take part (resuming it if started) and one to hear no more."""
    text = survey_intro(survey)
    excess = shown_length(text) - room
    if excess > 0:  # only for the longest intros, of characters UTF-16 counts twice
        intro = _cut_units(survey.intro, utf16_length(survey.intro) - excess - 1) + "…"
        text = survey_intro(survey.model_copy(update={"intro": intro}))
    return text, _markup(button("Take part", OpenSurvey(survey.id)))


def _cut_units(text: str, units: int) -> str:
    """The longest start of `text` of at most `units` UTF-16 code units."""
    kept = 0
    for end, character in enumerate(text):
        kept += utf16_length(character)
        if kept > units:
            return text[:end]
    return text


def reminder(survey: Survey) -> tuple[str, InlineKeyboardMarkup]:
    """A reminder of an unfinished response."""
    text = (
        f"You have not finished <b>{escape(survey.title)}</b> yet. "
        "Your answers so far are kept: carry on where you stopped?"
    )
    return text, _markup(button("Continue", OpenSurvey(survey.id)))


def _markup(take_part: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[take_part], [button(NO_MORE, Invitations(False))]])


def toggle(on: bool) -> InlineKeyboardButton:
    """The button that changes a member's invitations: off while they are on, and back."""
    return button(NO_MORE, Invitations(False)) if on else button(TURN_ON, Invitations(True))


def status(contact: ContactState | None) -> str:
    """The member's invitations, as /privacy states them."""
    if contact is None:
        return ""
    if contact.invitations:
        return (
            "<b>Invitations:</b> on. I may invite you to new surveys and remind you of one you "
            "left half way (never at night)."
        )
    return "<b>Invitations:</b> off. I write to you only when you write to me."
