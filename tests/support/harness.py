"""Drive the real Doorstep Application offline, as a member would.

`BotHarness` builds the Application from bot.py over a database file, with the fake Bot API and
fake clocks, and records every handler exception so that a test fails on any of them.
`MemberChat` sends messages and taps buttons, and reads what the chat shows; `GroupChat` does the
same for one person at a time in a group (an organiser chat), and tells the bot it was removed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseRateLimiter, ContextTypes

import bot
from app.notice import Notice
from handlers.organisers import milestones
from handlers.send_budget import SendBudget
from handlers.sender import SENDER_KEY, Sender
from storage.sqlite.store import SQLiteStore
from tests.support.fake_telegram import BOT_USER, FakeBotApi, ShownMessage, chat_member

TEST_TOKEN = "123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ"
SURVEYS = Path(__file__).parent / "surveys"
# The organisers' surveys live apart, so that the member tests' catalogue stays as it is.
ORGANISER_SURVEYS = Path(__file__).parent / "organiser_surveys"
_update_ids = itertools.count(1)


class FakeClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time on by a timedelta's keyword arguments."""
        self.now += dt.timedelta(**delta)


class PacedClock:
    """Flood control's clock (seconds): each reading is `step` seconds after the one before, as
    if each member update came that long after the last. A second by default, a human pace, so
    that only a test that sets a faster pace can flood."""

    def __init__(self, step: float = 1.0) -> None:
        self.step = step
        self.seconds = 0.0

    def __call__(self) -> float:
        self.seconds += self.step
        return self.seconds


def unthrottled() -> SendBudget:
    """The bot's send budget without Telegram's ceilings (30 messages a second overall, one a
    second per private chat, 20 a minute per group), which would only slow the tests; pauses
    after a RetryAfter are kept."""
    return SendBudget(overall_rate=0, per_chat_rate=0, group_per_minute=0)


def settings_for(database: Path, surveys: Path = SURVEYS, **overrides: Any) -> bot.Settings:
    """Settings for a test bot, ignoring the environment's .env file."""
    return bot.Settings(
        _env_file=None,
        bot_token=TEST_TOKEN,
        database=database,
        surveys=surveys,
        **overrides,
    )


def private_message(user_id: int, message_id: int, first_name: str = "Member") -> dict[str, Any]:
    """A message in a member's private chat, as the Bot API describes it (no content yet)."""
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": first_name},
        "from": {"id": user_id, "is_bot": False, "first_name": first_name},
    }


def text_update(
    user_id: int, message_id: int, text: str, first_name: str = "Member"
) -> dict[str, Any]:
    """The raw update of a private text message (a command if it starts with /)."""
    return _text_update(private_message(user_id, message_id, first_name), text)


def _text_update(message: dict[str, Any], text: str) -> dict[str, Any]:
    payload = {**message, "text": text}
    if text.startswith("/"):
        command = text.split()[0]
        payload["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": next(_update_ids), "message": payload}


