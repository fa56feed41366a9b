"""Flood control: a member who sends faster than any person can is not heard for a moment.

A person tapping through a survey as fast as they can sends about one update a second, with
short bursts of ticks on a multiple-choice question; a script or a stuck key sends dozens. Past
FLOOD_LIMIT updates in FLOOD_WINDOW seconds, a member's further updates are dropped before any
handler sees them: nothing is stored and nothing is answered, after one short notice per flood.
A dropped button tap is still answered, without text, so that the member's client stops its
spinner (answerCallbackQuery names no chat, so it spends none of a chat's message budget).

Dropped updates count too, so a member who keeps flooding stays unheard; once the last
FLOOD_WINDOW seconds hold no more than FLOOD_LIMIT of their updates they are heard again, and a
new flood brings a new notice. Only what a member sends in their private chat (messages, edits,
button taps) is limited; organiser groups are not.

`FloodGuard.check` runs as a TypeHandler in group -1, before every handler. Its clock is
injected: monotonic seconds (`time.monotonic` in the bot), so a change of the wall clock cannot
silence anyone.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import deque
from collections.abc import Callable

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from handlers import render

log = logging.getLogger(__name__)

# More than this many updates from one member in FLOOD_WINDOW seconds is a flood.
FLOOD_LIMIT = 20
FLOOD_WINDOW = 10.0

Seconds = Callable[[], float]


class Verdict(enum.Enum):
    """What becomes of one update of a member."""

    HEARD = "heard"
    WARNED = "warned"  # the first update past the limit: dropped, with the notice
    DROPPED = "dropped"


class FloodCounter:
    """Each member's latest updates, and whether they are flooding (no Telegram here)."""

    def __init__(self) -> None:
        # The newest FLOOD_LIMIT + 1 arrival times per member: enough to tell whether more than
        # FLOOD_LIMIT fall in the window, however fast the member sends.
        self._arrivals: dict[int, deque[float]] = {}
        self._warned: set[int] = set()
        self._next_sweep = 0.0

    def arrives(self, member: int, now: float) -> Verdict:
        """Count an update of `member` that arrived at `now` (seconds) and judge it."""
        self._forget_idle(now)
        arrivals = self._arrivals.setdefault(member, deque(maxlen=FLOOD_LIMIT + 1))
        arrivals.append(now)
        if len(arrivals) <= FLOOD_LIMIT or arrivals[0] <= now - FLOOD_WINDOW:
            self._warned.discard(member)
            return Verdict.HEARD
        if member in self._warned:
            return Verdict.DROPPED
        self._warned.add(member)
        return Verdict.WARNED

    def _forget_idle(self, now: float) -> None:
        """Once a window, drop members with nothing in the last window (keeps the table small)."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + FLOOD_WINDOW
        for member in [m for m, times in self._arrivals.items() if times[-1] <= now - FLOOD_WINDOW]:
            del self._arrivals[member]
            self._warned.discard(member)


class FloodGuard:
    """The handler that lets a member's update through or drops it."""

    def __init__(self, clock: Seconds = time.monotonic) -> None:
        self._clock = clock
        self._counter = FloodCounter()

    async def check(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Return for an update that may be handled; raise ApplicationHandlerStop to drop it."""
        member = private_sender(update)
        if member is None:
            return
        verdict = self._counter.arrives(member, self._clock())
        if verdict is Verdict.HEARD:
            return
        try:
            if update.callback_query is not None:
                await update.callback_query.answer()
            if verdict is Verdict.WARNED and update.effective_chat is not None:
                log.info("a member is flooding: their updates are dropped for a while")
                await update.effective_chat.send_message(render.FLOODING)
        except TelegramError as error:  # nothing more is owed to a flooding member
            log.info("could not answer a flooding member: %s", type(error).__name__)
        raise ApplicationHandlerStop


def private_sender(update: Update) -> int | None:
    """The member who sent a message, an edit or a button tap in their private chat, if any."""
    sent = update.message or update.edited_message or update.callback_query
    chat = update.effective_chat
    if sent is None or chat is None or chat.type != ChatType.PRIVATE:
        return None
    return update.effective_user.id if update.effective_user else None
