"""The store: what the use cases (`app`) need of a database, in domain types.

One protocol per concern, and `Store` holding one of each. A backend package (today
`storage.sqlite`) implements them over its own connection, owns its transactions, and maps its
driver's errors to `storage.errors`; no connection object or driver exception passes this line.
Every write that answers an update is conditional on the state the update was answering, so a
redelivered update changes nothing: such writes return None (or False) for "stale, nothing
changed". The contract tests in `tests/storage/` run against every backend through these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Protocol

from storage.model import (
    AnswerValue,
    AuditEntry,
    ChatKind,
    Compaction,
    CompletedResponse,
    ConsentRecord,
    Contact,
    ContactState,
    Counter_,
    Delivery,
    DeliveryState,
    Describe,
    Digest,
    DueReminder,
    ExportedResponse,
    Forgotten,
    HeldData,
    LeftOut,
    Member,
    OrganiserChat,
    Replaced,
    Response,
    Round,
    RoundProgress,
    RoundState,
    Standing,
    TallyKey,
)
from surveys.summary import Activity


class Members(Protocol):
    """Members and their consent decisions, and which survey each is answering."""

    async def find_member(self, telegram_id: int) -> Member | None:
        """The member with this Telegram id, or None if they never agreed to the notice."""
        ...

    async def find_member_and_active_response(
        self, telegram_id: int
    ) -> tuple[Member | None, Response | None]:
        """The member and the response their typed answers go to, in one read (the answer path)."""
        ...

    async def find_standing(self, telegram_id: int, survey_id: str) -> Standing | None:
        """The member with this Telegram id and where they stand with a survey, in one read
        (opening a survey); None if there is no such member."""
        ...

    async def latest_consent(self, telegram_id: int) -> ConsentRecord | None:
        """The member's current decision on the privacy notice (None: they never decided)."""
        ...

    async def record_consent(
        self,
        telegram_id: int,
        agreed: bool,
        notice_version: str,
        now: dt.datetime,
        *,
        query_id: str | None = None,
        notice_message_id: int | None = None,
        message_id: int | None = None,
    ) -> Member | None:
        """Record a decision on the privacy notice, creating the member when they first agree."""
        ...

    async def set_active_response(
        self,
        member_id: int,
        response_id: int | None,
        now: dt.datetime,
        *,
        message_id: int | None = None,
        query_id: str | None = None,
    ) -> bool:
        """Make `response_id` the survey that typed answers go to (None: pause)."""
        ...


class Responses(Protocol):
    """Responses: starting, answering (the one-statement answer path), going back."""

    async def get_response(self, response_id: int) -> Response | None:
        """A response with its answers, or None."""
        ...

    async def unfinished_surveys(self, member_id: int) -> list[str]:
        """Ids of the surveys the member has started and not finished, most recent first."""
        ...

    async def completed_surveys(self, member_id: int) -> set[str]:
        """Ids of the surveys the member has completed at least once."""
        ...

    async def start_response(
        self,
        member_id: int,
        survey_id: str,
        version_id: int,
        first_question: str,
        now: dt.datetime,
        *,
        message_id: int | None = None,
        query_id: str | None = None,
    ) -> Response | None:
        """Start a response at its first question, or take the member's open one to the survey:
        either way it becomes their active survey. None if the update was handled before."""
        ...

    async def counted_completion(
        self, member_id: int, survey_id: str
    ) -> tuple[Response, dt.datetime] | None:
        """The member's completed response to the survey that counts in the totals, and when it
        was completed (None before their first completion)."""
        ...

    async def record_answer(
        self,
        response: Response,
        value: AnswerValue,
        *,
        next_question: str | None,
        dropped: Sequence[str] = (),
        now: dt.datetime,
        message_id: int | None = None,
        step: int | None = None,
        area: str = "",
        counted: Sequence[TallyKey] = (),
        replaced: Replaced | None = None,
        member_area: str | None = None,
    ) -> Response | None:
        """Store the answer to the response's current question and move to `next_question`
        (`member_area`, when given: the member's area from now on)."""
        ...

    async def move_back(
        self,
        response: Response,
        to_question: str,
        *,
        pending_choices: Sequence[str] = (),
        now: dt.datetime,
        message_id: int | None = None,
        step: int | None = None,
    ) -> Response | None:
        """Return the response from its current question to the earlier `to_question` (Back)."""
        ...

    async def set_pending_choices(
        self, response: Response, step: int, choices: Sequence[str], now: dt.datetime
    ) -> bool:
        """Keep a multi question's ticks until Done; False if the response moved on since `step`."""
        ...


