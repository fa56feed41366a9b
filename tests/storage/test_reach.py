"""Reach in storage (every backend): members' contact state, the facts the audience rules read,
invitation rounds and their outbox (at most one invitation per member per round, also across a
crash), reminders, and what /mydata and /forget see of them."""

from __future__ import annotations

import datetime as dt

from storage.model import Contact, DueReminder, LeftOut, Round
from storage.protocol import Store
from tests.storage.test_storage import (
    NOTICE,
    NOW,
    TELEGRAM_ID,
    answer,
    decide,
    new_member,
    started,
    version,
)

LATER = NOW + dt.timedelta(hours=1)
EARLY = NOW - dt.timedelta(days=1)  # reminders look no further back than this
CARD = (99, 7)  # an administrator's private chat, and the progress card's message there


async def member_ids(store: Store, *telegram_ids: int) -> list[int]:
    ids = []
    for telegram_id in telegram_ids:
        ids.append((await new_member(store, telegram_id)).id)
    return ids


async def sending_round(store: Store, member_ids: list[int], survey_id: str = "s") -> Round:
    preview = await store.reach.create_round(survey_id, None, NOW)
    assert await store.reach.start_round(
        preview.id, member_ids, LeftOut(), CARD, NOW, actor=CARD[0], scope="every area"
    )
    invitation = await store.reach.find_round(preview.id)
    assert invitation is not None
    return invitation


# --- contact state --------------------------------------------------------------------------


async def test_a_new_member_takes_invitations_is_reachable_and_has_no_area(store: Store):
    await new_member(store, 1)

    state = await store.reach.contact_state(1)

    assert state is not None
    assert (state.invitations, state.unreachable_since, state.area) == (True, None, None)


async def test_a_message_that_opens_or_answers_makes_the_member_reachable_a_tap_does_not(
    store: Store,
):
    response = await started(store)
    state = store.reach.contact_state
    member = await store.members.find_member(TELEGRAM_ID)

    await store.reach.set_reachable(TELEGRAM_ID, False, NOW)
    await store.responses.start_response(
        member.id, "s", response.version_id, "q1", NOW, query_id="t"
    )
    await answer(store, response.id, "q1", "a", next_question="q2", now=NOW, step=response.step)
    assert (await state(TELEGRAM_ID)).unreachable_since is not None  # taps only

    await store.responses.start_response(
        member.id, "s", response.version_id, "q1", NOW, message_id=7
    )
    assert (await state(TELEGRAM_ID)).unreachable_since is None
    await store.reach.set_reachable(TELEGRAM_ID, False, NOW)
    await answer(store, response.id, "q2", "b", next_question="q3", now=NOW, message_id=8)
    assert (await state(TELEGRAM_ID)).unreachable_since is None


async def test_contact_state_is_none_and_changes_fail_for_someone_not_a_member(store: Store):
    assert await store.reach.contact_state(5) is None
    assert not await store.reach.set_invitations(5, False)
    assert not await store.reach.set_reachable(5, False, NOW)
    assert await store.privacy.held_data(5) is None  # nothing was created


async def test_invitations_turn_off_and_on_again(store: Store):
    await new_member(store, 1)

    assert await store.reach.set_invitations(1, False)
    off = await store.reach.contact_state(1)
    assert await store.reach.set_invitations(1, True)
    on = await store.reach.contact_state(1)

    assert off is not None
    assert not off.invitations
    assert on is not None
    assert on.invitations


async def test_unreachable_keeps_the_first_refusal_and_reachable_clears_it(store: Store):
    await new_member(store, 1)

    await store.reach.set_reachable(1, False, NOW)
    await store.reach.set_reachable(1, False, LATER)
    blocked = await store.reach.contact_state(1)
    await store.reach.set_reachable(1, True, LATER)
    back = await store.reach.contact_state(1)

    assert blocked is not None
    assert blocked.unreachable_since == NOW.isoformat()
    assert back is not None
    assert back.unreachable_since is None


