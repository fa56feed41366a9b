"""The SQLite connection: opening, pragmas, migrations, and the lock around every use.

Doorstep keeps one aiosqlite connection per process; its worker thread runs statements in the
order they are sent. Handlers, jobs and the error handler interleave at every `await`, so access
goes through a read-write lock. Single statements (`Database.statement()`: reads, and writes
that are one statement and commit on their own) run side by side, queued back to back on the
connection. A transaction of several statements (`Database.transaction()`) runs alone, so no
other task's statement ever lands inside it. Either way a change is committed before the caller
replies to Telegram.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator
from contextlib import asynccontextmanager, closing, contextmanager, suppress
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast

import aiosqlite
from aiorwlock import RWLock

from storage.errors import Busy, Stale, StorageError, UnusableDatabase

BUSY_TIMEOUT_MS = 5000
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def fetch_all(
    connection: aiosqlite.Connection, sql: str, parameters: Iterable[Any] = ()
) -> Awaitable[list[sqlite3.Row]]:
    """Every row of a query, in one round trip. aiosqlite returns the cursor's list but types it
    as an Iterable; said here once as the list it is, rows can be counted and indexed. (Not a
    coroutine of its own: the answer path pays for no extra frame.)"""
    return cast(Awaitable[list[sqlite3.Row]], connection.execute_fetchall(sql, parameters))


def domain_error(error: sqlite3.Error) -> StorageError:
    """A SQLite error as `storage.errors` has it: a database another process holds is `Busy`."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
    return (Busy if code in _BUSY_CODES else StorageError)(str(error))


@contextmanager
def domain_errors() -> Iterator[None]:
    """Raise SQLite's errors as `domain_error`s."""
    try:
        yield
    except sqlite3.Error as error:
        raise domain_error(error) from error


_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_DEFINITION = re.compile(r"\s*CREATE\s+(VIEW|TRIGGER)\s+(\w+)", re.IGNORECASE)


