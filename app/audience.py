"""Who an invitation round reaches, and why the others are left out.

Rules over the facts the store gives of each member (`storage.model.Contact`), with no database
and no Telegram, so they are tested as they are. The same rules decide twice: when a round
starts (the preview's and the round's counts) and again just before each invitation is sent,
since a member may turn invitations off, block the bot or answer the survey in between.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from storage.model import Contact, LeftOut
from surveys.model import Survey


class Reason(Enum):
    """Why a member who agreed to the notice is left out of a round."""

    DONE = "already done"  # completed a survey taken once, or responded since the last round
    TURNED_OFF = "turned invitations off"
    UNREACHABLE = "unreachable"  # blocked the bot, or their chat is gone


def reason_left_out(contact: Contact, survey: Survey) -> Reason | None:
    """Why this member is not invited to `survey` (None: they are). A member who started the
    survey and has not responded since the last round is invited: the invitation resumes it."""
    if contact.responded_since or (contact.completed and not survey.repeatable):
        return Reason.DONE
    if not contact.invitations:
        return Reason.TURNED_OFF
    if not contact.reachable:
        return Reason.UNREACHABLE
    return None


def may_invite(contact: Contact, survey: Survey) -> bool:
    """Whether to invite this member now. Someone who withdrew their agreement is no longer
    written to at all, and is not counted as left out: they are not in the audience."""
    return contact.agreed and reason_left_out(contact, survey) is None


@dataclass(frozen=True)
class Audience:
    """The members a round invites, and how many it leaves out, by reason."""

    invited: list[int]  # member ids
    left_out: LeftOut


def audience(contacts: Iterable[Contact], survey: Survey) -> Audience:
    """Split the members who agreed into those invited and those left out."""
    invited: list[int] = []
    counts = dict.fromkeys(Reason, 0)
    for contact in contacts:
        if not contact.agreed:
            continue
        reason = reason_left_out(contact, survey)
        if reason is None:
            invited.append(contact.member_id)
        else:
            counts[reason] += 1
    return Audience(
        invited, LeftOut(counts[Reason.DONE], counts[Reason.TURNED_OFF], counts[Reason.UNREACHABLE])
    )
