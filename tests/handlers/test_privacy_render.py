"""What a member reads about their own data: the /mydata document and the /privacy status."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram import InlineKeyboardMarkup

from app.notice import Notice
from handlers.callbacks import Consent, Forget, decode
from handlers.privacy_render import (
    ASK_TO_AGREE,
    NOT_A_MEMBER_CONTACT,
    forget_keyboard,
    held_data_json,
    privacy_status,
    with_question,
)
from storage.model import AuditEntry, ConsentRecord, ContactState, HeldData, HeldResponse
from surveys.model import Survey
from tests.app.test_notice import telegram_html_problems

NOW = dt.datetime(2025, 3, 5, 9, 30, 15, 123456, tzinfo=dt.UTC)
TELEGRAM_ID = 7391045216883
FIRST = "2025-03-01T12:00:00+00:00"
SECOND = "2025-03-02T08:15:00+00:00"
WORDS = 'Café – £5 a week 😀 "quoted" <b>not markup</b> & more'


def survey(area_text: str) -> Survey:
    return Survey.model_validate(
        {
            "id": "street",
            "title": "Your street",
            "intro": "Hello",
            "questions": [
                {
                    "id": "area",
                    "type": "choice",
                    "text": area_text,
                    "breakdown": True,
                    "choices": [{"value": "n", "label": "North"}, {"value": "s", "label": "South"}],
                },
                {
                    "id": "issues",
                    "type": "multi",
                    "text": "Which issues?",
                    "choices": [
                        {"value": "rent", "label": "Rent"},
                        {"value": "bus", "label": "Buses"},
                        {"value": "jobs", "label": "Jobs"},
                    ],
                },
                {"id": "member", "type": "yesno", "text": "A member?", "required": False},
                {"id": "size", "type": "number", "text": "How many at home?"},
                {"id": "why", "type": "text", "text": "Why?", "required": False},
            ],
        }
    )


V1, V2 = survey("Where do you live?"), survey("Which area?")
COMPLETED = HeldResponse(
    "street",
    1,
    True,
    FIRST,
    SECOND,
    # not in survey order, as the database may give them
    {"why": WORDS, "size": 2.5, "member": None, "issues": ["rent", "bus"], "area": "n"},
    {"area": FIRST, "issues": FIRST, "member": SECOND, "size": SECOND, "why": SECOND},
)
IN_PROGRESS = HeldResponse("street", 2, False, SECOND, None, {"area": "s"}, {"area": SECOND})
HELD = HeldData(
    17,
    TELEGRAM_ID,
    FIRST,
    [ConsentRecord(True, "0123456789ab", FIRST), ConsentRecord(False, "0123456789ab", SECOND)],
    [COMPLETED, IN_PROGRESS],
)


def document(held: HeldData = HELD) -> dict[str, Any]:
    data = held_data_json(held, {1: V1, 2: V2}, "resp-code", NOW)
    assert isinstance(data, bytes)
    return json.loads(data.decode("utf-8"))  # strict: invalid UTF-8 raises


# --- /mydata ----------------------------------------------------------------------------------


def test_the_document_is_utf8_json_with_text_as_written():
    data = held_data_json(HELD, {1: V1, 2: V2}, "resp-code", NOW)

    # not \u-escaped, not HTML-escaped: only JSON's own quoting
    assert json.dumps(WORDS, ensure_ascii=False).encode() in data
    assert "Café – £5 a week 😀".encode() in data
    assert json.loads(data.decode("utf-8"))["responses"][0]["answers"][-1]["answer"] == WORDS


def test_the_document_names_the_member_and_when_it_was_made():
    doc = document()

    assert doc["member"] == {
        "telegram_id": TELEGRAM_ID,
        "first_decision_at": FIRST,
        "respondent_code_in_exports": "resp-code",
    }
    assert doc["generated_at"] == "2025-03-05T09:30:15+00:00"
    assert doc["contact_preferences"] == NOT_A_MEMBER_CONTACT  # HELD has no contact state


def test_the_document_states_the_members_invitations_area_and_invitations_sent():
    held = replace(
        HELD,
        contact=ContactState(False, "2025-03-04T10:00:00+00:00", "north"),
        invitations=[("s", "sent"), ("s", "unknown")],
    )

    doc = json.loads(held_data_json(held, {1: V1, 2: V2}, "resp-code", NOW).decode())

    assert doc["contact_preferences"] == {
        "invitations_and_reminders": "off",
        "unreachable_since": "2025-03-04T10:00:00+00:00",
        "area": "north",
        "invitations": [
            {"survey_id": "s", "delivery": "sent"},
            {"survey_id": "s", "delivery": "unknown"},
        ],
    }


def test_the_document_lists_every_consent_decision_in_order():
    assert document()["consents"] == [
        {"agreed": True, "notice_version": "0123456789ab", "decided_at": FIRST},
        {"agreed": False, "notice_version": "0123456789ab", "decided_at": SECOND},
    ]


def test_a_completed_response_has_every_answer_in_survey_order_with_words():
    completed = document()["responses"][0]

    assert {key: value for key, value in completed.items() if key != "answers"} == {
        "survey_id": "street",
        "survey": "Your street",
        "status": "completed",
        "started_at": FIRST,
        "last_changed_at": None,
        "completed_at": SECOND,
        "current_question": None,
        "ticked_before_done": [],
        "reminders_sent": 0,
        "last_reminded_at": None,
    }
    assert completed["answers"] == [
        {
            "question_id": "area",
            "question": "Where do you live?",
            "answer": "n",
            "in_words": "North",
            "answered_at": FIRST,
        },
        {
            "question_id": "issues",
            "question": "Which issues?",
            "answer": ["rent", "bus"],
            "in_words": "Rent, Buses",
            "answered_at": FIRST,
        },
        {
            "question_id": "member",
            "question": "A member?",
            "answer": None,
            "in_words": "(skipped)",
            "answered_at": SECOND,
        },
        {
            "question_id": "size",
            "question": "How many at home?",
            "answer": 2.5,
            "in_words": "2.5",
            "answered_at": SECOND,
        },
        {
            "question_id": "why",
            "question": "Why?",
            "answer": WORDS,
            "in_words": WORDS,
            "answered_at": SECOND,
        },
    ]


def test_a_response_in_progress_has_its_answers_so_far_in_the_words_of_its_version():
    in_progress = document()["responses"][1]

    assert in_progress["status"] == "in progress"
    assert in_progress["completed_at"] is None
    assert in_progress["answers"] == [
        {
            "question_id": "area",
            "question": "Which area?",  # version 2's text
            "answer": "s",
            "in_words": "South",
            "answered_at": SECOND,
        }
    ]


def test_a_member_with_no_responses_has_an_empty_list():
    doc = document(HeldData(3, 42, FIRST, [ConsentRecord(False, "0123456789ab", FIRST)], []))

    assert doc["responses"] == []
    assert doc["member"]["telegram_id"] == 42


def test_an_unfinished_response_shows_where_it_stands_and_the_ticks_before_done():
    ticking = replace(
        IN_PROGRESS, updated_at=SECOND, current_question="issues", ticked=["rent", "jobs"]
    )
    held = replace(HELD, responses=[ticking], answering="street", last_message_id=41)

    doc = document(held)

    (response,) = doc["responses"]
    assert response["last_changed_at"] == SECOND
    assert response["current_question"] == "issues"
    assert response["ticked_before_done"] == ["rent", "jobs"]
    assert [answer["question_id"] for answer in response["answers"]] == ["area"]
    assert doc["technical"] == {"answering_survey": "street", "last_message_handled": 41}


def test_what_the_audit_log_records_the_member_doing_as_an_organiser_is_listed():
    entries = [
        AuditEntry(FIRST, TELEGRAM_ID, TELEGRAM_ID, "export", "street", "all"),
        AuditEntry(SECOND, TELEGRAM_ID, -1001000000001, "summary", "street", "area n"),
    ]

    doc = document(replace(HELD, audit_entries=entries))

    assert doc["as_organiser"] == [
        {
            "at": FIRST,
            "action": "export",
            "chat_id": TELEGRAM_ID,
            "survey_id": "street",
            "scope": "all",
        },
        {
            "at": SECOND,
            "action": "summary",
            "chat_id": -1001000000001,
            "survey_id": "street",
            "scope": "area n",
        },
    ]


def test_a_member_who_is_no_organiser_and_answers_nothing_now_has_empty_technical_data():
    doc = document()

    assert doc["technical"] == {"answering_survey": None, "last_message_handled": 0}
    assert doc["as_organiser"] == []


# --- /privacy ---------------------------------------------------------------------------------

NOTICE = Notice.from_markdown("# Your privacy\n\nWe keep answers {retention_days} days.", 30)


def buttons(markup: InlineKeyboardMarkup) -> list[list[tuple[str, object]]]:
    """Each button as (label, what its callback data decodes to)."""
    return [[(b.text, decode(b.callback_data)) for b in row] for row in markup.inline_keyboard]


def test_without_a_decision_the_notice_asks_and_offers_both_choices():
    text, markup = privacy_status(NOTICE, None)

    assert text == with_question(NOTICE) == f"{NOTICE.text}\n\n{ASK_TO_AGREE}"
    assert buttons(markup) == [
        [
            ("I agree", Consent(True, NOTICE.version)),
            ("No thanks", Consent(False, NOTICE.version)),
        ]
    ]


def test_after_agreeing_the_notice_says_when_and_offers_to_withdraw():
    text, markup = privacy_status(NOTICE, ConsentRecord(True, NOTICE.version, FIRST))

    assert text.startswith(NOTICE.text + "\n\n")
    assert "you agreed on 1 March 2025" in text
    assert buttons(markup) == [[("Withdraw my consent", Consent(False, NOTICE.version))]]


def test_after_withdrawing_the_notice_says_so_and_offers_to_agree():
    text, markup = privacy_status(NOTICE, ConsentRecord(False, NOTICE.version, SECOND))

    assert text.startswith(NOTICE.text + "\n\n")
    assert "you withdrew your consent on 2 March 2025" in text
    assert "agreed on" not in text
    assert buttons(markup) == [[("I agree", Consent(True, NOTICE.version))]]


def test_the_button_carries_the_notice_shown_not_the_one_decided_on():
    _, markup = privacy_status(NOTICE, ConsentRecord(False, "aaaaaaaaaaaa", FIRST))

    assert buttons(markup) == [[("I agree", Consent(True, NOTICE.version))]]
    assert NOTICE.version != "aaaaaaaaaaaa"


@pytest.mark.parametrize(
    "consent",
    [None, ConsentRecord(True, "0123456789ab", FIRST), ConsentRecord(False, "x", SECOND)],
)
def test_every_status_is_html_telegram_accepts(consent):
    text, _ = privacy_status(NOTICE, consent)
    assert telegram_html_problems(text) == []


def test_forget_asks_to_delete_or_keep():
    assert buttons(forget_keyboard()) == [
        [("Delete everything", Forget(True)), ("Keep my data", Forget(False))]
    ]


def test_an_agreement_to_an_earlier_notice_says_so():
    text, _ = privacy_status(NOTICE, ConsentRecord(True, "aaaaaaaaaaaa", FIRST))

    assert "you agreed to an earlier version on 1 March 2025" in text


def test_the_day_of_a_decision_is_the_day_where_the_movement_is():
    late_evening = "2025-03-01T23:30:00+00:00"  # already 2 March in Tokyo
    consent = ConsentRecord(True, NOTICE.version, late_evening)

    in_london, _ = privacy_status(NOTICE, consent, ZoneInfo("Europe/London"))
    in_tokyo, _ = privacy_status(NOTICE, consent, ZoneInfo("Asia/Tokyo"))

    assert "you agreed on 1 March 2025" in in_london
    assert "you agreed on 2 March 2025" in in_tokyo
