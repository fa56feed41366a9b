"""Fixtures for the organisers' end-to-end tests: their bot, and a registered group."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.harness import BotHarness, GroupChat
from tests.support.organisers import ADMIN, GROUP, ORGANISER, start_bot


@pytest.fixture
async def harness(database: Path) -> AsyncIterator[BotHarness]:
    """The organisers' bot; fails the test on any unexpected handler exception."""
    running = await start_bot(database)
    yield running
    await running.stop()
    running.assert_no_errors()


@pytest.fixture
async def organisers(harness: BotHarness) -> GroupChat:
    """A registered organisers' group that sees every response; an organiser speaks."""
    group = harness.group(GROUP, "Organisers", ADMIN)
    await group.send("/register")
    return group.speaker(ORGANISER)
