"""Members' choice to hear from the bot unasked, and whether it can reach them.

/stop and the "No more invitations" button turn invitations and reminders off; /privacy's
button turns them on again. Telegram's my_chat_member update says when a member blocks the bot
(kicked) or unblocks it (member): only then, or after a send is refused, is a member out of
reach. Groups' membership changes go on to the organisers' registration.
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ContextTypes

from app import reach
from handlers import callbacks, contact_render
from handlers.callbacks import Invitations
from handlers.context import membership_of, message_of, sender_of, services
from handlers.errors import ignore_harmless
from handlers.organisers import registration


async def stop_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stop: no more invitations or reminders, as the button under an invitation."""
    message = message_of(update)
    if not await reach.set_invitations(services(context), sender_of(update).id, False):
        await message.reply_text(contact_render.NOTHING_TO_STOP)
        return
    markup = InlineKeyboardMarkup([[contact_render.toggle(False)]])
    await message.reply_text(contact_render.TURNED_OFF, reply_markup=markup)


async def invitations_button(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, choice: Invitations
) -> None:
    """Invitations off (under an invitation or a reminder) or on again (/privacy, /stop): the
    answer says so, and the button turns into its opposite, the message otherwise unchanged."""
    if not await reach.set_invitations(services(context), query.from_user.id, choice.on):
        await ignore_harmless(query.answer(contact_render.NOTHING_TO_STOP, show_alert=True))
        return
    reply = contact_render.TURNED_ON if choice.on else contact_render.TURNED_OFF
    await ignore_harmless(query.answer(reply, show_alert=True))
    markup = _flipped(query, choice)
    if markup is not None:
        await ignore_harmless(query.edit_message_reply_markup(markup))


def _flipped(query: CallbackQuery, choice: Invitations) -> InlineKeyboardMarkup | None:
    """The tapped message's keyboard with the tapped button turned into its opposite (None when
    the message can no longer be seen)."""
    message = query.message
    markup = getattr(message, "reply_markup", None)
    if not isinstance(markup, InlineKeyboardMarkup):
        return None
    tapped = callbacks.encode(choice)
    rows = [
        [
            contact_render.toggle(choice.on) if button.callback_data == tapped else button
            for button in row
        ]
        for row in markup.inline_keyboard
    ]
    return InlineKeyboardMarkup(rows)


async def bot_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot's membership changed: in a member's private chat, they blocked it (kicked) or
    unblocked it; elsewhere, an organiser chat's registration follows."""
    change = membership_of(update)
    if change.chat.type != ChatType.PRIVATE:
        await registration.bot_membership(update, context)
        return
    blocked = change.new_chat_member.status == ChatMemberStatus.BANNED
    await reach.set_reachable(services(context), change.chat.id, not blocked)
