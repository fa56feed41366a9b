"""Reports: /summary (the survey list, a report, a breakdown, charts) and the Report and Chart
buttons, each in the scope of the chat it is asked in. Anywhere reports are refused, one line
and no data."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from telegram import Bot, Chat, InputMediaPhoto, Message, Update
from telegram.ext import ContextTypes

from app import reports
from app.reports import Scope
from app.services import Services
from handlers import callbacks, charts
from handlers import organiser_render as text
from handlers.callbacks import ShowChart, ShowReport
from handlers.context import chat_of, message_of, query_of, sender_of, services
from handlers.errors import ignore_harmless
from handlers.organisers import access
from handlers.organisers.posting import delivered, post, send_report
from handlers.render import STALE_BUTTON, shorten, split_message
from surveys.model import Survey
from surveys.summary import SurveyReport


async def summary_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/summary [SURVEY [by QUESTION | chart]]: results for this chat's scope."""
    message, service, user = message_of(update), services(context), sender_of(update)
    scope = await access.scope(context, chat_of(update), user.id)
    if scope is None:
        await message.reply_text(text.NOT_HERE)
        return
    args = context.args or []
    if not args:
        counts = await reports.survey_counts(service, scope)
        choice, keyboard = text.survey_choices(counts, service.min_group_size)
        await message.chat.send_message(choice, reply_markup=keyboard)
        return
    survey = reports.find_survey(service, args[0], scope)
    if survey is None:
        await message.reply_text(text.UNKNOWN_SURVEY.format(survey=_quoted(args[0])))
        return
    if args[1:] in ([], ["chart"]) or args[1:2] == ["by"]:
        shown = " ".join([scope.name, *args[1:]])
        await reports.record_release(
            service,
            "summary",
            actor=user.id,
            chat_id=message.chat.id,
            survey_id=survey.id,
            scope=shown,
        )
    if args[1:] == ["chart"]:
        summary_report = await reports.report_for(service, survey, scope.area)
        await _send_charts(context.bot, service, message.chat, summary_report)
    elif len(args) == 3 and args[1] == "by":
        await _send_breakdown(message, service, survey, args[2], scope)
    elif len(args) == 1:
        summary_report = await reports.report_for(service, survey, scope.area)
        await send_report(context.bot, service, message.chat.id, summary_report)
    else:
        await message.reply_text(text.SUMMARY_USAGE)


async def report_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The Report and Chart buttons: act in the scope of the chat the button is in (even under a
    message the bot can no longer see, such as an old digest: Telegram still says its chat)."""
    query, service = query_of(update), services(context)
    if query.message is None:  # a button under an inline-mode message: in no chat
        await ignore_harmless(query.answer(STALE_BUTTON))
        return
    chat = query.message.chat
    pressed = callbacks.decode(query.data)
    survey = (
        reports.find_survey(service, pressed.survey_id)
        if isinstance(pressed, ShowReport | ShowChart)
        else None
    )
    scope = await access.scope(context, chat, query.from_user.id) if survey else None
    if survey is None or scope is None or not reports.in_scope(survey, scope):
        await ignore_harmless(query.answer(text.NOT_HERE if survey else STALE_BUTTON))
        return
    await ignore_harmless(query.answer())
    chart = isinstance(pressed, ShowChart)
    await reports.record_release(
        service,
        "summary",
        actor=query.from_user.id,
        chat_id=chat.id,
        survey_id=survey.id,
        scope=scope.name + (" chart" if chart else ""),
    )
    summary_report = await reports.report_for(service, survey, scope.area)
    if chart:
        await _send_charts(context.bot, service, chat, summary_report)
    else:
        await send_report(context.bot, service, chat.id, summary_report)


async def _send_breakdown(
    message: Message, service: Services, survey: Survey, by_id: str, scope: Scope
) -> None:
    splits = reports.breakdown_questions(survey)
    by = next((question for question in splits if question.id == by_id), None)
    if by is None:
        known = ", ".join(question.id for question in splits)
        await message.reply_text(
            text.NOT_A_BREAKDOWN.format(question=_quoted(by_id), known=known)
            if splits
            else text.NO_BREAKDOWNS
        )
        return
    if not reports.may_break_down(survey, by, scope):
        await message.reply_text(text.BREAKDOWNS_NEED_EVERY_AREA)
        return
    split = await reports.breakdown_for(service, survey, by, scope)
    await post(
        message.get_bot(), service, message.chat.id, split_message(text.breakdown_text(split))
    )


async def _send_charts(
    bot: Bot, service: Services, chat: Chat, summary_report: SurveyReport
) -> None:
    """The report's charts, as one photo or albums of up to ten."""
    drawn = await asyncio.to_thread(charts.report_charts, summary_report)
    if not drawn:
        await post(bot, service, chat.id, [text.NO_CHART])
        return
    for album in charts.albums(drawn):
        sending: Awaitable[object]  # one photo, or an album
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
        if not await delivered(service, chat.id, sending):
            return


def _quoted(word: str) -> str:
    """A word the user typed, for an HTML reply."""
    return f"“{text.escape(shorten(word, 64))}”"
