"""The privacy notice: the operator's Markdown file, rendered once for Telegram's HTML.

Operators write the notice as ordinary Markdown (headings, lists, bold, links). Telegram's HTML
knows only a few inline tags, so headings become bold lines, lists become bullet or numbered
lines, and anything else (raw HTML, images) is shown as plain, escaped text. `{retention_days}`
in the file is replaced by the setting, so the notice states the period the bot applies.

A member agrees to a text: the notice's version is a hash of what they are shown, stored with
their decision and carried by the agree button.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path
from typing import Any

import mistune

_BLANK_LINES = re.compile(r"\n{3,}")
_ITEM = "\x00"  # marks where a list item starts, until the list numbers or bullets it


@dataclass(frozen=True)
class Notice:
    """The notice as members read it."""

    text: str  # Telegram HTML
    version: str

    @classmethod
    def from_markdown(cls, markdown: str, retention_days: int) -> Notice:
        """Render the operator's Markdown; its version follows the rendered text."""
        rendered = _markdown(markdown.replace("{retention_days}", str(retention_days)))
        assert isinstance(rendered, str)  # with a renderer, not the syntax tree
        text = _BLANK_LINES.sub("\n\n", rendered).strip()
        if not text:
            raise ValueError("the privacy notice is empty")
        return cls(text, hashlib.sha256(text.encode()).hexdigest()[:12])


def load_notice(path: Path, retention_days: int) -> Notice:
    """The notice in the Markdown file at `path` (OSError or ValueError when unusable)."""
    return Notice.from_markdown(path.read_text(encoding="utf-8"), retention_days)


class _TelegramHTML(mistune.HTMLRenderer):
    """Markdown to the subset of HTML Telegram accepts: b, i, code, pre, a, blockquote."""

    def text(self, text: str) -> str:
        # An entity written in the Markdown (&copy;) is its character, escaped once.
        return escape(unescape(text), quote=False)

    def emphasis(self, text: str) -> str:
        return f"<i>{text}</i>"

    def strong(self, text: str) -> str:
        return f"<b>{text}</b>"

    def link(self, text: str, url: str, title: str | None = None) -> str:
        safe = self.sanitize_url(url)
        if safe == "#harmful-link":
            return text
        return f'<a href="{escape(safe)}">{text}</a>'

    def image(self, text: str, url: str, title: str | None = None) -> str:
        return text

    def linebreak(self) -> str:
        return "\n"

    def softbreak(self) -> str:
        return " "  # a line wrapped in the file is not a break in the message

    def paragraph(self, text: str) -> str:
        return f"{text}\n\n"

    def heading(self, text: str, level: int, **attrs: Any) -> str:
        return f"<b>{text}</b>\n\n"

    def thematic_break(self) -> str:
        return "\n"

    def block_code(self, code: str, info: str | None = None) -> str:
        return f"<pre>{escape(code, quote=False)}</pre>\n\n"

    def block_quote(self, text: str) -> str:
        # Telegram does not nest quotes: a quote inside a quote joins it.
        inner = text.replace("<blockquote>", "").replace("</blockquote>", "")
        return f"<blockquote>{inner.strip()}</blockquote>\n\n"

    def block_html(self, html: str) -> str:
        return f"{escape(html.strip(), quote=False)}\n\n"

    def list(self, text: str, ordered: bool, **attrs: Any) -> str:
        items = [item.strip() for item in text.split(_ITEM) if item.strip()]
        first = int(attrs.get("start") or 1)
        markers = [f"{first + n}." if ordered else "•" for n in range(len(items))]
        # A list nested in an item is indented under it.
        lines = [
            f"{marker} {item}".replace("\n", "\n    ")
            for marker, item in zip(markers, items, strict=True)
        ]
        return "\n" + "\n".join(lines) + "\n\n"

    def list_item(self, text: str) -> str:
        return f"{_ITEM}{text}"


_markdown = mistune.create_markdown(renderer=_TelegramHTML(escape=True))
