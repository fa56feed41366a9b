"""Sending a text of any length to a chat: split under Telegram's limit at line boundaries
(`render.split_message`), with any buttons under the last part."""

from __future__ import annotations

from telegram import Chat, InlineKeyboardMarkup

from handlers.render import split_message


async def send_long(chat: Chat, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Send `text` (HTML) to `chat`, in as many messages as it needs."""
    parts = split_message(text)
    for part in parts[:-1]:
        await chat.send_message(part)
    await chat.send_message(parts[-1], reply_markup=markup)
