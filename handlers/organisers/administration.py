"""Administrators' commands in private: /audit (who released which results where) and
/export (a survey's responses as a CSV file, streamed)."""

from __future__ import annotations

import tempfile
from typing import IO

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from app import export, reports
from handlers import organiser_render as text
from handlers.context import message_of, sender_of, services
from handlers.organisers.access import admins_only, in_private
from handlers.replies import send_long

# An export is written to a temporary file, in memory up to this size and on disk beyond (a
# file only the bot's user can read, deleted once sent), so that its memory stays constant
# whatever the number of responses.
EXPORT_IN_MEMORY = 1 << 20


class _Unspooled:
    """A spooled file as the upload reads it: without `fileno`, which httpx calls to size a
    file and which would move an export still in memory onto disk. httpx sizes it by seeking."""

    def __init__(self, spooled: IO[bytes]) -> None:
        self._spooled = spooled

    def read(self, size: int = -1) -> bytes:
        return self._spooled.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._spooled.seek(offset, whence)

    def tell(self) -> int:
        return self._spooled.tell()


@in_private(text.ADMINS_ONLY)
@admins_only
async def audit_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/audit: the newest entries of the audit log."""
    entries = await reports.recent_releases(services(context))
    await send_long(message_of(update).chat, text.audit_text(entries))


@in_private(text.EXPORT_IN_PRIVATE)
@admins_only
async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export SURVEY: the responses as a CSV file."""
    message, service = message_of(update), services(context)
    args = context.args or []
    survey = reports.find_survey(service, args[0]) if len(args) == 1 else None
    if survey is None:
        await message.reply_text(text.EXPORT_USAGE)
        return
    await reports.record_release(
        service,
        "export",
        actor=sender_of(update).id,
        chat_id=message.chat.id,
        survey_id=survey.id,
        scope="all",
    )
    with tempfile.SpooledTemporaryFile(EXPORT_IN_MEMORY, mode="w+b") as spooled:
        rows = await export.write_export_bytes(service.store, survey, service.secret_key, spooled)
        spooled.seek(0)
        stamp = service.clock().strftime("%Y%m%d-%H%M")
        # Not read into memory first: the upload streams from the file.
        document = InputFile(
            _Unspooled(spooled),  # type: ignore[arg-type]  # a binary file for httpx, in all but name
            filename=f"{survey.id}-{stamp}.csv",
            read_file_handle=False,
        )
        await message.reply_document(
            document,
            caption=f"{rows:,} responses",
            parse_mode=None,
        )
