"""Doorstep: the one wiring point. Settings, the Application, every handler, and the command line.

    python bot.py [run]             start the bot (long polling)
    python bot.py validate [PATH]   check survey files and report every problem
    python bot.py schema            print the JSON Schema of the survey format
    python bot.py export SURVEY --out FILE   write a survey's responses as CSV (offline)
    python bot.py backup PATH       copy the live database to PATH (safe while the bot runs)
    python bot.py forget TELEGRAM_ID   delete a member who asked outside the bot

Read this file top to bottom to find every entry point of the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import re
import secrets
import signal
import sqlite3
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseRateLimiter,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from handlers import errors, export, member, organiser, organiser_render, privacy, render
from handlers.notice import Notice, load_notice
from handlers.ordering import ChatOrderedUpdateProcessor
from handlers.services import SERVICES_KEY, Catalogue, Clock, Services, utc_now
from storage import reports
from storage.db import Database, backup, open_database
from surveys.loader import (
    SURVEY_SUFFIXES,
    FileProblem,
    LoadResult,
    parse_files,
    survey_json_schema,
)
from surveys.model import Survey

log = logging.getLogger("doorstep")

EXIT_INVALID_SURVEYS = 1
EXIT_BAD_SETTINGS = 2
EXIT_NOT_FOUND = 3
CLEAN_UP_LATER = "the database is busy: the bot's daily job will finish removing every trace"
NO_KEY = (
    "DOORSTEP_SECRET_KEY is not set and the bot has not made its key file yet: run this with"
    " the bot's settings"
)
# Updates handled at once (each chat's own updates always in order): enough to keep members from
# waiting on each other's Bot API round trips, few enough for one SQLite connection.
CONCURRENT_UPDATES = 32
TOKEN_PATTERN = re.compile(r"[0-9]{5,16}:[A-Za-z0-9_-]{30,64}")
DEFAULT_PRIVACY_NOTICE = Path(__file__).parent / "docs" / "privacy-notice.md"
# The retention job runs daily at this local time, when few members are answering.
RETENTION_TIME = dt.time(3, 30)


# --- settings ----------------------------------------------------------------------------------


class DatabaseSettings(BaseSettings):
    """What `backup` needs: where the database is (no token required)."""

    model_config = SettingsConfigDict(env_prefix="DOORSTEP_", env_file=".env", extra="ignore")

    database: Path = Field(Path("doorstep.db"), description="SQLite database file")


class SurveySettings(BaseSettings):
    """What `validate` needs: where the surveys are (no token required)."""

    model_config = SettingsConfigDict(env_prefix="DOORSTEP_", env_file=".env", extra="ignore")

    surveys: Path = Field(Path("surveys/library"), description="Folder of survey files")


class Settings(SurveySettings):
    """Everything the running bot reads from DOORSTEP_* variables (or a .env file)."""

    bot_token: SecretStr = Field(description="Bot token from @BotFather")
    api_base_url: str = "https://api.telegram.org/bot"
    database: Path = Path("doorstep.db")
    admins: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: str = "Europe/London"
    min_group_size: Annotated[int, Field(ge=2, le=100)] = 5
    secret_key: SecretStr | None = None
    privacy_notice: Path = DEFAULT_PRIVACY_NOTICE
    retention_days: Annotated[int, Field(ge=1, le=36500)] = 730
    rebuild_interval_minutes: Annotated[int, Field(ge=5, le=1440)] = 60

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, token: SecretStr) -> SecretStr:
        if not TOKEN_PATTERN.fullmatch(token.get_secret_value()):
            raise ValueError("does not look like a bot token")
        return token

    @field_validator("admins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        return value

    @field_validator("secret_key", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {name!r}") from error
        return name


def settings_problem(error: ValidationError) -> str:
    """One line naming the variable that is wrong, and where a token comes from."""
    first = error.errors()[0]
    variable = f"DOORSTEP_{str(first['loc'][0]).upper()}"
    if first["loc"][0] == "bot_token":
        state = "is not set" if first["type"] == "missing" else "is not a valid bot token"
        return f"{variable} {state}: create a bot with @BotFather in Telegram and set its token."
    return f"{variable} is invalid: {first['msg']}"


# --- surveys -----------------------------------------------------------------------------------


def read_surveys(path: Path) -> LoadResult:
    """Read one survey file, or every survey file in a folder, and validate them."""
    if not path.exists():
        return LoadResult(problems=[FileProblem(str(path), None, "", "no such file or folder")])
    files = (
        sorted(f for f in path.iterdir() if f.suffix in SURVEY_SUFFIXES)
        if path.is_dir()
        else [path]
    )
    if not files:
        return LoadResult(problems=[FileProblem(str(path), None, "", "no survey files here")])
    return parse_files((str(file), file.read_text(encoding="utf-8")) for file in files)


# --- the Application ---------------------------------------------------------------------------


def build_application(
    settings: Settings,
    surveys: LoadResult,
    *,
    request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter | None = None,
    clock: Clock = utc_now,
) -> Application:
    """The Application with every handler; `request` and `clock` are replaced in tests.

    Raises OSError or ValueError when the privacy notice cannot be read."""
    notice = load_notice(settings.privacy_notice, settings.retention_days)
    builder = (
        Application.builder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.api_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,  # render.py escapes for exactly this mode
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(rate_limiter or AIORateLimiter(max_retries=3))
        .concurrent_updates(ChatOrderedUpdateProcessor(CONCURRENT_UPDATES))
        .post_init(
            partial(_started, settings=settings, loaded=surveys.surveys, notice=notice, clock=clock)
        )
        .post_shutdown(_stopped)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()
    register_handlers(application)
    return application


def register_handlers(application: Application) -> None:
    """Every entry point of the bot. Groups run in order; within a group the first match wins."""
    private = filters.ChatType.PRIVATE
    new_messages = filters.UpdateType.MESSAGE  # edits of old answers are not new answers
    member_commands = {
        "start": member.start,
        "surveys": member.list_surveys,
        "help": member.help_command,
        "cancel": member.cancel,
        "skip": member.skip_command,
        "back": member.back_command,
        "privacy": privacy.privacy_command,
        "mydata": privacy.mydata_command,
        "withdraw": privacy.withdraw_command,
        "forget": privacy.forget_command,
    }
    for command, callback in member_commands.items():
        application.add_handler(CommandHandler(command, callback, filters=private & new_messages))
    # Member commands elsewhere get a pointer to the private chat and no data.
    application.add_handler(
        CommandHandler(list(member_commands), member.private_only, filters=~private)
    )
    # Organisers: in their groups, and administrators in private (each checks who may).
    organiser_commands = {
        "summary": organiser.summary_command,
        "register": organiser.register,
        "unregister": organiser.unregister,
        "register_channel": organiser.register_channel,
        "digest": organiser.digest_command,
        "export": organiser.export_command,
        "audit": organiser.audit_command,
    }
    for command, callback in organiser_commands.items():
        application.add_handler(CommandHandler(command, callback, filters=new_messages))
    application.add_handler(CallbackQueryHandler(organiser.report_button, pattern=r"^[rg]:"))
    application.add_handler(CallbackQueryHandler(member.button))
    application.add_handler(
        ChatMemberHandler(organiser.bot_membership, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, organiser.chat_migrated))
    # After the commands above: any other command, then plain text as an answer.
    application.add_handler(
        MessageHandler(private & new_messages & filters.COMMAND, member.unknown_command)
    )
    application.add_handler(
        MessageHandler(private & new_messages & filters.TEXT, member.typed_answer)
    )
    application.add_handler(
        MessageHandler(
            private & new_messages & ~filters.TEXT & ~filters.StatusUpdate.ALL, member.non_text
        )
    )
    application.add_error_handler(errors.on_error)


async def _started(
    application: Application,
    *,
    settings: Settings,
    loaded: list[Survey],
    notice: Notice,
    clock: Clock,
) -> None:
    """Open the database, record survey versions, schedule the jobs, set the command menu."""
    db = await open_database(settings.database)
    catalogue = Catalogue()
    await catalogue.register(db, loaded, clock())
    services = Services(
        db=db,
        catalogue=catalogue,
        timezone=ZoneInfo(settings.timezone),
        notice=notice,
        clock=clock,
        admins=settings.admins,
        min_group_size=settings.min_group_size,
        secret_key=secret_key(settings),
        retention_days=settings.retention_days,
        rebuild_interval=dt.timedelta(minutes=settings.rebuild_interval_minutes),
    )
    application.bot_data[SERVICES_KEY] = services
    await _recount_if_needed(db, catalogue)
    digests = await organiser.restore_digests(application, services)
    application.job_queue.run_daily(
        privacy.apply_retention,
        RETENTION_TIME.replace(tzinfo=services.timezone),
        name="retention",
    )
    if settings.privacy_notice.resolve() == DEFAULT_PRIVACY_NOTICE.resolve():
        log.warning(
            "members are shown the bundled privacy notice: write your own, naming your"
            " organisation and how to contact it, and set DOORSTEP_PRIVACY_NOTICE"
        )
    for commands, scope in (
        (render.PRIVATE_COMMANDS, BotCommandScopeAllPrivateChats()),
        (organiser_render.ORGANISER_COMMANDS, BotCommandScopeAllGroupChats()),
    ):
        await application.bot.set_my_commands(
            [BotCommand(name, text) for name, text in commands], scope=scope
        )
    ids = ", ".join(catalogue.current) or "none"
    log.info("loaded %d surveys: %s; %d digests scheduled", len(catalogue.current), ids, digests)


async def _recount_if_needed(db: Database, catalogue: Catalogue) -> None:
    """Count responses completed before the report totals existed (once, after upgrading)."""
    if not await reports.totals_stale(db):
        return
    completed = await reports.rebuild_totals(db, await catalogue.tally_counter(db))
    log.info("report totals rebuilt from %d completed responses", completed)


def secret_key(settings: Settings) -> bytes:
    """The key of respondents' pseudonyms: DOORSTEP_SECRET_KEY, or one generated at first start
    and kept beside the database, readable by its owner only (an in-memory database gets a key
    for the run)."""
    if str(settings.database) == ":memory:" and settings.secret_key is None:
        return secrets.token_bytes(32)
    key = existing_secret_key(settings)
    if key is not None:
        return key
    path = _key_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def existing_secret_key(settings: Settings) -> bytes | None:
    """The key the bot uses, if there is one yet (the command line never makes a new one: its
    codes would match no export)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = _key_file(settings)
    return path.read_text().strip().encode() if path.exists() else None