@dataclass
class BotHarness:
    """A running Application over a database file, fed updates directly."""

    application: Application
    api: FakeBotApi
    clock: FakeClock
    flood_clock: PacedClock
    database: Path
    surveys: Path
    errors: list[BaseException] = field(default_factory=list)
    expected_errors: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    settling: bool = True  # `feed` waits for the background posts an update sets off

    @classmethod
    async def start(
        cls,
        database: Path,
        surveys: Path = SURVEYS,
        api: FakeBotApi | None = None,
        clock: FakeClock | None = None,
        flood_clock: PacedClock | None = None,
        rate_limiter: BaseRateLimiter[Any] | None = None,
        **settings: Any,
    ) -> BotHarness:
        """Build and start the Application as `python bot.py run` would, minus polling (with
        `rate_limiter`, by default `unthrottled()`)."""
        api = api or FakeBotApi()
        clock = clock or FakeClock()
        flood_clock = flood_clock or PacedClock()
        loaded = bot.read_surveys(surveys)
        assert loaded.ok, loaded.problems
        application = bot.build_application(
            settings_for(database, surveys, **settings),
            loaded,
            request=api,
            rate_limiter=rate_limiter or unthrottled(),
            clock=clock,
            flood_clock=flood_clock,
            background_sending=False,  # tests send invitations and reminders with `send_bulk`
        )
        harness = cls(application, api, clock, flood_clock, database, surveys, settings=settings)
        application.add_error_handler(harness._record_error)
        await application.initialize()
        await application.post_init(application)
        await application.start()
        return harness

    async def _record_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.errors.append(context.error)

    async def stop(self) -> None:
        """Stop as SIGTERM would: the database is closed after the last update."""
        await self.application.stop()
        await self.application.post_stop(self.application)
        await self.application.shutdown()
        await self.application.post_shutdown(self.application)

    async def restart(self) -> BotHarness:
        """Stop (failing on any handler error so far) and start anew over the same database,
        survey folder, settings, Bot API and clocks (and the default rate limiter), as after a
        crash or a deployment."""
        await self.stop()
        self.assert_no_errors()
        return await BotHarness.start(
            self.database,
            self.surveys,
            api=self.api,
            clock=self.clock,
            flood_clock=self.flood_clock,
            **self.settings,
        )

    def assert_no_errors(self) -> None:
        """Fail on any handler exception not announced with `expected_errors`."""
        unexpected = self.errors[self.expected_errors :]
        assert not unexpected, f"handler raised: {unexpected!r}"

    async def feed(self, data: dict[str, Any]) -> Update:
        """Process one raw update (JSON as Telegram sends it) to completion, with the organiser
        posts it set off in the background (milestones)."""
        update = Update.de_json(data, self.application.bot)
        await self.application.process_update(update)
        if self.settling:
            await self.settle()
        return update

    async def settle(self) -> None:
        """Wait for the background tasks that handlers started (see `handlers.organisers`)."""
        await milestones.finish_pending(self.application)

    async def send_bulk(self) -> None:
        """Let the bulk sender send every invitation and reminder it can now (in the running
        bot it does so in the background)."""
        sender: Sender = self.application.bot_data[SENDER_KEY]
        await sender.drain()

    def member(self, user_id: int = 424242, first_name: str = "Sam") -> MemberChat:
        """A member's private chat with the bot."""
        return MemberChat(self, user_id, first_name)

    def group(
        self,
        chat_id: int = -1001234567890,
        title: str = "Organisers",
        user_id: int = 424242,
        kind: str = "supergroup",
    ) -> GroupChat:
        """A group chat with the bot in it (defined in the fake Bot API), `user_id` speaking."""
        self.api.add_chat(chat_id, kind, title)
        return GroupChat(self, user_id, "Organiser", group_id=chat_id)

    @property
    def notice(self) -> Notice:
        """The privacy notice members are shown."""
        return self.application.bot_data[bot.SERVICES_KEY].notice

    @property
    def db(self) -> SQLiteStore:
        """The running bot's database (for checks the chat cannot show)."""
        return self.application.bot_data[bot.SERVICES_KEY].store

    async def rows(self, sql: str, *params: object) -> list[tuple]:
        """Rows of a query on the bot's database."""
        async with self.db.statement() as connection:
            return [tuple(row) for row in await connection.execute_fetchall(sql, params)]

    async def scalar(self, sql: str, *params: object) -> object:
        """The first value of a query's first row (None when there is no row)."""
        found = await self.rows(sql, *params)
        return found[0][0] if found else None

    async def count(self, table: str) -> int:
        """Rows in a table."""
        return await self.scalar(f"SELECT count(*) FROM {table}")

    async def answers_of(self, chat: MemberChat, survey_id: str = "all-types") -> dict:
        """The stored answers of a member's latest response to a survey."""
        response_id = await self.scalar(
            "SELECT r.id FROM responses r JOIN members m ON m.id = r.member_id"
            " WHERE m.telegram_id = ? AND r.survey_id = ? ORDER BY r.id DESC LIMIT 1",
            chat.user_id,
            survey_id,
        )
        response = await self.db.responses.get_response(response_id)
        return response.answers