class Handled(Protocol):
    """Messages and taps already handled, so that a redelivered update changes nothing."""

    async def claim_message_alone(self, member_id: int, message_id: int) -> bool:
        """Mark a message that changes nothing else (a refused answer) as handled; False if it
        was."""
        ...

    async def prune_taps(self, before: dt.datetime) -> None:
        """Forget taps handled before `before`: Telegram no longer delivers them again."""
        ...


class Reports(Protocol):
    """The running totals reports read, and rebuilding them."""

    async def activity(self, survey_id: str, recent_since: dt.date) -> Activity:
        """Responses started, and per area the people counted as completed, and of them those who
        completed on or after `recent_since` (UTC days). A response's area is known only once it is
        completed, so starts are counted in all."""
        ...

    async def completed_overall(self, survey_id: str) -> int:
        """The people counted as having completed a survey (its milestones count these)."""
        ...

    async def tallies_by_area(self, survey_id: str) -> dict[tuple[str, str, str], int]:
        """(area, question, value) -> completed responses."""
        ...

    async def tallies_by_area_and_answer(
        self, survey_id: str, split_question: str
    ) -> dict[tuple[str, str, str, str], int]:
        """(area, answer to split_question, question, value) -> completed responses."""
        ...

    async def add_completed(self, survey_id: str, batch: Sequence[CompletedResponse]) -> None:
        """Store completed responses with their answers, and count them, in one transaction."""
        ...

    async def totals_stale(self) -> bool:
        """Whether responses completed before the totals existed still need counting."""
        ...

    async def rebuild_totals(self, count: Counter_) -> int:
        """Recount every response into fresh totals (one transaction); returns how many
        completed."""
        ...


class Organisers(Protocol):
    """Registered organiser chats, their digests, and milestones announced."""

    async def register_chat(
        self, chat_id: int, kind: ChatKind, title: str, area: str | None, now: dt.datetime
    ) -> OrganiserChat:
        """Register a chat (again: its area is replaced, it is active again, its digest kept)."""
        ...

    async def unregister_chat(self, chat_id: int) -> bool:
        """Forget a chat's registration; False if it was not registered."""
        ...

    async def find_chat(self, chat_id: int) -> OrganiserChat | None:
        """A registered chat, active or not."""
        ...

    async def active_chats(self) -> list[OrganiserChat]:
        """Every chat reports may be posted to."""
        ...

    async def deactivate_chat(self, chat_id: int) -> bool:
        """Stop posting to a chat the bot was removed from; False if it was not active."""
        ...

    async def set_digest(self, chat_id: int, digest: Digest | None) -> bool:
        """Set or clear (None) a registered chat's digest; False if the chat is not registered."""
        ...

    async def claim_milestone(self, survey_id: str, completed: int, now: dt.datetime) -> bool:
        """Record a milestone as announced; False if it was announced before."""
        ...

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> OrganiserChat | None:
        """A group upgraded to a supergroup gets a new id: keep its registration under it. If the
        new id was registered meanwhile, that registration stands and the old one goes."""
        ...


