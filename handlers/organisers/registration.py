"""Registering organiser chats: /register in a group, /register_channel and /unregister by an
administrator, and what Telegram tells of the chats (the bot removed; a group that became a
supergroup)."""

from __future__ import annotations

import logging

from telegram import Bot, Chat, ChatFullInfo, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from app import organisers, reports
from handlers import organiser_render as text
from handlers.context import chat_of, jobs, membership_of, message_of, sender_of, services
from handlers.organisers import digests
from handlers.organisers.access import admins_only, looks_like_chat, named_chat

log = logging.getLogger(__name__)

GROUP_CHATS = (Chat.GROUP, Chat.SUPERGROUP)


@admins_only
async def register(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/register [AREA] in a group: an administrator makes it an organiser chat."""
    message, chat, service = message_of(update), chat_of(update), services(context)
    if chat.type not in GROUP_CHATS:
        await message.reply_text(text.GROUPS_ONLY)
        return
    wanted = " ".join(context.args or [])
    area = reports.known_area(service, wanted) if wanted else None
    if wanted and area is None:
        await message.reply_text(text.unknown_area(wanted, reports.areas(service)))
        return
    registered = await organisers.register(
        service, chat.id, "group", chat.title or "", area, actor=sender_of(update).id
    )
    digests.schedule(jobs(context), registered, service)
    log.info("registered an organiser group (area: %s)", area or "all")
    label = reports.area_label(service, area)
    await message.reply_text(text.registered(chat.title or "this chat", label))


@admins_only
async def unregister(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unregister in a group, or /unregister CHAT in private: stop reports there."""
    message, chat = message_of(update), chat_of(update)
    target = chat.id
    if chat.type == Chat.PRIVATE:
        found = await named_chat(context, context.args or [])
        if found is None:
            await message.reply_text(text.NOT_REGISTERED)
            return
        target = found.chat_id
    service = services(context)
    removed = await organisers.unregister(service, target, actor=sender_of(update).id)
    digests.unschedule(jobs(context), target)
    await message.reply_text(text.UNREGISTERED if removed else text.NOT_REGISTERED)


@admins_only
async def register_channel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/register_channel @name|-100… [AREA] in private: an administrator adds a channel."""
    message, service, args = message_of(update), services(context), context.args or []
    if not args or not looks_like_chat(args[0]):
        await message.reply_text(text.REGISTER_CHANNEL_USAGE)
        return
    name, wanted = args[0], " ".join(args[1:])
    area = reports.known_area(service, wanted) if wanted else None
    if wanted and area is None:
        await message.reply_text(text.unknown_area(wanted, reports.areas(service)))
        return
    problem, channel = await _postable_channel(context.bot, name)
    if channel is None:
        await message.reply_text(text.cannot_post(name, problem))
        return
    title = channel.title or name
    registered = await organisers.register(
        service, channel.id, "channel", title, area, actor=sender_of(update).id
    )
    digests.schedule(jobs(context), registered, service)
    log.info("registered an organiser channel (area: %s)", area or "all")
    await message.reply_text(text.registered(title, reports.area_label(service, area)))


async def _postable_channel(bot: Bot, name: str) -> tuple[str, ChatFullInfo | None]:
    """The channel, if the bot can post there; else why not."""
    try:
        chat = await bot.get_chat(int(name) if name.lstrip("-").isdigit() else name)
        if chat.type != Chat.CHANNEL:
            return "that is not a channel (use /register in groups).", None
        status = await bot.get_chat_member(chat.id, bot.id)
    except TelegramError as error:
        return f"Telegram says “{error.message}”. Add me to the channel as an admin first.", None
    if status.status != ChatMemberStatus.ADMINISTRATOR or not getattr(
        status, "can_post_messages", False
    ):
        return "I am not an admin allowed to post messages there.", None
    return "", chat


async def bot_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was removed from a chat (my_chat_member): stop posting there."""
    change = membership_of(update)
    removed = change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
    if removed and await organisers.chat_gone(services(context), change.chat.id):
        digests.unschedule(jobs(context), change.chat.id)
        log.info("removed from an organiser chat: marked inactive")


async def chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup, with a new id: its registration moves with it."""
    message = message_of(update)
    if message.migrate_to_chat_id is None:
        return  # the same move, as the new supergroup reports it
    service = services(context)
    moved = await organisers.chat_moved(service, message.chat.id, message.migrate_to_chat_id)
    if moved is not None:
        queue = jobs(context)
        digests.unschedule(queue, message.chat.id)
        digests.schedule(queue, moved, service)
