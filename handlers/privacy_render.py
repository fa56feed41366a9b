"""What a member reads about their own data: the notice with their choice, the confirmation
before deleting, and the /mydata file (a JSON document of everything held about them).

Texts are HTML (the bot's parse mode); survey and member text in the JSON file is data, not
markup, and is left as it is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from telegram import InlineKeyboardMarkup

from app.notice import Notice
from handlers import contact_render, render
from handlers.callbacks import Consent, Forget
from storage.model import ConsentRecord, ContactState, HeldData, HeldResponse
from surveys.engine import answer_text
from surveys.model import Survey

ASK_TO_AGREE = "<b>Do you agree to us storing your answers on these terms?</b>"
NEVER_AGREED = (
    "You have not agreed to the privacy notice, so nothing is being collected from you and "
    "nothing about you is stored. Send /privacy to read it."
)
NOT_AGREED = (
    "You have withdrawn your consent, so nothing is being collected from you. Send /privacy "
    "to agree again, or /forget to delete what is held about you."
)
NOTHING_HELD = "Nothing is held about you: I have no record of you at all."
FORGET_CONFIRM = (
    "<b>Delete everything held about you?</b>\n"
    "Your answers, your decisions on the privacy notice and your record will be deleted for "
    "good, and the results will no longer count your answers. This cannot be undone. (Answers "
    "to surveys closed long ago are already kept without any link to you: they stay, as no one "
    "can tell they were yours.)"
)
FORGOTTEN = (
    "Done: everything held about you is deleted, and the results no longer count your answers. "
    "Our chat history stays on your device: use Telegram's Delete chat to clear it. "
    "Send /start if you ever want to take part again."
)
KEPT = "Nothing was deleted."
MYDATA_CAPTION = "Everything held about you, as a JSON file."
NOT_A_MEMBER_CONTACT = "None: I write only to members, and only in reply to your own messages."


def with_question(notice: Notice) -> str:
    """The notice as first shown, asking for a decision."""
    return f"{notice.text}\n\n{ASK_TO_AGREE}"


def privacy_status(
    notice: Notice,
    consent: ConsentRecord | None,
    timezone: dt.tzinfo = dt.UTC,
    contact: ContactState | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """/privacy: the notice, the member's current choice and their invitations, and the buttons
    that change them."""
    if consent is None:
        return with_question(notice), render.notice_keyboard(notice.version, None)
    day = _day(consent.decided_at, timezone)
    if consent.agreed:
        earlier = "" if consent.notice_version == notice.version else " to an earlier version"
        status = f"<b>Your choice:</b> you agreed{earlier} on {day}. You can withdraw at any time."
        rows = [[render.button("Withdraw my consent", Consent(False, notice.version))]]
        if contact is not None:
            status += f"\n{contact_render.status(contact)}"
            rows.append([contact_render.toggle(contact.invitations)])
    else:
        status = f"<b>Your choice:</b> you withdrew your consent on {day}, so I take no answers."
        rows = [[render.button("I agree", Consent(True, notice.version))]]
    return f"{notice.text}\n\n{status}", InlineKeyboardMarkup(rows)


def forget_keyboard() -> InlineKeyboardMarkup:
    """Delete everything / Keep my data."""
    return InlineKeyboardMarkup(
        [
            [
                render.button("Delete everything", Forget(True)),
                render.button("Keep my data", Forget(False)),
            ]
        ]
    )


def _day(timestamp: str, timezone: dt.tzinfo) -> str:
    """A stored time as the day it was where the movement is: 2 March 2025."""
    day = dt.datetime.fromisoformat(timestamp).astimezone(timezone)
    return f"{day.day} {day:%B %Y}"


def held_data_json(
    held: HeldData, surveys: Mapping[int, Survey], respondent_code: str, now: dt.datetime
) -> bytes:
    """Everything held about a member as a JSON document (UTF-8), readable by a person.

    `surveys` has the version of every response, for question texts and answers in words;
    `respondent_code` is how the member's responses appear in exports.
    """
    document = {
        "about": "Everything Doorstep holds about you.",
        "generated_at": now.isoformat(timespec="seconds"),
        "member": {
            "telegram_id": held.telegram_id,
            "first_decision_at": held.created_at,
            "respondent_code_in_exports": respondent_code or None,
        },
        "consents": [
            {
                "agreed": consent.agreed,
                "notice_version": consent.notice_version,
                "decided_at": consent.decided_at,
            }
            for consent in held.consents
        ],
        "responses": [
            _response(response, surveys[response.version_id]) for response in held.responses
        ],
        "contact_preferences": _contact(held),
        "technical": {
            "answering_survey": held.answering,
            "last_message_handled": held.last_message_id,
        },
        "as_organiser": [
            {
                "at": entry.at,
                "action": entry.action,
                "chat_id": entry.chat_id,
                "survey_id": entry.survey_id,
                "scope": entry.scope,
            }
            for entry in held.audit_entries
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def _contact(held: HeldData) -> object:
    """Whether and where the bot may write to the member unasked, and the invitations it
    sent them."""
    if held.contact is None:
        return NOT_A_MEMBER_CONTACT
    return {
        "invitations_and_reminders": "on" if held.contact.invitations else "off",
        "unreachable_since": held.contact.unreachable_since,
        "area": held.contact.area,
        "invitations": [
            {"survey_id": survey_id, "delivery": state} for survey_id, state in held.invitations
        ],
    }


def _response(response: HeldResponse, survey: Survey) -> dict[str, object]:
    return {
        "survey_id": response.survey_id,
        "survey": survey.title,
        "status": "completed" if response.completed else "in progress",
        "started_at": response.started_at,
        "last_changed_at": response.updated_at,
        "completed_at": response.completed_at,
        "current_question": response.current_question,
        "ticked_before_done": response.ticked,
        "reminders_sent": response.reminders_sent,
        "last_reminded_at": response.reminded_at,
        "answers": [
            {
                "question_id": question.id,
                "question": question.text,
                "answer": response.answers[question.id],
                "in_words": answer_text(question, response.answers[question.id]),
                "answered_at": response.answered_at[question.id],
            }
            for question in survey.questions
            if question.id in response.answers
        ],
    }
