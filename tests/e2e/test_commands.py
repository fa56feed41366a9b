"""Every command of the table reaches its own callback, in the chats its audience uses."""

from __future__ import annotations

import pytest

from handlers import commands, render
from handlers.commands import Audience
from tests.support.harness import BotHarness


@pytest.mark.parametrize("command", [command.name for command in commands.COMMANDS])
async def test_no_command_of_the_table_is_answered_as_unknown_in_private(
    harness: BotHarness, command: str
) -> None:
    chat = harness.member()

    await chat.send(f"/{command}")

    assert render.UNKNOWN_COMMAND not in chat.texts_since(0)


@pytest.mark.parametrize("command", [command.name for command in commands.of(Audience.MEMBERS)])
async def test_every_member_command_in_a_group_points_to_the_private_chat(
    harness: BotHarness, command: str
) -> None:
    group = harness.group(user_id=424242)

    await group.send(f"/{command}")

    (reply,) = group.messages()
    assert reply.plain == f"{render.PRIVATE_ONLY} Open"
    assert await harness.count("members") == 0
