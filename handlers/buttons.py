"""The buttons in private chats: the notice's I agree / No thanks, survey choices, answers,
ticks, Skip, Back and Done, /forget's confirmation, invitations off and on, and an
administrator's invitation round (Send, Pause, Resume, Cancel).

Every button is decoded strictly (`handlers.callbacks`) and its callback query answered once.
A button acts only on the current question of the member's active survey, as drawn: one drawn
before the last move is stale, and Telegram delivering a tap again changes nothing.

A tap is answered in the message tapped, in one call: an answer (or Skip, or Done) turns the
question into the next one with the answer above it, Back into the previous question, a tick
redraws the buttons, and I agree turns the notice into the survey asked for or the list.

A button may be on a message the bot can no longer see (Telegram sends an inaccessible message,
with only its chat and id, for old ones). It still works: the reply goes to its chat as a new
message, as it does when Telegram refuses an edit (`handlers.replies.show`).
"""

from __future__ import annotations

from telegram import CallbackQuery, Chat, MaybeInaccessibleMessage, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from app import answering
from app import privacy as app_privacy
from app.answering import Place
from app.privacy import Withdrawal
from handlers import callbacks, contact, conversation, privacy, render
from handlers.callbacks import (
    AnswerOption,
    Consent,
    Forget,
    Invitations,
    Move,
    OpenSurvey,
    QuestionMove,
    RoundButton,
    ToggleOption,
)
from handlers.context import query_of, services
from handlers.errors import ignore_harmless
from handlers.organisers import invitations
from handlers.replies import show
from surveys import engine
from surveys.engine import Rejected, Verdict


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every member button: decode strictly, act, and answer the callback query once. A button
    acts only in the tapper's own private chat: forged onto a bot message in a group (or sent
    from an inline message), it would open a survey there, or post a member's answers."""
    query = query_of(update)
    message = query.message  # None under an inline-mode message
    if message is None or not _in_tappers_private_chat(message.chat, query):
        await _answer(query, render.STALE_BUTTON)
        return
    chat = message.chat
    match callbacks.decode(query.data):
        case Consent() as consent:
            await _decide_consent(query, message, context, consent)
        case OpenSurvey(survey_id):
            standing = await answering.standing(services(context), query.from_user.id, survey_id)
            if standing is None:
                await _answer(query, render.NEEDS_CONSENT, alert=True)
            else:
                await _answer(query)
                await conversation.open_survey(chat, context, standing, query_id=query.id)
        case AnswerOption() | ToggleOption() | QuestionMove() as pressed:
            await _question_button(query, message, context, pressed)
        case Forget() as choice:
            await privacy.forget_button(query, context, choice)
        case Invitations() as choice:
            await contact.invitations_button(query, context, choice)
        case RoundButton() as pressed:
            await invitations.round_button(query, context, pressed)
        case _:  # malformed, forged, or an organiser's button that reached the wrong place
            await _answer(query, render.STALE_BUTTON)


def _in_tappers_private_chat(chat: Chat, query: CallbackQuery) -> bool:
    """Whether the button's message is in the private chat of the member who tapped it."""
    return chat.type == ChatType.PRIVATE and chat.id == query.from_user.id


async def _decide_consent(
    query: CallbackQuery,
    notice: MaybeInaccessibleMessage,
    context: ContextTypes.DEFAULT_TYPE,
    consent: Consent,
) -> None:
    service = services(context)
    if consent.agreed and consent.version != service.notice.version:
        # Agreement counts only to the text the member read: show them the current one.
        await _answer(query, render.NOTICE_CHANGED, alert=True)
        await conversation.show_notice(notice.chat, context, consent.survey_id)
        return
    if not consent.agreed:
        await _decline(query, notice, context, consent)
        return
    member = await answering.agree(
        service,
        query.from_user.id,
        consent.version,
        query_id=query.id,
        notice_message_id=notice.message_id,
    )
    await _answer(query)
    if member is None:
        return  # this tap was handled before; the member may have decided otherwise since
    # The notice becomes the thanks and what comes next: the survey asked for, or the list.
    standing = None
    if consent.survey_id:
        standing = await answering.standing(service, query.from_user.id, consent.survey_id)
    if standing is not None:  # the decision already records this tap
        await conversation.open_survey(
            notice.chat, context, standing, above=render.AGREED, replacing=notice
        )
    else:
        await conversation.show_survey_list(
            notice.chat, context, member, above=render.AGREED, replacing=notice
        )


