"""Organisers: registering their chats, /summary reports and breakdowns, charts, digests,
milestones, and the administrators' export.

Access: a registered organiser chat sees reports (membership of the chat is the boundary), in
its area if it has one; an administrator (DOORSTEP_ADMINS) sees them in private. Anywhere else a
one-line refusal and no data. Every figure comes from `surveys.summary`, suppressed there.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import logging
import re
from collections.abc import Awaitable, Sequence

from telegram import Bot, Chat, InlineKeyboardMarkup, InputMediaPhoto, Message, Update, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, JobQueue

from handlers import callbacks, charts, export
from handlers import organiser_render as text
from handlers.callbacks import ShowChart, ShowReport
from handlers.errors import chat_is_gone, ignore_harmless
from handlers.render import STALE_BUTTON, shorten, split_message
from handlers.replies import send_long
from handlers.services import Services, services
from storage import audit, organisers, reports
from storage.organisers import Digest, OrganiserChat
from surveys import report, summary
from surveys.model import Survey
from surveys.summary import Figure, SurveyReport
from surveys.tally import area_question

log = logging.getLogger(__name__)

RECENT_DAYS = 7
GROUP_CHATS = (Chat.GROUP, Chat.SUPERGROUP)
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


@dataclasses.dataclass(frozen=True)
class Scope:
    """Which responses a chat may see: every one (`area` None) or one area's."""

    area: str | None


# --- access ------------------------------------------------------------------------------------


async def _scope(service: Services, chat: Chat, user: User | None) -> Scope | None:
    """The scope of reports in this chat for this user, or None where reports are refused."""
    if chat.type == Chat.PRIVATE:
        return Scope(None) if user is not None and service.is_admin(user.id) else None
    registered = await organisers.find_chat(service.db, chat.id)
    return Scope(registered.area) if registered is not None and registered.active else None


def _is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and services(context).is_admin(user.id)


# --- registration ------------------------------------------------------------------------------


