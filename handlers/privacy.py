"""Members' data rights in private chat (/privacy, /withdraw, /mydata, /forget), and the jobs
that apply retention and clean up after deletions.

Withdrawing is a consent decision like declining (`handlers.buttons` handles the button); the
command records it the same way. /forget asks first and deletes on the confirming button; a
second /forget, or the button tapped again, finds nothing and says so. The use cases are in
`app.privacy`.
"""

from __future__ import annotations

import datetime as dt

from telegram import CallbackQuery, InputFile, Update
from telegram.ext import ContextTypes

from app import privacy, reach
from app.privacy import Withdrawal
from handlers import privacy_render, render
from handlers.callbacks import Forget
from handlers.context import jobs, message_of, sender_of, services
from handlers.errors import ignore_harmless
from handlers.replies import send_long

CLEAN_UP = "clean-up"  # the job's name: at most one is pending


async def privacy_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/privacy: the notice, the member's choice and invitations, and the buttons that change
    them."""
    service, member = services(context), sender_of(update).id
    consent = await privacy.consent_of(service, member)
    contact = await reach.contact_state(service, member)
    text, markup = privacy_render.privacy_status(service.notice, consent, service.timezone, contact)
    await send_long(message_of(update).chat, text, markup)  # an operator's notice can be long


async def withdraw_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/withdraw: stop collecting at once (the open survey closes), and offer /forget."""
    service = services(context)
    message = message_of(update)
    outcome = await privacy.withdraw(
        service, sender_of(update).id, service.notice.version, message_id=message.message_id
    )
    await message.reply_text(withdrawal_reply(outcome, not_a_member=privacy_render.NEVER_AGREED))


def withdrawal_reply(outcome: Withdrawal, *, not_a_member: str) -> str:
    """What a member is told after withdrawing (by /withdraw, or a notice's No thanks, whose
    reply to someone who never agreed differs: `not_a_member`)."""
    match outcome:
        case Withdrawal.NOT_A_MEMBER:
            return not_a_member
        case Withdrawal.NOT_AGREED:
            return privacy_render.NOT_AGREED
        case Withdrawal.WITHDRAWN:
            return render.WITHDRAWN
        case Withdrawal.HANDLED_BEFORE:  # delivered again, after the member agreed once more
            return render.ALREADY_HANDLED


async def mydata_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mydata: everything held about the member, as a JSON file."""
    service = services(context)
    message = message_of(update)
    held = await privacy.held_about(service, sender_of(update).id)
    if held is None:
        await message.reply_text(privacy_render.NOTHING_HELD)
        return
    now = service.clock()
    document = privacy_render.held_data_json(held.data, held.surveys, held.export_code, now)
    await message.reply_document(
        InputFile(document, filename=f"doorstep-my-data-{now:%Y-%m-%d}.json"),
        caption=privacy_render.MYDATA_CAPTION,
    )


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: ask for confirmation (nothing is deleted until the button)."""
    message = message_of(update)
    if not await privacy.anything_held(services(context), sender_of(update).id):
        await message.reply_text(privacy_render.NOTHING_HELD)
        return
    await message.reply_text(
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
    forgotten = await privacy.forget_member(services(context), query.from_user.id)
    if forgotten is None:  # deleted before: a second tap, or a tap delivered again
        await ignore_harmless(query.edit_message_text(privacy_render.NOTHING_HELD))
        return
    await schedule_clean_up(context, checkpointed=forgotten.checkpointed)
    await ignore_harmless(query.edit_message_text(privacy_render.FORGOTTEN))


async def apply_retention(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The daily retention job, then the clean-up it leaves."""
    await schedule_clean_up(context, checkpointed=await privacy.retain(services(context)))


async def schedule_clean_up(context: ContextTypes.DEFAULT_TYPE, *, checkpointed: bool) -> None:
    """Put the clean-up that deletions still need on the job queue (see `app.privacy`)."""
    after = await privacy.next_clean_up(services(context), checkpointed=checkpointed)
    if after is not None:
        _clean_up_in(context, after)


def _clean_up_in(context: ContextTypes.DEFAULT_TYPE, after: dt.timedelta) -> None:
    """Clean up `after` from now, unless a clean-up is due by then already (a burst of
    deletions is cleaned up once)."""
    when = dt.datetime.now(dt.UTC) + after
    queue = jobs(context)
    scheduled = queue.get_jobs_by_name(CLEAN_UP)
    if any(job.next_t is not None and job.next_t <= when for job in scheduled):
        return
    for job in scheduled:  # due later: this one comes first, and does what it would
        job.schedule_removal()
    queue.run_once(_clean_up_job, after, name=CLEAN_UP)


async def _clean_up_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The scheduled clean-up, then whatever it could not do yet."""
    service = services(context)
    checkpointed = await privacy.clean_up(service.store, service.clock(), service.rebuild_interval)
    await schedule_clean_up(context, checkpointed=checkpointed)
