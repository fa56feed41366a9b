"""Doorstep: the one wiring point. Settings, the Application, every handler, and the command line.

    python bot.py [run]             start the bot (long polling)
    python bot.py validate [PATH]   check survey files and report every problem
    python bot.py schema            print the JSON Schema of the survey format
    python bot.py export SURVEY --out FILE   write a survey's responses as CSV (- for stdout)
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
import secrets
import signal
import sys
import textwrap
import time
import tomllib
from collections.abc import AsyncIterator, Coroutine, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import TextIO, TypeVar
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    BaseRateLimiter,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.helpers import create_deep_linked_url
from telegram.request import BaseRequest, HTTPXRequest

from app import export, reach, reports
from app import privacy as privacy_cases
from app.notice import Notice, load_notice
from app.services import Catalogue, Clock, Services, utc_now
from app.settings import (
    DEFAULT_PRIVACY_NOTICE,
    DatabaseSettings,
    DoorstepSettings,
    OfflineSettings,
    Settings,
    SurveySettings,
    settings_problem,
)
from handlers import buttons, commands, contact, conversation, errors, privacy
from handlers.commands import Audience
from handlers.connection import PollingWatch, connect, refusal_while_polling, retry_delays
from handlers.context import SERVICES_KEY, jobs
from handlers.flood import FloodGuard, Seconds
from handlers.ordering import ChatOrderedUpdateProcessor
from handlers.organisers import digests, milestones, registration
from handlers.organisers import reports as organiser_reports
from handlers.send_budget import SendBudget
from handlers.sender import SENDER_KEY, Sender
from storage.errors import Busy, StorageError, UnusableDatabase
from storage.protocol import Store
from storage.sqlite.db import backup, check_database
from storage.sqlite.store import open_store
from surveys.loader import (
    MAX_FILE_BYTES,
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
# With DOORSTEP_PAID_REPLIES, a reply is paid once it would wait longer than this for the free
# budget: well under CONCURRENT_UPDATES / 30 seconds (about one), the longest a reply can wait
# there, since each update being handled holds one reply at most. At a second, replies were
# seldom paid at a launch, and updates queued before the handlers, out of the budget's sight,
# while 30 were answered a second (bench/broadcast.py).
PAID_REPLY_AFTER = 0.5
# The retention job runs daily at this local time, when few members are answering.
RETENTION_TIME = dt.time(3, 30)


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
    contents = []
    for file in files:
        with file.open("rb") as stream:
            # One byte past the limit tells the loader a file is too big, without reading it all.
            contents.append((str(file), stream.read(MAX_FILE_BYTES + 1)))
    return parse_files(contents)


# --- the Application ---------------------------------------------------------------------------


def build_application(
    settings: Settings,
    surveys: LoadResult,
    *,
    request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter | None = None,
    clock: Clock = utc_now,
    flood_clock: Seconds = time.monotonic,
    background_sending: bool = True,
) -> Application:
    """The Application with every handler; `request` and the clocks are replaced in tests, and
    tests drive the bulk sender by hand (`background_sending=False`).

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
        .rate_limiter(rate_limiter or send_budget(settings))
        .concurrent_updates(ChatOrderedUpdateProcessor(CONCURRENT_UPDATES))
        .post_init(
            partial(
                _started,
                settings=settings,
                loaded=surveys.surveys,
                notice=notice,
                clock=clock,
                background_sending=background_sending,
            )
        )
        .post_stop(_stop_sending)
        .post_shutdown(_stopped)
    )
    if request is not None:
        builder = builder.request(request)
    # PTB's own getUpdates connection (one at a time), watched to log an outage once.
    polling = request or HTTPXRequest(connection_pool_size=1)
    builder = builder.get_updates_request(PollingWatch(polling))
    application = builder.build()
    register_handlers(application, FloodGuard(flood_clock))
    return application


def send_budget(settings: Settings) -> SendBudget:
    """Telegram's limits, with paid broadcasts at their rate where the settings allow them (for
    invitations and reminders, and for replies while they queue)."""
    paid = settings.paid_broadcast or settings.paid_replies
    return SendBudget(
        paid_rate=settings.paid_broadcast_rate if paid else 0,
        paid_replies=settings.paid_replies,
        paid_reply_after=PAID_REPLY_AFTER,
    )


