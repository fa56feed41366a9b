"""Start-up and logging: the command menu, what start-up logs, reaching Telegram (at start and
through an outage), and logs without content or the token."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from telegram.error import Conflict, InvalidToken, NetworkError
from telegram.ext import Application

import bot
from app.schedule import QuietHours
from handlers import connection
from tests.support.fake_telegram import BOT_USERNAME, UNREACHABLE, Failure, FakeBotApi
from tests.support.harness import TEST_TOKEN, BotHarness, MemberChat, settings_for


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
            *("privacy", "mydata", "stop", "withdraw", "forget"),
        },
        "all_group_chats": {"summary", "digest"},
    }
    for call in harness.api.calls_of("setMyCommands"):
        assert all(command["description"] for command in call.params["commands"])


@pytest.mark.parametrize(
    ("setting", "quiet_hours"),
    [("22:00-08:00", QuietHours(dt.time(22), dt.time(8))), ("off", None)],
)
async def test_the_running_bot_keeps_the_quiet_hours_setting(
    database: Path, setting: str, quiet_hours: QuietHours | None
) -> None:
    harness = await BotHarness.start(database, quiet_hours=setting)
    services = harness.application.bot_data[bot.SERVICES_KEY]
    await harness.stop()

    assert services.quiet_hours == quiet_hours


def logged(caplog: pytest.LogCaptureFixture, level: int, name: str = "doorstep") -> list[str]:
    """The messages one logger logged at one level."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == name and record.levelno == level
    ]


async def test_start_up_names_the_surveys_the_bot_and_each_open_surveys_link(
    database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="doorstep"):
        harness = await BotHarness.start(database)
        await harness.stop()

    assert logged(caplog, logging.INFO) == [
        "loaded 3 surveys: all-types, closed, quick-poll; 0 digests scheduled",
        f"running as @{BOT_USERNAME}",
        # "closed" has closed: no link
        f"survey all-types: https://t.me/{BOT_USERNAME}?start=all-types",
        f"survey quick-poll: https://t.me/{BOT_USERNAME}?start=quick-poll",
    ]


async def test_start_up_warns_when_no_administrator_is_set(
    database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="doorstep"):
        harness = await BotHarness.start(database)
        await harness.stop()
        administered = await BotHarness.start(database, admins=frozenset({1}))
        await administered.stop()

    about_admins = [line for line in logged(caplog, logging.WARNING) if "DOORSTEP_ADMINS" in line]
    assert about_admins == [
        "DOORSTEP_ADMINS is empty: nobody can register organiser chats, read reports in private"
        " or export; set it to your Telegram user id"
    ]


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
    """Put back the levels, handlers and filters `bot.configure_logging` sets, for the tests
    after."""
    names = ["", "httpx", "apscheduler"]
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = {handler: list(handler.filters) for handler in logging.getLogger().handlers}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger().handlers[:] = list(handlers)
    for handler, filters in handlers.items():
        handler.filters[:] = filters


def test_no_log_line_shows_the_token(logger_levels: None, caplog: pytest.LogCaptureFixture) -> None:
    secret = TEST_TOKEN.partition(":")[2]
    bot.configure_logging(TEST_TOKEN)

    with caplog.at_level(logging.DEBUG):
        # as httpx logs a request, and as PTB's InvalidToken says it, with its traceback
        logging.getLogger("httpx").warning("HTTP Request: POST %s", f"/bot{TEST_TOKEN}/getMe")
        try:
            raise InvalidToken(f"The token `{TEST_TOKEN}` was rejected by the server.")
        except InvalidToken:
            logging.getLogger("telegram.ext").exception("Invalid token. Aborting retry loop.")

    assert secret not in caplog.text
    assert "/bot123456789:[token]/getMe" in caplog.text
    assert "InvalidToken: The token `123456789:[token]` was rejected" in caplog.text


def test_the_scheduler_and_http_client_log_warnings_only(logger_levels: None) -> None:
    # httpx logs request URLs (with the token), the scheduler job names (with chat ids).
    for name in ("httpx", "apscheduler"):
        logging.getLogger(name).setLevel(logging.NOTSET)

    bot.configure_logging(TEST_TOKEN)

    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("apscheduler").level == logging.WARNING
    assert not logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.INFO)


