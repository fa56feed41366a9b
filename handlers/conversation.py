"""The member's conversation in private chat: commands and typed answers, and the steps the
buttons (`handlers.buttons`) share: opening a survey, asking a question, going back.

Each callback parses its update, asks the engine (`surveys.engine`) what the answer means,
commits through the use cases (`app.answering`), then renders a reply (`handlers.render`).
Progress lives in the database only: after a crash or restart the member continues at the
same question.

Telegram may deliver an update twice. A message is handled once: every message from a member
moves their message mark (the store's `handled` part), together with the change it causes, and a
message at or below the mark only shows the member where they are.

Each step the member takes costs one chat-bound call (`handlers.replies.show`): a typed answer
is followed by one message with the next question; a tapped answer turns the message tapped
into the next question, with the answer just given above it. The shared steps take the chat to
reply in and, for a button, the message to replace: a button's message may be one the bot can
no longer see (Telegram still says its chat), and then the reply is sent instead.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import Chat, InlineKeyboardMarkup, MaybeInaccessibleMessage, Message, Update
from telegram.ext import ContextTypes

from app import answering
from app.answering import AlreadyTaken, FirstQuestion, HandledBefore, NotOpen, Opened, Place
from handlers import callbacks, privacy_render, render
from handlers.context import message_of, sender_of, services
from handlers.organisers import milestones
from handlers.render import Reply
from handlers.replies import send_long, show
from storage.model import Member, Response, Standing
from surveys import engine
from surveys.engine import Rejected, Verdict
from surveys.model import Question

Judge = Callable[[Question, str], Verdict]

# --- commands and messages ---------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start [SURVEY]: the notice until agreed, then the survey asked for or a welcome."""
    message = message_of(update)
    if context.args:  # a deep link to a survey
        await _start_survey(update, context, context.args[0])
        return
    member = await _consenting_member(update, context)
    if member is not None:
        unfinished = await answering.unfinished_open(services(context), member)
        await show(context, message.chat, render.welcome(unfinished))


async def _start_survey(update: Update, context: ContextTypes.DEFAULT_TYPE, survey_id: str) -> None:
    """/start SURVEY: the notice until agreed, then the survey (in one read and one write)."""
    message = message_of(update)
    standing = await answering.standing(services(context), sender_of(update).id, survey_id)
    if standing is None:
        await show_notice(message.chat, context, _valid_slug(survey_id))
    elif not await _is_redelivered(message, context, standing.member):
        await open_survey(message.chat, context, standing, message_id=message.message_id)


