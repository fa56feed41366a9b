"""What a callback reads from its update and context, typed as the callback may rely on it.

PTB types every part of an update as optional, as an update carries one kind of thing. How
bot.py registers a callback decides which parts it gets: each accessor below says, once, why
its part is there, and raises `MissingPart` if it is not (a callback registered where it should
not be: never anything a user can send). A part that is really absent at times is read where it
is handled: a button's message (`CallbackQuery.message`) is None under an inline-mode message,
and each button handler answers such a tap and stops.

The application's services: `bot.py` puts one `app.services.Services` in `bot_data` under
SERVICES_KEY.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from telegram import CallbackQuery, Chat, ChatMemberUpdated, Message, Update, User
from telegram.ext import ContextTypes, JobQueue

from app.services import Services

SERVICES_KEY = "doorstep"

T = TypeVar("T")

# An update callback: a coroutine function, as PTB's handlers take.
Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class MissingPart(LookupError):
    """An update or context lacks a part its callback's registration guarantees."""


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The shared services of the running Application."""
    service: Services = context.bot_data[SERVICES_KEY]
    return service


def message_of(update: Update) -> Message:
    """The message of a command or message handler's update: those handlers take no other."""
    return _present(update.effective_message, "a message")


def sender_of(update: Update) -> User:
    """Who sent the message or tapped the button. Commands and messages are registered for
    new messages only (`filters.UpdateType.MESSAGE`), which always have a sender (Telegram
    gives one even to anonymous group admins); a callback query always has one."""
    return _present(update.effective_user, "a sender")


def chat_of(update: Update) -> Chat:
    """The chat a command or message came in: every message is in one."""
    return _present(update.effective_chat, "a chat")


def query_of(update: Update) -> CallbackQuery:
    """The callback query of a CallbackQueryHandler's update: it takes no other."""
    return _present(update.callback_query, "a callback query")


def membership_of(update: Update) -> ChatMemberUpdated:
    """The bot's own membership change, for a `ChatMemberHandler.MY_CHAT_MEMBER` handler."""
    return _present(update.my_chat_member, "a my_chat_member change")


class _WithJobs(Protocol):
    """An Application or a callback context: both reach the job queue."""

    @property
    def job_queue(self) -> JobQueue[Any] | None: ...


def jobs(owner: _WithJobs) -> JobQueue[Any]:
    """The job queue. PTB makes one whenever its `job-queue` extra is installed, as Doorstep's
    dependencies require."""
    return _present(owner.job_queue, "a job queue (install python-telegram-bot[job-queue])")


def job_chat_id(context: ContextTypes.DEFAULT_TYPE) -> int:
    """The chat a running job acts for: a job callback's context has its job, and the jobs that
    act for a chat (digests) are put on the queue with its id."""
    job = _present(context.job, "a job")
    return _present(job.chat_id, "a job with a chat")


def _present(part: T | None, what: str) -> T:
    """`part`, or MissingPart naming what was missing."""
    if part is None:
        raise MissingPart(f"expected {what} and there is none: see how bot.py registers this")
    return part
