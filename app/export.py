"""Writing a survey's responses as CSV, for the administrators' /export and the command line.

Storage reads the responses in batches and `surveys.export` lays out each row, so an export of
any size streams through in constant memory.
"""

from __future__ import annotations

import csv
import io
from typing import IO, TextIO

from storage.protocol import Store
from surveys.export import header, pseudonym, row
from surveys.model import Survey


async def write_export(store: Store, survey: Survey, key: bytes, stream: TextIO) -> int:
    """Write the header and one row per response of `survey` to `stream`; return the rows.

    `stream` is text: open a file with encoding="utf-8" and newline="" (the csv module writes
    its own line endings). `key` makes the respondent pseudonyms: kept secret, no pseudonym can
    be traced to its member; kept the same, one member's rows match across exports.
    """
    writer = csv.writer(stream)
    writer.writerow(header(survey))
    written = 0
    async for response in store.export.exported_responses(survey.id):
        writer.writerow(row(survey, pseudonym(key, response.member_id), response))
        written += 1
    return written


async def write_export_bytes(store: Store, survey: Survey, key: bytes, binary: IO[bytes]) -> int:
    """`write_export` to a binary stream, as UTF-8 (the stream stays open)."""
    stream = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    try:
        return await write_export(store, survey, key, stream)
    finally:
        stream.flush()
        stream.detach()
