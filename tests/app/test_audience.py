"""The audience rules: who a round invites, and why the others are left out."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from app.audience import Reason, audience, may_invite, reason_left_out
from storage.model import Contact, LeftOut
from surveys.model import Survey

ONCE = Survey.model_validate(
    {
        "id": "once",
        "title": "Once",
        "intro": "Hello",
        "questions": [{"id": "q", "type": "yesno", "text": "Yes?"}],
    }
)
AGAIN = ONCE.model_copy(update={"id": "again", "repeatable": True})
FRESH = Contact(
    1, 101, agreed=True, invitations=True, reachable=True, completed=False, responded_since=False
)

contacts = st.builds(
    Contact,
    member_id=st.integers(1, 10_000),
    telegram_id=st.integers(1, 10_000),
    agreed=st.booleans(),
    invitations=st.booleans(),
    reachable=st.booleans(),
    completed=st.booleans(),
    responded_since=st.booleans(),
)


def test_a_member_who_agreed_takes_invitations_and_can_be_reached_is_invited():
    assert reason_left_out(FRESH, ONCE) is None
    assert may_invite(FRESH, ONCE)


def test_a_member_who_completed_a_survey_taken_once_is_never_invited_to_it():
    done = replace(FRESH, completed=True)

    assert reason_left_out(done, ONCE) is Reason.DONE
    assert reason_left_out(done, AGAIN) is None  # a repeatable survey invites them again


def test_a_member_who_responded_since_the_last_round_is_left_out_of_the_next():
    assert reason_left_out(replace(FRESH, responded_since=True), AGAIN) is Reason.DONE


def test_turned_off_and_unreachable_members_are_left_out_with_their_reason():
    assert reason_left_out(replace(FRESH, invitations=False), ONCE) is Reason.TURNED_OFF
    assert reason_left_out(replace(FRESH, reachable=False), ONCE) is Reason.UNREACHABLE


def test_a_member_who_withdrew_is_neither_invited_nor_counted():
    withdrew = replace(FRESH, agreed=False)

    split = audience([withdrew, replace(FRESH, member_id=2)], ONCE)

    assert not may_invite(withdrew, ONCE)
    assert split.invited == [2]
    assert split.left_out == LeftOut()


def test_the_audience_counts_each_reason():
    members = [
        FRESH,
        replace(FRESH, member_id=2, completed=True),
        replace(FRESH, member_id=3, invitations=False),
        replace(FRESH, member_id=4, reachable=False),
        replace(FRESH, member_id=5, reachable=False, invitations=False, completed=True),
    ]

    split = audience(members, ONCE)

    assert split.invited == [1]
    assert split.left_out == LeftOut(done=2, turned_off=1, unreachable=1)


@given(st.lists(contacts), st.sampled_from([ONCE, AGAIN]))
def test_every_member_who_agreed_is_invited_or_counted_once(members, survey):
    split = audience(members, survey)

    agreed = [contact for contact in members if contact.agreed]
    assert len(split.invited) + split.left_out.total == len(agreed)
    assert split.invited == [c.member_id for c in agreed if may_invite(c, survey)]


@given(contacts, st.sampled_from([ONCE, AGAIN]))
def test_no_one_is_invited_who_turned_invitations_off_or_cannot_be_reached(contact, survey):
    if may_invite(contact, survey):
        facts = (contact.agreed, contact.invitations, contact.reachable, contact.responded_since)
        assert facts == (True, True, True, False)