async def test_an_answer_to_an_area_question_becomes_the_members_area(store: Store):
    response = await started(store, "s", 1)

    await answer(
        store, response.id, "q1", "north", next_question="q2", now=NOW, member_area="north"
    )
    first = await store.reach.contact_state(1)
    await answer(store, response.id, "q2", "x", next_question="q3", now=NOW)  # not an area one
    kept = await store.reach.contact_state(1)
    again = await store.responses.move_back(
        (await store.responses.get_response(response.id)),  # type: ignore[arg-type]
        "q1",
        now=NOW,
    )
    assert again is not None
    await answer(
        store, response.id, "q1", "south", next_question="q2", now=NOW, member_area="south"
    )
    latest = await store.reach.contact_state(1)

    assert first is not None
    assert first.area == "north"
    assert kept is not None
    assert kept.area == "north"
    assert latest is not None
    assert latest.area == "south"


# --- the audience's facts -------------------------------------------------------------------


async def test_contacts_say_what_the_audience_rules_need(store: Store):
    done = await started(store, "s", 1)
    await answer(store, done.id, "q1", "north", next_question=None, now=NOW, member_area="north")
    await started(store, "s", 2)  # unfinished
    await new_member(store, 3)
    await store.reach.set_invitations(3, False)
    await new_member(store, 4)
    await store.reach.set_reachable(4, False, NOW)
    await new_member(store, 5)
    await decide(store, 5, False, NOTICE, NOW)  # withdrew

    contacts = {
        contact.telegram_id: contact for contact in await store.reach.contacts("s", None, None)
    }

    assert contacts[1] == Contact(contacts[1].member_id, 1, True, True, True, True, False)
    assert contacts[2].completed is False
    assert contacts[2].responded_since is False
    assert contacts[3].invitations is False
    assert contacts[4].reachable is False
    assert contacts[5].agreed is False


async def test_contacts_in_an_area_are_only_the_members_whose_area_it_is(store: Store):
    north = await started(store, "s", 1)
    await answer(store, north.id, "q1", "north", next_question="q2", now=NOW, member_area="north")
    await new_member(store, 2)  # no area yet

    in_north = await store.reach.contacts("s", "north", None)
    everyone = await store.reach.contacts("s", None, None)

    assert [contact.telegram_id for contact in in_north] == [1]
    assert sorted(contact.telegram_id for contact in everyone) == [1, 2]


async def test_responded_since_counts_responses_started_or_completed_since(store: Store):
    before = await started(store, "s", 1)  # started at NOW
    await started(store, "other", 2)  # another survey
    member = await new_member(store, 3)
    late = await store.responses.start_response(member.id, "s", await version(store), "q1", LATER)
    assert late is not None

    since = NOW + dt.timedelta(minutes=30)  # the last round began between the two starts
    contacts = {c.telegram_id: c for c in await store.reach.contacts("s", None, since)}
    await answer(store, before.id, "q1", "x", next_question=None, now=LATER)
    after_completion = {c.telegram_id: c for c in await store.reach.contacts("s", None, since)}

    assert (contacts[1].responded_since, contacts[2].responded_since) == (False, False)
    assert contacts[3].responded_since is True
    assert after_completion[1].responded_since is True


# --- rounds ---------------------------------------------------------------------------------


async def test_a_round_starts_once_from_its_preview(store: Store):
    ids = await member_ids(store, 1, 2)
    preview = await store.reach.create_round("s", "north", NOW)

    started_once = await store.reach.start_round(
        preview.id, ids, LeftOut(3, 2, 1), CARD, LATER, actor=99, scope="north: 2 members"
    )
    started_twice = await store.reach.start_round(
        preview.id, ids, LeftOut(), CARD, LATER, actor=99, scope="north: 2 members"
    )
    found = await store.reach.find_round(preview.id)

    assert preview.state == "preview"
    assert preview.started_at is None
    assert (started_once, started_twice) == (True, False)
    assert found is not None
    assert (found.state, found.area, found.left_out) == ("sending", "north", LeftOut(3, 2, 1))
    assert (found.card_chat_id, found.card_message_id) == CARD
    assert (await store.reach.round_progress(preview.id))["waiting"] == 2
    assert await store.reach.latest_start("s") == LATER


async def test_round_states_move_only_from_the_expected_ones(store: Store):
    invitation = await sending_round(store, await member_ids(store, 1))

    paused = await store.reach.set_round_state(invitation.id, ["sending"], "paused", NOW)
    not_sending = await store.reach.set_round_state(invitation.id, ["sending"], "finished", NOW)
    cancelled = await store.reach.set_round_state(
        invitation.id, ["sending", "paused"], "cancelled", LATER
    )
    found = await store.reach.find_round(invitation.id)

    assert (paused, not_sending, cancelled) == (True, False, True)
    assert found is not None
    assert (found.state, found.ended_at) == ("cancelled", LATER.isoformat())


