"""What an operator keeps in the checkout never reaches git: settings, the database with the
files SQLite keeps beside it, its pseudonym key, backups and exports."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PRIVATE = [
    ".env",
    "doorstep.db",
    "doorstep.db-wal",
    "doorstep.db-shm",
    "doorstep.db-journal",
    "doorstep.db.key",
    "data/members.sqlite-wal",
    "data/members.sqlite-shm",
    "data/members.sqlite.key",
    "backup-2026-12-01.db",
    "census.csv",
    "exports/census-20261201.csv",
    "exports/notes.txt",
]
PROJECT = ["bot.py", "surveys/library/your-community.yaml", "docs/privacy-notice.md"]


def ignored(paths: list[str]) -> dict[str, bool]:
    """Whether git ignores each path (by .gitignore alone: the paths need not exist)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--verbose", "--non-matching", *paths],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    # One line per path: "SOURCE:LINE:PATTERN<TAB>PATH", with an empty source when none matched.
    return {line.split("\t")[1]: not line.startswith("::") for line in result.stdout.splitlines()}


def test_private_files_are_ignored_and_the_project_is_not() -> None:
    verdicts = ignored(PRIVATE + PROJECT)
    assert verdicts == {path: path in PRIVATE for path in PRIVATE + PROJECT}
