"""What a database leaves on disk: the raw bytes of its file and write-ahead log, and another
connection reading it (as a backup or an operator's shell would), for tests of erasure."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path


def wal_of(database: Path) -> Path:
    return database.with_name(database.name + "-wal")


def stored_bytes(database: Path) -> bytes:
    """The database file and its write-ahead log, as they are on disk."""
    return b"".join(file.read_bytes() for file in (database, wal_of(database)) if file.exists())


def wal_size(database: Path) -> int:
    wal = wal_of(database)
    return wal.stat().st_size if wal.exists() else 0


@contextmanager
def reading(database: Path) -> Iterator[sqlite3.Connection]:
    """Another connection to the file (a backup, an operator's shell) in the middle of a read."""
    with closing(sqlite3.connect(database, isolation_level=None)) as connection:
        connection.execute("BEGIN")
        connection.execute("SELECT count(*) FROM members").fetchall()
        yield connection
