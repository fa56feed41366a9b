"""The member's conversation in private chat: commands and typed answers, and the steps the
buttons (`handlers.buttons`) share: opening a survey, asking a question, going back.

Each callback parses its update, asks the engine (`surveys.engine`) what the answer means,
commits through the use cases (`app.answering`), then renders a reply (`handlers.render`).
Progress lives in the database only: after a crash or restart the member continues at the
same question.

Telegram may deliver an update twice. A message is handled once: every message from a member
moves their message mark (the store's `handled` part), together with the change it causes, and a
message at or below the mark only shows the member where they are.

The shared steps take the chat to send to, not a message: a button's message may be one the
bot can no longer see (Telegram still says its chat).
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import Chat, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from app import answering
from app.answering import AlreadyTaken, FirstQuestion, HandledBefore, NotOpen, Opened, Place
from handlers import callbacks, privacy_render, render
from handlers.context import message_of, sender_of, services
from handlers.organisers import milestones
from handlers.replies import send_long
from storage.model import Member, Response
from surveys import engine
from surveys.engine import Rejected, Verdict
from surveys.model import Question

Judge = Callable[[Question, str], Verdict]

# --- commands and messages ---------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start [SURVEY]: the notice until agreed, then the survey asked for or a welcome."""
    message = message_of(update)
    survey_id = context.args[0] if context.args else None
    member = await _consenting_member(update, context, survey_id)
    if member is None:
        return
    if not survey_id:
        unfinished = await answering.unfinished_open(services(context), member)
        text, markup = render.welcome(unfinished)
        await message.reply_text(text, reply_markup=markup)
    elif not await _is_redelivered(message, context, member):
        await open_survey(message.chat, context, member, survey_id, message_id=message.message_id)