async def register(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/register [AREA] in a group: an administrator makes it an organiser chat."""
    message, chat = update.effective_message, update.effective_chat
    if not _is_admin(update, context):
        await message.reply_text(text.ADMINS_ONLY)
        return
    if chat.type not in GROUP_CHATS:
        await message.reply_text(text.GROUPS_ONLY)
        return
    area = _known_area(services(context), " ".join(context.args)) if context.args else None
    if context.args and area is None:
        await message.reply_text(
            text.unknown_area(" ".join(context.args), _areas(services(context)))
        )
        return
    service = services(context)
    registered = await organisers.register_chat(
        service.db, chat.id, "group", chat.title or "", area, service.clock()
    )
    _reschedule(context.job_queue, registered, service)
    await _audit(
        service, "register", update.effective_user, chat.id, None, _scope_name(Scope(area))
    )
    log.info("registered an organiser group (area: %s)", area or "all")
    await message.reply_text(text.registered(chat.title or "this chat", _area_label(service, area)))


async def unregister(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unregister in a group, or /unregister CHAT in private: stop reports there."""
    message, chat = update.effective_message, update.effective_chat
    if not _is_admin(update, context):
        await message.reply_text(text.ADMINS_ONLY)
        return
    target = chat.id
    if chat.type == Chat.PRIVATE:
        found = await _named_chat(context, context.args)
        if found is None:
            await message.reply_text(text.NOT_REGISTERED)
            return
        target = found.chat_id
    removed = await organisers.unregister_chat(services(context).db, target)
    if removed:
        await _audit(services(context), "unregister", update.effective_user, target, None, None)
    _unschedule(context.job_queue, target)
    await message.reply_text(text.UNREGISTERED if removed else text.NOT_REGISTERED)


async def register_channel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/register_channel @name|-100… [AREA] in private: an administrator adds a channel."""
    message = update.effective_message
    if not _is_admin(update, context):
        await message.reply_text(text.ADMINS_ONLY)
        return
    if not context.args or not _looks_like_chat(context.args[0]):
        await message.reply_text(text.REGISTER_CHANNEL_USAGE)
        return
    service, name = services(context), context.args[0]
    area = _known_area(service, " ".join(context.args[1:])) if context.args[1:] else None
    if context.args[1:] and area is None:
        await message.reply_text(text.unknown_area(" ".join(context.args[1:]), _areas(service)))
        return
    problem, channel = await _postable_channel(context.bot, name)
    if channel is None:
        await message.reply_text(text.cannot_post(name, problem))
        return
    title = channel.title or name
    registered = await organisers.register_chat(
        service.db, channel.id, "channel", title, area, service.clock()
    )
    _reschedule(context.job_queue, registered, service)
    await _audit(
        service,
        "register channel",
        update.effective_user,
        channel.id,
        None,
        _scope_name(Scope(area)),
    )
    log.info("registered an organiser channel (area: %s)", area or "all")
    await message.reply_text(text.registered(title, _area_label(service, area)))


async def _postable_channel(bot: Bot, name: str) -> tuple[str, Chat | None]:
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
    change = update.my_chat_member
    removed = change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
    if removed and await organisers.deactivate_chat(services(context).db, change.chat.id):
        _unschedule(context.job_queue, change.chat.id)
        log.info("removed from an organiser chat: marked inactive")


async def chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup, with a new id: its registration moves with it."""
    message = update.effective_message
    if message.migrate_to_chat_id is None:
        return  # the same move, as the new supergroup reports it
    moved = await organisers.move_chat(
        services(context).db, message.chat.id, message.migrate_to_chat_id
    )
    if moved is not None:
        _unschedule(context.job_queue, message.chat.id)
        schedule_digest(context.job_queue, moved, services(context))


def _looks_like_chat(name: str) -> bool:
    return bool(re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-100[0-9]{5,16}", name))


def _areas(service: Services) -> list[str]:
    """Every area value of the current surveys' area questions, in file order, once each."""
    return list(dict.fromkeys(value for value, _ in _area_options(service)))


def _known_area(service: Services, wanted: str) -> str | None:
    """The area value meant by `wanted` (its value or label, any case), or None."""
    for value, label in _area_options(service):
        if wanted.casefold() in (value.casefold(), label.casefold()):
            return value
    return None


def _area_label(service: Services, area: str | None) -> str | None:
    """How the surveys name an area value (the value itself if none does)."""
    return next((label for value, label in _area_options(service) if value == area), area)


def _area_options(service: Services) -> list[tuple[str, str]]:
    """(value, label) of every area the current surveys' area questions offer."""
    return [
        option
        for survey, _ in service.catalogue.current.values()
        if (question := area_question(survey)) is not None
        for option in summary.columns(question)
    ]


async def _named_chat(
    context: ContextTypes.DEFAULT_TYPE, args: Sequence[str]
) -> OrganiserChat | None:
    """A registered chat named by id (or @username, looked up) in an administrator's command."""
    if not args or not _looks_like_chat(args[0]):
        return None
    chat_id: int | None = int(args[0]) if args[0].startswith("-") else None
    if chat_id is None:
        try:
            chat_id = (await context.bot.get_chat(args[0])).id
        except TelegramError:
            return None
    return await organisers.find_chat(services(context).db, chat_id)


# --- reports -----------------------------------------------------------------------------------


async def summary_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/summary [SURVEY [by QUESTION | chart]]: results for this chat's scope."""
    message, service = update.effective_message, services(context)
    scope = await _scope(service, update.effective_chat, update.effective_user)
    if scope is None:
        await message.reply_text(text.NOT_HERE)
        return
    args = context.args or []
    if not args:
        choice, keyboard = text.survey_choices(
            await _survey_counts(service, scope), service.min_group_size
        )
        await message.chat.send_message(choice, reply_markup=keyboard)
        return
    survey = _survey(service, args[0], scope)
    if survey is not None and (args[1:] in ([], ["chart"]) or args[1:2] == ["by"]):
        shown = " ".join([_scope_name(scope), *args[1:]])
        await _audit(service, "summary", update.effective_user, message.chat.id, survey.id, shown)
    if survey is None:
        await message.reply_text(text.UNKNOWN_SURVEY.format(survey=_quoted(args[0])))
    elif args[1:] == ["chart"]:
        await _send_charts(
            context.bot, service, message.chat, await report_for(service, survey, scope.area)
        )
    elif len(args) == 3 and args[1] == "by":
        await _send_breakdown(message, service, survey, args[2], scope)
    elif len(args) == 1:
        await send_report(
            context.bot, service, message.chat.id, await report_for(service, survey, scope.area)
        )
    else:
        await message.reply_text(text.SUMMARY_USAGE)


async def report_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The Report and Chart buttons: act in the scope of the chat the button is in."""
    query, service = update.callback_query, services(context)
    pressed = callbacks.decode(query.data)
    survey = (
        _survey(service, pressed.survey_id) if isinstance(pressed, ShowReport | ShowChart) else None
    )
    scope = await _scope(service, query.message.chat, query.from_user) if survey else None
    if survey is None or scope is None or not _in_scope(survey, scope):
        await ignore_harmless(query.answer(text.NOT_HERE if survey else STALE_BUTTON))
        return
    await ignore_harmless(query.answer())
    shown = _scope_name(scope) + (" chart" if isinstance(pressed, ShowChart) else "")
    await _audit(service, "summary", query.from_user, query.message.chat.id, survey.id, shown)
    summary_report = await report_for(service, survey, scope.area)
    if isinstance(pressed, ShowChart):
        await _send_charts(context.bot, service, query.message.chat, summary_report)
    else:
        await send_report(context.bot, service, query.message.chat.id, summary_report)


async def report_for(service: Services, survey: Survey, area: str | None) -> SurveyReport:
    """A survey's report in a scope, suppressed for groups of `min_group_size`."""
    since = service.clock().date() - dt.timedelta(days=RECENT_DAYS - 1)
    activity = await reports.activity(service.db, survey.id, since)
    by_area = await reports.tallies_by_area(service.db, survey.id)
    return summary.survey_report(survey, by_area, activity, service.min_group_size, area)


async def send_report(
    bot: Bot, service: Services, chat_id: int, summary_report: SurveyReport
) -> bool:
    """Post a report (split to Telegram's limit), the Chart button under its last part."""
    return await _post(
        bot,
        service,
        chat_id,
        split_message(text.report_text(summary_report)),
        text.chart_keyboard(summary_report.survey.id),
    )


async def _send_breakdown(
    message: Message, service: Services, survey: Survey, by_id: str, scope: Scope
) -> None:
    splits = [question for question in survey.questions if question.breakdown]
    by = next((question for question in splits if question.id == by_id), None)
    if by is None:
        known = ", ".join(question.id for question in splits)
        await message.reply_text(
            text.NOT_A_BREAKDOWN.format(question=_quoted(by_id), known=known)
            if splits
            else text.NO_BREAKDOWNS
        )
        return
    if scope.area is not None and by is not area_question(survey):
        await message.reply_text(text.BREAKDOWNS_NEED_EVERY_AREA)
        return
    by_area = await reports.tallies_by_area(service.db, survey.id)
    by_answers = {  # each split's tables are checked with the earlier splits' too
        question.id: await reports.tallies_by_area_and_answer(service.db, survey.id, question.id)
        for question in splits
        if question is not area_question(survey)
    }
    split = summary.breakdown(survey, by, by_area, by_answers, service.min_group_size, scope.area)
    await _post(
        message.get_bot(), service, message.chat.id, split_message(text.breakdown_text(split))
    )


async def _send_charts(
    bot: Bot, service: Services, chat: Chat, summary_report: SurveyReport
) -> None:
    """The report's charts, as one photo or albums of up to ten."""
    drawn = await asyncio.to_thread(charts.report_charts, summary_report)
    if not drawn:
        await _post(bot, service, chat.id, [text.NO_CHART])
        return
    for album in charts.albums(drawn):
        if len(album) == 1:
            sending = bot.send_photo(
                chat.id, album[0].png, caption=album[0].caption, parse_mode=None
            )
        else:
            media = [
                InputMediaPhoto(chart.png, caption=chart.caption, parse_mode=None)
                for chart in album
            ]
            sending = bot.send_media_group(chat.id, media)
        if not await _delivered(service, chat.id, sending):
            return


async def _survey_counts(service: Services, scope: Scope) -> list[tuple[Survey, Figure | None]]:
    """Each survey the scope covers, with its completed count as the scope's report shows it."""
    counts = []
    for survey, _ in service.catalogue.current.values():
        if _in_scope(survey, scope):
            by_area = await reports.tallies_by_area(service.db, survey.id)
            completed = summary.scope_completed(survey, by_area, service.min_group_size, scope.area)
            counts.append((survey, completed))
    return counts


def _in_scope(survey: Survey, scope: Scope) -> bool:
    """Whether a chat's scope covers a survey: an area chat sees surveys that ask for its area."""
    if scope.area is None:
        return True
    question = area_question(survey)
    return question is not None and scope.area in [v for v, _ in summary.columns(question)]


def _survey(service: Services, survey_id: str, scope: Scope = Scope(None)) -> Survey | None:
    """The current survey with this id, if the scope covers it."""
    current = service.catalogue.current.get(survey_id)
    return current[0] if current and _in_scope(current[0], scope) else None


def _quoted(word: str) -> str:
    """A word the user typed, for an HTML reply."""
    return f"“{text.escape(shorten(word, 64))}”"


# --- posting, digests and milestones -----------------------------------------------------------


async def _post(
    bot: Bot,
    service: Services,
    chat_id: int,
    parts: list[str],
    keyboard: InlineKeyboardMarkup | None = None,
) -> bool:
    """Send a text in parts (the keyboard under the last); False if it could not be."""

    async def send() -> None:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await bot.send_message(chat_id, part, reply_markup=keyboard if last else None)

    return await _delivered(service, chat_id, send())


async def _delivered(service: Services, chat_id: int, sending: Awaitable[None]) -> bool:
    """Await a post to an organiser chat. A chat that is gone is marked inactive; any other
    failure is logged and not retried beyond the rate limiter's retries."""
    try:
        await sending
    except TelegramError as error:
        if chat_is_gone(error):
            log.info("an organiser chat is gone: marked inactive")
            await organisers.deactivate_chat(service.db, chat_id)
        else:
            log.warning("could not post to an organiser chat: %s", error.message)
        return False
    return True


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest daily HH:MM | weekly DAY HH:MM | off, in a registered chat; in private an
    administrator names the chat (a channel) first."""
    message, chat, service = update.effective_message, update.effective_chat, services(context)
    args = list(context.args or [])
    if chat.type == Chat.PRIVATE and not _is_admin(update, context):
        await message.reply_text(text.ADMINS_ONLY)
        return
    if chat.type == Chat.PRIVATE:
        target = await _named_chat(context, args)
        args = args[1:]
    else:
        target = await organisers.find_chat(service.db, chat.id)
    if target is None or not target.active:
        await message.reply_text(
            text.NOT_HERE if chat.type != Chat.PRIVATE else text.NOT_REGISTERED
        )
        return
    wanted = parse_digest(args)
    if wanted is None:
        await message.reply_text(text.DIGEST_USAGE)
        return
    digest = wanted if isinstance(wanted, Digest) else None
    await organisers.set_digest(service.db, target.chat_id, digest)
    _unschedule(context.job_queue, target.chat_id)
    if digest is None:
        await message.reply_text(text.DIGEST_OFF)
        return
    schedule_digest(context.job_queue, dataclasses.replace(target, digest=digest), service)
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


def schedule_digest(job_queue: JobQueue, chat: OrganiserChat, service: Services) -> None:
    """Put a chat's digest on the job queue, at its local time in DOORSTEP_TIMEZONE, in place
    of any it had."""
    _unschedule(job_queue, chat.chat_id)
    if chat.digest is None or not chat.active:
        return
    at = chat.digest.at.replace(tzinfo=service.timezone)
    days = (chat.digest.weekday,) if chat.digest.weekday is not None else tuple(range(7))
    # PTB counts days from Sunday = 0; Doorstep stores Monday = 0, as Python does.
    ptb_days = tuple((day + 1) % 7 for day in days)
    job_queue.run_daily(
        post_digest, at, days=ptb_days, chat_id=chat.chat_id, name=_job_name(chat.chat_id)
    )


async def restore_digests(application: Application, service: Services) -> int:
    """At start: schedule every stored digest again; returns how many."""
    chats = [chat for chat in await organisers.active_chats(service.db) if chat.digest]
    for chat in chats:
        schedule_digest(application.job_queue, chat, service)
    return len(chats)


async def post_digest(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The digest job: the report of every open survey, posted to the job's chat."""
    service, chat_id = services(context), context.job.chat_id
    chat = await organisers.find_chat(service.db, chat_id)
    if chat is None or not chat.active:
        _unschedule(context.job_queue, chat_id)
        return
    for survey in service.catalogue.open_surveys(service.today()):
        if not _in_scope(survey, Scope(chat.area)):
            continue
        summary_report = await report_for(service, survey, chat.area)
        await _audit(service, "digest", None, chat_id, survey.id, _scope_name(Scope(chat.area)))
        if not await send_report(context.bot, service, chat_id, summary_report):
            return
    log.info("posted a digest")


async def announce_milestone(bot: Bot, service: Services, survey: Survey) -> None:
    """After a response is completed: announce a newly reached milestone, once, to the
    organiser chats that see every response (an area chat's count is its own)."""
    reached = report.milestone(await reports.completed_overall(service.db, survey.id))
    if reached is None or not await organisers.claim_milestone(
        service.db, survey.id, reached, service.clock()
    ):
        return
    for chat in await organisers.active_chats(service.db):
        if chat.area is None:
            await _post(bot, service, chat.chat_id, [text.milestone(survey, reached)])


def _reschedule(job_queue: JobQueue, chat: OrganiserChat, service: Services) -> None:
    """A chat registered again keeps its digest: put it back on the job queue (once)."""
    _unschedule(job_queue, chat.chat_id)
    schedule_digest(job_queue, chat, service)


def _unschedule(job_queue: JobQueue, chat_id: int) -> None:
    for job in job_queue.get_jobs_by_name(_job_name(chat_id)):
        job.schedule_removal()


def _job_name(chat_id: int) -> str:
    return f"digest:{chat_id}"


# --- accountability ----------------------------------------------------------------------------


async def _audit(
    service: Services,
    action: str,
    user: User | None,
    chat_id: int | None,
    survey_id: str | None,
    scope: str | None,
) -> None:
    """Record who released which results where (never what they showed)."""
    await audit.record(
        service.db,
        action,
        service.clock(),
        actor=user.id if user is not None else None,
        chat_id=chat_id,
        survey_id=survey_id,
        scope=scope,
    )


def _scope_name(scope: Scope) -> str:
    return f"area {scope.area}" if scope.area is not None else "all"


async def audit_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/audit in private, administrators only: the newest entries of the audit log."""
    message = update.effective_message
    if update.effective_chat.type != Chat.PRIVATE or not _is_admin(update, context):
        await message.reply_text(text.ADMINS_ONLY)
        return
    entries = await audit.recent(services(context).db)
    await send_long(message, text.audit_text(entries))


# --- export ------------------------------------------------------------------------------------


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export SURVEY in private, administrators only: the responses as a CSV file."""
    message, service = update.effective_message, services(context)
    if update.effective_chat.type != Chat.PRIVATE:
        await message.reply_text(text.EXPORT_IN_PRIVATE)
        return
    if not _is_admin(update, context):
        await message.reply_text(text.ADMINS_ONLY)
        return
    survey = _survey(service, context.args[0]) if len(context.args or []) == 1 else None
    if survey is None:
        await message.reply_text(text.EXPORT_USAGE)
        return
    await _audit(service, "export", update.effective_user, message.chat.id, survey.id, "all")
    stream = io.StringIO()
    rows = await export.write_export(service.db, survey, service.secret_key, stream)
    document = io.BytesIO(stream.getvalue().encode("utf-8"))
    stamp = service.clock().strftime("%Y%m%d-%H%M")
    await message.reply_document(
        document,
        filename=f"{survey.id}-{stamp}.csv",
        caption=f"{rows:,} responses",
        parse_mode=None,
    )