class Database:
    """One open database with serialised access."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._lock = RWLock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        async with self._lock.writer:
            try:
                with domain_errors():
                    await self._connection.execute("BEGIN IMMEDIATE")
                    yield self._connection
                    await self._connection.commit()
            except BaseException:
                # Also when COMMIT itself fails: the shared connection must not stay inside
                # an open transaction, or every later statement would join it.
                await self._connection.rollback()
                raise

    @asynccontextmanager
    async def transaction_unless_stale(self) -> AsyncIterator[aiosqlite.Connection]:
        """A transaction that `Stale`, raised inside, rolls back quietly: the block is cut short
        and the code after it runs (callers return "nothing changed" there)."""
        with suppress(Stale):
            async with self.transaction() as connection:
                yield connection

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[aiosqlite.Connection]:
        """For single statements (reads, or one write that commits on its own), never run in
        the middle of another task's transaction. Use each statement's result in one round
        trip (`execute_fetchall`), as other tasks' statements may run in between."""
        async with self._lock.reader:
            try:  # not `domain_errors()`: every statement of the answer path comes through here
                yield self._connection
            except sqlite3.Error as error:
                raise domain_error(error) from error

    async def checkpoint(self) -> bool:
        """Copy the write-ahead log into the database file and truncate it, so that rows just
        deleted (zeroed in the file by `secure_delete`) are left in neither file.

        False when another connection (a backup, a shell) was reading and the log could not be
        truncated: the caller tries again later. The bot does not wait for that reader, as every
        other update waits meanwhile."""
        async with self._lock.writer:
            with domain_errors():
                await self._connection.execute("PRAGMA busy_timeout = 0")
                try:
                    rows = await fetch_all(self._connection, "PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    await self._connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        busy, _, _ = rows[0]
        return not busy

    async def vacuum(self) -> None:
        """Rebuild the database file, leaving no fragment of deleted rows in it (the rebuilt
        pages pass through the write-ahead log: checkpoint after). Everything else waits."""
        async with self._lock.writer:
            with domain_errors():
                await self._connection.execute("VACUUM")

    async def close(self) -> None:
        """Close the connection (after the last use)."""
        await self._connection.close()


class Part:
    """One concern of the SQLite store (members, responses, reports, …) over the shared
    connection; `storage.sqlite.store.SQLiteStore` holds one of each."""

    def __init__(self, db: Database) -> None:
        self._db = db


async def open_connection(path: str | Path, *, create: bool = True) -> aiosqlite.Connection:
    """Open and migrate the database at `path` (":memory:" for tests), creating it if needed;
    with `create=False` (the command line, beside a running bot) an existing Doorstep database
    of this very version only: no file is ever made and its schema is never changed.

    Raises UnusableDatabase when the path cannot be used."""
    check_database(path, must_exist=not create)
    if create:
        _create_private_file(path)
        target, uri = str(path), False
    else:
        # SQLite's own guarantee: mode=rw opens an existing file and never creates one.
        target, uri = _uri(path, "rw"), True
    try:
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
        connection = await aiosqlite.connect(target, isolation_level=None, uri=uri)
    except sqlite3.Error as error:
        raise UnusableDatabase(f"cannot open the database {path}: {error}") from error
    try:
        with domain_errors():
            await _prepare(connection, upgrade=create)
    except BaseException:
        await connection.close()  # its worker thread would otherwise keep the process alive
        raise
    return connection


async def _prepare(connection: aiosqlite.Connection, *, upgrade: bool) -> None:
    """Pragmas for safety and concurrency, then the migrations and the response paths (or,
    without `upgrade`, a check that the database needs neither)."""
    for pragma in (
        "journal_mode = WAL",
        # WAL with NORMAL survives a crash of the process without losing a commit; only a
        # power cut can lose the last transactions, never corrupt the file.
        "synchronous = NORMAL",
        "foreign_keys = ON",
        # Deleted rows are overwritten with zeros, not left in free pages: after /forget the
        # file holds nothing of the member (their Telegram id, their words).
        "secure_delete = ON",
        f"busy_timeout = {BUSY_TIMEOUT_MS}",
    ):
        await connection.execute(f"PRAGMA {pragma}")
    if not upgrade:
        await _refuse_another_version(connection)
    await migrate(connection)
    await install_paths(connection)


async def _paths_installed(connection: aiosqlite.Connection) -> bool:
    """Whether the database holds exactly the views and triggers of `answer_path.sql`."""
    wanted = {definition.name: definition.sql for definition in path_definitions()}
    placeholders = ", ".join("?" * len(wanted))
    rows = await fetch_all(
        connection,
        f"SELECT name, sql FROM sqlite_master WHERE name IN ({placeholders})",
        list(wanted),
    )
    return {name: sql for name, sql in rows} == wanted  # noqa: C416 (rows are not pairs to mypy)


async def _refuse_another_version(connection: aiosqlite.Connection) -> None:
    """UnusableDatabase unless the database is exactly as this version of Doorstep leaves it: a
    command run beside a bot of another version must not migrate the schema under it, nor put
    its own answer path in place of the bot's."""
    version: int = (await fetch_all(connection, "PRAGMA user_version"))[0][0]
    expected = migrations()[-1][0]
    if version != expected or not await _paths_installed(connection):
        raise UnusableDatabase(
            f"the database is of another Doorstep version (schema {version}; this one makes"
            f" {expected}): run this command from the bot's own installation, or restart the"
            " bot on this version first"
        )


def check_database(path: str | Path, *, must_exist: bool) -> None:
    """Raise UnusableDatabase unless `path` is a SQLite database (of Doorstep's, when it must
    exist already) or, when it need not exist, a new file could be made there. Creates nothing."""
    if str(path) == ":memory:":
        return
    path = Path(path)
    if path.is_dir():
        raise UnusableDatabase(f"the database {path} is a folder, not a file")
    if not path.exists():
        if must_exist:
            raise UnusableDatabase(f"no database at {path}: check DOORSTEP_DATABASE")
        _check_creatable(path)
        return
    try:
        with closing(sqlite3.connect(_uri(path, "rw"), uri=True)) as connection:
            # The first read of the file's header: here a file that is not SQLite fails.
            (version,) = connection.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as error:
        raise UnusableDatabase(f"cannot use the database {path}: {error}") from error
    if must_exist and version == 0:
        raise UnusableDatabase(f"{path} is not a Doorstep database: the bot never ran on it")


def _check_creatable(path: Path) -> None:
    """A new database file can be made at `path`: its nearest existing folder is writable."""
    folder = path.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise UnusableDatabase(f"cannot create the database {path}: {folder} is not writable")


def _uri(path: str | Path, mode: str) -> str:
    """A SQLite URI for a file path (any character in the name is escaped)."""
    return f"{Path(path).absolute().as_uri()}?mode={mode}"


def _create_private_file(path: str | Path) -> None:
    """Members' answers are sensitive: a new database file is readable by its owner only."""
    if str(path) == ":memory:" or Path(path).exists():
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


@functools.cache
def migrations() -> tuple[tuple[int, str], ...]:
    """The bundled migrations as (version, SQL), in order (read once: they never change)."""
    found = []
    for entry in resources.files("storage.sqlite.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return tuple(sorted(found))


@dataclass(frozen=True)
class Definition:
    """A view or trigger of `answer_path.sql`: its kind, its name and its SQL as SQLite keeps
    it (from CREATE to the end, without the semicolon)."""

    kind: str
    name: str
    sql: str


@functools.cache
def path_definitions() -> tuple[Definition, ...]:
    """The views and triggers of `answer_path.sql`, in file order (read once)."""
    script = resources.files("storage.sqlite").joinpath("answer_path.sql").read_text("utf-8")
    definitions, statement = [], ""
    for line in script.splitlines(keepends=True):
        if not statement and (not line.strip() or line.lstrip().startswith("--")):
            continue  # comments between statements are not part of any
        statement += line
        if sqlite3.complete_statement(statement):
            match = _DEFINITION.match(statement)
            assert match is not None, f"not a view or trigger: {statement[:60]}"
            definitions.append(
                Definition(match.group(1).lower(), match.group(2), statement.strip().rstrip(";"))
            )
            statement = ""
    return tuple(definitions)


async def install_paths(connection: aiosqlite.Connection) -> None:
    """Make the database's views and triggers those of `answer_path.sql` (unless they are
    already: opening writes nothing then, beside a running bot)."""
    if await _paths_installed(connection):
        return
    wanted = path_definitions()
    drops = [f"DROP {d.kind.upper()} IF EXISTS {d.name};" for d in reversed(wanted)]
    creates = [f"{d.sql};" for d in wanted]
    # executescript commits first; the drops and creates run as one transaction.
    await connection.executescript("\n".join(["BEGIN;", *drops, *creates, "COMMIT;"]))


async def schema(connection: aiosqlite.Connection) -> str:
    """The tables and indexes as the migrations left them, as `schema.sql` shows them (the
    views and triggers are `answer_path.sql`'s)."""
    rows = await fetch_all(
        connection,
        "SELECT sql FROM sqlite_master WHERE type IN ('table', 'index') AND sql IS NOT NULL"
        " AND name NOT LIKE 'sqlite_%' ORDER BY tbl_name, type DESC, name",
    )
    return "".join(f"{sql};\n\n" for (sql,) in rows).rstrip() + "\n"


async def migrate(connection: aiosqlite.Connection) -> int:
    """Apply the migrations newer than `PRAGMA user_version`; return the version reached."""
    version: int = (await fetch_all(connection, "PRAGMA user_version"))[0][0]
    pending = [(number, sql) for number, sql in migrations() if number > version]
    if not pending:
        return version
    # As SQLite advises for rebuilding a table: foreign keys off (a table dropped to be rebuilt
    # must not cascade to the rows that refer to it), and checked before each commit.
    await connection.execute("PRAGMA foreign_keys = OFF")
    try:
        for number, sql in pending:
            # executescript commits first; the script and the version bump run as one transaction.
            await connection.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};")
            if await fetch_all(connection, "PRAGMA foreign_key_check"):
                await connection.rollback()
                raise sqlite3.IntegrityError(f"migration {number} breaks a foreign key")
            await connection.commit()
            version = number
    finally:
        await connection.execute("PRAGMA foreign_keys = ON")
    return version


def backup(source: str | Path, target: str | Path) -> int:
    """Copy a live database with SQLite's online backup API; returns the pages copied.

    The copy is taken in one step, under one read transaction: a consistent snapshot, while the
    bot goes on writing (WAL lets writers continue). The copy is created readable by its owner
    only, like the database. An existing target is refused rather than overwritten
    (FileExistsError); an unusable source raises UnusableDatabase.
    """
    check_database(source, must_exist=True)
    if Path(target).exists():
        raise FileExistsError(target)
    _create_private_file(target)
    with (
        closing(sqlite3.connect(_uri(source, "rw"), uri=True)) as live,
        closing(sqlite3.connect(target)) as copy,
    ):
        live.backup(copy)
        pages: int = copy.execute("PRAGMA page_count").fetchone()[0]
    return pages