async def list_surveys(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/surveys: the open surveys as buttons."""
    member = await _consenting_member(update, context, None)
    if member is not None:
        await send_survey_list(message_of(update).chat, context, member)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: pause the open survey; its answers are kept and it resumes where it stopped."""
    message = message_of(update)
    member = await answering.agreed_member(services(context), sender_of(update).id)
    if member is None:
        await message.reply_text(render.NOTHING_TO_PAUSE)
        return
    if await _is_redelivered(message, context, member):
        return
    paused = await answering.pause(services(context), member, message.message_id)
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
        member, place = active
        message = message_of(update)
        await go_back(message.chat, context, member, place, message_id=message.message_id)


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice and the like: explain, and ask the question again."""
    active = await _active(update, context)
    if active is None:
        return
    member, place = active
    buttons = engine.answered_with_buttons(place.question)
    hint = render.USE_BUTTONS if buttons else render.TYPE_YOUR_ANSWER
    await _refuse(message_of(update), context, member, hint, place)


async def private_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Member commands sent in a group: point to the private chat, say nothing else."""
    link = f"https://t.me/{context.bot.username}?start"
    await message_of(update).reply_text(f'{render.PRIVATE_ONLY} <a href="{link}">Open</a>')


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other command in private chat."""
    await message_of(update).reply_text(render.UNKNOWN_COMMAND)


async def _typed_step(update: Update, context: ContextTypes.DEFAULT_TYPE, judge: Judge) -> None:
    """A typed answer or /skip: judge it against the current question, save, move on."""
    active = await _active(update, context)
    if active is None:
        return
    member, place = active
    message = message_of(update)
    verdict = judge(place.question, message.text or "")
    if isinstance(verdict, Rejected):
        await _refuse(message, context, member, render.problem_text(verdict), place)
        return
    service = services(context)
    saved = await answering.take_answer(service, place, verdict, message_id=message.message_id)
    if saved is None:  # handled meanwhile; nothing changed
        await show_where(message.chat, context)
        return
    await after_answer(message.chat, context, Place(saved, place.survey))


async def _refuse(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    member: Member,
    explanation: str,
    place: Place,
) -> None:
    """Explain why a message was not taken, and ask again; only the message mark moves."""
    await answering.claim(services(context), member, message.message_id)
    await message.reply_text(explanation)
    await send_question(message.chat, place)


# --- shared steps ------------------------------------------------------------------------------


async def after_answer(chat: Chat, context: ContextTypes.DEFAULT_TYPE, place: Place) -> None:
    """Ask the (now) current question, or thank the member and show their answers (organisers
    hear of a milestone after, outside the member's update)."""
    if not place.response.completed:
        await send_question(chat, place)
        return
    await send_long(chat, render.completion(place.survey, place.response.answers))
    milestones.announce_later(context, place.survey)


async def go_back(
    chat: Chat,
    context: ContextTypes.DEFAULT_TYPE,
    member: Member,
    place: Place,
    *,
    message_id: int | None = None,
) -> None:
    """Back to the previous question, by /back (the message `message_id`) or by the Back button
    (no message: the button acts on the step it was drawn at)."""
    step = place.response.step if message_id is None else None
    match await answering.go_back(
        services(context), member, place, message_id=message_id, step=step
    ):
        case FirstQuestion():
            await chat.send_message(render.CANNOT_GO_BACK)
        case HandledBefore():
            if message_id is not None:
                await show_where(chat, context)
        case Response() as moved:
            await send_question(chat, Place(moved, place.survey))


async def send_question(chat: Chat, place: Place) -> None:
    response, survey, question = place.response, place.survey, place.question
    progress = engine.progress(survey, response.answers, question.id)
    text = render.question_text(survey, question, progress, response.answers.get(question.id))
    await chat.send_message(text, reply_markup=keyboard(place, response.pending_choices))


def keyboard(place: Place, ticked: list[str]) -> InlineKeyboardMarkup | None:
    response, survey, question = place.response, place.survey, place.question
    can_go_back = engine.previous_question(survey, response.answers, question.id) is not None
    return render.question_keyboard(response.id, response.step, question, ticked, can_go_back)


async def open_survey(
    chat: Chat,
    context: ContextTypes.DEFAULT_TYPE,
    member: Member,
    survey_id: str,
    *,
    message_id: int | None = None,
    query_id: str | None = None,
) -> None:
    """Resume the member's response to a survey, or start one if they may."""
    opening = await answering.open_survey(
        services(context), member, survey_id, message_id=message_id, query_id=query_id
    )
    match opening:
        case NotOpen():
            await chat.send_message(render.SURVEY_NOT_OPEN)
        case AlreadyTaken(survey):
            await chat.send_message(render.already_taken(survey))
        case HandledBefore():
            await show_where(chat, context)
        case Opened(place, resumed):
            opening_text = render.resuming if resumed else render.survey_intro
            await chat.send_message(opening_text(place.survey))
            await send_question(chat, place)


async def send_survey_list(chat: Chat, context: ContextTypes.DEFAULT_TYPE, member: Member) -> None:
    open_now, unfinished, done = await answering.open_surveys_for(services(context), member)
    text, markup = render.survey_list(open_now, unfinished, done)
    await chat.send_message(text, reply_markup=markup)


async def show_where(chat: Chat, context: ContextTypes.DEFAULT_TYPE) -> None:
    """For an update handled before: show the question the member is on, and change nothing."""
    # In a private chat the chat id is the member's Telegram id.
    place = await answering.current_place(services(context), chat.id)
    if place is not None:
        await send_question(chat, place)
    else:
        await chat.send_message(render.ALREADY_HANDLED)


# --- who is asking -----------------------------------------------------------------------------


async def _consenting_member(
    update: Update, context: ContextTypes.DEFAULT_TYPE, survey_id: str | None
) -> Member | None:
    """The member if they agreed; otherwise show the notice (remembering the survey asked for)."""
    member = await answering.agreed_member(services(context), sender_of(update).id)
    if member is None:
        await show_notice(message_of(update).chat, context, _valid_slug(survey_id))
    return member


async def show_notice(
    chat: Chat, context: ContextTypes.DEFAULT_TYPE, survey_id: str | None
) -> None:
    """The privacy notice with I agree / No thanks (agreeing opens `survey_id`)."""
    notice = services(context).notice
    markup = render.notice_keyboard(notice.version, survey_id)
    await send_long(chat, privacy_render.with_question(notice), markup)


def _valid_slug(survey_id: str | None) -> str | None:
    """A deep-link payload travels on in callback data only if it is a well-formed survey id."""
    if survey_id is None:
        return None
    return survey_id if callbacks.decode(f"o:{survey_id}") is not None else None


async def _is_redelivered(
    message: Message, context: ContextTypes.DEFAULT_TYPE, member: Member
) -> bool:
    """True (after showing the member where they are) for a message handled before."""
    if not answering.handled_before(member, message.message_id):
        return False
    await show_where(message.chat, context)
    return True


async def _active(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Member, Place] | None:
    """The member and their open question for a new message; otherwise reply why not."""
    service = services(context)
    message = message_of(update)
    member, response = await answering.member_and_place(service, sender_of(update).id)
    if member is None or not member.agreed:
        await message.reply_text(render.NEEDS_CONSENT)
        return None
    if await _is_redelivered(message, context, member):
        return None
    if response is None or not answering.takes_answers(service, response):
        await answering.claim(service, member, message.message_id)
        await message.reply_text(
            render.NO_OPEN_QUESTION if response is None else render.SURVEY_CLOSED
        )
        return None
    return member, await answering.place_of(service, response)
