"""Reaching members unasked: invitation rounds (preview, start, pause, resume, cancel), the
outbox they send from, reminders, and members' choice to hear no more.

An administrator previews a round (nothing is sent), then starts it: the audience is decided
again then (`app.audience`) and one outbox row is written per member. The sender
(`handlers.sender`) claims rows, checks the rules again when each one's turn to go comes,
sends, and settles each row here. A crash never sends an invitation twice: a claimed row is
"sending" until settled, and a restart turns such rows "unknown" (`recover`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from app import audience, schedule
from app.answering import NotOpen
from app.services import Services
from storage.model import (
    ContactState,
    Delivery,
    DeliveryState,
    DueReminder,
    LeftOut,
    Round,
    RoundProgress,
    RoundState,
)
from surveys.model import Survey
from surveys.tally import area_question

RECENT_ROUNDS = 10


@dataclass(frozen=True)
class NoAreas:
    """An area was asked for, but the survey has no area question."""

    survey: Survey


@dataclass(frozen=True)
class StillGoing:
    """A round of the survey is still sending or paused: a second one at once would reach its
    members twice."""

    invitation: Round


@dataclass(frozen=True)
class Preview:
    """A round ready to start: whom it reaches and whom it leaves out, and why."""

    invitation: Round
    survey: Survey
    reaches: int
    left_out: LeftOut


@dataclass(frozen=True)
class Started:
    """A round now sending."""

    invitation: Round
    survey: Survey
    reaches: int


async def preview(
    service: Services, survey_id: str, area: str | None
) -> Preview | NotOpen | NoAreas | StillGoing:
    """Count a round's audience without sending anything (the round waits, in preview, for the
    administrator's go)."""
    survey = _open_survey(service, survey_id)
    if survey is None:
        return NotOpen()
    if area is not None and area_question(survey) is None:
        return NoAreas(survey)
    going = await _going(service, survey_id)
    if going is not None:
        return StillGoing(going)
    invitation = await service.store.reach.create_round(survey_id, area, service.clock())
    split = await _audience(service, survey, area)
    return Preview(invitation, survey, len(split.invited), split.left_out)


async def start(
    service: Services, round_id: int, admin_id: int, card: tuple[int, int]
) -> Started | NotOpen | StillGoing | None:
    """Start a previewed round: decide its audience now, write its outbox, and record it in the
    audit log. None when the round is not in preview (started already, or unknown)."""
    invitation = await service.store.reach.find_round(round_id)
    if invitation is None or invitation.state != "preview":
        return None
    survey = _open_survey(service, invitation.survey_id)
    if survey is None:
        return NotOpen()
    going = await _going(service, survey.id)
    if going is not None:
        return StillGoing(going)
    split = await _audience(service, survey, invitation.area)
    started = await service.store.reach.start_round(
        round_id,
        split.invited,
        split.left_out,
        card,
        service.clock(),
        actor=admin_id,
        scope=f"{invitation.area or 'every area'}: {len(split.invited)} members",
    )
    if not started:  # this tap came again, or another round of the survey started meanwhile
        going = await _going(service, survey.id)
        return StillGoing(going) if going is not None and going.id != round_id else None
    now_sending = await service.store.reach.find_round(round_id)
    assert now_sending is not None
    return Started(now_sending, survey, len(split.invited))


async def _audience(service: Services, survey: Survey, area: str | None) -> audience.Audience:
    """Members a round of `survey` would invite now: those who responded since the survey's
    last round are left out, so that a second round reaches only those who have not."""
    since = await service.store.reach.latest_start(survey.id)
    contacts = await service.store.reach.contacts(survey.id, area, since)
    return audience.audience(contacts, survey)


async def _going(service: Services, survey_id: str) -> Round | None:
    """A round of the survey still sending or paused, if any."""
    rounds = await service.store.reach.rounds_in(["sending", "paused"])
    return next((r for r in rounds if r.survey_id == survey_id), None)


def _open_survey(service: Services, survey_id: str) -> Survey | None:
    if not service.catalogue.is_open(survey_id, service.today()):
        return None
    return service.catalogue.current_survey(survey_id)


class Control(Enum):
    """What an administrator may do to a round."""

    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"


