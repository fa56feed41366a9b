"""An offline Bot API: a `BaseRequest` that records every call and answers with valid Bot API JSON.

It keeps what each chat shows (messages with their current text and keyboard, edits applied, and
the photos and files the bot sent), so tests read like the conversation: "the member sees question
2", "the member taps Yes". Group chats and channels a test defines (`add_chat`) are described as
Telegram describes them; `getChat` and `getChatMember` answer from them. Failures (Forbidden,
RetryAfter, any Bot API error, or Telegram out of reach) can be queued per method, and per
chat. With `TelegramLimits`, it keeps Telegram's flood limits too, on the event loop's clock: a
call over a limit is refused with a 429 and `parameters.retry_after`, and counted. A member who
blocked the bot (`block`) gets nothing: every call to their chat is refused with a 403. Each call
records when it came (the event loop's time), so a benchmark can tell rates.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import math
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any

from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

BOT_ID = 7000000001
BOT_USERNAME = "doorstep_test_bot"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Doorstep", "username": BOT_USERNAME}


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded."""

    filename: str
    content: bytes


@dataclass
class Call:
    """One request the bot made, with the files it uploaded (by multipart part name), when it
    came (the event loop's time), and whether it was refused for being over the flood limits."""

    method: str
    params: dict[str, Any]
    files: dict[str, Upload] = field(default_factory=dict)
    at: float = 0.0
    over_limit: bool = False

    @property
    def chat_id(self) -> int | None:
        """The numeric chat the call names, if any."""
        return _chat_id(self.params)