async def _decline(
    query: CallbackQuery,
    notice: MaybeInaccessibleMessage,
    context: ContextTypes.DEFAULT_TYPE,
    consent: Consent,
) -> None:
    """No thanks, or Withdraw: a withdrawal for a member who had agreed; someone who never
    agreed (or whose data was deleted since) leaves no record at all. Telegram delivers a
    chat's updates in order, so a refusal delivered again never comes after a later agreement:
    a member who agreed and then taps No thanks, on any notice, means it."""
    await _answer(query)
    outcome = await app_privacy.withdraw(
        services(context),
        query.from_user.id,
        consent.version,
        query_id=query.id,
        notice_message_id=notice.message_id,
    )
    if outcome is not Withdrawal.HANDLED_BEFORE:
        reply = privacy.withdrawal_reply(outcome, not_a_member=render.DECLINED)
        await ignore_harmless(query.edit_message_text(reply))


async def _question_button(
    query: CallbackQuery,
    message: MaybeInaccessibleMessage,
    context: ContextTypes.DEFAULT_TYPE,
    pressed: AnswerOption | ToggleOption | QuestionMove,
) -> None:
    """A button under a question (on `message`): it acts only on the active survey's question
    as drawn."""
    service = services(context)
    member, response = await answering.member_and_place(service, query.from_user.id)
    if member is None or not member.agreed:
        await _answer(query, render.NEEDS_CONSENT, alert=True)
        return
    if (
        response is None
        or response.id != pressed.response_id
        or not answering.takes_answers(service, response)
    ):
        await _answer(query, render.STALE_BUTTON)
        return
    place = await answering.place_of(service, response)
    if response.step != pressed.step:
        # A button drawn before the last move, on a message that may be far up the chat. If
        # Telegram is delivering again a tap whose reply was lost (a crash after the commit),
        # the member has not seen where they are: the question goes to the foot of the chat.
        await _answer(query, render.STALE_BUTTON)
        await conversation.send_question(message.chat, context, place)
        return
    question = place.question
    match pressed:
        case AnswerOption(option=option):
            await _accept(query, message, context, place, engine.button_answer(question, option))
        case ToggleOption(option=option, chosen=chosen):
            verdict = engine.toggle(question, response.pending_choices, option, chosen)
            await _toggle(query, message, context, place, verdict)
        case QuestionMove(move=Move.DONE):
            verdict = engine.finish_multi(question, response.pending_choices)
            await _accept(query, message, context, place, verdict)
        case QuestionMove(move=Move.SKIP):
            await _accept(query, message, context, place, engine.skip(question))
        case QuestionMove(move=Move.BACK):
            await _answer(query)
            await conversation.go_back(message.chat, context, member, place, replacing=message)


async def _accept(
    query: CallbackQuery,
    message: MaybeInaccessibleMessage,
    context: ContextTypes.DEFAULT_TYPE,
    place: Place,
    verdict: Verdict,
) -> None:
    """Take the answer given on the question `message`, which becomes the next question."""
    if isinstance(verdict, Rejected):
        await _answer(query, render.problem_text(verdict))
        return
    response, question = place.response, place.question
    saved = await answering.take_answer(services(context), place, verdict, step=response.step)
    if saved is None:
        await _answer(query, render.STALE_BUTTON)
        return
    await _answer(query)
    await conversation.after_answer(
        message.chat,
        context,
        Place(saved, place.survey),
        echo=render.echo(question, verdict.value),
        replacing=message,
    )


async def _toggle(
    query: CallbackQuery,
    message: MaybeInaccessibleMessage,
    context: ContextTypes.DEFAULT_TYPE,
    place: Place,
    verdict: Verdict,
) -> None:
    """Tick or untick an option: the question `message` redraws its buttons."""
    if isinstance(verdict, Rejected):
        await _answer(query, render.problem_text(verdict))
        return
    chosen = verdict.value if isinstance(verdict.value, list) else []
    if not await answering.tick(services(context), place, place.response.step, chosen):
        await _answer(query, render.STALE_BUTTON)
        return
    await _answer(query)
    # Only the buttons change; should the message not take the edit, the question is sent anew
    # with the ticks (without what was answered above it).
    reply = conversation.question_reply(place, ticked=chosen)
    await show(context, message.chat, reply, replacing=message, keyboard_only=True)


async def _answer(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answer a callback query; one that is too old to answer no longer matters."""
    await ignore_harmless(query.answer(text, show_alert=alert))