async def test_rounds_in_and_recent_rounds(store: Store):
    ids = await member_ids(store, 1)
    first = (await sending_round(store, ids)).id
    second = (await sending_round(store, ids, "t")).id
    await store.reach.set_round_state(first, ["sending"], "finished", NOW)
    await store.reach.create_round("s", None, NOW)  # a preview never started

    sending = await store.reach.rounds_in(["sending", "paused"])
    recent = await store.reach.recent_rounds(10)

    assert [r.id for r in sending] == [second]
    assert [r.id for r in recent] == [second, first]


# --- the outbox -----------------------------------------------------------------------------


async def test_claims_take_each_waiting_row_once(store: Store):
    invitation = await sending_round(store, await member_ids(store, 1, 2, 3))

    first = await store.reach.claim_deliveries(invitation, 2, NOW)
    second = await store.reach.claim_deliveries(invitation, 2, NOW)
    third = await store.reach.claim_deliveries(invitation, 2, NOW)

    assert [d.contact.telegram_id for d in first] == [1, 2]
    assert all(d.contact.agreed and d.contact.invitations for d in first)
    assert [d.contact.telegram_id for d in second] == [3]
    assert third == []
    assert (await store.reach.round_progress(invitation.id))["sending"] == 3


async def test_settled_rows_count_by_state_and_retries_wait(store: Store):
    invitation = await sending_round(store, await member_ids(store, 1, 2, 3, 4))
    one, two, three, four = await store.reach.claim_deliveries(invitation, 4, NOW)

    await store.reach.settle_deliveries(
        [
            (one, "sent", None),
            (two, "unreachable", None),
            (three, "waiting", LATER),
            (four, "failed", None),
        ]
    )
    too_early = await store.reach.claim_deliveries(invitation, 10, NOW)
    retried = await store.reach.claim_deliveries(invitation, 10, LATER)
    progress = await store.reach.round_progress(invitation.id)

    assert too_early == []
    assert [(d.contact.telegram_id, d.attempts) for d in retried] == [(3, 1)]
    assert (progress["sent"], progress["unreachable"], progress["failed"]) == (1, 1, 1)
    assert progress.waiting == 1
    assert progress.total == 4


async def test_released_rows_wait_again_while_their_round_may_send_and_are_skipped_after(
    store: Store,
):
    paused = await sending_round(store, await member_ids(store, 1, 2))
    ended = await sending_round(store, await member_ids(store, 3), survey_id="t")
    held = await store.reach.claim_deliveries(paused, 2, NOW)
    (stopped,) = await store.reach.claim_deliveries(ended, 1, NOW)
    await store.reach.set_round_state(paused.id, ["sending"], "paused", NOW)
    await store.reach.set_round_state(ended.id, ["sending"], "cancelled", NOW)

    await store.reach.release_deliveries([*held, stopped])
    await store.reach.release_deliveries(held)  # a second release of rows no longer claimed
    await store.reach.set_round_state(paused.id, ["paused"], "sending", NOW)
    again = await store.reach.claim_deliveries(paused, 10, NOW)

    assert [(d.contact.telegram_id, d.attempts) for d in again] == [(1, 0), (2, 0)]
    assert (await store.reach.round_progress(ended.id))["skipped"] == 1


async def test_only_claimed_rows_settle(store: Store):
    invitation = await sending_round(store, await member_ids(store, 1))
    (claimed,) = await store.reach.claim_deliveries(invitation, 1, NOW)
    await store.reach.settle_deliveries([(claimed, "sent", None)])

    await store.reach.settle_deliveries([(claimed, "waiting", LATER)])  # a late, second outcome

    assert (await store.reach.round_progress(invitation.id))["sent"] == 1
    assert await store.reach.claim_deliveries(invitation, 1, LATER) == []


async def test_after_a_crash_rows_in_flight_are_unknown_and_never_claimed_again(store: Store):
    invitation = await sending_round(store, await member_ids(store, 1, 2, 3))
    await store.reach.claim_deliveries(invitation, 2, NOW)  # then the process dies

    recovered = await store.reach.recover_in_flight()
    rest = await store.reach.claim_deliveries(invitation, 10, LATER)
    progress = await store.reach.round_progress(invitation.id)

    assert recovered == 2
    assert [d.contact.telegram_id for d in rest] == [3]
    assert progress["unknown"] == 2


