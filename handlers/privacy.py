"""Members' data rights in private chat (/privacy, /withdraw, /mydata, /forget), and retention.

Withdrawing is a consent decision like declining (`handlers.member` handles the button); the
command records it the same way. /forget asks first and deletes on the confirming button; a
second /forget, or the button tapped again, finds nothing and says so. The daily retention job
unlinks the responses of long-closed surveys and deletes members inactive for as long.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram import CallbackQuery, InputFile, Update
from telegram.ext import ContextTypes

from handlers import privacy_render, render
from handlers.callbacks import Forget
from handlers.errors import ignore_harmless
from handlers.replies import send_long
from handlers.services import Catalogue, Services, services
from storage import audit, handled, members, privacy
from storage.db import Database
from storage.privacy import Forgotten
from surveys import retention
from surveys.export import pseudonym
from surveys.model import Survey

log = logging.getLogger(__name__)

# Telegram delivers an update again within a day at most: taps older than this are never seen
# again, so their record (a callback id and a member) is no longer needed.
HANDLED_TAPS_KEPT = dt.timedelta(days=7)
# The log is truncated at once after every /forget; while another reader blocks that, it is
# tried again every minute. The file is rebuilt this much after a /forget, so that a burst of
# deletions costs one rebuild, and never sooner than the rebuild interval after the last one
# (`Services.rebuild_interval`): a member who forgets over and over, agreeing again between
# times, cannot make the bot pause for a rebuild each time.
CLEAN_UP = "clean-up"
CLEAN_UP_AFTER = dt.timedelta(minutes=5)
CLEAN_UP_RETRY = dt.timedelta(minutes=1)


async def privacy_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/privacy: the notice, the member's choice, and the button that changes it."""
    service = services(context)
    consent = await members.latest_consent(service.db, update.effective_user.id)
    text, markup = privacy_render.privacy_status(service.notice, consent, service.timezone)
    await send_long(update.effective_message, text, markup)  # an operator's notice can be long


async def withdraw_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/withdraw: stop collecting at once (the open survey closes), and offer /forget."""
    service = services(context)
    message = update.effective_message
    reply = await withdraw(
        service,
        update.effective_user.id,
        service.notice.version,
        not_a_member=privacy_render.NEVER_AGREED,
        message_id=message.message_id,
    )
    # None: a /withdraw delivered again, after the member agreed once more
    await message.reply_text(reply or render.ALREADY_HANDLED)


async def withdraw(
    service: Services,
    telegram_id: int,
    notice_version: str,
    *,
    not_a_member: str,
    **update: int | str,
) -> str | None:
    """Withdraw a member's consent, by /withdraw or a button (`update`: its message or tap, as
    `members.record_consent` takes them); the reply. Nothing is recorded for someone who is not
    a member (`not_a_member` is the reply) or has withdrawn already; None when the update was
    handled before."""
    member = await members.find_member(service.db, telegram_id)
    if member is None:
        return not_a_member
    if not member.agreed:
        return privacy_render.NOT_AGREED
    recorded = await members.record_consent(
        service.db, telegram_id, False, notice_version, service.clock(), **update
    )
    return None if recorded is None else render.WITHDRAWN


async def mydata_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mydata: everything held about the member, as a JSON file."""
    service = services(context)
    held = await privacy.held_data(service.db, update.effective_user.id)
    if held is None:
        await update.effective_message.reply_text(privacy_render.NOTHING_HELD)
        return
    surveys = {
        version_id: await service.catalogue.version(service.db, version_id)
        for version_id in {response.version_id for response in held.responses}
    }
    now = service.clock()
    document = privacy_render.held_data_json(
        held, surveys, pseudonym(service.secret_key, held.member_id), now
    )
    await update.effective_message.reply_document(
        InputFile(document, filename=f"doorstep-my-data-{now:%Y-%m-%d}.json"),
        caption=privacy_render.MYDATA_CAPTION,
    )


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: ask for confirmation (nothing is deleted until the button)."""
    if not await privacy.anything_held(services(context).db, update.effective_user.id):
        await update.effective_message.reply_text(privacy_render.NOTHING_HELD)
        return
    await update.effective_message.reply_text(
        privacy_render.FORGET_CONFIRM, reply_markup=privacy_render.forget_keyboard()
    )


async def forget_button(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, choice: Forget
) -> None:
    """Delete everything about the member (confirmed), or keep it; answer the query once."""
    await ignore_harmless(query.answer())
    if not choice.confirmed:
        await ignore_harmless(query.edit_message_text(privacy_render.KEPT))
        return
    service = services(context)
    forgotten = await forget(
        service.db, service.catalogue, service.secret_key, query.from_user.id, service.clock()
    )
    if forgotten is None:  # deleted before: a second tap, or a tap delivered again
        await ignore_harmless(query.edit_message_text(privacy_render.NOTHING_HELD))
        return
    await schedule_clean_up(context, checkpointed=forgotten.checkpointed)
    await ignore_harmless(query.edit_message_text(privacy_render.FORGOTTEN))


async def schedule_clean_up(context: ContextTypes.DEFAULT_TYPE, *, checkpointed: bool) -> None:
    """Schedule what deletions still need: truncating the log in a minute (unless it was
    `checkpointed`), rebuilding the file when it may be rebuilt (see CLEAN_UP_AFTER)."""
    if not checkpointed:
        log.warning("another reader kept the database log from being truncated; retrying")
        _clean_up_in(context, CLEAN_UP_RETRY)
        return
    service = services(context)
    state = await privacy.compaction(service.db)
    if state.due:
        allowed_from = state.allowed_from(service.rebuild_interval)
        wait = CLEAN_UP_AFTER if allowed_from is None else allowed_from - service.clock()
        _clean_up_in(context, max(CLEAN_UP_AFTER, wait))


def _clean_up_in(context: ContextTypes.DEFAULT_TYPE, after: dt.timedelta) -> None:
    """Clean up `after` from now, unless a clean-up is due by then already (a burst of
    deletions is cleaned up once)."""
    when = dt.datetime.now(dt.UTC) + after
    scheduled = context.job_queue.get_jobs_by_name(CLEAN_UP)
    if any(job.next_t is not None and job.next_t <= when for job in scheduled):
        return
    for job in scheduled:  # due later: this one comes first, and does what it would
        job.schedule_removal()
    context.job_queue.run_once(_clean_up_job, after, name=CLEAN_UP)


async def _clean_up_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The scheduled clean-up, then whatever it could not do yet."""
    service = services(context)
    checkpointed = await clean_up(service.db, service.clock(), service.rebuild_interval)
    await schedule_clean_up(context, checkpointed=checkpointed)