# --- reaching Telegram --------------------------------------------------------------------------


@pytest.fixture
async def unstarted(database: Path) -> AsyncIterator[tuple[Application, FakeBotApi]]:
    """The real Application over the fake Bot API, built but not connected yet."""
    api = FakeBotApi()
    application = bot.build_application(
        settings_for(database), bot.read_surveys(settings_for(database).surveys), request=api
    )
    yield application, api
    await application.shutdown()


async def test_the_bot_keeps_trying_while_telegram_cannot_be_reached_then_connects(
    unstarted: tuple[Application, FakeBotApi], caplog: pytest.LogCaptureFixture
) -> None:
    application, api = unstarted
    api.fail_next("getMe", UNREACHABLE, times=3)

    with caplog.at_level(logging.INFO):
        connected = await connection.connect(application, [0.001] * 5, asyncio.Event())

    assert connected
    assert application.bot.username == BOT_USERNAME
    assert len(api.calls_of("getMe")) == 4
    retry = "cannot reach Telegram: httpx.ConnectError: All connection attempts failed"
    assert (
        logged(caplog, logging.WARNING, "handlers.connection")
        == [f"{retry}; retrying in 0.001 s"] * 3
    )
    assert not any(record.exc_info for record in caplog.records)


async def test_a_server_error_at_start_is_retried_too(
    unstarted: tuple[Application, FakeBotApi],
) -> None:
    application, api = unstarted
    api.fail_next("getMe", Failure(502, "Bad Gateway"))
    assert await connection.connect(application, [0.001], asyncio.Event())
    assert len(api.calls_of("getMe")) == 2


@pytest.mark.parametrize("status", [401, 404])
async def test_a_rejected_token_is_raised_at_once_without_retrying(
    unstarted: tuple[Application, FakeBotApi], status: int
) -> None:
    application, api = unstarted
    api.fail_next("getMe", Failure(status, "Unauthorized"))
    with pytest.raises(InvalidToken):
        await connection.connect(application, [0.001] * 5, asyncio.Event())
    assert len(api.calls_of("getMe")) == 1


async def test_a_stop_while_waiting_for_telegram_ends_the_wait(
    unstarted: tuple[Application, FakeBotApi],
) -> None:
    application, api = unstarted
    api.fail_next("getMe", UNREACHABLE, times=100)
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, stop.set)

    connected = await asyncio.wait_for(connection.connect(application, [60] * 5, stop), 5)

    assert not connected
    assert len(api.calls_of("getMe")) == 1


async def test_an_outage_while_polling_logs_one_warning_when_it_begins_and_one_info_at_its_end(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.api.fail_next("getUpdates", UNREACHABLE, times=4)
    harness.api.fail_next("getUpdates", Failure(502, "Bad Gateway"), times=2)

    with caplog.at_level(logging.DEBUG, logger="handlers.connection"):
        for _ in range(7):  # as the Updater polls: six failures, then an answer
            with suppress(NetworkError):
                await harness.application.bot.get_updates()
        for _ in range(2):  # polling as usual
            await harness.application.bot.get_updates()

    records = [r for r in caplog.records if r.name == "handlers.connection"]
    assert [(r.levelname, r.getMessage().split(";")[0]) for r in records] == [
        ("WARNING", "cannot reach Telegram: httpx.ConnectError: All connection attempts failed"),
        ("INFO", "Telegram reachable again after 0 s"),
    ]


def test_polling_errors_reach_the_log_only_when_telegram_refuses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="handlers.connection"):
        connection.refusal_while_polling(UNREACHABLE)  # the PollingWatch logs an outage
        connection.refusal_while_polling(NetworkError("Bad Gateway"))
        connection.refusal_while_polling(Conflict("terminated by other getUpdates request"))

    assert [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records] == [
        (
            "ERROR",
            "Telegram refused getUpdates: terminated by other getUpdates request; trying again",
            None,
        )
    ]
