"""Members' data rights and retention: withdrawing, what is held, forgetting, the daily
retention run, and leaving no trace of what was deleted.

/forget deletes at once, in one transaction with its audit entry; the file is rebuilt later
(`next_clean_up`), so that a burst of deletions costs one rebuild and no member can make the
bot pause for one at will.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass
from typing import Unpack

from app.services import Catalogue, Services
from storage.model import ConsentOrigin, ConsentRecord, Forgotten, HeldData
from storage.protocol import Store
from surveys import retention
from surveys.export import pseudonym
from surveys.model import Survey

log = logging.getLogger(__name__)

# Telegram delivers an update again within a day at most: taps older than this are never seen
# again, so their record (a callback id and a member) is no longer needed.
PREVIEWS_KEPT = dt.timedelta(days=1)
HANDLED_TAPS_KEPT = dt.timedelta(days=7)
# The log is truncated at once after every /forget; while another reader blocks that, it is
# tried again every minute. The file is rebuilt this much after a /forget, so that a burst of
# deletions costs one rebuild, and never sooner than the rebuild interval after the last one
# (`Services.rebuild_interval`): a member who forgets over and over, agreeing again between
# times, cannot make the bot pause for a rebuild each time.
CLEAN_UP_AFTER = dt.timedelta(minutes=5)
CLEAN_UP_RETRY = dt.timedelta(minutes=1)


class Withdrawal(enum.Enum):
    """What became of a request to withdraw consent."""

    NOT_A_MEMBER = "not a member"  # nothing is recorded about them
    NOT_AGREED = "not agreed"  # withdrawn already
    WITHDRAWN = "withdrawn"
    HANDLED_BEFORE = "handled before"  # the same update, delivered again


async def withdraw(
    service: Services, telegram_id: int, notice_version: str, **update: Unpack[ConsentOrigin]
) -> Withdrawal:
    """Withdraw a member's consent, by /withdraw or a button (`update`: its message or tap, as
    `members.record_consent` takes them). Nothing is recorded for someone who is not a member
    or has withdrawn already."""
    member = await service.store.members.find_member(telegram_id)
    if member is None:
        return Withdrawal.NOT_A_MEMBER
    if not member.agreed:
        return Withdrawal.NOT_AGREED
    recorded = await service.store.members.record_consent(
        telegram_id, False, notice_version, service.clock(), **update
    )
    return Withdrawal.HANDLED_BEFORE if recorded is None else Withdrawal.WITHDRAWN


async def consent_of(service: Services, telegram_id: int) -> ConsentRecord | None:
    """The member's current decision on the privacy notice (None: they never decided)."""
    return await service.store.members.latest_consent(telegram_id)


@dataclass(frozen=True)
class Held:
    """Everything held about a member, with the survey versions their responses answered and
    the code their rows carry in exports."""

    data: HeldData
    surveys: dict[int, Survey]
    export_code: str


async def held_about(service: Services, telegram_id: int) -> Held | None:
    """What /mydata shows; None when nothing is held."""
    held = await service.store.privacy.held_data(telegram_id)
    if held is None:
        return None
    surveys = {
        version_id: await service.catalogue.version(service.store, version_id)
        for version_id in {response.version_id for response in held.responses}
    }
    return Held(held, surveys, pseudonym(service.secret_key, held.member_id))


async def anything_held(service: Services, telegram_id: int) -> bool:
    """Whether /forget would delete anything."""
    return await service.store.privacy.anything_held(telegram_id)


async def forget(
    store: Store,
    catalogue: Catalogue,
    key: bytes,
    telegram_id: int,
    now: dt.datetime,
    *,
    requested: str = "by the member",
) -> Forgotten | None:
    """Delete a member with everything keyed to them and take them out of the totals, with an
    audit entry in the same transaction. The entry carries the member's export code (`key`),
    so that the operator can delete their rows from exports made before, and never the
    Telegram id. None: nothing was held about them."""

    def describe(member_id: int | None, responses: int) -> str:
        code = pseudonym(key, member_id) or "none"
        return f"{requested}: respondent {code}; responses deleted: {responses}"

    count = await catalogue.tally_counter(store)
    forgotten = await store.privacy.forget_member(telegram_id, count, now, describe)
    if forgotten is not None:
        log.info("a member's data was deleted %s", requested)
    return forgotten


async def forget_member(service: Services, telegram_id: int) -> Forgotten | None:
    """/forget, confirmed by the member: `forget` with the service's key and clock."""
    return await forget(
        service.store, service.catalogue, service.secret_key, telegram_id, service.clock()
    )


async def next_clean_up(service: Services, *, checkpointed: bool) -> dt.timedelta | None:
    """How long from now the next clean-up should run, or None when none is needed: soon
    where the log could not be truncated, else when the file may be rebuilt (if it must)."""
    if not checkpointed:
        log.warning("another reader kept the database log from being truncated; retrying")
        return CLEAN_UP_RETRY
    state = await service.store.privacy.compaction()
    if not state.due:
        return None
    allowed_from = state.allowed_from(service.rebuild_interval)
    wait = CLEAN_UP_AFTER if allowed_from is None else allowed_from - service.clock()
    return max(CLEAN_UP_AFTER, wait)


async def clean_up(
    store: Store, now: dt.datetime, rebuild_interval: dt.timedelta = dt.timedelta(0)
) -> bool:
    """Leave no trace of deleted rows: rebuild the file if a deletion marked it (SQLite can
    leave fragments in reorganised pages) and it was last rebuilt at least `rebuild_interval`
    before `now`, then truncate the log. False while another reader keeps the log from being
    truncated."""
    try:
        if await store.privacy.compact_if_due(now, rebuild_interval):
            log.info("database rebuilt after deletions")
    finally:
        checkpointed = await store.checkpoint()
    return checkpointed


async def retain(service: Services) -> bool:
    """Apply DOORSTEP_RETENTION_DAYS once, at the service's clock: unlink long-closed surveys'
    responses, delete long-inactive members, prune old audit entries and handled taps. After
    any deletion (today's or a /forget since the last run) the database file is rebuilt,
    whatever the rebuild interval (it runs once a day), so that no fragment of a deleted row
    is left in it. False when a reader kept the log from being truncated."""
    now, today = service.clock(), service.today()
    kept = dt.timedelta(days=service.retention_days)
    due = [
        survey_id
        for survey_id, last in (await service.store.privacy.linked_surveys()).items()
        if retention.unlink_due(
            retention.closed_on(service.catalogue.current_survey(survey_id), last.date()),
            today,
            service.retention_days,
        )
    ]
    unlinked = await service.store.privacy.unlink_responses(due) if due else 0
    deleted = await service.store.privacy.delete_inactive_members(now - kept)
    pruned = await service.store.audit.prune(now - kept)
    await service.store.handled.prune_taps(now - HANDLED_TAPS_KEPT)
    # A preview nobody sent within a day is stale: /invite makes a fresh one.
    await service.store.reach.prune_previews(now - PREVIEWS_KEPT)
    if unlinked or deleted:
        await service.store.audit.record(
            "retention",
            now,
            scope=f"responses unlinked: {unlinked}; inactive members deleted: {deleted}",
        )
    log.info(
        "retention: responses unlinked: %d; inactive members deleted: %d; audit entries pruned: %d",
        unlinked,
        deleted,
        pruned,
    )
    return await clean_up(service.store, now)
