"""Milestones: when a survey's completed count reaches a milestone (`surveys.report`), the chats
that see every response are told, once. The posts leave the completing member's update: the
member's reply never waits for organiser posts."""

from __future__ import annotations

from telegram.ext import ContextTypes

from app import organisers
from handlers import organiser_render as text
from handlers.context import services
from handlers.organisers.posting import post
from surveys.model import Survey

TASK_PREFIX = "milestone:"  # names the background tasks (tests wait for them)


def announce_later(context: ContextTypes.DEFAULT_TYPE, survey: Survey) -> None:
    """Check for a milestone and announce it in a task of its own (PTB's `create_task`: its
    errors reach the error handler, and the application waits for it when it stops)."""
    context.application.create_task(
        _announce(context, survey), update=None, name=f"{TASK_PREFIX}{survey.id}"
    )


async def _announce(context: ContextTypes.DEFAULT_TYPE, survey: Survey) -> None:
    service = services(context)
    reached = await organisers.milestone_reached(service, survey)
    if reached is None:
        return
    count, chat_ids = reached
    for chat_id in chat_ids:
        await post(context.bot, service, chat_id, [text.milestone(survey, count)])