async def clean_up(
    db: Database, now: dt.datetime, rebuild_interval: dt.timedelta = dt.timedelta(0)
) -> bool:
    """Leave no trace of deleted rows: rebuild the file if a deletion marked it (SQLite can
    leave fragments in reorganised pages) and it was last rebuilt at least `rebuild_interval`
    before `now`, then truncate the log. False while another reader keeps the log from being
    truncated."""
    try:
        if await privacy.compact_if_due(db, now, rebuild_interval):
            log.info("database rebuilt after deletions")
    finally:
        checkpointed = await db.checkpoint()
    return checkpointed


async def forget(
    db: Database,
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

    count = await catalogue.tally_counter(db)
    forgotten = await privacy.forget_member(db, telegram_id, count, now, describe)
    if forgotten is not None:
        log.info("a member's data was deleted %s", requested)
    return forgotten


async def apply_retention(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The daily retention job: unlink long-closed surveys' responses, delete long-inactive
    members, prune old audit entries and handled taps, and leave no trace of what went."""
    await schedule_clean_up(context, checkpointed=await retain(services(context)))


async def retain(service: Services) -> bool:
    """Apply DOORSTEP_RETENTION_DAYS once, at the service's clock. After any deletion (today's
    or a /forget since the last run) the database file is rebuilt, whatever the rebuild
    interval (it runs once a day), so that no fragment of a deleted row is left in it. False
    when a reader kept the log from being truncated."""
    now, today = service.clock(), service.today()
    kept = dt.timedelta(days=service.retention_days)
    due = [
        survey_id
        for survey_id, last in (await privacy.linked_surveys(service.db)).items()
        if retention.unlink_due(
            retention.closed_on(_current(service, survey_id), last.date()),
            today,
            service.retention_days,
        )
    ]
    unlinked = await privacy.unlink_responses(service.db, due) if due else 0
    deleted = await privacy.delete_inactive_members(service.db, now - kept)
    pruned = await audit.prune(service.db, now - kept)
    await handled.prune_taps(service.db, now - HANDLED_TAPS_KEPT)
    if unlinked or deleted:
        await audit.record(
            service.db,
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
    return await clean_up(service.db, now)


def _current(service: Services, survey_id: str) -> Survey | None:
    """The survey as loaded from the files now (None: no longer there)."""
    current = service.catalogue.current.get(survey_id)
    return current[0] if current else None
