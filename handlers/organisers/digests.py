"""Digests: /digest sets a chat's schedule; the job queue posts the report of every open
survey in the chat's scope at that local time (DOORSTEP_TIMEZONE)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Sequence
from contextlib import aclosing

from telegram import Chat, Update
from telegram.ext import Application, ContextTypes, JobQueue

from app import organisers
from app.services import Services
from handlers import organiser_render as text
from handlers.context import chat_of, job_chat_id, jobs, message_of, services
from handlers.organisers.access import admins_only_in_private, named_chat
from handlers.organisers.posting import send_report
from storage.model import Digest, OrganiserChat

log = logging.getLogger(__name__)

_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


@admins_only_in_private
async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest daily HH:MM | weekly DAY HH:MM | off, in a registered chat; in private an
    administrator names the chat (a channel) first."""
    message, chat, service = message_of(update), chat_of(update), services(context)
    args = list(context.args or [])
    private = chat.type == Chat.PRIVATE
    if private:
        target = await named_chat(context, args)
        args = args[1:]
    else:
        target = await organisers.find(service, chat.id)
    if target is None or not target.active:
        await message.reply_text(text.NOT_REGISTERED if private else text.NOT_HERE)
        return
    wanted = parse_digest(args)
    if wanted is None:
        await message.reply_text(text.DIGEST_USAGE)
        return
    digest = wanted if isinstance(wanted, Digest) else None
    await organisers.set_digest(service, target.chat_id, digest)
    unschedule(jobs(context), target.chat_id)
    if digest is None:
        await message.reply_text(text.DIGEST_OFF)
        return
    schedule(jobs(context), dataclasses.replace(target, digest=digest), service)
    await message.reply_text(
        text.digest_set(digest.every, digest.at.strftime("%H:%M"), digest.weekday)
    )


def parse_digest(args: Sequence[str]) -> Digest | str | None:
    """A digest schedule from command words, "off", or None when they make no sense."""
    words = [word.casefold() for word in args]
    if words == ["off"]:
        return "off"
    if len(words) == 2 and words[0] == "daily" and _TIME.fullmatch(words[1]):
        return Digest("daily", _time(words[1]))
    weekday = _weekday(words[1]) if len(words) == 3 and words[0] == "weekly" else None
    if weekday is not None and _TIME.fullmatch(words[2]):
        return Digest("weekly", _time(words[2]), weekday)
    return None


def _weekday(word: str) -> int | None:
    """Monday = 0 from "mon" or "monday" (any case), else None."""
    for index, name in enumerate(text.WEEKDAYS):
        if word in (name[:3].casefold(), name.casefold()):
            return index
    return None


def _time(hh_mm: str) -> dt.time:
    hours, minutes = hh_mm.split(":")
    return dt.time(int(hours), int(minutes))


def schedule(job_queue: JobQueue, chat: OrganiserChat, service: Services) -> None:
    """Put a chat's digest on the job queue, at its local time, in place of any it had."""
    unschedule(job_queue, chat.chat_id)
    if chat.digest is None or not chat.active:
        return
    at = chat.digest.at.replace(tzinfo=service.timezone)  # the movement's local time
    days = (chat.digest.weekday,) if chat.digest.weekday is not None else tuple(range(7))
    # PTB counts days from Sunday = 0; Doorstep stores Monday = 0, as Python does.
    ptb_days = tuple((day + 1) % 7 for day in days)
    job_queue.run_daily(
        post_digest, at, days=ptb_days, chat_id=chat.chat_id, name=_job_name(chat.chat_id)
    )


def unschedule(job_queue: JobQueue, chat_id: int) -> None:
    """Take a chat's digest off the job queue."""
    for job in job_queue.get_jobs_by_name(_job_name(chat_id)):
        job.schedule_removal()


def _job_name(chat_id: int) -> str:
    return f"digest:{chat_id}"


async def restore(application: Application, service: Services) -> int:
    """At start: schedule every stored digest again; returns how many."""
    chats = await organisers.digest_chats(service)
    for chat in chats:
        schedule(jobs(application), chat, service)
    return len(chats)


async def post_digest(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The digest job: the report of every open survey, posted to the job's chat."""
    service, chat_id = services(context), job_chat_id(context)
    chat = await organisers.find(service, chat_id)
    if chat is None or not chat.active:
        unschedule(jobs(context), chat_id)
        return
    async with aclosing(organisers.digest_reports(service, chat)) as digest:
        async for summary_report in digest:
            if not await send_report(context.bot, service, chat_id, summary_report):
                return
    log.info("posted a digest")
