"""The store's domain types: what every backend reads and writes, in no driver's terms.

Backends (`storage.sqlite`, …) return these; the use cases (`app`) and the handlers read them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from surveys.engine import AnswerValue
from surveys.tally import Key as TallyKey

__all__ = [
    "AnswerValue",
    "AuditEntry",
    "ChatKind",
    "Compaction",
    "CompletedResponse",
    "ConsentOrigin",
    "ConsentRecord",
    "Contact",
    "ContactState",
    "Counter_",
    "Delivery",
    "DeliveryState",
    "Describe",
    "Digest",
    "DigestEvery",
    "DueReminder",
    "ExportedResponse",
    "Forgotten",
    "HeldData",
    "HeldResponse",
    "LeftOut",
    "Member",
    "OrganiserChat",
    "Replaced",
    "Response",
    "Round",
    "RoundProgress",
    "RoundState",
    "TallyKey",
]

# --- members ------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """What the handlers need to know about a member at each update."""

    id: int
    agreed: bool
    active_response_id: int | None
    last_message_id: int


@dataclass(frozen=True)
class Standing:
    """Where a member stands with one survey, read at once when they ask to open it."""

    member: Member
    survey_id: str
    # their response to the survey that is still in progress, if any
    unfinished: Response | None
    # whether they completed the survey before
    completed: bool


class ConsentOrigin(TypedDict, total=False):
    """The update that made a decision on the privacy notice, as `Members.record_consent` takes
    it: a button tap (its query, on the notice message) or a command message. Recorded so that
    Telegram delivering the update again changes nothing."""

    query_id: str
    notice_message_id: int
    message_id: int


@dataclass(frozen=True)
class ConsentRecord:
    """One decision on the privacy notice."""

    agreed: bool
    notice_version: str
    decided_at: str


# --- responses ------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """One member's response to one survey version."""

    id: int
    member_id: int
    survey_id: str
    version_id: int
    current_question: str | None
    pending_choices: list[str]
    answers: dict[str, AnswerValue] = field(default_factory=dict)
    step: int = 0  # counts moves between questions; buttons carry the step they were drawn at

    @property
    def completed(self) -> bool:
        """True once the last question was answered."""
        return self.current_question is None


@dataclass(frozen=True)
class Replaced:
    """A member's earlier completion of a survey, which their new one replaces in the report
    totals (every figure is about people: each counts with their latest completion)."""

    response_id: int
    area: str
    counted: Sequence[TallyKey]
    day: str  # the UTC day it was completed, as the daily counts keep it


# --- reports ------------------------------------------------------------


# For a rebuild: a completed response's area and tally keys, from its version and answers.
Counter_ = Callable[[int, Mapping[str, object]], tuple[str, Sequence[TallyKey]]]


@dataclass(frozen=True)
class CompletedResponse:
    """One completed response for the bulk path."""

    member_id: int
    version_id: int
    answers: Mapping[str, object]
    area: str
    counted: Sequence[TallyKey]
    started_at: dt.datetime
    completed_at: dt.datetime


# --- organisers ------------------------------------------------------------


ChatKind = Literal["group", "channel"]


DigestEvery = Literal["daily", "weekly"]


@dataclass(frozen=True)
class Digest:
    """When a chat gets its digest: every day, or one weekday (0 = Monday), at a local time."""

    every: DigestEvery
    at: dt.time
    weekday: int | None = None


@dataclass(frozen=True)
class OrganiserChat:
    """A registered organiser chat."""

    chat_id: int
    kind: ChatKind
    title: str
    area: str | None
    active: bool
    digest: Digest | None


# --- reach: invitations and reminders ------------------------------------


@dataclass(frozen=True)
class ContactState:
    """Whether and where the bot may write to a member unasked."""

    invitations: bool  # False after "No more invitations" or /stop
    unreachable_since: str | None  # when a send was refused or they blocked the bot
    area: str | None  # their latest answer to an area question


@dataclass(frozen=True)
class Contact:
    """What the audience rules (`app.audience`) need to know of one member, for one survey."""

    member_id: int
    telegram_id: int
    agreed: bool  # False once they withdrew
    invitations: bool
    reachable: bool
    completed: bool  # has completed the survey at least once
    responded_since: bool  # started or completed it since its previous round began


@dataclass(frozen=True)
class LeftOut:
    """How many members a round leaves out, by reason."""

    done: int = 0  # already completed it, or responded since the previous round
    turned_off: int = 0  # "No more invitations"
    unreachable: int = 0  # blocked the bot, or their chat is gone

    @property
    def total(self) -> int:
        return self.done + self.turned_off + self.unreachable