def _key_file(settings: Settings) -> Path:
    return settings.database.with_name(settings.database.name + ".key")


async def _stopped(application: Application) -> None:
    """Close the database after the last update."""
    services: Services | None = application.bot_data.get(SERVICES_KEY)
    if services is not None:
        await services.db.close()


# --- command line ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="bot.py", description="Doorstep: conversational member surveys on Telegram."
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="start the bot (the default)")
    validate = commands.add_parser("validate", help="check survey files, report every problem")
    validate.add_argument(
        "path", nargs="?", type=Path, help="a file or folder (default: DOORSTEP_SURVEYS)"
    )
    commands.add_parser("schema", help="print the JSON Schema of the survey format")
    export_parser = commands.add_parser("export", help="write a survey's responses as CSV")
    export_parser.add_argument("survey", help="the survey id")
    export_parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    backup_parser = commands.add_parser(
        "backup", help="copy the live database (safe while running)"
    )
    backup_parser.add_argument("path", type=Path, help="the copy to write (must not exist)")
    forget_parser = commands.add_parser(
        "forget", help="delete a member and their answers (a request made outside the bot)"
    )
    forget_parser.add_argument("telegram_id", type=int, help="the member's Telegram user id")
    arguments = parser.parse_args(argv)
    if arguments.command == "forget":
        return asyncio.run(forget_member_command(arguments.telegram_id))
    if arguments.command == "backup":
        return backup_command(arguments.path)
    if arguments.command == "export":
        return asyncio.run(export_command(arguments.survey, arguments.out))
    if arguments.command == "schema":
        print(json.dumps(survey_json_schema(), indent=2))
        return 0
    if arguments.command == "validate":
        return validate_command(arguments.path)
    return run_command()


