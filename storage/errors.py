"""What can go wrong in storage, in the domain's terms: every backend maps its driver's errors
to these, so that no caller catches a driver's exception."""

from __future__ import annotations


class StorageError(Exception):
    """The database failed (a disk error, a corrupt file, a broken constraint)."""


class Busy(StorageError):
    """Another process holds the database (a backup, a shell, a second bot): try again later."""


class UnusableDatabase(StorageError):
    """The database cannot be used at all (a folder, not a database, unreadable, missing); the
    message says why in plain words, naming where."""


class Stale(Exception):
    """An update acts on a state that has moved on, or was handled before: change nothing.

    Raised inside a backend to roll a transaction back; the store's methods return None (or
    False) instead, so callers never see it."""
