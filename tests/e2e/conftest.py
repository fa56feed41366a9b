"""Fixtures for end-to-end conversations: a running bot over a fresh database file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.harness import BotHarness, MemberChat


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A database file that outlives one Application (for restarts)."""
    return tmp_path / "doorstep.db"


@pytest.fixture
async def harness(database: Path) -> AsyncIterator[BotHarness]:
    """The real Application, offline; fails the test on any unexpected handler exception."""
    running = await BotHarness.start(database)
    yield running
    await running.stop()
    running.assert_no_errors()


@pytest.fixture
async def member(harness: BotHarness) -> MemberChat:
    """A member who has agreed to the privacy notice."""
    chat = harness.member()
    await chat.send("/start")
    await chat.tap("I agree")
    return chat