# --- reminders ------------------------------------------------------------------------------


async def test_a_response_idle_long_enough_is_due_and_claimed_once(store: Store):
    response = await started(store, "s", 1)  # updated at NOW

    due = await store.reach.due_reminders("s", LATER, EARLY, 1, 10)
    claimed = await store.reach.claim_reminder(due[0], LATER, LATER)
    claimed_again = await store.reach.claim_reminder(due[0], LATER, LATER)
    after = await store.reach.due_reminders("s", LATER + dt.timedelta(hours=5), EARLY, 1, 10)

    assert due == [DueReminder(response.id, 1, "s", 0)]
    assert (claimed, claimed_again) == (True, False)
    assert after == []  # one reminder allowed, one sent


async def test_a_second_reminder_waits_for_idleness_since_the_first(store: Store):
    await started(store, "s", 1)
    (first,) = await store.reach.due_reminders("s", LATER, EARLY, 2, 10)
    await store.reach.claim_reminder(first, LATER, LATER)

    soon = await store.reach.due_reminders("s", LATER, EARLY, 2, 10)
    later = await store.reach.due_reminders("s", LATER + dt.timedelta(seconds=1), EARLY, 2, 10)

    assert soon == []
    assert [r.reminders_sent for r in later] == [1]


async def test_no_reminder_for_responses_answered_recently_finished_or_of_members_out_of_reach(
    store: Store,
):
    recent = await started(store, "s", 1)
    await answer(store, recent.id, "q1", "x", next_question="q2", now=LATER)
    done = await started(store, "s", 2)
    await answer(store, done.id, "q1", "x", next_question=None, now=NOW)
    await started(store, "s", 3)
    await store.reach.set_invitations(3, False)
    await started(store, "s", 4)
    await store.reach.set_reachable(4, False, NOW)
    await started(store, "s", 5)
    await decide(store, 5, False, NOTICE, NOW)
    await started(store, "t", 6)  # another survey

    assert await store.reach.due_reminders("s", LATER, EARLY, 1, 10) == []


async def test_a_reminder_is_not_claimed_once_the_member_answered_meanwhile(store: Store):
    response = await started(store, "s", 1)
    (due,) = await store.reach.due_reminders("s", LATER, EARLY, 1, 10)
    await answer(store, response.id, "q1", "x", next_question="q2", now=LATER)

    assert not await store.reach.claim_reminder(due, LATER, LATER)


# --- the member's data ----------------------------------------------------------------------


async def test_held_data_shows_the_contact_state_and_the_invitations(store: Store):
    invitation = await sending_round(store, await member_ids(store, 1))
    (delivery,) = await store.reach.claim_deliveries(invitation, 1, NOW)
    await store.reach.settle_deliveries([(delivery, "sent", None)])
    await store.reach.set_invitations(1, False)

    held = await store.privacy.held_data(1)

    assert held is not None
    assert held.contact is not None
    assert held.contact.invitations is False
    assert held.invitations == [("s", "sent")]


async def test_forgetting_a_member_deletes_their_outbox_rows(store: Store):
    invitation = await sending_round(store, await member_ids(store, 1, 2))

    await store.privacy.forget_member(1, lambda *_: ("", []), NOW, lambda *_: "forgotten")

    assert (await store.reach.round_progress(invitation.id)).total == 1


async def test_forgetting_an_administrator_removes_their_chat_from_the_progress_cards(
    store: Store,
):
    invitation = await sending_round(store, await member_ids(store, 1))
    assert await store.privacy.anything_held(CARD[0])

    await store.privacy.forget_member(CARD[0], lambda *_: ("", []), NOW, lambda *_: "forgotten")
    found = await store.reach.find_round(invitation.id)

    assert found is not None
    assert found.card_chat_id is None
    assert not await store.privacy.anything_held(CARD[0])


async def test_a_claim_carries_each_members_facts_as_they_are_now(store: Store):
    ids = await member_ids(store, 1, 2, 3)
    invitation = await sending_round(store, ids)  # began at NOW
    await store.reach.set_invitations(1, False)
    await store.responses.start_response(ids[1], "s", await version(store), "q1", LATER)

    claimed = {
        d.contact.telegram_id: d.contact
        for d in await store.reach.claim_deliveries(invitation, 5, LATER)
    }

    assert claimed[1].invitations is False
    assert claimed[2].responded_since is True
    assert (claimed[3].invitations, claimed[3].responded_since) == (True, False)


