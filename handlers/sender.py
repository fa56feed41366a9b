"""The bulk sender: invitation rounds and reminders, sent in the background with what members'
replies leave of Telegram's send budget.

One task per process, started with the bot and stopped (after the batch in hand) before the
bot's connection closes. Each pass claims a batch of a sending round's outbox
(`app.reach.claim`), sends it in the bulk lane of the send budget (`handlers.send_budget`: a
reply to a member never waits behind it), each message taking a last look if its slot comes
more than a second after the claim read its facts (the round still sending, the member still
invited: `app.reach.still_invited`), and settles every row. Quiet hours hold invitations and
reminders, never replies. A progress card is edited when it changed, at most every CARD_EVERY
seconds, and once more when its round ends.

At most one invitation per member per round: a claimed row is "sending" until settled, and a
row claimed when the process died is "unknown" after the restart (`app.reach.recover`), never
sent again; so is a send whose connection broke after the request went. The invitations of
unknown fate are at most one batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial

import httpx
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, ContextTypes, ExtBot

from app import reach
from app.reach import Outcome
from app.services import Services
from handlers import contact_render
from handlers import invitation_render as card_text
from handlers.context import SERVICES_KEY
from handlers.errors import chat_is_gone, ignore_harmless
from handlers.send_budget import LastLook, NotWanted, RateLimitArgs
from storage.model import Delivery, DueReminder, Round
from surveys.model import Survey

log = logging.getLogger(__name__)

SENDER_KEY = "sender"
CARD_EVERY = 5.0  # seconds between two edits of a progress card
IDLE_WAIT = 5.0  # an idle sender looks again this often (retries fall due, rounds resume)
REMINDERS_EVERY = 60.0  # seconds between two looks for reminders due
BATCH = 16  # invitations claimed at once: half a second of Telegram's free budget
PAID_BATCH_SECONDS = 0.5  # with paid broadcasts, a batch is this long at the paid rate
STOP_WAIT = 10.0  # seconds a stopping bot gives the batch in hand to finish and be settled
# Transport errors after which the request cannot have reached Telegram: safe to send again.
_NEVER_LEFT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Sender:
    """Sends invitation rounds and reminders until stopped."""

    def __init__(self, application: Application, *, paid_rate: int = 0) -> None:
        self._application = application
        self._paid = paid_rate > 0
        self._batch = max(BATCH, int(paid_rate * PAID_BATCH_SECONDS))
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._card_edited: dict[int, float] = {}  # round id -> loop time of its last card edit
        self._card_shown: dict[int, str] = {}  # round id -> the card's text as last edited
        self._reminders_due_at = 0.0

    @property
    def _service(self) -> Services:
        service: Services = self._application.bot_data[SERVICES_KEY]
        return service

    @property
    def _bot(self) -> ExtBot[RateLimitArgs]:
        bot: ExtBot[RateLimitArgs] = self._application.bot  # built with the SendBudget (bot.py)
        return bot

    def start(self) -> None:
        """Run in the background until `stop`."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="doorstep-sender")

    async def stop(self) -> None:
        """Stop after the batch in hand is sent and settled (within STOP_WAIT seconds; after
        that it is cancelled, and its rows become "unknown" at the next start)."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(self._task, STOP_WAIT)
        except TimeoutError:
            log.warning("the sender did not finish its batch in %.0f s: stopped", STOP_WAIT)
        self._task = None

    def wake(self) -> None:
        """Look at once (a round started, paused, resumed or cancelled)."""
        self._wake.set()

    async def drain(self) -> None:
        """Send everything that can be sent now, reminders due included (tests drive the sender
        with this instead of the background task)."""
        self._reminders_due_at = 0.0
        while await self.run_pass():
            pass

    async def _run(self) -> None:
        while not self._stopping:
            try:
                busy = await self.run_pass()
            except Exception:  # a storage error or a bug: log it, and go on after a pause
                log.exception("the sender failed a pass; it tries again")
                busy = False
            if not busy and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_WAIT)
                self._wake.clear()

    async def run_pass(self) -> bool:
        """One pass over the sending rounds and the reminders due; whether anything was sent."""
        service = self._service
        rounds = await reach.rounds_to_send(service)
        for closed in rounds.closed:
            await self._refresh_card(closed.id, final=True)
        if reach.quiet_until(service) is not None:
            for invitation in rounds.sending:
                await self._refresh_card(invitation.id)
            return False
        sent = False
        for invitation in rounds.sending:
            sent = await self._send_batch(invitation) or sent
        return await self._remind() or sent

    async def _send_batch(self, invitation: Round) -> bool:
        """Claim a batch of the round and send it; whether there was anything to send."""
        claimed_at = asyncio.get_running_loop().time()  # the claim reads the members' facts
        match await reach.claim(self._service, invitation, self._batch):
            case reach.RoundOver():
                await self._refresh_card(invitation.id, final=True)
                return False
            case None:
                await self._refresh_card(invitation.id)
                return False
            case reach.Batch(survey, deliveries):
                text, markup = contact_render.invitation(survey)  # the same for the whole batch
                outcomes = await asyncio.gather(
                    *(
                        self._invite(invitation, survey, delivery, claimed_at, (text, markup))
                        for delivery in deliveries
                    )
                )
                await reach.settle(self._service, list(zip(deliveries, outcomes, strict=True)))
                await self._refresh_card(invitation.id)
                return True

    async def _invite(
        self,
        invitation: Round,
        survey: Survey,
        delivery: Delivery,
        claimed_at: float,
        message: tuple[str, InlineKeyboardMarkup],
    ) -> Outcome:
        text, markup = message
        wanted = partial(reach.still_invited, self._service, invitation, delivery, survey)
        look = LastLook(wanted, read_at=claimed_at)
        return await self._deliver(delivery.contact.telegram_id, text, markup, look)

    async def _remind(self) -> bool:
        """Send the reminders due (each counted before it goes, so none goes twice)."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._reminders_due_at:
            return False
        service = self._service
        found_at = loop.time()  # what due_reminders reads stands as the reminders' last look
        due = await reach.due_reminders(service, self._batch)
        if len(due) < self._batch:  # all found: look again later; otherwise go on at once
            self._reminders_due_at = loop.time() + REMINDERS_EVERY
        claimed = [(r, s) for r, s in due if await reach.claim_reminder(service, r, s)]

        async def remind(reminder: DueReminder, survey: Survey) -> None:
            text, markup = contact_render.reminder(survey)
            wanted = partial(reach.reminder_still_wanted, service, reminder)
            look = LastLook(wanted, read_at=found_at)
            await self._deliver(reminder.telegram_id, text, markup, look)

        await asyncio.gather(*(remind(reminder, survey) for reminder, survey in claimed))
        return bool(claimed)

    async def _deliver(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup, look: LastLook
    ) -> Outcome:
        """Send one bulk message (if its last look still wants it), and say how it went. A
        member Telegram refuses is unreachable from that moment, not when the batch is settled:
        a message they write meanwhile (which makes them reachable) must not be undone."""
        outcome = await self._send(chat_id, text, markup, look)
        if outcome is Outcome.UNREACHABLE:
            await reach.set_reachable(self._service, chat_id, False)
        return outcome

    async def _send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup, look: LastLook
    ) -> Outcome:
        """Send one bulk message, and say how it went."""
        try:
            await self._bot.send_message(
                chat_id,
                text,
                reply_markup=markup,
                allow_paid_broadcast=self._paid or None,
                rate_limit_args=look,
            )
        except NotWanted:
            return Outcome.HELD
        except Forbidden:
            return Outcome.UNREACHABLE
        except BadRequest as error:
            return Outcome.UNREACHABLE if chat_is_gone(error) else Outcome.FAILED
        except RetryAfter:  # still refused after the send budget's own retries
            return Outcome.PASSING
        except NetworkError as error:  # TimedOut among them
            return Outcome.PASSING if _not_sent(error) else Outcome.UNKNOWN
        except TelegramError as error:  # refused for a reason of its own (a revoked token…)
            log.warning("an invitation or reminder was refused: %s", error)
            return Outcome.FAILED
        except Exception:  # a bug: whether it left is not known, so it is not sent again
            log.exception("an invitation or reminder failed")
            return Outcome.UNKNOWN
        return Outcome.SENT

    async def _refresh_card(self, round_id: int, *, final: bool = False) -> None:
        """Edit a round's progress card if it changed, at most every CARD_EVERY seconds
        unless the round just ended (`final`: its last edit, after which nothing of it is
        kept)."""
        if final:
            self._card_edited.pop(round_id, None)
            shown_before = self._card_shown.pop(round_id, None)
            await show_card(self._bot, self._service, round_id, shown_before)
            return
        now = asyncio.get_running_loop().time()
        if now - self._card_edited.get(round_id, -CARD_EVERY) < CARD_EVERY:
            return
        self._card_edited[round_id] = now
        shown = await show_card(self._bot, self._service, round_id, self._card_shown.get(round_id))
        if shown is not None:
            self._card_shown[round_id] = shown