RoundState = Literal["preview", "sending", "paused", "cancelled", "finished", "closed"]


@dataclass(frozen=True)
class Round:
    """An invitation round: a survey, an area (None: everyone), and where it stands."""

    id: int
    survey_id: str
    area: str | None
    state: RoundState
    created_at: str
    started_at: str | None = None
    ended_at: str | None = None
    left_out: LeftOut = LeftOut()
    card_chat_id: int | None = None  # the progress card, once sending
    card_message_id: int | None = None


# One outbox row's state. "sending" is claimed and maybe in flight; after a crash it becomes
# "unknown" and is never sent again: at most one invitation per member per round.
DeliveryState = Literal["waiting", "sending", "sent", "unknown", "unreachable", "failed", "skipped"]


@dataclass(frozen=True)
class Delivery:
    """One invitation claimed for sending (its outbox row is "sending")."""

    round_id: int
    attempts: int  # tries made before this one
    contact: Contact  # as it is when claimed: the rules are checked again before sending


@dataclass(frozen=True)
class RoundProgress:
    """A round's outbox, counted by state."""

    counts: Mapping[str, int]

    def __getitem__(self, state: DeliveryState) -> int:
        return self.counts.get(state, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def waiting(self) -> int:
        """Still to go, including those being sent now."""
        return self["waiting"] + self["sending"]


@dataclass(frozen=True)
class DueReminder:
    """An unfinished response whose member may be reminded of it."""

    response_id: int
    telegram_id: int
    survey_id: str
    reminders_sent: int


# --- privacy ------------------------------------------------------------


@dataclass(frozen=True)
class HeldResponse:
    """One of the member's responses, with every answer and when it was given."""

    survey_id: str
    version_id: int
    completed: bool
    started_at: str
    completed_at: str | None
    answers: dict[str, AnswerValue]
    answered_at: dict[str, str]
    updated_at: str | None = None
    current_question: str | None = None  # where an unfinished response stands
    ticked: list[str] = field(default_factory=list)  # a multi question's options before Done
    reminders_sent: int = 0  # reminders of this response sent so far
    reminded_at: str | None = None  # when the latest went


@dataclass(frozen=True)
class HeldData:
    """Everything stored about one member."""

    member_id: int | None  # None: no member, only audit entries naming them
    telegram_id: int
    created_at: str | None
    consents: list[ConsentRecord]
    responses: list[HeldResponse]
    answering: str | None = None  # the survey their typed answers go to
    last_message_id: int = 0  # the newest of their messages handled (so none counts twice)
    # what they did as an organiser or administrator (the audit log names them)
    audit_entries: list[AuditEntry] = field(default_factory=list)
    taps_handled_at: list[str] = field(default_factory=list)  # kept a week against redelivery
    contact: ContactState | None = None  # invitations, reachability and area (members only)
    # one (survey, outbox state) per invitation round that included them
    invitations: list[tuple[str, DeliveryState]] = field(default_factory=list)


@dataclass(frozen=True)
class Forgotten:
    """What /forget deleted."""

    member_id: int | None  # None: not a member, only named in the audit log
    responses: int
    # False while another reader kept the write-ahead log from being truncated: try again
    checkpointed: bool


# What the audit entry of a deletion says, from the deleted member's internal id (None: only
# audit entries named them) and how many responses went.
Describe = Callable[[int | None, int], str]


@dataclass(frozen=True)
class Compaction:
    """Whether deletions marked the file for a rebuild, and when it was last rebuilt."""

    due: bool
    last: dt.datetime | None  # None: never

    def allowed_from(self, spacing: dt.timedelta) -> dt.datetime | None:
        """The earliest time of the next rebuild, `spacing` after the last (None: any time)."""
        return None if self.last is None else self.last + spacing


# --- audit ------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action."""

    at: str
    actor: int | None
    chat_id: int | None
    action: str
    survey_id: str | None
    scope: str | None


# --- export ------------------------------------------------------------


@dataclass(frozen=True)
class ExportedResponse:
    """One response as exported: who, which version, how far, and every answer given."""

    member_id: int | None  # None once retention unlinked it
    version_id: int
    status: Literal["in_progress", "completed"]
    started_at: str  # ISO 8601, as stored
    completed_at: str | None
    counted: bool  # in the report totals: the member's latest completion
    answers: dict[str, object]  # question id -> decoded value; None for a skipped question
