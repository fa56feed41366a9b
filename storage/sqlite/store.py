"""The SQLite backend's store: one of each part over one connection (`storage.protocol`)."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from storage.protocol import Store
from storage.sqlite.audit import SQLiteAudit
from storage.sqlite.db import Database, open_connection
from storage.sqlite.export import SQLiteExport
from storage.sqlite.handled import SQLiteHandled
from storage.sqlite.members import SQLiteMembers
from storage.sqlite.organisers import SQLiteOrganisers
from storage.sqlite.privacy import SQLitePrivacy
from storage.sqlite.reach import SQLiteReach
from storage.sqlite.reports import SQLiteReports
from storage.sqlite.responses import SQLiteResponses
from storage.sqlite.versions import SQLiteVersions


class SQLiteStore(Database):
    """Everything Doorstep keeps, in one SQLite file: the database (its statements and
    transactions, for this backend's own tools and tests) with one part per concern."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        super().__init__(connection)
        self.members = SQLiteMembers(self)
        self.responses = SQLiteResponses(self)
        self.handled = SQLiteHandled(self)
        self.reports = SQLiteReports(self)
        self.organisers = SQLiteOrganisers(self)
        self.audit = SQLiteAudit(self)
        self.privacy = SQLitePrivacy(self)
        self.versions = SQLiteVersions(self)
        self.export = SQLiteExport(self)
        self.reach = SQLiteReach(self)


async def open_store(path: str | Path, *, create: bool = True) -> SQLiteStore:
    """Open (creating and migrating if need be) the database at `path` (":memory:" in tests);
    see `storage.sqlite.db.open_connection`."""
    return SQLiteStore(await open_connection(path, create=create))


def _is_a_store(store: SQLiteStore) -> Store:
    """Never called: the type checker proves here that the backend meets the protocol."""
    return store
