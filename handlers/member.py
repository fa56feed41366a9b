"""The member's conversation in private chat: consent, choosing a survey, answering, pausing.

Each callback parses its update, asks the engine (`surveys.engine`) what the answer means,
commits through `storage`, then renders a reply (`handlers.render`). Progress lives in the
database only: after a crash or restart the member continues at the same question.

Telegram may deliver an update twice. A message is handled once: every message from a member
moves their message mark (`storage.messages`), together with the change it causes, and a
message at or below the mark only shows the member where they are. A button acts only on the
current question of the member's active survey, or is recorded where that is not enough.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from handlers import callbacks, organiser, privacy, privacy_render, render
from handlers.callbacks import (
    AnswerOption,
    Consent,
    Forget,
    Move,
    OpenSurvey,
    QuestionMove,
    ToggleOption,
)
from handlers.errors import ignore_harmless
from handlers.replies import send_long
from handlers.services import services
from storage import handled, members, responses
from storage.members import Member
from storage.responses import Response
from surveys import engine, tally
from surveys.engine import Accepted, Rejected, Verdict
from surveys.model import BUTTON_TYPES, Question, Survey

Judge = Callable[[Question, str], Verdict]

# --- commands and messages ---------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start [SURVEY]: the notice until agreed, then the survey asked for or a welcome."""
    message = update.effective_message
    survey_id = context.args[0] if context.args else None
    member = await _consenting_member(update, context, survey_id)
    if member is None:
        return
    if not survey_id:
        await _welcome(message, context, member)
    elif await _is_redelivered(message, context, member):
        return
    else:
        await _open_survey(message, context, member, survey_id, message_id=message.message_id)


