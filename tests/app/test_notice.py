"""The privacy notice: the operator's Markdown rendered as the HTML subset Telegram accepts."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.notice import Notice, load_notice
from handlers.render import split_message

BUNDLED = Path(__file__).parents[2] / "docs" / "privacy-notice.md"
TELEGRAM_TAGS = {"b", "i", "a", "code", "pre", "blockquote"}
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


class _TelegramHTMLCheck(HTMLParser):
    """Collects what Telegram's HTML parse mode would refuse."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"tag <{tag}>")
        names = [name for name, _ in attrs]
        if names != (["href"] if tag == "a" else []):
            self.problems.append(f"attributes {names} on <{tag}>")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
            return
        self.open.pop()

    def handle_entityref(self, name: str) -> None:
        if name not in {"lt", "gt", "amp", "quot"}:
            self.problems.append(f"entity &{name};")

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.problems.append("processing instruction")


def telegram_html_problems(text: str) -> list[str]:
    """What makes `text` unacceptable to Telegram's HTML parse mode (empty: acceptable)."""
    check = _TelegramHTMLCheck()
    check.feed(text)
    check.close()
    problems = check.problems + [f"unclosed <{tag}>" for tag in check.open]
    outside_tags = re.sub(r"<[^>]*>", "", text)
    if "<" in outside_tags or ">" in outside_tags:
        problems.append("a bare < or >")
    if "&" in _ENTITY.sub("", outside_tags):
        problems.append("a bare &")
    return problems


def render(markdown: str, retention_days: int = 730) -> str:
    return Notice.from_markdown(markdown, retention_days).text


# --- the checker itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "<b>open",
        "<b><i>crossed</b></i>",
        "</b>",
        "<u>underline</u>",
        '<b class="x">b</b>',
        "<a>no href</a>",
        "<br/>",
        "a < b",
        "fish & chips",
        "&copy;",
    ],
)
def test_the_checker_refuses_what_telegram_refuses(bad):
    assert telegram_html_problems(bad)


def test_the_checker_accepts_telegram_html():
    good = '<b>a</b> <i>b</i> <a href="https://x.example/?a=1&amp;b">c</a> <pre>&lt;x&gt;</pre>'
    assert telegram_html_problems(good) == []


# --- rendering --------------------------------------------------------------------------------


@pytest.mark.parametrize("heading", ["# Your privacy", "### Your privacy", "Your privacy\n===="])
def test_headings_are_bold_lines(heading):
    assert render(f"{heading}\n\nText.") == "<b>Your privacy</b>\n\nText."


def test_strong_and_emphasis_are_bold_and_italic():
    assert render("**Who** holds *your* data, __and__ _why_.") == (
        "<b>Who</b> holds <i>your</i> data, <b>and</b> <i>why</i>."
    )


def test_an_https_link_is_kept():
    assert render("See [the ICO](https://ico.org.uk/make-a-complaint/).") == (
        'See <a href="https://ico.org.uk/make-a-complaint/">the ICO</a>.'
    )


def test_an_ampersand_in_a_link_is_escaped_once():
    assert render("[form](https://x.example/?a=1&b=2)") == (
        '<a href="https://x.example/?a=1&amp;b=2">form</a>'
    )


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JavaScript:alert(1)", "vbscript:x", "data:text/html,x"]
)
def test_a_harmful_link_is_dropped_to_its_text(url):
    text = render(f"Click [here]({url}) now.")
    assert text == "Click here now."
    assert "<a" not in text


@pytest.mark.parametrize(
    ("markdown", "shown"),
    [
        ("Hi <script>alert(1)</script> there", "Hi &lt;script&gt;alert(1)&lt;/script&gt; there"),
        ("<div>block</div>", "&lt;div&gt;block&lt;/div&gt;"),
        ('x <a href="javascript:y">z</a>', "x &lt;a href=&quot;javascript:y&quot;&gt;z&lt;/a&gt;"),
        ("fish & chips, 1 < 2", "fish &amp; chips, 1 &lt; 2"),
    ],
)
def test_raw_html_and_special_characters_are_escaped(markdown, shown):
    assert render(markdown) == shown


def test_an_html_entity_in_the_markdown_shows_its_character():
    # CommonMark: "&copy;" is the character ©. Escaping its "&" instead shows the member the
    # six characters "&copy;" (and "&amp;" as "&amp;", not "&").
    assert render("AT&amp;T &copy; 2025, caf&#233;") == "AT&amp;T © 2025, café"


def test_an_image_shows_its_description_only():
    assert render("![a map](https://x.example/map.png)") == "a map"


def test_bullet_lists_become_bullets():
    assert render("Rights:\n\n- /privacy: read\n- /forget: delete\n") == (
        "Rights:\n\n• /privacy: read\n• /forget: delete"
    )


def test_numbered_lists_keep_their_numbers():
    assert render("1. first\n2. second\n") == "1. first\n2. second"
    assert render("3. third\n4. fourth\n") == "3. third\n4. fourth"


def test_a_nested_list_is_indented_under_its_item():
    assert render("- a\n  - inner\n- b\n") == "• a\n    • inner\n• b"


def test_a_line_wrapped_in_the_file_is_joined_with_a_space():
    assert render("Your answers,\nwhen you gave them.") == "Your answers, when you gave them."


def test_a_hard_line_break_is_kept():
    assert render("first  \nsecond") == "first\nsecond"