@dataclass
class MemberChat:
    """One member in a private chat: sends, taps, and reads what the chat shows."""

    harness: BotHarness
    user_id: int
    first_name: str
    last_update: dict[str, Any] | None = None

    @property
    def chat_id(self) -> int:
        """The chat's id: a private chat's is the member's."""
        return self.user_id

    @property
    def user(self) -> dict[str, Any]:
        """The member as the Bot API describes them."""
        return {"id": self.user_id, "is_bot": False, "first_name": self.first_name}

    async def send(self, text: str) -> dict[str, Any]:
        """Send a text message (a command if it starts with /); returns the raw update."""
        message = self.harness.api.record_member_message(self.chat_id, text)
        update = self.message_update(message.message_id, text)
        self.last_update = update
        await self.harness.feed(update)
        return update

    def message_update(self, message_id: int, text: str) -> dict[str, Any]:
        """The raw update of a text message (a command if it starts with /), not yet sent."""
        return text_update(self.user_id, message_id, text, self.first_name)

    async def take_survey(self, survey_id: str, *answers: str) -> None:
        """Open a survey by its deep link (agreeing to the privacy notice if asked) and give
        `answers` in turn: one that labels a button of the latest message is tapped, anything
        else is typed (so "/skip" skips)."""
        await self.send(f"/start {survey_id}")
        if "I agree" in self.latest().labels():
            await self.tap("I agree")
        for answer in answers:
            if answer in self.latest().labels():
                await self.tap(answer, self.latest())
            else:
                await self.send(answer)

    async def send_other(self, kind: str) -> dict[str, Any]:
        """Send a non-text message: sticker, photo, voice or location."""
        message = self.harness.api.record_member_message(self.chat_id, f"[{kind}]")
        payload = self._message_json(message.message_id)
        payload.update(_NON_TEXT[kind])
        return await self._deliver({"message": payload})

    async def tap(
        self, label: str, message: ShownMessage | None = None, *, accessible: bool = True
    ) -> dict[str, Any]:
        """Tap the button labelled `label` on `message` (default: the latest with buttons);
        `accessible` as for `press`."""
        message = message or self.latest_with_buttons()
        button = next((b for b in message.buttons() if b["text"] == label), None)
        assert button is not None, f"no button {label!r} in {message.labels()}"
        return await self.press(button["callback_data"], message, accessible=accessible)

    async def press(
        self, data: str, message: ShownMessage | None = None, *, accessible: bool = True
    ) -> dict[str, Any]:
        """Send callback data, real or forged, from a message. Not `accessible`: Telegram no
        longer shows the bot the message (an old one), and sends only its chat and id, dated 0."""
        message = message or self.latest()
        shown = message.as_json()
        if not accessible:
            shown = {"message_id": shown["message_id"], "chat": shown["chat"], "date": 0}
        query = {
            "id": str(next(_update_ids) * 1000 + self.user_id % 1000),
            "from": self.user,
            "chat_instance": f"ci{self.user_id}",
            "data": data,
            "message": shown,
        }
        return await self._deliver({"callback_query": query})

    async def redeliver(self) -> None:
        """Telegram delivers the last update again (same update_id and content)."""
        assert self.last_update is not None
        await self.harness.feed(self.last_update)

    async def _deliver(self, body: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(_update_ids), **body}
        self.last_update = update
        await self.harness.feed(update)
        return update

    def _message_json(self, message_id: int) -> dict[str, Any]:
        return private_message(self.user_id, message_id, self.first_name)

    async def bot_status_becomes(self, status: str, old_status: str = "member") -> None:
        """Telegram tells the bot its own membership changed (my_chat_member): in a group "left"
        or "kicked" when it is removed; in a private chat "kicked" when the member blocks the
        bot and "member" when they unblock it."""
        change = {
            "chat": self.chat,
            "from": self.user,
            "date": int(time.time()),
            "old_chat_member": chat_member(BOT_USER, old_status),
            "new_chat_member": chat_member(BOT_USER, status),
        }
        await self._deliver({"my_chat_member": change})

    @property
    def chat(self) -> dict[str, Any]:
        """The chat as the Bot API describes it."""
        return self.harness.api.chat_json(self.chat_id)

    # --- what the chat shows ---

    def messages(self) -> list[ShownMessage]:
        """The bot's messages in this chat, oldest first."""
        return self.harness.api.messages(self.chat_id)

    def latest(self) -> ShownMessage:
        """The bot's latest message."""
        return self.messages()[-1]

    def latest_with_buttons(self) -> ShownMessage:
        """The bot's latest message that has buttons."""
        return next(m for m in reversed(self.messages()) if m.keyboard)

    def texts_since(self, count: int) -> list[str]:
        """Plain texts of the bot's messages after the first `count`."""
        return [m.plain for m in self.messages()[count:]]

    def callback_answers(self) -> list[dict[str, Any]]:
        """Parameters of every answerCallbackQuery call."""
        return [call.params for call in self.harness.api.calls_of("answerCallbackQuery")]


@dataclass
class GroupChat(MemberChat):
    """A group chat the bot is in, as one person in it (`user_id`) sends and taps."""

    group_id: int = 0

    @property
    def chat_id(self) -> int:
        """The group's id."""
        return self.group_id

    def speaker(self, user_id: int, first_name: str = "Organiser") -> GroupChat:
        """The same group, someone else speaking."""
        return dataclasses.replace(self, user_id=user_id, first_name=first_name, last_update=None)

    def message_update(self, message_id: int, text: str) -> dict[str, Any]:
        """The raw update of a text message in the group, not yet sent."""
        return _text_update(self._message_json(message_id), text)

    async def send_service(self, **content: Any) -> dict[str, Any]:
        """A service message in the group, e.g. `migrate_to_chat_id=` when it became a
        supergroup; returns the raw update."""
        message = self.harness.api.record_member_message(self.chat_id, "[service]")
        return await self._deliver(
            {"message": {**self._message_json(message.message_id), **content}}
        )

    def _message_json(self, message_id: int) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
        }


_NON_TEXT: dict[str, dict[str, Any]] = {
    "sticker": {
        "sticker": {
            "file_id": "s1",
            "file_unique_id": "su1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    },
    "photo": {"photo": [{"file_id": "p1", "file_unique_id": "pu1", "width": 90, "height": 90}]},
    "voice": {"voice": {"file_id": "v1", "file_unique_id": "vu1", "duration": 2}},
    "location": {"location": {"latitude": 51.5, "longitude": -0.12}},
}

__all__ = ["BOT_USER", "BotHarness", "FakeClock", "GroupChat", "MemberChat"]