@dataclass
class ShownMessage:
    """A message as the chat shows it now (after any edits). For a photo or a document, `text`
    is its caption and `file` the uploaded bytes."""

    chat_id: int
    message_id: int
    text: str
    keyboard: list[list[dict[str, Any]]] = field(default_factory=list)
    from_bot: bool = True
    chat: dict[str, Any] | None = None  # as the Bot API describes it (default: from the id)
    parse_mode: str | None = "HTML"
    kind: str = "text"  # or "photo", "document"
    file: Upload | None = None
    media_group_id: str | None = None

    @property
    def plain(self) -> str:
        """The text as the reader sees it (markup removed where it was parsed)."""
        parsed = self.from_bot and self.parse_mode == "HTML"
        return plain_text(self.text) if parsed else self.text

    def buttons(self) -> list[dict[str, Any]]:
        """Every inline button, row by row."""
        return [button for row in self.keyboard for button in row]

    def labels(self) -> list[str]:
        """The button labels, row by row."""
        return [button["text"] for button in self.buttons()]

    def as_json(self) -> dict[str, Any]:
        """The message as the Bot API would send it back."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": self.chat or _chat(self.chat_id),
        }
        if self.kind == "text":
            data["text"] = self.text
        else:
            data.update(_media_json(self))
        if self.from_bot:
            data["from"] = BOT_USER
        if self.keyboard:
            data["reply_markup"] = {"inline_keyboard": self.keyboard}
        return data


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Member"}
    return {"id": chat_id, "type": "supergroup", "title": "Organisers"}


def _media_json(message: ShownMessage) -> dict[str, Any]:
    """The photo or document part of a message, with its caption."""
    unique = f"{message.chat_id}_{message.message_id}"
    data: dict[str, Any] = {"caption": message.text} if message.text else {}
    if message.kind == "photo":
        data["photo"] = [
            {"file_id": f"p{unique}", "file_unique_id": f"pu{unique}", "width": 800, "height": 600}
        ]
    else:
        data["document"] = {
            "file_id": f"d{unique}",
            "file_unique_id": f"du{unique}",
            "file_name": message.file.filename,
            "file_size": len(message.file.content),
        }
    if message.media_group_id:
        data["media_group_id"] = message.media_group_id
    return data


@dataclass
class Failure:
    """A Bot API error to return instead of a result."""

    status: int
    description: str
    retry_after: float | None = None

    def body(self) -> bytes:
        """The error as the Bot API sends it."""
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return json.dumps(data).encode()


BLOCKED = Failure(403, "Forbidden: bot was blocked by the user")
CHAT_NOT_FOUND = Failure(400, "Bad Request: chat not found")
QUERY_TOO_OLD = Failure(
    400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
# What PTB's HTTPXRequest raises when nothing answers (no network, Telegram down).
UNREACHABLE = NetworkError("httpx.ConnectError: All connection attempts failed")


@dataclass(frozen=True)
class TelegramLimits:
    """Telegram's flood limits as the fake keeps them: token buckets of `rate` a second holding
    up to `burst` calls, one for the whole bot (paid broadcasts draw on their own instead) and
    one per chat (a private chat's, or a group's or channel's). Only calls that name a chat
    spend them, edits included. Telegram publishes rates, not bursts: these are guesses."""

    overall_rate: float = 30
    overall_burst: int = 3
    per_chat_rate: float = 1
    per_chat_burst: int = 3
    group_rate: float = 20 / 60
    group_burst: int = 20
    paid_rate: float = 1000
    paid_burst: int = 3
    retry_unit: float = 1.0  # retry_after is a whole number of these; the Bot API's: seconds

    def scaled(self, factor: float) -> TelegramLimits:
        """The same limits `factor` times as fast (retry_after as much shorter), for a benchmark
        that should not take Telegram's time."""
        return replace(
            self,
            overall_rate=self.overall_rate * factor,
            per_chat_rate=self.per_chat_rate * factor,
            group_rate=self.group_rate * factor,
            paid_rate=self.paid_rate * factor,
            retry_unit=self.retry_unit / factor,
        )


@dataclass
class _Bucket:
    """A token bucket: `rate` tokens a second, up to `burst`; it starts full."""

    rate: float
    burst: int
    tokens: float = field(init=False)
    checked: float = -math.inf

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def wait(self, now: float) -> float:
        """How long until it holds a token (0 when it does)."""
        self.tokens = min(self.burst, self.tokens + (now - self.checked) * self.rate)
        self.checked = now
        # A pace of exactly `rate` adds up to a hair under a token in floating point.
        return max(0.0, (1 - 1e-9 - self.tokens) / self.rate)

    def take(self) -> None:
        self.tokens -= 1


class _FloodControl:
    """Telegram's refusals of a bot that sends too fast (see `TelegramLimits`)."""

    def __init__(self, limits: TelegramLimits) -> None:
        self.limits = limits
        self.refusals = 0
        self._overall = _Bucket(limits.overall_rate, limits.overall_burst)
        self._paid = _Bucket(limits.paid_rate, limits.paid_burst)
        self._chats: dict[int | str, _Bucket] = {}

    def refusal(self, params: dict[str, Any]) -> Failure | None:
        """A 429 for a call over a limit (which spends nothing), or None: the call spent a
        token of each bucket it draws on."""
        chat = _chat_id(params) or params.get("chat_id")
        if chat is None:
            return None
        paid = params.get("allow_paid_broadcast") in (True, "true")
        buckets = [self._paid if paid else self._overall, self._chat(chat)]
        now = asyncio.get_running_loop().time()
        wait = max(bucket.wait(now) for bucket in buckets)
        if wait > 0:
            self.refusals += 1
            retry_after = math.ceil(wait / self.limits.retry_unit) * self.limits.retry_unit
            if retry_after.is_integer():
                retry_after = int(retry_after)  # as the Bot API writes it
            return Failure(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for bucket in buckets:
            bucket.take()
        return None

    def _chat(self, chat: int | str) -> _Bucket:
        if chat not in self._chats:
            private = isinstance(chat, int) and chat > 0
            rate, burst = (
                (self.limits.per_chat_rate, self.limits.per_chat_burst)
                if private
                else (self.limits.group_rate, self.limits.group_burst)
            )
            self._chats[chat] = _Bucket(rate, burst)
        return self._chats[chat]


class FakeBotApi(BaseRequest):
    """The Bot API, offline: records calls, keeps chats, answers like Telegram; with `limits`,
    refuses calls over Telegram's flood limits (`refusals` counts them)."""

    def __init__(self, limits: TelegramLimits | None = None) -> None:
        self.calls: list[Call] = []
        self._flood_control = _FloodControl(limits) if limits else None
        self.chats: dict[int, list[ShownMessage]] = {}
        self._next_message_id: dict[int, itertools.count] = {}
        # by method and chat
        self._failures: dict[tuple[str, int | None], list[Failure | NetworkError]] = {}
        self._answered_queries: set[str] = set()
        self._known_chats: dict[int, dict[str, Any]] = {}
        self._bot_members: dict[int, dict[str, Any]] = {}
        self._media_groups = itertools.count(1)
        self._held: dict[int, asyncio.Event] = {}  # chats whose calls wait to be released
        self._blocked: set[int] = set()  # members who blocked the bot

    # --- BaseRequest ---

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float:
        """Required by BaseRequest; nothing here waits."""
        return 1.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answer one Bot API request."""
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        files = _uploads(request_data)
        held = self._held.get(_chat_id(params) or 0)
        if held is not None:
            await held.wait()
        call = Call(api_method, params, files, at=asyncio.get_running_loop().time())
        self.calls.append(call)
        over_limit = self._flood_control and self._flood_control.refusal(params)
        if over_limit:
            call.over_limit = True
            return over_limit.status, over_limit.body()
        if _chat_id(params) in self._blocked:
            return BLOCKED.status, BLOCKED.body()
        queued = self._failures.get((api_method, _chat_id(params))) or self._failures.get(
            (api_method, None)
        )
        if queued:
            failure = queued.pop(0)
            if isinstance(failure, NetworkError):
                raise failure
            return failure.status, failure.body()
        refusal = _refusal(params) or self._refusal_by_state(api_method, params)
        if refusal is not None:
            return refusal.status, refusal.body()
        result = self._result(api_method, params, files)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _refusal_by_state(self, method: str, params: dict[str, Any]) -> Failure | None:
        """What Telegram refuses given what happened before: a second answer, a void edit."""
        if method == "answerCallbackQuery":
            if params["callback_query_id"] in self._answered_queries:
                return QUERY_TOO_OLD
            self._answered_queries.add(params["callback_query_id"])
        if method == "editMessageText":
            shown = self._find(int(params["chat_id"]), int(params["message_id"]))
            if shown.text == params["text"] and shown.keyboard == _keyboard(params):
                return Failure(
                    400,
                    "Bad Request: message is not modified: specified new "
                    "message content and reply markup are exactly the same",
                )
        if method in ("getChat", "getChatMember") and self._known(params["chat_id"]) is None:
            return CHAT_NOT_FOUND
        return None

    @property
    def refusals(self) -> int:
        """The 429s given for calls over the flood limits."""
        return self._flood_control.refusals if self._flood_control else 0

    # --- test controls ---

    def hold(self, chat_id: int) -> None:
        """Keep every call to a chat waiting (as a slow or rate-limited chat would) until
        `release`."""
        self._held[chat_id] = asyncio.Event()

    def release(self, chat_id: int) -> None:
        """Let a held chat's calls through."""
        self._held.pop(chat_id).set()

    def block(self, chat_id: int) -> None:
        """The member blocks the bot: from now on every call to their chat is refused with 403
        "Forbidden: bot was blocked by the user" (after the flood limits, which it spends)."""
        self._blocked.add(chat_id)

    def fail_next(
        self,
        method: str,
        failure: Failure | NetworkError,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (only those to `chat_id`, if given) fail:
        answer `failure`, or raise it as the connection does when Telegram cannot be reached."""
        self._failures.setdefault((method, chat_id), []).extend([failure] * times)

    def add_chat(
        self, chat_id: int, kind: str = "supergroup", title: str = "Organisers", **extra: Any
    ) -> dict[str, Any]:
        """Define a group, supergroup or channel (`username=` to find it by @name); returns the
        chat as the Bot API describes it. Chats nobody defined are "not found" to getChat."""
        chat = {"id": chat_id, "type": kind, "title": title, **extra}
        self._known_chats[chat_id] = chat
        return chat

    def set_bot_member(
        self, chat_id: int, status: str = "administrator", *, can_post_messages: bool = True
    ) -> None:
        """What getChatMember says of the bot in a chat (by default it is not a member)."""
        self._bot_members[chat_id] = chat_member(
            BOT_USER, status, can_post_messages=can_post_messages
        )

    def chat_json(self, chat_id: int) -> dict[str, Any]:
        """A chat as the Bot API describes it in messages and updates."""
        return self._known_chats.get(chat_id) or _chat(chat_id)

    def next_message_id(self, chat_id: int) -> int:
        """Message ids are one sequence per chat, shared by both sides, as in Telegram."""
        counter = self._next_message_id.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def record_member_message(self, chat_id: int, text: str) -> ShownMessage:
        """A message the member sends appears in the chat too."""
        message = ShownMessage(
            chat_id,
            self.next_message_id(chat_id),
            text,
            from_bot=False,
            chat=self.chat_json(chat_id),
        )
        self.chats.setdefault(chat_id, []).append(message)
        return message

    def messages(self, chat_id: int) -> list[ShownMessage]:
        """The bot's messages in a chat, oldest first."""
        return [m for m in self.chats.get(chat_id, []) if m.from_bot]

    def chat_bound_calls(self, chat_id: int) -> list[Call]:
        """The calls that spend Telegram's send budget in one chat (sends and edits; not
        answerCallbackQuery, which names no chat)."""
        return [call for call in self.calls if call.chat_id == chat_id]

    def calls_of(self, method: str) -> list[Call]:
        """The calls of one Bot API method, oldest first."""
        return [call for call in self.calls if call.method == method]

    # --- answers ---

    def _find(self, chat_id: int, message_id: int) -> ShownMessage:
        return next(m for m in self.chats[chat_id] if m.message_id == message_id)

    def _known(self, chat_id: int | str) -> dict[str, Any] | None:
        """A defined chat, by id or by @username."""
        for chat in self._known_chats.values():
            if str(chat_id) in (str(chat["id"]), f"@{chat.get('username')}"):
                return chat
        return None

    def _result(self, method: str, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        if method == "getMe":
            return {
                **BOT_USER,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "sendMessage":
            return self._send(params).as_json()
        if method in ("sendPhoto", "sendDocument"):
            kind = method.removeprefix("send").lower()
            return self._send(params, kind, files[kind], params.get("caption", "")).as_json()
        if method == "sendMediaGroup":
            return self._send_album(params, files)
        if method == "getChat":
            return {**self._known(params["chat_id"]), **_FULL_INFO}
        if method == "getChatMember":
            chat_id = self._known(params["chat_id"])["id"]
            return self._bot_members.get(chat_id, {"status": "left", "user": BOT_USER})
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._edit(method, params).as_json()
        if method == "getUpdates":
            return []
        return True  # setMyCommands, answerCallbackQuery, deleteWebhook, ...

    def _send(
        self,
        params: dict[str, Any],
        kind: str = "text",
        file: Upload | None = None,
        text: str | None = None,
        media_group_id: str | None = None,
    ) -> ShownMessage:
        chat_id = int(params["chat_id"])
        message = ShownMessage(
            chat_id,
            self.next_message_id(chat_id),
            params["text"] if text is None else text,
            _keyboard(params),
            chat=self.chat_json(chat_id),
            parse_mode=params.get("parse_mode"),
            kind=kind,
            file=file,
            media_group_id=media_group_id,
        )
        self.chats.setdefault(chat_id, []).append(message)
        return message

    def _send_album(self, params: dict[str, Any], files: dict[str, Upload]) -> list[dict[str, Any]]:
        album = f"album{next(self._media_groups)}"
        return [
            self._send(
                {"chat_id": params["chat_id"], "parse_mode": item.get("parse_mode")},
                item["type"],
                files[item["media"].removeprefix("attach://")],
                item.get("caption", ""),
                album,
            ).as_json()
            for item in params["media"]
        ]

    def _edit(self, method: str, params: dict[str, Any]) -> ShownMessage:
        message = self._find(int(params["chat_id"]), int(params["message_id"]))
        if method == "editMessageText":
            message.text = params["text"]
        message.keyboard = _keyboard(params)
        return message


def _chat_id(params: dict[str, Any]) -> int | None:
    """The numeric chat a call names, if any."""
    chat_id = params.get("chat_id")
    return int(chat_id) if str(chat_id).lstrip("-").isdigit() else None


def _keyboard(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    return (markup or {}).get("inline_keyboard", [])


_TAG = re.compile(
    r"<(/?)(b|strong|i|em|u|ins|s|strike|del|a|code|pre|tg-spoiler|blockquote)(\s[^<>]*)?>"
)
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


def _refusal(params: dict[str, Any]) -> Failure | None:
    """What Telegram refuses: bad HTML, texts out of 1..4096 and captions over 1024 characters,
    albums out of 2..10 photos, callback data out of 1..64 bytes."""
    album = params.get("media") if isinstance(params.get("media"), list) else []
    if album and not 2 <= len(album) <= 10:
        return Failure(400, "Bad Request: media group must include 2-10 items")
    # (text, its parse mode, shortest, longest, what Telegram says when it is too long)
    texts = [(params.get("text"), params.get("parse_mode"), 1, 4096, "message is too long")]
    texts += [
        (item.get("caption"), item.get("parse_mode"), 0, 1024, "message caption is too long")
        for item in [params, *album]
    ]
    for text, parse_mode, shortest, longest, too_long in texts:
        if text is None:
            continue
        problem = _html_problem(text) if parse_mode == "HTML" else None
        if problem:
            return Failure(400, f"Bad Request: can't parse entities: {problem}")
        shown = plain_text(text) if parse_mode == "HTML" else text
        if not shortest <= len(shown.encode("utf-16-le")) // 2 <= longest:
            return Failure(400, f"Bad Request: {too_long}")
    for button in (b for row in _keyboard(params) for b in row):
        data = button.get("callback_data")
        if data is not None and not 1 <= len(data.encode()) <= 64:
            return Failure(400, "Bad Request: BUTTON_DATA_INVALID")
    return None


def chat_member(
    user: dict[str, Any], status: str, *, can_post_messages: bool = True
) -> dict[str, Any]:
    """A ChatMember as the Bot API describes it; an administrator has few rights but may post."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "administrator":
        member.update(dict.fromkeys(_ADMIN_RIGHTS, False))
        member.update(can_manage_chat=True, can_post_messages=can_post_messages)
    if status == "kicked":
        member["until_date"] = 0  # for ever
    return member


def _uploads(request_data: RequestData | None) -> dict[str, Upload]:
    """The files of a multipart request, by part name."""
    if request_data is None or not request_data.contains_files:
        return {}
    uploads = {}
    for name, (filename, content, _mimetype) in request_data.multipart_data.items():
        data = content.read() if hasattr(content, "read") else content
        uploads[name] = Upload(filename, data)
    return uploads


# What getChat adds to a chat, and the rights an administrator is described with.
_FULL_INFO = {
    "accent_color_id": 0,
    "max_reaction_count": 11,
    "accepted_gift_types": dict.fromkeys(
        (
            "unlimited_gifts",
            "limited_gifts",
            "unique_gifts",
            "premium_subscription",
            "gifts_from_channels",
        ),
        False,
    ),
}
_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def _html_problem(text: str) -> str | None:
    """Why Telegram's HTML parser would refuse `text`, or None."""
    open_tags: list[str] = []
    for match in _TAG.finditer(text):
        closing, name = match.group(1), match.group(2)
        if not closing:
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            return f"unmatched end tag {name}"
    if open_tags:
        return f"unclosed tag {open_tags[-1]}"
    rest = _ENTITY.sub("", _TAG.sub("", text))
    if "<" in rest or "&" in rest:
        return "unsupported start tag or unescaped character"
    return None


def plain_text(text: str) -> str:
    """What the member reads: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", text))
