"""Putting a reply in front of a member, in as few chat-bound calls as it takes.

Every call that names a chat spends Telegram's send budget (about 30 a second for the whole bot),
so the member's conversation shows each step in one call: `show` edits the message the member
tapped into the reply, or sends the reply as a new message when there is nothing to edit, the
message cannot be edited, or the rate limiter prefers sends (`may_edit`). A text longer than one
message is split under Telegram's limit at line boundaries (`render.split_message`): the first
part replaces the tapped message, the rest are sent, the buttons under the last part.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from telegram import Bot, Chat, InlineKeyboardMarkup, MaybeInaccessibleMessage
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from handlers import errors
from handlers.render import Reply, split_message

log = logging.getLogger(__name__)


@runtime_checkable
class PrefersSends(Protocol):
    """A rate limiter that may ask for new messages rather than edits: only send methods can be
    paid broadcasts (`allow_paid_broadcast`), so under a long reply queue a send may go sooner."""

    def prefers_sends(self) -> bool:
        """Whether replies should be sent as new messages now."""
        ...


def may_edit(context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether a reply may edit a message in place (unless the rate limiter prefers sends)."""
    limiter = context.bot.rate_limiter
    return not (isinstance(limiter, PrefersSends) and limiter.prefers_sends())


async def show(
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    reply: Reply,
    *,
    replacing: MaybeInaccessibleMessage | None = None,
    keyboard_only: bool = False,
) -> None:
    """Show `reply` in `chat`: by editing `replacing` into it where that can be done (only its
    buttons, if `keyboard_only`: the message shows the reply's text already), otherwise as a new
    message; one call either way, unless the text needs more than one message."""
    parts = split_message(reply.text)
    if replacing is not None and may_edit(context):
        first = Reply(parts[0], reply.markup if len(parts) == 1 else None)
        if await _edited(context.bot, replacing, first, keyboard_only=keyboard_only):
            parts = parts[1:]
    await send_parts(context.bot, chat.id, parts, reply.markup)


async def _edited(
    bot: Bot, message: MaybeInaccessibleMessage, reply: Reply, *, keyboard_only: bool
) -> bool:
    """Edit `message` into `reply`; False if it cannot be edited, so the reply is to be sent."""
    if not message.is_accessible:
        # Telegram no longer shows the bot this message (deleted, or too old): an edit would
        # most likely be refused, and the refusal would cost a call of its own.
        return False
    chat_id, message_id = message.chat.id, message.message_id
    try:
        if keyboard_only:
            await bot.edit_message_reply_markup(chat_id, message_id, reply_markup=reply.markup)
        else:
            await bot.edit_message_text(reply.text, chat_id, message_id, reply_markup=reply.markup)
    except BadRequest as error:
        if errors.is_not_modified(error):
            return True
        if errors.is_uneditable(error):
            log.debug("sending instead of editing: %s", error.message)
            return False
        raise
    return True


async def send_long(chat: Chat, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Send `text` (HTML) to `chat`, in as many messages as it needs."""
    await send_parts(chat.get_bot(), chat.id, split_message(text), markup)


async def send_parts(
    bot: Bot, chat_id: int, parts: Sequence[str], markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send a text already split into parts, in order, the buttons under the last."""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await bot.send_message(chat_id, part, reply_markup=markup if last else None)