async def list_surveys(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/surveys: the open surveys as buttons."""
    member = await _consenting_member(update, context, None)
    if member is not None:
        await _send_survey_list(update.effective_message, context, member)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: what the bot can do."""
    await update.effective_message.reply_text(render.HELP)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: pause the open survey; its answers are kept and it resumes where it stopped."""
    message = update.effective_message
    member = await members.find_member(services(context).db, update.effective_user.id)
    if member is None or not member.agreed:
        await message.reply_text(render.NOTHING_TO_PAUSE)
        return
    if await _is_redelivered(message, context, member):
        return
    paused = member.active_response_id is not None
    await members.set_active_response(
        services(context).db,
        member.id,
        None,
        services(context).clock(),
        message_id=message.message_id,
    )
    await message.reply_text(render.PAUSED if paused else render.NOTHING_TO_PAUSE)


async def skip_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/skip: leave out the current optional question."""
    await _typed_step(update, context, lambda question, _: engine.skip(question))


async def typed_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message in private chat: the answer to a text or number question."""
    await _typed_step(update, context, engine.typed_answer)


async def back_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/back: return to the previous question."""
    active = await _active(update, context)
    if active is not None:
        member, response, survey = active
        await _go_back(update.effective_message, context, member, response, survey)


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice and the like: explain, and ask the question again."""
    active = await _active(update, context)
    if active is None:
        return
    member, response, survey = active
    wants_buttons = isinstance(survey.question(response.current_question), BUTTON_TYPES)
    hint = render.USE_BUTTONS if wants_buttons else render.TYPE_YOUR_ANSWER
    await _refuse(update.effective_message, context, member, hint, response, survey)


async def private_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Member commands sent in a group: point to the private chat, say nothing else."""
    link = f"https://t.me/{context.bot.username}?start"
    await update.effective_message.reply_text(f'{render.PRIVATE_ONLY} <a href="{link}">Open</a>')


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other command in private chat."""
    await update.effective_message.reply_text(render.UNKNOWN_COMMAND)


async def _typed_step(update: Update, context: ContextTypes.DEFAULT_TYPE, judge: Judge) -> None:
    """A typed answer or /skip: judge it against the current question, save, move on."""
    active = await _active(update, context)
    if active is None:
        return
    member, response, survey = active
    message = update.effective_message
    verdict = judge(survey.question(response.current_question), message.text or "")
    if isinstance(verdict, Rejected):
        await _refuse(message, context, member, render.problem_text(verdict), response, survey)
        return
    saved = await _save(context, response, survey, verdict, message_id=message.message_id)
    if saved is None:  # handled meanwhile; nothing changed
        await _show_where(message, context)
        return
    await _after_answer(message, context, saved, survey)


async def _refuse(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    member: Member,
    explanation: str,
    response: Response,
    survey: Survey,
) -> None:
    """Explain why a message was not taken, and ask again; only the message mark moves."""
    await handled.claim_message_alone(services(context).db, member.id, message.message_id)
    await message.reply_text(explanation)
    await _send_question(message, context, response, survey)


# --- buttons -----------------------------------------------------------------------------------


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every member button: decode strictly, act, and answer the callback query once. A button
    acts only in the tapper's own private chat: forged onto a bot message in a group (or sent
    from an inline message), it would open a survey there, or post a member's answers."""
    query = update.callback_query
    if not _in_tappers_private_chat(query):
        await _answer(query, render.STALE_BUTTON)
        return
    match callbacks.decode(query.data):
        case Consent() as consent:
            await _decide_consent(query, context, consent)
        case OpenSurvey(survey_id):
            member = await _agreed_member(query, context)
            if member is not None:
                await _answer(query)
                await _open_survey(query.message, context, member, survey_id, query_id=query.id)
        case AnswerOption() | ToggleOption() | QuestionMove() as pressed:
            await _question_button(query, context, pressed)
        case Forget() as choice:
            await privacy.forget_button(query, context, choice)
        case _:  # malformed, forged, or an organiser's button that reached the wrong place
            await _answer(query, render.STALE_BUTTON)


def _in_tappers_private_chat(query: CallbackQuery) -> bool:
    """Whether the button is on a message in the private chat of the member who tapped it."""
    if query.message is None:  # a button under an inline-mode message: no chat
        return False
    chat = query.message.chat
    return chat.type == ChatType.PRIVATE and chat.id == query.from_user.id


async def _decide_consent(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, consent: Consent
) -> None:
    service = services(context)
    if consent.agreed and consent.version != service.notice.version:
        # Agreement counts only to the text the member read: show them the current one.
        await _answer(query, render.NOTICE_CHANGED, alert=True)
        await _show_notice(query.message, context, consent.survey_id)
        return
    if not consent.agreed:
        await _decline(query, context, consent)
        return
    member = await members.record_consent(
        service.db,
        query.from_user.id,
        True,
        consent.version,
        service.clock(),
        query_id=query.id,
        notice_message_id=query.message.message_id,
    )
    await _answer(query)
    if member is None:
        return  # this tap was handled before; the member may have decided otherwise since
    await ignore_harmless(query.edit_message_text(render.AGREED))
    if consent.survey_id:  # the decision already records this tap
        await _open_survey(query.message, context, member, consent.survey_id)
    else:
        await _send_survey_list(query.message, context, member)


async def _decline(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, consent: Consent
) -> None:
    """No thanks, or Withdraw: a withdrawal for a member who had agreed; someone who never
    agreed (or whose data was deleted since) leaves no record at all. Telegram delivers a
    chat's updates in order, so a refusal delivered again never comes after a later agreement:
    a member who agreed and then taps No thanks, on any notice, means it."""
    await _answer(query)
    reply = await privacy.withdraw(
        services(context),
        query.from_user.id,
        consent.version,
        not_a_member=render.DECLINED,
        query_id=query.id,
        notice_message_id=query.message.message_id,
    )
    if reply is not None:  # None: this tap was handled before
        await ignore_harmless(query.edit_message_text(reply))


async def _question_button(
    query: CallbackQuery,
    context: ContextTypes.DEFAULT_TYPE,
    pressed: AnswerOption | ToggleOption | QuestionMove,
) -> None:
    """A button under a question: it acts only on the active survey's question as drawn."""
    service = services(context)
    member, response = await members.find_member_and_active_response(service.db, query.from_user.id)
    if member is None or not member.agreed:
        await _answer(query, render.NEEDS_CONSENT, alert=True)
        return
    if (
        response is None
        or response.id != pressed.response_id
        or not _takes_answers(context, response)
    ):
        await _answer(query, render.STALE_BUTTON)
        return
    survey = await service.catalogue.version(service.db, response.version_id)
    if response.step != pressed.step:
        # A button drawn before the last move. If Telegram is delivering again a tap whose
        # reply was lost (a crash after the commit), the member has not seen where they are.
        await _answer(query, render.STALE_BUTTON)
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
            await _answer(query)
            await _go_back(query.message, context, member, response, survey, by_button=True)


async def _accept(
    query: CallbackQuery,
    context: ContextTypes.DEFAULT_TYPE,
    response: Response,
    survey: Survey,
    verdict: Verdict,
) -> None:
    if isinstance(verdict, Rejected):
        await _answer(query, render.problem_text(verdict))
        return
    question = survey.question(response.current_question)
    progress = engine.progress(survey, response.answers, question.id)
    saved = await _save(context, response, survey, verdict, step=response.step)
    if saved is None:
        await _answer(query, render.STALE_BUTTON)
        return
    await _answer(query)
    await ignore_harmless(
        query.edit_message_text(render.answered_text(survey, question, progress, verdict.value))
    )
    await _after_answer(query.message, context, saved, survey)


async def _toggle(
    query: CallbackQuery,
    context: ContextTypes.DEFAULT_TYPE,
    response: Response,
    survey: Survey,
    verdict: Verdict,
) -> None:
    if isinstance(verdict, Rejected):
        await _answer(query, render.problem_text(verdict))
        return
    service = services(context)
    if not await responses.set_pending_choices(
        service.db, response, response.step, verdict.value, service.clock()
    ):
        await _answer(query, render.STALE_BUTTON)
        return
    await _answer(query)
    await ignore_harmless(
        query.edit_message_reply_markup(_keyboard(response, survey, verdict.value))
    )


async def _answer(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answer a callback query; one that is too old to answer no longer matters."""
    await ignore_harmless(query.answer(text, show_alert=alert))


# --- shared steps ------------------------------------------------------------------------------


async def _save(
    context: ContextTypes.DEFAULT_TYPE,
    response: Response,
    survey: Survey,
    verdict: Accepted,
    *,
    message_id: int | None = None,
    step: int | None = None,
) -> Response | None:
    """Commit an accepted answer, from the message `message_id` or a button drawn at `step`.

    The response as it is now, or None if the update was stale."""
    outcome = engine.advance(survey, response.answers, response.current_question, verdict.value)
    totals: dict = {}
    if outcome.next_question is None:  # completing: the response counts in the report totals
        final = {**response.answers, response.current_question: outcome.value}
        final = {key: value for key, value in final.items() if key not in outcome.dropped}
        totals = {
            "area": tally.area_of(survey, final),
            "counted": tally.keys(survey, final),
            "replaced": await _replaced(context, response) if survey.repeatable else None,
        }
    return await responses.record_answer(
        services(context).db,
        response,
        outcome.value,
        next_question=outcome.next_question.id if outcome.next_question else None,
        dropped=outcome.dropped,
        now=services(context).clock(),
        message_id=message_id,
        step=step,
        **totals,
    )


async def _replaced(
    context: ContextTypes.DEFAULT_TYPE, response: Response
) -> responses.Replaced | None:
    """The member's earlier completion of a repeatable survey, which a new one replaces in the
    totals, with the keys it was counted under (from the version it was given to)."""
    service = services(context)
    earlier = await responses.counted_completion(service.db, response.member_id, response.survey_id)
    if earlier is None:
        return None
    given, completed_at = earlier
    version = await service.catalogue.version(service.db, given.version_id)
    answers = {key: value for key, value in given.answers.items() if value is not None}
    return responses.Replaced(
        given.id,
        tally.area_of(version, answers),
        tally.keys(version, answers),
        completed_at.astimezone(dt.UTC).date().isoformat(),
    )


async def _after_answer(
    message: Message, context: ContextTypes.DEFAULT_TYPE, response: Response, survey: Survey
) -> None:
    """Ask the (now) current question, or thank the member and show their answers."""
    if not response.completed:
        await _send_question(message, context, response, survey)
        return
    await send_long(message, render.completion(survey, response.answers))
    await organiser.announce_milestone(message.get_bot(), services(context), survey)


async def _go_back(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    member: Member,
    response: Response,
    survey: Survey,
    by_button: bool = False,
) -> None:
    """Back to the previous question (by the Back button, or by /back in `message`)."""
    message_id = None if by_button else message.message_id
    previous = engine.previous_question(survey, response.answers, response.current_question)
    if previous is None:
        await _claim(context, member, message_id)
        await message.chat.send_message(render.CANNOT_GO_BACK)
        return
    earlier = response.answers.get(previous.id)
    moved = await responses.move_back(
        services(context).db,
        response,
        previous.id,
        pending_choices=earlier if isinstance(earlier, list) else [],
        now=services(context).clock(),
        message_id=message_id,
        step=response.step if by_button else None,
    )
    if moved is not None:
        await _send_question(message, context, moved, survey)
    elif message_id is not None:
        await _show_where(message, context)


async def _send_question(
    message: Message, context: ContextTypes.DEFAULT_TYPE, response: Response, survey: Survey
) -> None:
    question = survey.question(response.current_question)
    progress = engine.progress(survey, response.answers, question.id)
    text = render.question_text(survey, question, progress, response.answers.get(question.id))
    await message.chat.send_message(
        text, reply_markup=_keyboard(response, survey, response.pending_choices)
    )


def _keyboard(response: Response, survey: Survey, ticked: list[str]) -> InlineKeyboardMarkup | None:
    question = survey.question(response.current_question)
    can_go_back = (
        engine.previous_question(survey, response.answers, response.current_question) is not None
    )
    return render.question_keyboard(response.id, response.step, question, ticked, can_go_back)


async def _open_survey(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    member: Member,
    survey_id: str,
    *,
    message_id: int | None = None,
    query_id: str | None = None,
) -> None:
    """Resume the member's response to a survey, or start one if they may.

    The update asking is a message (`message_id`) or a button tap (`query_id`), so that
    Telegram delivering it again changes nothing.
    """
    service = services(context)
    if not service.catalogue.is_open(survey_id, service.today()):
        await _claim(context, member, message_id)
        await message.chat.send_message(render.SURVEY_NOT_OPEN)
        return
    existing = await responses.open_response(service.db, member.id, survey_id)
    if existing is not None:
        if not await members.set_active_response(
            service.db,
            member.id,
            existing.id,
            service.clock(),
            message_id=message_id,
            query_id=query_id,
        ):
            await _show_where(message, context)
            return
        survey = await service.catalogue.version(service.db, existing.version_id)
        await message.chat.send_message(render.resuming(survey))
        await _send_question(message, context, existing, survey)
        return
    survey, version_id = service.catalogue.current[survey_id]
    if not survey.repeatable and survey_id in await responses.completed_surveys(
        service.db, member.id
    ):
        await _claim(context, member, message_id)
        await message.chat.send_message(render.already_taken(survey))
        return
    first = engine.current_question(survey, {})
    response = await responses.start_response(
        service.db,
        member.id,
        survey_id,
        version_id,
        first.id,
        service.clock(),
        message_id=message_id,
        query_id=query_id,
    )
    if response is None:  # this very update was handled before
        await _show_where(message, context)
        return
    await message.chat.send_message(render.survey_intro(survey))
    await _send_question(message, context, response, survey)


async def _claim(
    context: ContextTypes.DEFAULT_TYPE, member: Member, message_id: int | None
) -> None:
    """Mark a message that changes nothing else as handled (a button needs no mark)."""
    if message_id is not None:
        await handled.claim_message_alone(services(context).db, member.id, message_id)


async def _welcome(message: Message, context: ContextTypes.DEFAULT_TYPE, member: Member) -> None:
    service = services(context)
    unfinished_ids = await responses.unfinished_surveys(service.db, member.id)
    unfinished = [
        service.catalogue.current[survey_id][0]
        for survey_id in unfinished_ids
        if service.catalogue.is_open(survey_id, service.today())
    ]
    text, markup = render.welcome(unfinished)
    await message.reply_text(text, reply_markup=markup)


async def _send_survey_list(
    message: Message, context: ContextTypes.DEFAULT_TYPE, member: Member
) -> None:
    service = services(context)
    open_now = service.catalogue.open_surveys(service.today())
    unfinished = set(await responses.unfinished_surveys(service.db, member.id))
    done = await responses.completed_surveys(service.db, member.id)
    text, markup = render.survey_list(open_now, unfinished, done)
    await message.chat.send_message(text, reply_markup=markup)


async def _show_where(message: Message, context: ContextTypes.DEFAULT_TYPE) -> None:
    """For an update handled before: show the question the member is on, and change nothing."""
    service = services(context)
    # In a private chat the chat id is the member's Telegram id.
    _, response = await members.find_member_and_active_response(service.db, message.chat.id)
    if response is not None and _takes_answers(context, response):
        survey = await service.catalogue.version(service.db, response.version_id)
        await _send_question(message, context, response, survey)
    else:
        await message.chat.send_message(render.ALREADY_HANDLED)


def _takes_answers(context: ContextTypes.DEFAULT_TYPE, response: Response) -> bool:
    """An unfinished response to a survey that is still open."""
    service = services(context)
    return not response.completed and service.catalogue.is_open(response.survey_id, service.today())


# --- who is asking -----------------------------------------------------------------------------


async def _consenting_member(
    update: Update, context: ContextTypes.DEFAULT_TYPE, survey_id: str | None
) -> Member | None:
    """The member if they agreed; otherwise show the notice (remembering the survey asked for)."""
    member = await members.find_member(services(context).db, update.effective_user.id)
    if member is not None and member.agreed:
        return member
    await _show_notice(update.effective_message, context, _valid_slug(survey_id))
    return None


async def _show_notice(
    message: Message, context: ContextTypes.DEFAULT_TYPE, survey_id: str | None
) -> None:
    """The privacy notice with I agree / No thanks (agreeing opens `survey_id`)."""
    notice = services(context).notice
    markup = render.notice_keyboard(notice.version, survey_id)
    await send_long(message, privacy_render.with_question(notice), markup)


def _valid_slug(survey_id: str | None) -> str | None:
    """A deep-link payload travels on in callback data only if it is a well-formed survey id."""
    if survey_id is None:
        return None
    return survey_id if callbacks.decode(f"o:{survey_id}") is not None else None


async def _agreed_member(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE) -> Member | None:
    """The member behind a button, if they agreed; otherwise answer the query and stop."""
    member = await members.find_member(services(context).db, query.from_user.id)
    if member is None or not member.agreed:
        await _answer(query, render.NEEDS_CONSENT, alert=True)
        return None
    return member


async def _is_redelivered(
    message: Message, context: ContextTypes.DEFAULT_TYPE, member: Member
) -> bool:
    """True (after showing the member where they are) for a message handled before."""
    if message.message_id > member.last_message_id:
        return False
    await _show_where(message, context)
    return True


async def _active(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Member, Response, Survey] | None:
    """The member and their open question for a new message; otherwise reply why not."""
    service = services(context)
    message = update.effective_message
    member, response = await members.find_member_and_active_response(
        service.db, update.effective_user.id
    )
    if member is None or not member.agreed:
        await message.reply_text(render.NEEDS_CONSENT)
        return None
    if await _is_redelivered(message, context, member):
        return None
    if response is None or not _takes_answers(context, response):
        await _claim(context, member, message.message_id)
        await message.reply_text(
            render.NO_OPEN_QUESTION if response is None else render.SURVEY_CLOSED
        )
        return None
    survey = await service.catalogue.version(service.db, response.version_id)
    return member, response, survey
