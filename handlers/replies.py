"""Sending a text of any length to the chat of a message: split under Telegram's limit at line
boundaries (`render.split_message`), with any buttons under the last part."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message

from handlers.render import split_message


async def send_long(
    message: Message, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send `text` (HTML) to the chat `message` is in, in as many messages as it needs."""
    parts = split_message(text)
    for part in parts[:-1]:
        await message.chat.send_message(part)
    await message.chat.send_message(parts[-1], reply_markup=markup)
