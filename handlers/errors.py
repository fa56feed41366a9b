"""Telegram errors: which are expected, and the one handler for everything unexpected.

Expected errors are listed here once. "The chat is gone" (the member blocked the bot, or never
pressed Start) is not a failure of Doorstep: it is logged at INFO and nothing else happens.
Anything else is logged with its context (never message text) and the member is told, in one
line, that something went wrong and their answers are safe.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from handlers import render

log = logging.getLogger(__name__)
T = TypeVar("T")

# Lower-case fragments of Bot API error texts. An edit refused with one of UNEDITABLE left the
# message as it was: where the edit carried something the member needs (the next question),
# the same content is sent instead (`handlers.replies.show`); elsewhere it does not matter.
NOT_MODIFIED = "message is not modified"  # the message shows that content already
UNEDITABLE_BAD_REQUESTS = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
)
# "Nothing to do".
HARMLESS_BAD_REQUESTS = (
    NOT_MODIFIED,
    "query is too old",
    "query id is invalid",
    "message to delete not found",
    *UNEDITABLE_BAD_REQUESTS,
)
CHAT_GONE_BAD_REQUESTS = ("chat not found", "user is deactivated")


def is_harmless(error: BaseException) -> bool:
    """An edit or callback answer that no longer matters."""
    return _says(error, HARMLESS_BAD_REQUESTS)


def is_not_modified(error: BaseException) -> bool:
    """An edit to what the message shows already."""
    return _says(error, (NOT_MODIFIED,))


def is_uneditable(error: BaseException) -> bool:
    """An edit refused because the message cannot be edited (deleted, too old, not the bot's)."""
    return _says(error, UNEDITABLE_BAD_REQUESTS)


def _says(error: BaseException, fragments: tuple[str, ...]) -> bool:
    """A BadRequest whose text contains one of `fragments`."""
    return isinstance(error, BadRequest) and any(
        fragment in error.message.lower() for fragment in fragments
    )


def chat_is_gone(error: BaseException) -> bool:
    """The chat can no longer be reached: blocked, deleted, or the bot was removed."""
    return isinstance(error, Forbidden) or _says(error, CHAT_GONE_BAD_REQUESTS)


async def ignore_harmless(call: Awaitable[T]) -> T | None:
    """Await a Telegram call whose harmless failures (see above) do not matter."""
    try:
        return await call
    except BadRequest as error:
        if not is_harmless(error):
            raise
        log.debug("ignored: %s", error.message)
        return None


def describe(update: object) -> str:
    """An update in a log line: its id and kind, never its text or the people in it."""
    if not isinstance(update, Update):
        return f"non-update {type(update).__name__}"
    kind = next(
        (
            name
            for name in ("message", "callback_query", "edited_message", "my_chat_member")
            if getattr(update, name) is not None
        ),
        "other",
    )
    chat_type = update.effective_chat.type if update.effective_chat else "no chat"
    return f"update {update.update_id} ({kind}, {chat_type} chat)"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log an exception raised while handling an update, and tell the member."""
    error = context.error
    if error is None:  # PTB calls error handlers with one; nothing to report otherwise
        return
    if chat_is_gone(error):
        log.info("chat unreachable while handling %s: %s", describe(update), type(error).__name__)
        return
    if is_harmless(error):
        log.debug("harmless error while handling %s", describe(update))
        return
    log.error("error while handling %s", describe(update), exc_info=error)
    if isinstance(update, Update):
        await _tell_member(update)


async def _tell_member(update: Update) -> None:
    """Never leave a member without a reply (or with a spinning button)."""
    try:
        if update.callback_query is not None:
            await ignore_harmless(update.callback_query.answer(render.SOMETHING_WENT_WRONG))
        if update.effective_chat is not None and update.effective_chat.type == "private":
            await update.effective_chat.send_message(render.SOMETHING_WENT_WRONG)
    except TelegramError as error:
        log.warning("could not tell the member about an error: %s", type(error).__name__)