# Each control: the states a round may be in for it, and the state it moves the round to.
_MOVES: dict[Control, tuple[tuple[RoundState, ...], RoundState]] = {
    Control.PAUSE: (("sending",), "paused"),
    Control.RESUME: (("paused",), "sending"),
    Control.CANCEL: (("preview", "sending", "paused"), "cancelled"),
}


async def control(service: Services, round_id: int, action: Control) -> Round | None:
    """Pause, resume or cancel a round; None when it was not in a state that allows it."""
    expected, state = _MOVES[action]
    changed = await service.store.reach.set_round_state(round_id, expected, state, service.clock())
    return await service.store.reach.find_round(round_id) if changed else None


async def find(service: Services, round_id: int) -> tuple[Round, RoundProgress] | None:
    """A round and its outbox's progress."""
    invitation = await service.store.reach.find_round(round_id)
    if invitation is None:
        return None
    return invitation, await service.store.reach.round_progress(round_id)


async def recent(service: Services) -> list[tuple[Round, RoundProgress]]:
    """The latest rounds that started, newest first, with their progress."""
    rounds = await service.store.reach.recent_rounds(RECENT_ROUNDS)
    return [(r, await service.store.reach.round_progress(r.id)) for r in rounds]


# --- sending ----------------------------------------------------------------------------------


async def recover(service: Services) -> int:
    """At start: invitations that were in flight when the process stopped may or may not have
    left; they count as "unknown" and are never sent again. Returns how many."""
    return await service.store.reach.recover_in_flight()


def quiet_until(service: Services) -> dt.datetime | None:
    """When quiet hours end, if they are on now (invitations and reminders wait until then)."""
    if service.quiet_hours is None:
        return None
    now = service.clock()
    allowed = service.quiet_hours.next_allowed(now, service.timezone)
    return allowed if allowed > now else None


@dataclass(frozen=True)
class Rounds:
    """The rounds going, as one look at them found them."""

    sending: list[Round]
    closed: list[Round]  # their survey closed: they stopped for good just now


async def rounds_to_send(service: Services) -> Rounds:
    """Rounds sending now, after stopping for good the rounds (sending or paused) whose survey
    closed; one read of the rounds going."""
    rounds = Rounds([], [])
    for invitation in await service.store.reach.rounds_in(["sending", "paused"]):
        if _open_survey(service, invitation.survey_id) is None:
            if await service.store.reach.set_round_state(
                invitation.id, ["sending", "paused"], "closed", service.clock()
            ):
                rounds.closed.append(invitation)
        elif invitation.state == "sending":
            rounds.sending.append(invitation)
    return rounds


@dataclass(frozen=True)
class Batch:
    """Invitations claimed for sending, and the survey they invite to."""

    survey: Survey
    deliveries: list[Delivery]


@dataclass(frozen=True)
class RoundOver:
    """The round has just finished: nothing is left to send or in flight."""


async def claim(service: Services, invitation: Round, limit: int) -> Batch | RoundOver | None:
    """Claim up to `limit` invitations of a round to send now; those the rules now leave out
    are settled as skipped at once. None when nothing is due now (rows may wait for a retry)."""
    survey = _open_survey(service, invitation.survey_id)
    if survey is None:
        return None
    claimed = await service.store.reach.claim_deliveries(invitation, limit, service.clock())
    to_send = [d for d in claimed if audience.may_invite(d.contact, survey)]
    skipped = [d for d in claimed if d not in to_send]
    if skipped:
        await service.store.reach.settle_deliveries([(d, "skipped", None) for d in skipped])
    if claimed:
        return Batch(survey, to_send)
    return RoundOver() if await _finish_if_done(service, invitation) else None


async def still_invited(
    service: Services, invitation: Round, delivery: Delivery, survey: Survey
) -> bool:
    """The last look before an invitation goes, if it waited for its turn in the send budget
    longer than the claim's facts stand (`handlers.send_budget.LOOK_STANDS`): the
    round is still sending and the rules still invite the member (they may have turned
    invitations off, withdrawn, blocked the bot, been forgotten or answered meanwhile)."""
    facts = await service.store.reach.still_wanted(invitation, delivery)
    return facts is not None and audience.may_invite(facts, survey)