async def list_surveys(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/surveys: the open surveys as buttons."""
    member = await _consenting_member(update, context)
    if member is not None:
        await show_survey_list(message_of(update).chat, context, member)


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
    # "/skip" does not say which question it left out: the next one says so above it.
    await _typed_step(update, context, lambda question, _: engine.skip(question), echoed=True)


async def typed_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message in private chat: the answer to a text or number question."""
    # The member's own message shows the answer, right above the next question.
    await _typed_step(update, context, engine.typed_answer, echoed=False)


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


async def _typed_step(
    update: Update, context: ContextTypes.DEFAULT_TYPE, judge: Judge, *, echoed: bool
) -> None:
    """A typed answer or /skip: judge it against the current question, save, move on (with
    the answer repeated above the next question if `echoed`)."""
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
    echo = render.echo(place.question, verdict.value) if echoed else None
    await after_answer(message.chat, context, Place(saved, place.survey), echo=echo)


async def _refuse(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    member: Member,
    explanation: str,
    place: Place,
) -> None:
    """Explain why a message was not taken, and ask again in the same message; only the
    message mark moves."""
    await answering.claim(services(context), member, message.message_id)
    await show(context, message.chat, question_reply(place, above=explanation))


# --- shared steps ------------------------------------------------------------------------------


async def after_answer(
    chat: Chat,
    context: ContextTypes.DEFAULT_TYPE,
    place: Place,
    *,
    echo: str | None = None,
    replacing: MaybeInaccessibleMessage | None = None,
) -> None:
    """Ask the (now) current question under `echo` (the answer just given), or thank the member
    and show all their answers (organisers hear of a milestone after, outside the member's
    update): in the message `replacing` (the question tapped), or a new one."""
    if not place.response.completed:
        await show(context, chat, question_reply(place, above=echo), replacing=replacing)
        return
    recap = Reply(render.completion(place.survey, place.response.answers))
    await show(context, chat, recap, replacing=replacing)
    milestones.announce_later(context, place.survey)


async def go_back(
    chat: Chat,
    context: ContextTypes.DEFAULT_TYPE,
    member: Member,
    place: Place,
    *,
    message_id: int | None = None,
    replacing: MaybeInaccessibleMessage | None = None,
) -> None:
    """Back to the previous question, by /back (the message `message_id`) or by the Back button
    (no message: the button acts on the step it was drawn at, and its message, `replacing`,
    becomes the previous question)."""
    step = place.response.step if message_id is None else None
    match await answering.go_back(
        services(context), member, place, message_id=message_id, step=step
    ):
        case FirstQuestion():
            await show(context, chat, Reply(render.CANNOT_GO_BACK))
        case HandledBefore():
            if message_id is not None:
                await show_where(chat, context)
        case Response() as moved:
            previous = Place(moved, place.survey)
            await show(context, chat, question_reply(previous), replacing=replacing)


def question_reply(
    place: Place, *, above: str | None = None, ticked: list[str] | None = None
) -> Reply:
    """The member's current question with its buttons (`ticked`: the options ticked so far on a
    multi question, by default those stored), under `above` in the same message."""
    response, survey, question = place.response, place.survey, place.question
    progress = engine.progress(survey, response.answers, question.id)
    text = render.question_text(survey, question, progress, response.answers.get(question.id))
    markup = keyboard(place, response.pending_choices if ticked is None else ticked)
    return Reply(text, markup).beneath(above)


async def send_question(chat: Chat, context: ContextTypes.DEFAULT_TYPE, place: Place) -> None:
    """The member's current question, as a new message."""
    await show(context, chat, question_reply(place))


def keyboard(place: Place, ticked: list[str]) -> InlineKeyboardMarkup | None:
    response, survey, question = place.response, place.survey, place.question
    can_go_back = engine.previous_question(survey, response.answers, question.id) is not None
    return render.question_keyboard(response.id, response.step, question, ticked, can_go_back)


async def open_survey(
    chat: Chat,
    context: ContextTypes.DEFAULT_TYPE,
    standing: Standing,
    *,
    message_id: int | None = None,
    query_id: str | None = None,
    above: str | None = None,
    replacing: MaybeInaccessibleMessage | None = None,
) -> None:
    """Resume the member's response to a survey, or start one if they may: the intro (or a
    welcome back) and the question in one message, under `above`, in the message `replacing`
    or a new one."""
    opening = await answering.open_survey(
        services(context), standing, message_id=message_id, query_id=query_id
    )
    match opening:
        case NotOpen():
            reply = Reply(render.SURVEY_NOT_OPEN)
        case AlreadyTaken(survey):
            reply = Reply(render.already_taken(survey))
        case HandledBefore():
            reply = await _where(chat, context)
        case Opened(place, resumed):
            opening_text = render.resuming if resumed else render.survey_intro
            reply = question_reply(place, above=opening_text(place.survey))
    await show(context, chat, reply.beneath(above), replacing=replacing)


async def show_survey_list(
    chat: Chat,
    context: ContextTypes.DEFAULT_TYPE,
    member: Member,
    *,
    above: str | None = None,
    replacing: MaybeInaccessibleMessage | None = None,
) -> None:
    """The open surveys as buttons, under `above`, in the message `replacing` or a new one."""
    open_now, unfinished, done = await answering.open_surveys_for(services(context), member)
    reply = render.survey_list(open_now, unfinished, done)
    await show(context, chat, reply.beneath(above), replacing=replacing)


async def show_where(chat: Chat, context: ContextTypes.DEFAULT_TYPE) -> None:
    """For an update handled before: show the question the member is on, and change nothing."""
    await show(context, chat, await _where(chat, context))


async def _where(chat: Chat, context: ContextTypes.DEFAULT_TYPE) -> Reply:
    """The question the member is on, or that there is none."""
    # In a private chat the chat id is the member's Telegram id.
    place = await answering.current_place(services(context), chat.id)
    return question_reply(place) if place is not None else Reply(render.ALREADY_HANDLED)


# --- who is asking -----------------------------------------------------------------------------


async def _consenting_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Member | None:
    """The member if they agreed; otherwise show the notice."""
    member = await answering.agreed_member(services(context), sender_of(update).id)
    if member is None:
        await show_notice(message_of(update).chat, context, None)
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
