"""`may_edit`: a reply edits a message in place unless the bot's rate limiter prefers sends."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from telegram.ext import ContextTypes

from handlers.replies import PrefersSends, may_edit
from handlers.send_budget import SendBudget


class Preferring:
    """A limiter that says whether it prefers sends, and nothing else."""

    def __init__(self, sends: bool) -> None:
        self.sends = sends

    def prefers_sends(self) -> bool:
        return self.sends


def context_with(limiter: object) -> ContextTypes.DEFAULT_TYPE:
    """A callback context as far as `may_edit` reads it: the bot's rate limiter."""
    return cast(Any, SimpleNamespace(bot=SimpleNamespace(rate_limiter=limiter)))


@pytest.mark.parametrize(
    ("limiter", "editing"),
    [
        (None, True),  # no limiter
        (SendBudget(), True),  # the bot's, idle
        (Preferring(sends=False), True),
        (Preferring(sends=True), False),
    ],
    ids=["none", "send-budget", "idle", "busy"],
)
async def test_a_reply_edits_unless_the_limiter_prefers_sends(
    limiter: object, editing: bool
) -> None:
    assert may_edit(context_with(limiter)) is editing


def test_a_limiter_that_prefers_sends_is_recognised_by_its_method_alone() -> None:
    assert isinstance(Preferring(sends=True), PrefersSends)
    assert isinstance(SendBudget(), PrefersSends)
    assert not isinstance(object(), PrefersSends)
