"""/export's file as the upload reads it: the bytes go out whole, and an export still held in
memory is not moved onto disk by the upload sizing it."""

from __future__ import annotations

import tempfile

import httpx

from handlers.organisers.administration import EXPORT_IN_MEMORY, _Unspooled


def upload(spooled: tempfile.SpooledTemporaryFile[bytes]) -> bytes:
    """The multipart body httpx (as PTB's HTTPXRequest uses it) builds from the file."""
    files = {"document": ("export.csv", _Unspooled(spooled), "text/csv")}
    return httpx.Request("POST", "https://api.invalid/sendDocument", files=files).read()


def test_a_small_export_is_uploaded_whole_from_memory() -> None:
    with tempfile.SpooledTemporaryFile(EXPORT_IN_MEMORY, mode="w+b") as spooled:
        spooled.write(b"respondent,area\nab12,north\n")
        spooled.seek(0)

        body = upload(spooled)

        assert b"respondent,area\nab12,north\n" in body
        assert not spooled._rolled  # still in memory: nothing of it was written to disk


def test_a_large_export_is_uploaded_whole_from_its_file() -> None:
    rows = b"x" * 100 + b"\n"
    with tempfile.SpooledTemporaryFile(EXPORT_IN_MEMORY, mode="w+b") as spooled:
        for _ in range(EXPORT_IN_MEMORY // len(rows) + 10):
            spooled.write(rows)
        size = spooled.tell()
        spooled.seek(0)

        body = upload(spooled)

        assert spooled._rolled
        assert body.count(rows) == size // len(rows)
