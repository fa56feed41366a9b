"""Sending a text of any length to a chat: split under Telegram's limit at line boundaries
(`render.split_message`), with any buttons under the last part."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Bot, Chat, InlineKeyboardMarkup

from handlers.render import split_message


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
