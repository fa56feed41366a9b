"""The member's conversation in private chat: consent, choosing a survey, answering, pausing.

Each callback parses its update, asks the engine (`surveys.engine`) what the answer means,
commits through `storage`, then renders a reply (`handlers.render`). Progress lives in the
database only: after a crash or restart the member continues at the same question.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from handlers import callbacks, render
from handlers.callbacks import AnswerOption, Consent, Move, OpenSurvey, QuestionMove, ToggleOption
from handlers.errors import ignore_harmless
from handlers.services import services
from storage import members, responses
from storage.members import Member
from storage.responses import Response
from surveys import engine
from surveys.engine import Accepted, Rejected
from surveys.model import BUTTON_TYPES, Survey

log = logging.getLogger(__name__)


# --- commands ----------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start [SURVEY]: the notice until agreed, then the survey asked for or a welcome."""
    message = update.effective_message
    survey_id = context.args[0] if context.args else None
    member = await _consenting_member(update, context, survey_id)
    if member is None:
        return
    if survey_id:
        await _open_survey(message, context, member, survey_id)
        return
    await _welcome(message, context, member)


async def list_surveys(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/surveys: the open surveys as buttons."""
    member = await _consenting_member(update, context, None)
    if member is None:
        return
    await _send_survey_list(update.effective_message, context, member)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: what the bot can do."""
    await update.effective_message.reply_text(render.HELP)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: pause the open survey; its answers are kept and it resumes where it stopped."""
    member = await members.find_member(services(context).db, update.effective_user.id)
    if member is None or member.active_response_id is None:
        await update.effective_message.reply_text(render.NOTHING_TO_PAUSE)
        return
    await members.set_active_response(services(context).db, member.id, None)
    await update.effective_message.reply_text(render.PAUSED)


async def skip_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/skip: leave out the current optional question."""
    await _typed_step(update, context, lambda question, _: engine.skip(question))


async def back_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/back: return to the previous question."""
    active = await _active(update, context)
    if active is None:
        return
    _, response, survey = active
    await _go_back(update.effective_message, context, response, survey, update.message.message_id)


async def typed_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message in private chat: the answer to a text or number question."""
    await _typed_step(update, context, engine.typed_answer)


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice and the like: explain, and ask the question again."""
    active = await _active(update, context)
    if active is None:
        return
    _, response, survey = active
    question = survey.question(response.current_question)
    wants_buttons = isinstance(question, BUTTON_TYPES)
    await update.effective_message.reply_text(
        render.USE_BUTTONS if wants_buttons else render.TYPE_YOUR_ANSWER
    )
    await _send_question(update.effective_message, context, response, survey)


async def private_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Member commands sent in a group: point to the private chat, say nothing else."""
    link = f"https://t.me/{context.bot.username}?start"
    await update.effective_message.reply_text(f'{render.PRIVATE_ONLY} <a href="{link}">Open</a>')


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other command in private chat."""
    await update.effective_message.reply_text(render.UNKNOWN_COMMAND)


# --- buttons -----------------------------------------------------------------------------------


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every inline button: decode strictly, act, and always answer the callback query."""
    query = update.callback_query
    match callbacks.decode(query.data):
        case Consent() as consent:
            await _decide_consent(query, context, consent)
        case OpenSurvey(survey_id):
            await query.answer()
            member = await _agreed_member(query, context)
            if member is not None:
                await _open_survey(query.message, context, member, survey_id)
        case AnswerOption() | ToggleOption() | QuestionMove() as pressed:
            await _question_button(query, context, pressed)
        case None:
            await query.answer(render.STALE_BUTTON)


async def _decide_consent(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, consent: Consent
) -> None:
    now = services(context).clock()
    member = await members.record_consent(
        services(context).db, query.from_user.id, consent.agreed, render.NOTICE_VERSION, now
    )
    await query.answer()
    if not consent.agreed:
        await ignore_harmless(query.edit_message_text(render.DECLINED))
        return
    await ignore_harmless(query.edit_message_text(render.AGREED))
    if consent.survey_id:
        await _open_survey(query.message, context, member, consent.survey_id)
    else:
        await _send_survey_list(query.message, context, member)


async def _question_button(
    query: CallbackQuery,
    context: ContextTypes.DEFAULT_TYPE,
    pressed: AnswerOption | ToggleOption | QuestionMove,
) -> None:
    """A button under a question: only the current question of the member's own response."""
    member = await _agreed_member(query, context)
    if member is None:
        return
    found = await _own_open_response(context, member, pressed.response_id)
    if found is None:
        await query.answer(render.STALE_BUTTON)
        return
    response, survey = found
    if survey.index_of(response.current_question) != pressed.question:
        # A button of an earlier question. If Telegram is redelivering a tap whose reply was
        # lost (a crash after the commit), the member has not seen the question they are on.
        await query.answer(render.STALE_BUTTON)
        await _send_question(query.message, context, response, survey)
        return
    question = survey.question(response.current_question)
    match pressed:
        case AnswerOption(option=option):
            await _accept(query, context, response, survey, engine.button_answer(question, option))
        case ToggleOption(option=option, chosen=chosen):
            verdict = engine.toggle(question, response.pending_choices, option, chosen)
            await _toggle(query, context, response, survey, verdict)
        case QuestionMove(move=Move.DONE):
            verdict = engine.finish_multi(question, response.pending_choices)
            await _accept(query, context, response, survey, verdict)
        case QuestionMove(move=Move.SKIP):
            await _accept(query, context, response, survey, engine.skip(question))
        case QuestionMove(move=Move.BACK):
            await query.answer()
            await _go_back(query.message, context, response, survey, None)


async def _accept(
    query: CallbackQuery,
    context: ContextTypes.DEFAULT_TYPE,
    response: Response,
    survey: Survey,
    verdict: engine.Verdict,
) -> None:
    if isinstance(verdict, Rejected):
        await query.answer(render.problem_text(verdict))
        return
    question = survey.question(response.current_question)
    step = engine.progress(survey, response.answers, question.id)
    saved = await _save(context, response, survey, verdict, None)
    if saved is None:
        await query.answer(render.STALE_BUTTON)
        return
    await query.answer()
    await ignore_harmless(
        query.edit_message_text(render.answered_text(survey, question, step, verdict.value))
    )
    await _after_answer(query.message, context, saved, survey)


async def _toggle(
    query: CallbackQuery,
    context: ContextTypes.DEFAULT_TYPE,
    response: Response,
    survey: Survey,
    verdict: engine.Verdict,
) -> None:
    if isinstance(verdict, Rejected):
        await query.answer(render.problem_text(verdict))
        return
    question = survey.question(response.current_question)
    stored = await responses.set_pending_choices(
        services(context).db, response.id, question.id, verdict.value, services(context).clock()
    )
    if not stored:
        await query.answer(render.STALE_BUTTON)
        return
    await query.answer()
    markup = _keyboard(response, survey, ticked=verdict.value)
    await ignore_harmless(query.edit_message_reply_markup(markup))


# --- shared steps ------------------------------------------------------------------------------


async def _typed_step(update: Update, context: ContextTypes.DEFAULT_TYPE, judge) -> None:
    """A typed answer or /skip: judge it against the current question, save, move on."""
    active = await _active(update, context)
    if active is None:
        return
    member, response, survey = active
    message = update.effective_message
    if message.message_id <= member.last_message_id:
        # Telegram delivered this message again: it was handled, only the reply may be lost.
        await _send_question(message, context, response, survey)
        return
    question = survey.question(response.current_question)
    verdict = judge(question, message.text or "")
    if isinstance(verdict, Rejected):
        await message.reply_text(render.problem_text(verdict))
        await _send_question(message, context, response, survey)
        return
    saved = await _save(context, response, survey, verdict, message.message_id)
    if saved is None:  # handled meanwhile: show where the member is now
        saved = await responses.get_response(services(context).db, response.id)
        if saved.completed:
            return
    await _after_answer(message, context, saved, survey)


async def _save(
    context: ContextTypes.DEFAULT_TYPE,
    response: Response,
    survey: Survey,
    verdict: Accepted,
    message_id: int | None,
) -> Response | None:
    """Commit an accepted answer; the response as it is now, or None if the update was stale."""
    step = engine.advance(survey, response.answers, response.current_question, verdict.value)
    return await responses.record_answer(
        services(context).db,
        response,
        step.value,
        next_question=step.next_question.id if step.next_question else None,
        dropped=step.dropped,
        now=services(context).clock(),
        message_id=message_id,
    )


async def _after_answer(
    message: Message, context: ContextTypes.DEFAULT_TYPE, response: Response, survey: Survey
) -> None:
    """Ask the (now) current question, or thank the member and show their answers."""
    if not response.completed:
        await _send_question(message, context, response, survey)
        return
    for chunk in render.split_message(render.completion(survey, response.answers)):
        await message.chat.send_message(chunk)


async def _go_back(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    response: Response,
    survey: Survey,
    message_id: int | None,
) -> None:
    previous = engine.previous_question(survey, response.answers, response.current_question)
    if previous is None:
        await message.chat.send_message(render.CANNOT_GO_BACK)
        return
    earlier = response.answers.get(previous.id)
    moved = await responses.move_back(
        services(context).db,
        response.id,
        response.current_question,
        previous.id,
        pending_choices=earlier if isinstance(earlier, list) else [],
        now=services(context).clock(),
        message_id=message_id,
    )
    fresh = await responses.get_response(services(context).db, response.id)
    if not moved and message_id is None:
        return  # a stale Back button: the current question is already on screen
    await _send_question(message, context, fresh, survey)


async def _send_question(
    message: Message, context: ContextTypes.DEFAULT_TYPE, response: Response, survey: Survey
) -> None:
    question = survey.question(response.current_question)
    step = engine.progress(survey, response.answers, question.id)
    text = render.question_text(survey, question, step, response.answers.get(question.id))
    await message.chat.send_message(
        text, reply_markup=_keyboard(response, survey, response.pending_choices)
    )


def _keyboard(response: Response, survey: Survey, ticked: list[str]):
    question = survey.question(response.current_question)
    can_go_back = (
        engine.previous_question(survey, response.answers, response.current_question) is not None
    )
    return render.question_keyboard(
        response.id, survey.index_of(question.id), question, ticked, can_go_back
    )


async def _open_survey(
    message: Message, context: ContextTypes.DEFAULT_TYPE, member: Member, survey_id: str
) -> None:
    """Resume the member's response to a survey, or start one if they may."""
    service = services(context)
    if not service.catalogue.is_open(survey_id, service.today()):
        await message.chat.send_message(render.SURVEY_NOT_OPEN)
        return
    existing = await responses.open_response(service.db, member.id, survey_id)
    if existing is not None:
        survey = await service.catalogue.version(service.db, existing.version_id)
        await members.set_active_response(service.db, member.id, existing.id)
        await message.chat.send_message(render.resuming(survey))
        await _send_question(message, context, existing, survey)
        return
    survey, version_id = service.catalogue.current[survey_id]
    if not survey.repeatable and await responses.has_completed(service.db, member.id, survey_id):
        await message.chat.send_message(render.already_taken(survey))
        return
    first = engine.current_question(survey, {})
    response = await responses.start_response(
        service.db, member.id, survey_id, version_id, first.id, service.clock()
    )
    await message.chat.send_message(render.survey_intro(survey))
    await _send_question(message, context, response, survey)


async def _welcome(message: Message, context: ContextTypes.DEFAULT_TYPE, member: Member) -> None:
    service = services(context)
    unfinished_ids = await responses.unfinished_surveys(service.db, member.id)
    unfinished = [
        service.catalogue.current[survey_id][0]
        for survey_id in unfinished_ids
        if survey_id in service.catalogue.current
    ]
    text, markup = render.welcome(unfinished)
    await message.reply_text(text, reply_markup=markup)


async def _send_survey_list(
    message: Message, context: ContextTypes.DEFAULT_TYPE, member: Member
) -> None:
    service = services(context)
    open_now = service.catalogue.open_surveys(service.today())
    unfinished = set(await responses.unfinished_surveys(service.db, member.id))
    done = {
        survey.id
        for survey in open_now
        if await responses.has_completed(service.db, member.id, survey.id)
    }
    text, markup = render.survey_list(open_now, unfinished, done)
    await message.chat.send_message(text, reply_markup=markup)


# --- who is asking -----------------------------------------------------------------------------


async def _consenting_member(
    update: Update, context: ContextTypes.DEFAULT_TYPE, survey_id: str | None
) -> Member | None:
    """The member if they agreed; otherwise show the notice (remembering the survey asked for)."""
    member = await members.find_member(services(context).db, update.effective_user.id)
    if member is not None and member.agreed:
        return member
    await update.effective_message.reply_text(
        render.PRIVACY_NOTICE, reply_markup=render.notice_keyboard(_valid_slug(survey_id))
    )
    return None


def _valid_slug(survey_id: str | None) -> str | None:
    """A deep-link payload travels on in callback data only if it is a well-formed survey id."""
    if survey_id is None:
        return None
    return survey_id if callbacks.decode(f"o:{survey_id}") is not None else None


async def _agreed_member(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE) -> Member | None:
    """The member behind a button, if they agreed; otherwise answer the query and stop."""
    member = await members.find_member(services(context).db, query.from_user.id)
    if member is None or not member.agreed:
        await query.answer(render.NEEDS_CONSENT, show_alert=True)
        return None
    return member


async def _active(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Member, Response, Survey] | None:
    """The member's open question for a typed message, or None after replying why there is none."""
    service = services(context)
    member, response = await members.find_member_and_active_response(
        service.db, update.effective_user.id
    )
    if member is None or not member.agreed:
        await update.effective_message.reply_text(render.NEEDS_CONSENT)
        return None
    if response is None:
        await update.effective_message.reply_text(render.NO_OPEN_QUESTION)
        return None
    if not service.catalogue.is_open(response.survey_id, service.today()):
        await update.effective_message.reply_text(render.SURVEY_CLOSED)
        return None
    survey = await service.catalogue.version(service.db, response.version_id)
    return member, response, survey


async def _own_open_response(
    context: ContextTypes.DEFAULT_TYPE, member: Member, response_id: int
) -> tuple[Response, Survey] | None:
    """The member's own unfinished response to a survey that still takes answers, or None."""
    service = services(context)
    response = await responses.get_response(service.db, response_id)
    if response is None or response.member_id != member.id or response.completed:
        return None
    if not service.catalogue.is_open(response.survey_id, service.today()):
        return None
    survey = await service.catalogue.version(service.db, response.version_id)
    return response, survey
