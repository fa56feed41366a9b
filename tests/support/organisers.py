"""The organisers' side of end-to-end tests: the bot over the organiser surveys, its people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telegram.ext import Job

from tests.support.harness import ORGANISER_SURVEYS, BotHarness

ADMIN = 1001  # in DOORSTEP_ADMINS
ORGANISER = 1002  # in the organisers' group, not an administrator
GROUP = -1001000000001
CHANNEL = -1002000000002


async def start_bot(database: Path, **settings: Any) -> BotHarness:
    """The bot over the organisers' surveys, with one administrator."""
    return await BotHarness.start(database, ORGANISER_SURVEYS, admins={ADMIN}, **settings)


def digest_jobs(harness: BotHarness) -> list[Job]:
    """The scheduled digests (the daily retention job aside)."""
    return [job for job in harness.application.job_queue.jobs() if job.name.startswith("digest")]