def _not_sent(error: NetworkError) -> bool:
    """Whether a send that failed cannot have reached Telegram, so that sending it again makes
    no second message: no connection was made, or Telegram (or a proxy before it) answered
    with a server error (no cause: PTB raises those from the HTTP status). A connection that
    broke or timed out after the request went may have delivered it."""
    cause = error.__cause__
    if isinstance(error, TimedOut):
        return isinstance(cause, _NEVER_LEFT)
    return cause is None or isinstance(cause, _NEVER_LEFT)


async def show_card(
    bot: Bot, service: Services, round_id: int, shown: str | None = None
) -> str | None:
    """Edit a round's progress card to show where it stands now, unless it shows that already
    (`shown`: its text as last edited); returns the text it shows, None if there is no card."""
    found = await reach.find(service, round_id)
    if found is None:
        return None
    invitation, progress = found
    survey = service.catalogue.current_survey(invitation.survey_id)
    if invitation.card_chat_id is None or invitation.card_message_id is None or survey is None:
        return None  # the administrator was forgotten since, or the survey's file is gone
    quiet = reach.quiet_until(service)
    local_end = quiet.astimezone(service.timezone) if quiet else None
    text, markup = card_text.card(survey, invitation, progress, service.clock(), local_end)
    if text == shown:
        return text
    try:
        await ignore_harmless(
            bot.edit_message_text(
                text,
                chat_id=invitation.card_chat_id,
                message_id=invitation.card_message_id,
                reply_markup=markup,
            )
        )
    except TelegramError as error:  # a card that cannot be edited never stops the sending
        log.info("progress card of round %d not updated: %s", round_id, error)
    return text


def wake_sender(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the sender to look at once (it may not run: tests drive it by hand)."""
    sender: Sender | None = context.bot_data.get(SENDER_KEY)
    if sender is not None:
        sender.wake()
