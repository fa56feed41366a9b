"""Who may do what where: administrators (DOORSTEP_ADMINS), in private or in groups, and the
scope of reports a chat may see. One place, so that each command declares its rule."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

from telegram import Chat, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from app import organisers, reports
from app.reports import Scope
from handlers import organiser_render as text
from handlers.context import Callback, chat_of, message_of, services
from storage.model import OrganiserChat

_CHAT_NAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-100[0-9]{5,16}")


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender is one of the operator's administrators."""
    user = update.effective_user
    return user is not None and services(context).is_admin(user.id)


def admins_only(callback: Callback) -> Callback:
    """A command only administrators may use: anyone else gets one line and nothing else."""
    return _admins_only_where(callback, lambda _: True)


def admins_only_in_private(callback: Callback) -> Callback:
    """A command for organiser chats, which in a private chat only administrators may use
    (there they name the chat it is for)."""
    return _admins_only_where(callback, lambda chat: chat.type == Chat.PRIVATE)


def _admins_only_where(callback: Callback, checked: Callable[[Chat], bool]) -> Callback:
    @functools.wraps(callback)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if checked(chat_of(update)) and not is_admin(update, context):
            await message_of(update).reply_text(text.ADMINS_ONLY)
            return
        await callback(update, context)

    return guarded


def in_private(refusal: str) -> Callable[[Callback], Callback]:
    """A command used only in a private chat with the bot (elsewhere: `refusal`)."""

    def wrap(callback: Callback) -> Callback:
        @functools.wraps(callback)
        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if chat_of(update).type != Chat.PRIVATE:
                await message_of(update).reply_text(refusal)
                return
            await callback(update, context)

        return guarded

    return wrap


async def scope(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, user_id: int | None
) -> Scope | None:
    """The reports this chat may see for this user, or None where they are refused."""
    return await reports.scope_of(
        services(context), chat.id, private=chat.type == Chat.PRIVATE, user_id=user_id
    )


def looks_like_chat(name: str) -> bool:
    """Whether an administrator's word names a chat: @username or a -100… id."""
    return bool(_CHAT_NAME.fullmatch(name))


async def named_chat(
    context: ContextTypes.DEFAULT_TYPE, args: Sequence[str]
) -> OrganiserChat | None:
    """A registered chat named by id (or @username, looked up) in an administrator's command."""
    if not args or not looks_like_chat(args[0]):
        return None
    chat_id: int | None = int(args[0]) if args[0].startswith("-") else None
    if chat_id is None:
        try:
            chat_id = (await context.bot.get_chat(args[0])).id
        except TelegramError:
            return None
    return await organisers.find(services(context), chat_id)
