"""Start-up and logging: the command menu, the survey log line, and logs without content."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import bot
from tests.support.fake_telegram import Failure
from tests.support.harness import BotHarness, MemberChat


async def test_members_and_organiser_groups_each_get_their_command_menu(
    harness: BotHarness,
) -> None:
    menus = {
        call.params["scope"]["type"]: {command["command"] for command in call.params["commands"]}
        for call in harness.api.calls_of("setMyCommands")
    }

    assert menus == {
        "all_private_chats": {
            *("start", "surveys", "back", "skip", "cancel", "help"),
            *("privacy", "mydata", "withdraw", "forget"),
        },
        "all_group_chats": {"summary", "digest"},
    }
    for call in harness.api.calls_of("setMyCommands"):
        assert all(command["description"] for command in call.params["commands"])


async def test_one_log_line_names_the_loaded_surveys(
    database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="doorstep"):
        harness = await BotHarness.start(database)
        await harness.stop()

    lines = [
        record.getMessage()
        for record in caplog.records
        if record.name == "doorstep" and record.levelno == logging.INFO
    ]
    assert lines == ["loaded 3 surveys: all-types, closed, quick-poll; 0 digests scheduled"]


async def test_info_logs_carry_no_message_text_or_answers(
    harness: BotHarness, member: MemberChat, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "my-landlord-is-Mr-Smith"
    with caplog.at_level(logging.DEBUG):
        await member.send("/start all-types")
        await member.tap("South_under [x]")
        await member.tap("Yes")
        await member.send(secret)
        harness.api.fail_next("sendMessage", Failure(400, "Bad Request: something new"))
        await member.send("/back")
    harness.expected_errors = 1

    logged = "\n".join(
        record.getMessage() + (record.exc_text or "")
        for record in caplog.records
        if record.levelno >= logging.INFO
    )
    assert "error while handling update" in logged  # the failure was logged...
    assert secret not in logged  # ...without what the member wrote
    assert "South_under" not in logged
    assert str(member.user_id) not in logged  # ...or who they are


@pytest.fixture
def logger_levels() -> Iterator[None]:
    """Put back the levels and handlers `bot.configure_logging` sets, for the tests after."""
    names = ["", "httpx", "apscheduler"]
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(logging.getLogger().handlers)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger().handlers[:] = handlers


def test_the_scheduler_and_http_client_log_warnings_only(logger_levels: None) -> None:
    # httpx logs request URLs (with the token), the scheduler job names (with chat ids).
    for name in ("httpx", "apscheduler"):
        logging.getLogger(name).setLevel(logging.NOTSET)

    bot.configure_logging()

    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("apscheduler").level == logging.WARNING
    assert not logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.INFO)