def register_handlers(application: Application, flood_guard: FloodGuard) -> None:
    """Every entry point of the bot. Groups run in order; within a group the first match wins."""
    # First of all: a member sending faster than any person can is not heard for a moment.
    application.add_handler(TypeHandler(Update, flood_guard.check), group=-1)
    private = filters.ChatType.PRIVATE
    new_messages = filters.UpdateType.MESSAGE  # edits of old answers are not new answers
    # The answer path first: taps and typed answers are most updates, and no command handler
    # could take them (a typed answer is text that is not a command), so none is checked.
    application.add_handler(
        CallbackQueryHandler(organiser_reports.report_button, pattern=r"^[rg]:")
    )
    application.add_handler(CallbackQueryHandler(buttons.button))
    application.add_handler(
        MessageHandler(
            private & new_messages & filters.TEXT & ~filters.COMMAND, conversation.typed_answer
        )
    )
    # Every slash command, from the one table: member commands in private chats only, organiser
    # commands anywhere (each checks who may).
    for command in commands.COMMANDS:
        where = private & new_messages if command.audience is Audience.MEMBERS else new_messages
        application.add_handler(CommandHandler(command.name, command.callback, filters=where))
    # Member commands elsewhere get a pointer to the private chat and no data.
    member_commands = [command.name for command in commands.of(Audience.MEMBERS)]
    application.add_handler(
        CommandHandler(member_commands, conversation.private_only, filters=~private)
    )
    application.add_handler(
        ChatMemberHandler(contact.bot_membership, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(
        MessageHandler(filters.StatusUpdate.MIGRATE, registration.chat_migrated)
    )
    # After the commands above: any other command; then anything else a member sends.
    application.add_handler(
        MessageHandler(private & new_messages & filters.COMMAND, conversation.unknown_command)
    )
    application.add_handler(
        MessageHandler(
            private & new_messages & ~filters.TEXT & ~filters.StatusUpdate.ALL,
            conversation.non_text,
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
    background_sending: bool,
) -> None:
    """Open the database, record survey versions, schedule the jobs, set the command menu, and
    start the bulk sender (invitations and reminders)."""
    store = await open_store(settings.database)
    catalogue = Catalogue()
    await catalogue.register(store, loaded, clock())
    services = Services(
        store=store,
        catalogue=catalogue,
        timezone=ZoneInfo(settings.timezone),
        notice=notice,
        clock=clock,
        admins=settings.admins,
        min_group_size=settings.min_group_size,
        secret_key=secret_key(settings),
        retention_days=settings.retention_days,
        rebuild_interval=dt.timedelta(minutes=settings.rebuild_interval_minutes),
        quiet_hours=settings.quiet_hours,
    )
    application.bot_data[SERVICES_KEY] = services
    recounted = await reports.recount_if_needed(store, catalogue)
    if recounted is not None:
        log.info("report totals rebuilt from %d completed responses", recounted)
    scheduled = await digests.restore(application, services)
    jobs(application).run_daily(
        privacy.apply_retention,
        RETENTION_TIME.replace(tzinfo=services.timezone),
        name="retention",
    )
    if settings.privacy_notice.resolve() == DEFAULT_PRIVACY_NOTICE.resolve():
        log.warning(
            "members are shown the bundled privacy notice: write your own, naming your"
            " organisation and how to contact it, and set DOORSTEP_PRIVACY_NOTICE"
        )
    unknown = await reach.recover(services)
    if unknown:
        log.warning("%d invitations were in flight when the bot stopped: not sent again", unknown)
    paid_rate = settings.paid_broadcast_rate if settings.paid_broadcast else 0
    sender = application.bot_data[SENDER_KEY] = Sender(application, paid_rate=paid_rate)
    if background_sending:
        sender.start()
    for audience, scope in commands.MENU_SCOPES.items():
        await application.bot.set_my_commands(commands.menu(audience), scope=scope)
    ids = ", ".join(catalogue.current) or "none"
    log.info("loaded %d surveys: %s; %d digests scheduled", len(catalogue.current), ids, scheduled)
    _log_how_to_reach(application, services)


def _log_how_to_reach(application: Application, services: Services) -> None:
    """The bot's @username and each open survey's link, and who cannot use it."""
    username = application.bot.username
    log.info("running as @%s", username)
    for survey in services.catalogue.open_surveys(services.today()):
        log.info("survey %s: %s", survey.id, create_deep_linked_url(username, survey.id))
    if not services.admins:
        log.warning(
            "DOORSTEP_ADMINS is empty: nobody can register organiser chats, read reports in"
            " private or export; set it to your Telegram user id"
        )


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


def existing_secret_key(settings: OfflineSettings) -> bytes | None:
    """The key the bot uses, if there is one yet (the command line never makes a new one: its
    codes would match no export)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = _key_file(settings)
    return path.read_text().strip().encode() if path.exists() else None


def _key_file(settings: OfflineSettings) -> Path:
    return settings.database.with_name(settings.database.name + ".key")


async def _stop_sending(application: Application) -> None:
    """Stop the bulk sender while the bot can still reach Telegram: the batch in hand is sent
    and settled first."""
    sender: Sender | None = application.bot_data.get(SENDER_KEY)
    if sender is not None:
        await sender.stop()


async def _stopped(application: Application) -> None:
    """Close the database after the last update and the posts it set off (and the bulk sender,
    if it was not stopped yet)."""
    await _stop_sending(application)
    await milestones.finish_pending(application)
    services: Services | None = application.bot_data.get(SERVICES_KEY)
    if services is not None:
        await services.store.close()


# --- command line ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command; returns the exit status."""
    arguments = command_line().parse_args(argv)
    if arguments.command == "forget":
        return beside_the_bot(forget_member_command(arguments.telegram_id))
    if arguments.command == "backup":
        return backup_command(arguments.path)
    if arguments.command == "export":
        return beside_the_bot(export_command(arguments.survey, arguments.out))
    if arguments.command == "schema":
        print(json.dumps(survey_json_schema(), indent=2))
        return 0
    if arguments.command == "validate":
        return validate_command(arguments.path)
    return run_command()


def beside_the_bot(command: Coroutine[None, None, int]) -> int:
    """Run a command on the bot's database: a database that fails on the way (a full disk, a
    damaged file) is one line and exit status 2, not a traceback."""
    try:
        return asyncio.run(command)
    except StorageError as error:
        print(f"DOORSTEP_DATABASE: the database failed: {error}", file=sys.stderr)
        return EXIT_BAD_SETTINGS


def command_line() -> argparse.ArgumentParser:
    """The parser of every command, each with its description and exit statuses."""
    parser = argparse.ArgumentParser(
        prog="bot.py",
        description="Doorstep: conversational member surveys on Telegram.",
        epilog="Settings come from DOORSTEP_* variables or a .env file in the working directory."
        " `bot.py COMMAND --help` describes a command and its exit statuses.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _command(
        commands,
        "run",
        "start the bot (the default)",
        "Start the bot with long polling, until SIGINT (Ctrl-C) or SIGTERM.",
        {
            0: "stopped by a signal",
            1: "a survey file is invalid (every problem is printed)",
            2: "a setting is wrong, or the database or privacy notice cannot be used",
        },
    )
    validate = _command(
        commands,
        "validate",
        "check survey files, report every problem",
        "Check survey files and print every problem, each with its file, question and field.",
        {0: "every file is valid", 1: "a problem was found"},
    )
    validate.add_argument(
        "path", nargs="?", type=Path, help="a file or folder (default: DOORSTEP_SURVEYS)"
    )
    _command(
        commands,
        "schema",
        "print the JSON Schema of the survey format",
        "Print the JSON Schema of the survey format, for editors' autocompletion.",
        {0: "printed"},
    )
    export_parser = _command(
        commands,
        "export",
        "write a survey's responses as CSV",
        "Write a survey's responses as the CSV that /export sends, from the database, without"
        " Telegram (no bot token needed). A survey whose file was removed is exported by its"
        " newest stored version. Needs the bot's pseudonym key (DOORSTEP_SECRET_KEY or its key"
        " file).",
        {
            0: "written",
            1: "no such survey in the survey files or the database",
            2: "a setting, the pseudonym key, the database or --out cannot be used",
        },
    )
    export_parser.add_argument("survey", help="the survey id")
    export_parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="a new file (never overwritten; readable by you only), or - for standard output",
    )
    backup_parser = _command(
        commands,
        "backup",
        "copy the live database (safe while running)",
        "Copy DOORSTEP_DATABASE with SQLite's online backup: a consistent copy, safe while the"
        " bot runs. The copy is readable by you only.",
        {0: "copied", 2: "the database cannot be used, or PATH exists or cannot be written"},
    )
    backup_parser.add_argument("path", type=Path, help="the copy to write (must not exist)")
    forget_parser = _command(
        commands,
        "forget",
        "delete a member and their answers (a request made outside the bot)",
        "Do what /forget does, for a member who asked outside the bot: delete the member and"
        " every trace of their answers (no bot token needed; safe while the bot runs). Needs"
        " the bot's pseudonym key (DOORSTEP_SECRET_KEY or its key file).",
        {
            0: "deleted",
            2: "a setting, the pseudonym key or the database cannot be used",
            3: "no member with this id: nothing is held",
        },
    )
    forget_parser.add_argument("telegram_id", type=int, help="the member's Telegram user id")
    return parser


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    exit_statuses: dict[int, str],
) -> argparse.ArgumentParser:
    """A subcommand whose --help ends with its exit statuses."""
    usage = "the command line is wrong"  # argparse's own status for that
    own = exit_statuses.get(EXIT_BAD_SETTINGS)
    statuses = {**exit_statuses, EXIT_BAD_SETTINGS: f"{own}; or {usage}" if own else usage}
    lines = [f"  {status}  {meaning}" for status, meaning in sorted(statuses.items())]
    return commands.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description),
        epilog="exit status:\n" + "\n".join(lines),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def version() -> str:
    """Doorstep's version, from the installed package (or pyproject.toml in a bare checkout)."""
    try:
        return metadata.version("doorstep")
    except metadata.PackageNotFoundError:
        pyproject = Path(__file__).parent / "pyproject.toml"
        with suppress(OSError, tomllib.TOMLDecodeError, KeyError):
            declared: str = tomllib.loads(pyproject.read_text("utf-8"))["project"]["version"]
            return declared
        return "(version unknown)"


