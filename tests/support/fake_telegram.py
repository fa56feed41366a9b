"""An offline Bot API: a `BaseRequest` that records every call and answers with valid Bot API JSON.

It keeps what each chat shows (messages with their current text and keyboard, edits applied), so
tests read like the conversation: "the member sees question 2", "the member taps Yes".
Failures (Forbidden, RetryAfter, any Bot API error) can be queued per method.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_ID = 7000000001
BOT_USERNAME = "doorstep_test_bot"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Doorstep", "username": BOT_USERNAME}


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]


@dataclass
class ShownMessage:
    """A message as the chat shows it now (after any edits)."""

    chat_id: int
    message_id: int
    text: str
    keyboard: list[list[dict[str, Any]]] = field(default_factory=list)
    from_bot: bool = True

    @property
    def plain(self) -> str:
        """The text as the member reads it (markup removed)."""
        return plain_text(self.text) if self.from_bot else self.text

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
            "chat": _chat(self.chat_id),
            "text": self.text,
        }
        if self.from_bot:
            data["from"] = BOT_USER
        if self.keyboard:
            data["reply_markup"] = {"inline_keyboard": self.keyboard}
        return data


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Member"}
    return {"id": chat_id, "type": "supergroup", "title": "Organisers"}


@dataclass
class Failure:
    """A Bot API error to return instead of a result."""

    status: int
    description: str
    retry_after: int | None = None

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
QUERY_TOO_OLD = Failure(
    400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


class FakeBotApi(BaseRequest):
    """The Bot API, offline: records calls, keeps chats, answers like Telegram."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.chats: dict[int, list[ShownMessage]] = {}
        self._next_message_id: dict[int, itertools.count] = {}
        self._failures: dict[str, list[Failure]] = {}
        self._answered_queries: set[str] = set()

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
        self.calls.append(Call(api_method, params))
        queued = self._failures.get(api_method)
        if queued:
            failure = queued.pop(0)
            return failure.status, failure.body()
        refusal = _refusal(params) or self._refusal_by_state(api_method, params)
        if refusal is not None:
            return refusal.status, refusal.body()
        result = self._result(api_method, params)
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
        return None

    # --- test controls ---

    def fail_next(self, method: str, failure: Failure, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail."""
        self._failures.setdefault(method, []).extend([failure] * times)

    def next_message_id(self, chat_id: int) -> int:
        """Message ids are one sequence per chat, shared by both sides, as in Telegram."""
        counter = self._next_message_id.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def record_member_message(self, chat_id: int, text: str) -> ShownMessage:
        """A message the member sends appears in the chat too."""
        message = ShownMessage(chat_id, self.next_message_id(chat_id), text, from_bot=False)
        self.chats.setdefault(chat_id, []).append(message)
        return message

    def messages(self, chat_id: int) -> list[ShownMessage]:
        """The bot's messages in a chat, oldest first."""
        return [m for m in self.chats.get(chat_id, []) if m.from_bot]

    def calls_of(self, method: str) -> list[Call]:
        """The calls of one Bot API method, oldest first."""
        return [call for call in self.calls if call.method == method]

    # --- answers ---

    def _find(self, chat_id: int, message_id: int) -> ShownMessage:
        return next(m for m in self.chats[chat_id] if m.message_id == message_id)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                **BOT_USER,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "sendMessage":
            return self._send(params).as_json()
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._edit(method, params).as_json()
        if method == "getUpdates":
            return []
        return True  # setMyCommands, answerCallbackQuery, deleteWebhook, ...

    def _send(self, params: dict[str, Any]) -> ShownMessage:
        chat_id = int(params["chat_id"])
        message = ShownMessage(
            chat_id, self.next_message_id(chat_id), params["text"], _keyboard(params)
        )
        self.chats.setdefault(chat_id, []).append(message)
        return message

    def _edit(self, method: str, params: dict[str, Any]) -> ShownMessage:
        message = self._find(int(params["chat_id"]), int(params["message_id"]))
        if method == "editMessageText":
            message.text = params["text"]
        message.keyboard = _keyboard(params)
        return message


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
    """What Telegram refuses: bad HTML, texts out of 1..4096, callback data out of 1..64 bytes."""
    text = params.get("text")
    if text is not None:
        problem = _html_problem(text) if params.get("parse_mode") == "HTML" else None
        if problem:
            return Failure(400, f"Bad Request: can't parse entities: {problem}")
        if not 1 <= len(plain_text(text).encode("utf-16-le")) // 2 <= 4096:
            return Failure(400, "Bad Request: message is too long")
    for button in (b for row in _keyboard(params) for b in row):
        data = button.get("callback_data")
        if data is not None and not 1 <= len(data.encode()) <= 64:
            return Failure(400, "Bad Request: BUTTON_DATA_INVALID")
    return None


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
