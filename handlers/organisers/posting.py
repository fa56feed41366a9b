"""Posting to organiser chats: reports split to Telegram's limit, and what a failed post
means (a chat that is gone is marked inactive; anything else is logged, not retried beyond
the rate limiter's retries)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import TelegramError

from app import organisers
from app.services import Services
from handlers import organiser_render as text
from handlers.errors import chat_is_gone
from handlers.render import split_message
from handlers.replies import send_parts
from surveys.summary import SurveyReport

log = logging.getLogger(__name__)


async def send_report(
    bot: Bot, service: Services, chat_id: int, summary_report: SurveyReport
) -> bool:
    """Post a report (split to Telegram's limit), the Chart button under its last part."""
    return await post(
        bot,
        service,
        chat_id,
        split_message(text.report_text(summary_report)),
        text.chart_keyboard(summary_report.survey.id),
    )


async def post(
    bot: Bot,
    service: Services,
    chat_id: int,
    parts: list[str],
    keyboard: InlineKeyboardMarkup | None = None,
) -> bool:
    """Send a text in parts (the keyboard under the last); False if it could not be."""
    return await delivered(service, chat_id, send_parts(bot, chat_id, parts, keyboard))


async def delivered(service: Services, chat_id: int, sending: Awaitable[object]) -> bool:
    """Await a post to an organiser chat; False if it failed."""
    try:
        await sending
    except TelegramError as error:
        if chat_is_gone(error):
            log.info("an organiser chat is gone: marked inactive")
            await organisers.chat_gone(service, chat_id)
        else:
            log.warning("could not post to an organiser chat: %s", error.message)
        return False
    return True