async def test_only_stale_previews_are_pruned(store: Store):
    old = await store.reach.create_round("s", None, NOW)
    fresh = await store.reach.create_round("s", None, LATER)
    started_round = await sending_round(store, await member_ids(store, 1))

    pruned = await store.reach.prune_previews(LATER)

    assert pruned == 1
    assert await store.reach.find_round(old.id) is None
    assert await store.reach.find_round(fresh.id) is not None
    assert await store.reach.find_round(started_round.id) is not None


async def test_a_round_does_not_start_while_another_of_its_survey_goes(store: Store):
    ids = await member_ids(store, 1)
    going = await sending_round(store, ids)
    other = await store.reach.create_round("s", None, NOW)
    elsewhere = await store.reach.create_round("t", None, NOW)

    refused = await store.reach.start_round(
        other.id, ids, LeftOut(), CARD, NOW, actor=99, scope="every area: 1 members"
    )
    await store.reach.set_round_state(going.id, ["sending"], "finished", NOW)
    after_it_ended = await store.reach.start_round(
        other.id, ids, LeftOut(), CARD, NOW, actor=99, scope="every area: 1 members"
    )
    another_survey = await store.reach.start_round(
        elsewhere.id, ids, LeftOut(), CARD, NOW, actor=99, scope="every area: 1 members"
    )

    assert (refused, after_it_ended, another_survey) == (False, True, True)


async def test_a_round_started_is_in_the_audit_log_with_who_and_how_many(store: Store):
    preview = await store.reach.create_round("s", "north", NOW)

    await store.reach.start_round(
        preview.id, [], LeftOut(), CARD, NOW, actor=99, scope="north: 0 members"
    )
    (entry,) = await store.audit.recent()

    assert (entry.action, entry.actor, entry.survey_id, entry.scope) == (
        "invite",
        99,
        "s",
        "north: 0 members",
    )


async def test_a_round_that_ends_skips_its_waiting_rows_and_claims_nothing_more(store: Store):
    invitation = await sending_round(store, await member_ids(store, 1, 2, 3))
    assert len(await store.reach.claim_deliveries(invitation, 1, NOW)) == 1  # in flight

    await store.reach.set_round_state(invitation.id, ["sending"], "cancelled", NOW)
    claimed_after = await store.reach.claim_deliveries(invitation, 5, NOW)
    progress = await store.reach.round_progress(invitation.id)

    assert claimed_after == []
    assert (progress["skipped"], progress["sending"]) == (2, 1)  # the one in flight settles


async def test_a_paused_round_claims_nothing(store: Store):
    invitation = await sending_round(store, await member_ids(store, 1))

    await store.reach.set_round_state(invitation.id, ["sending"], "paused", NOW)

    assert await store.reach.claim_deliveries(invitation, 5, NOW) == []


async def test_still_wanted_reads_the_facts_now_and_only_while_the_round_sends(store: Store):
    invitation = await sending_round(store, await member_ids(store, 1, 2))
    first, second = await store.reach.claim_deliveries(invitation, 2, NOW)
    await store.reach.set_invitations(1, False)

    facts = await store.reach.still_wanted(invitation, first)
    await store.privacy.forget_member(2, lambda *_: ("", []), NOW, lambda *_: "forgotten")
    forgotten = await store.reach.still_wanted(invitation, second)
    await store.reach.set_round_state(invitation.id, ["sending"], "paused", NOW)
    paused = await store.reach.still_wanted(invitation, first)

    assert facts is not None
    assert facts.invitations is False
    assert forgotten is None
    assert paused is None


async def test_a_reminder_is_still_wanted_until_the_member_acts_or_opts_out(store: Store):
    await started(store, "s", 1)
    (due,) = await store.reach.due_reminders("s", LATER, EARLY, 1, 10)
    await store.reach.claim_reminder(due, LATER, LATER)

    wanted = await store.reach.reminder_still_wanted(due)
    await store.reach.set_invitations(1, False)
    after_stop = await store.reach.reminder_still_wanted(due)

    assert (wanted, after_stop) == (True, False)


async def test_responses_idle_since_before_the_lookback_get_no_reminder(store: Store):
    await started(store, "s", 1)  # idle since NOW

    too_old = await store.reach.due_reminders("s", LATER, NOW + dt.timedelta(minutes=1), 1, 10)

    assert too_old == []
