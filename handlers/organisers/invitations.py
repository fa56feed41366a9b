"""Administrators' invitation rounds, in private: /invite SURVEY [AREA] (a preview, then Send),
/invites (the recent rounds), and the buttons of the preview and the progress card.

The preview sends nothing: only the Send button starts the round (`app.reach.start`), and the
preview message becomes the progress card, which the sender (`handlers.sender`) keeps up to
date. The use cases are in `app.reach`.
"""

from __future__ import annotations

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from app import reach, reports
from app.answering import NotOpen
from app.reach import Control, NoAreas, Started, StillGoing
from handlers import invitation_render as text
from handlers import organiser_render
from handlers.callbacks import RoundAction, RoundButton
from handlers.context import message_of, services
from handlers.errors import ignore_harmless
from handlers.organisers.access import admins_only, in_private
from handlers.sender import show_card, wake_sender

_CONTROLS = {
    RoundAction.PAUSE: Control.PAUSE,
    RoundAction.RESUME: Control.RESUME,
    RoundAction.CANCEL: Control.CANCEL,
}


@in_private(organiser_render.ADMINS_ONLY)
@admins_only
async def invite_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/invite SURVEY [AREA]: preview a round (nothing is sent before Send)."""
    message, service = message_of(update), services(context)
    args = context.args or []
    if not args:
        await message.reply_text(text.INVITE_USAGE)
        return
    wanted = " ".join(args[1:])
    area = reports.known_area(service, wanted) if wanted else None
    if wanted and area is None:
        await message.reply_text(organiser_render.unknown_area(wanted, reports.areas(service)))
        return
    match await reach.preview(service, args[0], area):
        case NotOpen():
            await message.reply_text(text.NOT_OPEN)
        case NoAreas(survey):
            await message.reply_text(text.no_area_question(survey))
        case StillGoing():
            await message.reply_text(text.STILL_GOING)
        case reach.Preview(invitation, survey, reaches, left_out):
            preview, markup = text.preview(survey, invitation, reaches, left_out)
            await message.reply_text(preview, reply_markup=markup)


@in_private(organiser_render.ADMINS_ONLY)
@admins_only
async def invites_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/invites: the recent rounds and where each stands."""
    service = services(context)
    listed = [
        (invitation, progress, _title(context, invitation.survey_id))
        for invitation, progress in await reach.recent(service)
    ]
    await message_of(update).reply_text(text.rounds_list(listed))


async def round_button(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, pressed: RoundButton
) -> None:
    """Send, Pause, Resume or Cancel, by an administrator; the message shows the outcome."""
    service = services(context)
    if not service.is_admin(query.from_user.id):
        await ignore_harmless(query.answer(organiser_render.ADMINS_ONLY, show_alert=True))
        return
    if pressed.action is RoundAction.SEND:
        await _send(query, context, pressed.round_id)
        return
    changed = await reach.control(service, pressed.round_id, _CONTROLS[pressed.action])
    if changed is None:
        await ignore_harmless(query.answer(text.NOT_NOW))
        return
    await ignore_harmless(query.answer())
    if changed.started_at is None:  # a preview cancelled
        await ignore_harmless(query.edit_message_text(text.CANCELLED_PREVIEW))
        return
    wake_sender(context)
    await show_card(context.bot, service, changed.id)


async def _send(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, round_id: int) -> None:
    """Start the previewed round; the preview becomes its progress card."""
    message = query.message
    if message is None:
        await ignore_harmless(query.answer(text.NOT_PREVIEW))
        return
    card = (message.chat.id, message.message_id)
    started = await reach.start(services(context), round_id, query.from_user.id, card)
    match started:
        case None:
            await ignore_harmless(query.answer(text.NOT_PREVIEW))
        case NotOpen():
            await ignore_harmless(query.answer(text.NOT_OPEN, show_alert=True))
        case StillGoing():
            await ignore_harmless(query.answer(text.STILL_GOING, show_alert=True))
        case Started(invitation):
            await ignore_harmless(query.answer())
            await show_card(context.bot, services(context), invitation.id)
            wake_sender(context)


def _title(context: ContextTypes.DEFAULT_TYPE, survey_id: str) -> str:
    survey = services(context).catalogue.current_survey(survey_id)
    return survey.title if survey else survey_id