class Audit(Protocol):
    """The audit log: who released which results where, and deletions."""

    async def record(
        self,
        action: str,
        now: dt.datetime,
        *,
        actor: int | None = None,
        chat_id: int | None = None,
        survey_id: str | None = None,
        scope: str | None = None,
    ) -> None:
        """Add an entry (committed on its own); `entry` as for `add`."""
        ...

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The newest entries, newest first."""
        ...

    async def prune(self, before: dt.datetime) -> int:
        """Delete entries older than `before` (retention); returns how many."""
        ...


class Privacy(Protocol):
    """What is held about a member, deleting it, retention, and rebuilding the file."""

    async def held_data(self, telegram_id: int) -> HeldData | None:
        """Everything stored about the member with this Telegram id (None: nothing at all)."""
        ...

    async def anything_held(self, telegram_id: int) -> bool:
        """Whether anything names this Telegram id: a member, or audit log entries."""
        ...

    async def forget_member(
        self, telegram_id: int, count: Counter_, now: dt.datetime, describe: Describe
    ) -> Forgotten | None:
        """Delete the member and everything keyed to them, take their responses out of the report
        totals (`count` gives a completed response's area and tally keys), remove their id from
        the audit log, and record the deletion there, all in one transaction; None if nothing was
        held about them."""
        ...

    async def linked_surveys(self) -> dict[str, dt.datetime]:
        """Surveys with responses still linked to members, and their latest activity."""
        ...

    async def unlink_responses(self, survey_ids: Iterable[str]) -> int:
        """Remove the link between members and their responses to these surveys; returns how
        many responses were unlinked. The responses stay, anonymous, and still count."""
        ...

    async def delete_inactive_members(self, inactive_since: dt.datetime) -> int:
        """Delete members with no consent decision and no answer since `inactive_since`; their
        responses are unlinked first, and stay, anonymous. Returns how many were deleted."""
        ...

    async def compaction(self) -> Compaction:
        """Whether the file waits for a rebuild, and when it was last rebuilt."""
        ...

    async def compact_if_due(
        self, now: dt.datetime, spacing: dt.timedelta = dt.timedelta(0)
    ) -> bool:
        """After deletions, rebuild the file so that no fragment of a deleted row is left in it
        (see the `maintenance` table), unless it was rebuilt less than `spacing` before `now`;
        returns whether it was rebuilt. Checkpoint after."""
        ...


class Versions(Protocol):
    """Every version of every survey a response may be pinned to."""

    async def register_version(
        self, survey_id: str, content_hash: str, definition: str, now: dt.datetime
    ) -> int:
        """The id of this survey content, recording it if it is new."""
        ...

    async def version_definition(self, version_id: int) -> str | None:
        """The stored survey JSON of a version, or None if there is no such version."""
        ...

    async def version_ids(self) -> list[int]:
        """The id of every stored version."""
        ...

    async def newest_version_id(self, survey_id: str) -> int | None:
        """The id of a survey's most recently stored version, or None if it was never loaded."""
        ...


class Export(Protocol):
    """Every response of a survey, read in batches for the CSV export."""

    def exported_responses(
        self, survey_id: str, batch: int = ...
    ) -> AsyncIterator[ExportedResponse]:
        """Every response to `survey_id`, in progress or completed, in id order, read `batch`
        at a time."""
        ...


class Reach(Protocol):
    """Members' contact state, invitation rounds with their outbox, and reminders.

    The outbox holds one row per member per round. Claiming rows marks them "sending" before
    anything is sent; after a crash such rows become "unknown" and are never sent again, so no
    member gets two invitations of one round."""

    async def contact_state(self, telegram_id: int) -> ContactState | None:
        """The member's contact state (None: not a member)."""
        ...

    async def set_invitations(self, telegram_id: int, on: bool) -> bool:
        """Turn the member's invitations and reminders on or off; False if not a member."""
        ...

    async def set_reachable(self, telegram_id: int, reachable: bool, now: dt.datetime) -> bool:
        """Record that the bot can (again) or cannot write to the member; False if not a
        member."""
        ...

    async def contacts(
        self, survey_id: str, area: str | None, responded_since: dt.datetime | None
    ) -> list[Contact]:
        """Every member (in `area`, when given), with what the audience rules need to decide on
        inviting them to the survey."""
        ...

    async def create_round(self, survey_id: str, area: str | None, now: dt.datetime) -> Round:
        """A round in preview: nothing is sent until it starts."""
        ...

    async def find_round(self, round_id: int) -> Round | None:
        """A round, or None."""
        ...

    async def latest_start(self, survey_id: str) -> dt.datetime | None:
        """When the survey's latest round began sending (None: never)."""
        ...

    async def start_round(
        self,
        round_id: int,
        member_ids: Sequence[int],
        left_out: LeftOut,
        card: tuple[int, int],
        now: dt.datetime,
        *,
        actor: int,
        scope: str,
    ) -> bool:
        """Move a previewed round to sending, with one outbox row per member to invite, the
        progress card's (chat, message) and its audit entry (`actor`, `scope`), in one
        transaction; False, changing nothing, unless it was in preview and no other round of
        its survey is sending or paused."""
        ...

    async def set_round_state(
        self, round_id: int, expected: Sequence[RoundState], state: RoundState, now: dt.datetime
    ) -> bool:
        """Move a round to `state` if it is in one of the `expected` states. A round that ends
        (cancelled, finished, closed) records when, and its rows still waiting are skipped."""
        ...

    async def prune_previews(self, before: dt.datetime) -> int:
        """Delete previews never started that were made before `before`; returns how many."""
        ...

    async def rounds_in(self, states: Sequence[RoundState]) -> list[Round]:
        """Rounds in these states, oldest first."""
        ...

    async def recent_rounds(self, limit: int) -> list[Round]:
        """Rounds that started, newest first."""
        ...

    async def claim_deliveries(
        self, invitation: Round, limit: int, now: dt.datetime
    ) -> list[Delivery]:
        """Mark up to `limit` waiting rows due by `now` of a round still sending as "sending",
        and return them with their members' contact facts as they are now (responses since the
        round began)."""
        ...

    async def still_wanted(self, invitation: Round, delivery: Delivery) -> Contact | None:
        """The member's facts as they are now (responses since the round began), while the
        round is still sending (None: it is not, or the member is gone)."""
        ...

    async def settle_deliveries(
        self, outcomes: Sequence[tuple[Delivery, DeliveryState, dt.datetime | None]]
    ) -> None:
        """Record how claimed deliveries ended: sent, unreachable, failed, skipped, or waiting
        again (retry no earlier than the given time, one more attempt counted)."""
        ...

    async def release_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """Claimed deliveries that were not sent after all (their last look held them back):
        waiting again, with no attempt counted, while their round may still send (sending or
        paused); skipped once it has ended. Only rows still "sending" change."""
        ...

    async def recover_in_flight(self) -> int:
        """After a restart: rows still "sending" may or may not have left; make them "unknown"
        (never sent again). Returns how many."""
        ...

    async def round_progress(self, round_id: int) -> RoundProgress:
        """A round's outbox rows, counted by state."""
        ...

    async def due_reminders(
        self,
        survey_id: str,
        idle_before: dt.datetime,
        idle_after: dt.datetime,
        allowed: int,
        limit: int,
    ) -> list[DueReminder]:
        """Unfinished responses to the survey idle (no answer, no reminder) since a moment
        between `idle_after` and `idle_before`, reminded fewer than `allowed` times, of members
        who agreed, take invitations and are reachable."""
        ...

    async def reminder_still_wanted(self, reminder: DueReminder) -> bool:
        """Whether a reminder counted as sent should still go: its response is unfinished and
        untouched since, and its member agreed, takes invitations and can be reached."""
        ...

    async def claim_reminder(
        self, reminder: DueReminder, idle_before: dt.datetime, now: dt.datetime
    ) -> bool:
        """Count a reminder as sent before sending it (so none goes twice); False if the response
        moved on, or was reminded, since `idle_before`."""
        ...


class Store(Protocol):
    """Everything Doorstep keeps, by concern; one open database."""

    # Read-only: a backend's part may be a subtype of the protocol's.
    @property
    def members(self) -> Members: ...

    @property
    def responses(self) -> Responses: ...

    @property
    def handled(self) -> Handled: ...

    @property
    def reports(self) -> Reports: ...

    @property
    def organisers(self) -> Organisers: ...

    @property
    def audit(self) -> Audit: ...

    @property
    def privacy(self) -> Privacy: ...

    @property
    def versions(self) -> Versions: ...

    @property
    def export(self) -> Export: ...

    @property
    def reach(self) -> Reach: ...

    async def checkpoint(self) -> bool:
        """Make deletions final on disk (no trace of deleted rows in logs); False when another
        reader prevents it for now (try again later)."""
        ...

    async def close(self) -> None:
        """Close the database (after the last use)."""
        ...