async def _finish_if_done(service: Services, invitation: Round) -> bool:
    """A round with no row waiting or in flight is finished (rows waiting for a retry are
    still waiting); whether it finished now."""
    if (await service.store.reach.round_progress(invitation.id)).waiting:
        return False
    return await service.store.reach.set_round_state(
        invitation.id, ["sending"], "finished", service.clock()
    )


class Outcome(Enum):
    """How one send ended, as the sender saw it."""

    SENT = "sent"
    UNREACHABLE = "unreachable"  # Forbidden, or the chat is gone: not tried again
    UNKNOWN = "unknown"  # lost after it went: it may have arrived, so it is not sent again
    SKIPPED = "skipped"  # the rules no longer invite the member: not sent
    HELD = "held"  # its last look stopped it (a pause, an end, the rules): decided again later
    PASSING = "passing"  # a server error or the network: tried again later, up to a limit
    FAILED = "failed"  # refused for another reason: not tried again


async def settle(service: Services, results: Sequence[tuple[Delivery, Outcome]]) -> None:
    """Record how each claimed invitation ended.

    One its last look held back (`Outcome.HELD`: the round was paused or has ended, or the
    rules no longer invite the member) waits again while its round may still send, for the
    next claim to decide with the facts of then: a Pause holds the batch in hand, and Resume
    sends it. Those are released first: a crash before the rest are settled leaves those
    "sending", hence "unknown", which they may well be."""
    now = service.clock()
    held = [delivery for delivery, outcome in results if outcome is Outcome.HELD]
    if held:
        await service.store.reach.release_deliveries(held)
    rows: list[tuple[Delivery, DeliveryState, dt.datetime | None]] = []
    for delivery, outcome in results:
        match outcome:
            case Outcome.HELD:
                continue
            case Outcome.PASSING:
                retry = schedule.retry_at(delivery.attempts + 1, now)
                rows.append((delivery, "waiting" if retry else "failed", retry))
            case _:
                rows.append((delivery, outcome.value, None))
    await service.store.reach.settle_deliveries(rows)


# --- reminders --------------------------------------------------------------------------------


async def due_reminders(service: Services, limit: int) -> list[tuple[DueReminder, Survey]]:
    """Unfinished responses to open surveys that ask for reminders, idle long enough, of members
    who take invitations and can be reached."""
    now = service.clock()
    due: list[tuple[DueReminder, Survey]] = []
    for survey in service.catalogue.open_surveys(service.today()):
        window = schedule.reminder_window(survey.remind_after, survey.reminders_allowed, now)
        if window is None:
            continue
        idle_after, idle_before = window
        found = await service.store.reach.due_reminders(
            survey.id, idle_before, idle_after, survey.reminders_allowed, limit - len(due)
        )
        due += [(reminder, survey) for reminder in found]
        if len(due) >= limit:
            break
    return due


async def reminder_still_wanted(service: Services, reminder: DueReminder) -> bool:
    """The last look before a reminder goes, if it waited long for its turn in the send budget."""
    return await service.store.reach.reminder_still_wanted(reminder)


async def claim_reminder(service: Services, reminder: DueReminder, survey: Survey) -> bool:
    """Count a reminder as sent before it goes, so that none goes twice (a crash in between
    loses one reminder rather than repeating it); False if the member answered meanwhile."""
    now = service.clock()
    window = schedule.reminder_window(survey.remind_after, survey.reminders_allowed, now)
    if window is None:  # the survey stopped asking for reminders since
        return False
    return await service.store.reach.claim_reminder(reminder, window[1], now)


# --- members' choice --------------------------------------------------------------------------


async def set_invitations(service: Services, telegram_id: int, on: bool) -> bool:
    """A member turns invitations and reminders on or off; False if they are not a member."""
    return await service.store.reach.set_invitations(telegram_id, on)


async def set_reachable(service: Services, telegram_id: int, reachable: bool) -> bool:
    """The member blocked the bot (or their chat is gone), or unblocked it."""
    return await service.store.reach.set_reachable(telegram_id, reachable, service.clock())


async def contact_state(service: Services, telegram_id: int) -> ContactState | None:
    """The member's contact state (None: not a member)."""
    return await service.store.reach.contact_state(telegram_id)
