"""Milestones: when a survey's completed count reaches a milestone (`surveys.report`), the chats
that see every response are told, once. The posts leave the completing member's update: the
member's reply never waits for organiser posts."""

from __future__ import annotations

import asyncio

from telegram.ext import Application, ContextTypes

from app import organisers
from handlers import organiser_render as text
from handlers.context import services
from handlers.organisers.posting import post
from surveys.model import Survey

PENDING_KEY = "milestone posts"  # in bot_data: the announcements not finished yet


def announce_later(context: ContextTypes.DEFAULT_TYPE, survey: Survey) -> None:
    """Check for a milestone and announce it in a task of its own (PTB's `create_task`: its
    errors reach the error handler). The task is kept until it ends, so that the bot waits for
    it before closing the store (`finish_pending`): PTB itself no longer waits for tasks set off
    by the last updates while it stops, and a milestone claimed but not posted would never be."""
    task = context.application.create_task(_announce(context, survey), update=None)
    pending: set[asyncio.Task[None]] = context.bot_data.setdefault(PENDING_KEY, set())
    pending.add(task)
    task.add_done_callback(pending.discard)


async def finish_pending(application: Application) -> None:
    """Wait for every announcement still under way (at shutdown, before the store closes)."""
    pending: set[asyncio.Task[None]] = application.bot_data.get(PENDING_KEY, set())
    await asyncio.gather(*pending, return_exceptions=True)


async def _announce(context: ContextTypes.DEFAULT_TYPE, survey: Survey) -> None:
    service = services(context)
    reached = await organisers.milestone_reached(service, survey)
    if reached is None:
        return
    count, chat_ids = reached
    for chat_id in chat_ids:
        await post(context.bot, service, chat_id, [text.milestone(survey, count)])