def test_paragraphs_are_separated_by_one_blank_line():
    assert render("one\n\n\n\n\ntwo") == "one\n\ntwo"


def test_code_is_code_and_pre_escaped():
    assert render("Send `/forget`.") == "Send <code>/forget</code>."
    assert render("```\n<b> & x\n```") == "<pre>&lt;b&gt; &amp; x\n</pre>"


def test_a_quote_is_a_blockquote():
    assert render("> quoted\n> text") == "<blockquote>quoted text</blockquote>"


@pytest.mark.parametrize(
    ("markdown", "shown"),
    [
        ("> > x", "<blockquote>x</blockquote>"),
        ("> outer\n>\n> > inner", "<blockquote>outer\n\ninner</blockquote>"),
        ("> a\n> > b\n> > > c", "<blockquote>a\n\nb\n\nc</blockquote>"),
    ],
)
def test_a_quote_in_a_quote_joins_it_as_telegram_does_not_nest_quotes(markdown, shown):
    assert render(markdown) == shown


def test_retention_days_is_replaced_everywhere():
    text = render("Kept {retention_days} days; after {retention_days} days, gone.", 365)
    assert text == "Kept 365 days; after 365 days, gone."


def test_the_version_changes_with_the_text_and_only_with_it():
    first = Notice.from_markdown("# Privacy\n\nWe keep answers {retention_days} days.", 30)
    # a different file rendering to the same text is the same notice
    rewrapped = Notice.from_markdown(
        "Privacy\n=======\n\nWe keep answers\n{retention_days} days.", 30
    )
    reworded = Notice.from_markdown("# Privacy\n\nWe keep answers {retention_days} days!", 30)
    longer = Notice.from_markdown("# Privacy\n\nWe keep answers {retention_days} days.", 31)

    assert rewrapped.text == first.text
    assert rewrapped.version == first.version
    assert len({first.version, reworded.version, longer.version}) == 3
    assert re.fullmatch(r"[0-9a-f]{12}", first.version)  # as the Consent button carries it


@pytest.mark.parametrize("markdown", ["", "   \n\n  ", "---"])
def test_an_empty_notice_is_refused(markdown):
    with pytest.raises(ValueError, match="empty"):
        Notice.from_markdown(markdown, 30)


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "notice.md"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        load_notice(path, 30)


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(OSError, match=r"nowhere\.md"):
        load_notice(tmp_path / "nowhere.md", 30)


# --- the bundled notice -----------------------------------------------------------------------


def test_the_bundled_notice_renders_as_telegram_html_with_the_retention_filled_in():
    notice = load_notice(BUNDLED, 730)

    assert "{retention_days}" not in notice.text
    assert "730 days after a survey closes" in notice.text
    assert set(re.findall(r"</?([a-zA-Z0-9]+)", notice.text)) <= TELEGRAM_TAGS
    assert telegram_html_problems(notice.text) == []
    assert notice.text.startswith("<b>Your privacy</b>\n\n")
    assert "• /forget: delete everything held about you" in notice.text
    assert "\n\n\n" not in notice.text


def test_the_bundled_notice_version_follows_the_retention_setting():
    assert load_notice(BUNDLED, 730).version != load_notice(BUNDLED, 365).version


# --- any Markdown ----------------------------------------------------------------------------

markdown_pieces = st.sampled_from(
    [
        "# Heading",
        "## **Bold** heading",
        "Plain text",
        "**bold**",
        "*italic*",
        "`code`",
        "[link](https://x.example/?a=1&b=2)",
        "[bad](javascript:alert(1))",
        "<b>raw</b>",
        "<script>x</script>",
        "a < b & c > d",
        "- item",
        "  - nested item",
        "1. numbered",
        "> quote",
        "```",
        "***",
        "![img](https://x.example/i.png)",
        '"quoted"',
        "&copy; &amp; &#169;",
        "",
        "line  ",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(markdown_pieces, min_size=1, max_size=12), st.sampled_from(["\n", "\n\n", " "]))
def test_any_notice_renders_as_html_telegram_accepts(pieces, separator):
    try:
        text = render(separator.join(pieces))
    except ValueError:
        return  # nothing to show: refused
    assert telegram_html_problems(text) == []


# --- a long notice, sent in several messages ---------------------------------------------------


def long_notice_with(block: str) -> Notice:
    """A notice past Telegram's message length, `block` where the first message must end."""
    filler = "\n\n".join(f"Paragraph {n}: " + "words " * 60 for n in range(10))  # ~3,700
    return Notice.from_markdown(f"{filler}\n\n{block}\n\nThe end.", 30)


QUOTED_LIST = "\n".join(
    f"> - right {n}: " + "you can ask us about it at any time " * 2 for n in range(10)
)
CODE_BLOCK = "```\n" + "\n".join(f"/command{n} " + "x" * 70 for n in range(12)) + "\n```"


@pytest.mark.parametrize("block", [QUOTED_LIST, CODE_BLOCK], ids=["blockquote", "pre"])
def test_a_long_notice_splits_into_messages_telegram_accepts(block):
    # /privacy sends the notice with `render.split_message` (see handlers.privacy.send_long)
    notice = long_notice_with(block)
    chunks = split_message(notice.text)

    assert len(chunks) >= 2
    assert [telegram_html_problems(chunk) for chunk in chunks] == [[] for _ in chunks]