def validate_command(path: Path | None) -> int:
    """Report every problem in the survey files; 0 if there are none."""
    result = read_surveys(path or SurveySettings().surveys)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if not result.ok:
        return EXIT_INVALID_SURVEYS
    print(f"{len(result.surveys)} surveys valid: {', '.join(s.id for s in result.surveys)}")
    return 0


def backup_command(path: Path) -> int:
    """Copy DOORSTEP_DATABASE to `path` with SQLite's online backup API."""
    source = DatabaseSettings().database
    if not source.exists():
        print(f"no database at {source}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    try:
        pages = backup(source, path)
    except FileExistsError:
        print(f"{path} exists already; choose a new file", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    print(f"backed up {source} to {path} ({pages} pages)")
    return 0


def offline_settings() -> tuple[Settings, bytes] | None:
    """The bot's settings and its pseudonym key, for a command run beside the bot; None (after
    saying why) when either is missing."""
    try:
        settings = Settings()
    except ValidationError as error:
        print(settings_problem(error), file=sys.stderr)
        return None
    key = existing_secret_key(settings)
    if key is None:
        print(NO_KEY, file=sys.stderr)
        return None
    return settings, key


async def export_command(survey_id: str, out: Path) -> int:
    """Write a survey's responses as the /export CSV, from the database, without Telegram."""
    offline = offline_settings()
    if offline is None:
        return EXIT_BAD_SETTINGS
    settings, key = offline
    surveys = {survey.id: survey for survey in read_surveys(settings.surveys).surveys}
    if survey_id not in surveys:
        print(f"no survey {survey_id!r} in {settings.surveys}", file=sys.stderr)
        return EXIT_INVALID_SURVEYS
    db = await open_database(settings.database)
    try:
        with out.open("w", encoding="utf-8", newline="") as stream:
            rows = await export.write_export(db, surveys[survey_id], key, stream)
    finally:
        await db.close()
    print(f"{rows} responses written to {out}")
    return 0


async def forget_member_command(telegram_id: int) -> int:
    """Do what /forget does, for a member who asked the operator (by email, or after blocking
    the bot). Safe while the bot runs."""
    offline = offline_settings()
    if offline is None:
        return EXIT_BAD_SETTINGS
    settings, key = offline
    db = await open_database(settings.database)
    try:
        forgotten = await privacy.forget(
            db,
            Catalogue(),  # the versions the member's responses were given to are in the database
            key,
            telegram_id,
            utc_now(),
            requested="by the operator",
        )
        cleaned = forgotten is not None and await _clean_up_beside_the_bot(db)
    finally:
        await db.close()
    if forgotten is None:
        print(f"no member with Telegram id {telegram_id}: nothing is held", file=sys.stderr)
        return EXIT_NOT_FOUND
    what = "the member and their" if forgotten.member_id is not None else "no member;"
    print(f"deleted {what} {forgotten.responses} responses; recorded in the audit log")
    if not cleaned:
        print(CLEAN_UP_LATER, file=sys.stderr)
    return 0


async def _clean_up_beside_the_bot(db: Database) -> bool:
    """Rebuild the file and truncate the log now, unless the running bot is using it (then its
    daily job does, as the deletion marked the file for it)."""
    try:
        return await privacy.clean_up(db, utc_now())
    except sqlite3.OperationalError:  # "database is locked": the bot was writing
        return False


def run_command() -> int:
    """Start the bot and poll until SIGINT or SIGTERM."""
    try:
        settings = Settings()
    except ValidationError as error:
        print(settings_problem(error), file=sys.stderr)
        return EXIT_BAD_SETTINGS
    surveys = read_surveys(settings.surveys)
    if not surveys.ok:
        for problem in surveys.problems:
            print(problem, file=sys.stderr)
        print("Doorstep will not start until the survey files are valid.", file=sys.stderr)
        return EXIT_INVALID_SURVEYS
    configure_logging()
    try:
        application = build_application(settings, surveys)
    except (OSError, ValueError) as error:
        print(
            f"DOORSTEP_PRIVACY_NOTICE: cannot use {settings.privacy_notice}: {error}",
            file=sys.stderr,
        )
        return EXIT_BAD_SETTINGS
    # Pending updates are kept (delivery is at least once); handling is idempotent.
    application.run_polling(
        allowed_updates=Update.ALL_TYPES,
        drop_pending_updates=False,
        stop_signals=(signal.SIGINT, signal.SIGTERM),
    )
    return 0


def configure_logging() -> None:
    """INFO logs say what happened, never what anyone wrote."""
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    # httpx logs every request URL at INFO, and the URL carries the bot token; the job
    # scheduler logs job names, which carry organiser chat ids.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