def validate_command(path: Path | None) -> int:
    """Report every problem in the survey files; 0 if there are none (a survey that has closed
    is only warned about)."""
    try:
        settings = SurveySettings()
    except ValidationError as error:
        print(settings_problem(error), file=sys.stderr)
        return EXIT_BAD_SETTINGS
    result = read_surveys(path or settings.surveys)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if not result.ok:
        return EXIT_INVALID_SURVEYS
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    for survey in result.surveys:
        if survey.closes is not None and survey.closes < today:
            print(
                f"warning: survey {survey.id!r} closed on {survey.closes}: members can no"
                " longer answer it",
                file=sys.stderr,
            )
    count = len(result.surveys)
    ids = ", ".join(survey.id for survey in result.surveys)
    print(f"{count} survey{'' if count == 1 else 's'} valid: {ids}")
    return 0


def backup_command(path: Path) -> int:
    """Copy DOORSTEP_DATABASE to `path` with SQLite's online backup API."""
    settings = read_settings(DatabaseSettings)
    if settings is None:
        return EXIT_BAD_SETTINGS
    source = settings.database
    try:
        pages = backup(source, path)
    except UnusableDatabase as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_SETTINGS
    except FileExistsError:
        print(f"{path} exists already; choose a new file", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    except OSError as error:
        print(f"cannot write {path}: {error.strerror or error}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    print(f"backed up {source} to {path} ({pages} pages)")
    return 0


SomeSettings = TypeVar("SomeSettings", bound=DoorstepSettings)


def read_settings(kind: type[SomeSettings]) -> SomeSettings | None:
    """A command's settings, or None after saying in one line what is wrong."""
    try:
        return kind()
    except ValidationError as error:
        print(settings_problem(error), file=sys.stderr)
        return None


def offline_settings() -> tuple[OfflineSettings, bytes] | None:
    """The bot's database and surveys settings and its pseudonym key, for a command run beside
    the bot (no token needed); None (after saying why) when either is wrong or missing."""
    settings = read_settings(OfflineSettings)
    if settings is None:
        return None
    key = existing_secret_key(settings)
    if key is None:
        print(NO_KEY, file=sys.stderr)
        return None
    return settings, key


@asynccontextmanager
async def existing_database(path: Path) -> AsyncIterator[Store | None]:
    """The bot's database, opened without ever creating one: None (after saying why in one
    line) when the path is not a usable Doorstep database."""
    try:
        store = await open_store(path, create=False)
    except UnusableDatabase as error:
        print(error, file=sys.stderr)
        yield None
        return
    try:
        yield store
    finally:
        await store.close()


@dataclass(frozen=True)
class OfflineDatabase:
    """What a command run beside the bot works with: the bot's settings, its pseudonym key, and
    its database, open."""

    settings: OfflineSettings
    key: bytes
    store: Store


@asynccontextmanager
async def offline_database() -> AsyncIterator[OfflineDatabase | None]:
    """The bot's settings, key and existing database for a command run beside the bot (no token
    needed); None, after saying why in one line, when any of them cannot be used."""
    offline = offline_settings()
    if offline is None:
        yield None
        return
    settings, key = offline
    async with existing_database(settings.database) as store:
        yield None if store is None else OfflineDatabase(settings, key, store)


async def export_command(survey_id: str, out: Path) -> int:
    """Write a survey's responses as the /export CSV, from the database, without Telegram."""
    async with offline_database() as offline:
        if offline is None:
            return EXIT_BAD_SETTINGS
        store, key, surveys = offline.store, offline.key, offline.settings.surveys
        survey = await _survey_to_export(store, survey_id, surveys)
        if survey is None:
            print(f"no survey {survey_id!r} in {surveys} or the database", file=sys.stderr)
            return EXIT_INVALID_SURVEYS
        if str(out) == "-":
            rows = await export.write_export(store, survey, key, sys.stdout)
            print(f"{rows} responses written to standard output", file=sys.stderr)
            return 0
        try:
            stream = _new_private_file(out)
        except OSError as error:
            print(_cannot_create(out, error), file=sys.stderr)
            return EXIT_BAD_SETTINGS
        with stream:
            rows = await export.write_export(store, survey, key, stream)
    print(f"{rows} responses written to {out}")
    return 0


async def _survey_to_export(store: Store, survey_id: str, surveys: Path) -> Survey | None:
    """The survey as its file has it now or, once the file is gone, by its newest stored
    version."""
    in_files = {survey.id: survey for survey in read_surveys(surveys).surveys}
    return in_files.get(survey_id) or await Catalogue().newest_stored(store, survey_id)


def _new_private_file(path: Path) -> TextIO:
    """A new file readable by its owner only, for writing CSV. Never an existing file, and never
    through a symbolic link (O_EXCL refuses any existing name, a link's too)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    return open(os.open(path, flags, 0o600), "w", encoding="utf-8", newline="")


def _cannot_create(path: Path, error: OSError) -> str:
    """Why a new file cannot be made at `path`, in one line."""
    if path.is_dir():
        return f"{path} is a folder: name a new file in it"
    if isinstance(error, FileExistsError):
        return f"{path} exists already; choose a new file"
    if isinstance(error, FileNotFoundError):
        return f"cannot create {path}: there is no folder {path.parent}"
    return f"cannot create {path}: {error.strerror or error}"


async def forget_member_command(telegram_id: int) -> int:
    """Do what /forget does, for a member who asked the operator (by email, or after blocking
    the bot). Safe while the bot runs."""
    async with offline_database() as offline:
        if offline is None:
            return EXIT_BAD_SETTINGS
        forgotten = await privacy_cases.forget(
            offline.store,
            Catalogue(),  # the versions the member's responses were given to are in the database
            offline.key,
            telegram_id,
            utc_now(),
            requested="by the operator",
        )
        cleaned = forgotten is not None and await _clean_up_beside_the_bot(offline.store)
    if forgotten is None:
        print(f"no member with Telegram id {telegram_id}: nothing is held", file=sys.stderr)
        return EXIT_NOT_FOUND
    what = "the member and their" if forgotten.member_id is not None else "no member;"
    print(f"deleted {what} {forgotten.responses} responses; recorded in the audit log")
    if not cleaned:
        print(CLEAN_UP_LATER, file=sys.stderr)
    return 0


async def _clean_up_beside_the_bot(store: Store) -> bool:
    """Rebuild the file and truncate the log now, unless the running bot is using it (then its
    daily job does, as the deletion marked the file for it)."""
    try:
        return await privacy_cases.clean_up(store, utc_now())
    except StorageError as error:  # the bot was writing, or the rebuild had no room
        if not isinstance(error, Busy):
            log.warning("the clean-up after the deletion failed: %s", error)
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
    try:
        check_database(settings.database, must_exist=False)
    except UnusableDatabase as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_SETTINGS
    token = settings.bot_token.get_secret_value()
    configure_logging(token)
    try:
        application = build_application(settings, surveys)
    except (OSError, ValueError) as error:
        print(
            f"DOORSTEP_PRIVACY_NOTICE: cannot use {settings.privacy_notice}: {error}",
            file=sys.stderr,
        )
        return EXIT_BAD_SETTINGS
    try:
        asyncio.run(serve(application, retry_delays()))
    except (TelegramError, OSError, StorageError) as error:
        print(redact(startup_problem(error, settings), token), file=sys.stderr)
        return EXIT_BAD_SETTINGS
    return 0


async def serve(application: Application, delays: Iterable[float]) -> None:
    """Connect to Telegram (trying again after each of `delays` while it cannot be reached),
    then poll until SIGINT or SIGTERM, and shut down in order, whenever the signal comes.

    What `Application.run_polling` does, but waiting for Telegram rather than failing at once,
    and with polling failures logged by handlers/connection.py (PTB logs a traceback per retry)."""
    updater = application.updater
    if updater is None:  # build_application always makes one
        raise ValueError("serve polls, and the Application was built without an Updater")
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    try:
        if not await connect(application, delays, stop):
            return
        if application.post_init is not None:  # as run_polling: the hook is optional
            await application.post_init(application)
        # Pending updates are kept (delivery is at least once); handling is idempotent.
        await updater.start_polling(
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
            bootstrap_retries=-1,  # Telegram answered a moment ago: a blip is worth waiting out
            error_callback=refusal_while_polling,
        )
        await application.start()
        await stop.wait()
    finally:
        if updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
            if application.post_stop is not None:  # as run_polling
                await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


def startup_problem(error: Exception, settings: Settings) -> str:
    """One line saying why the bot could not start."""
    if isinstance(error, InvalidToken):  # Telegram answers 401 or 404 to getMe
        return (
            "Telegram rejected DOORSTEP_BOT_TOKEN: check it with @BotFather"
            " (and DOORSTEP_API_BASE_URL, if you set it)."
        )
    if isinstance(error, TelegramError):
        return f"Telegram refused to start the bot: {error}"
    return f"DOORSTEP_DATABASE: cannot use {settings.database}: {error}"


def configure_logging(token: str) -> None:
    """INFO logs say what happened, never what anyone wrote; no log shows the token."""
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(TokenFilter(token))
    # httpx logs every request URL at INFO (the URL carries the token, hidden by the filter);
    # the job scheduler logs job names, which carry organiser chat ids.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def redact(text: str, token: str) -> str:
    """`text` with the token's secret part (after the bot id) hidden."""
    return text.replace(token.partition(":")[2], "[token]")


class TokenFilter(logging.Filter):
    """Hides the bot token in a record's message and traceback (PTB and httpx put it in URLs
    and in InvalidToken), before any handler formats the record."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record with the token hidden; never drop it."""
        record.msg, record.args = redact(record.getMessage(), self.token), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.token)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.token)
        return True


if __name__ == "__main__":
    sys.exit(main())
