"""Rendering limits: messages split within Telegram's UTF-16 length, button data within 64 bytes."""

from __future__ import annotations

import re
from html import unescape
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.callbacks import MAX_CALLBACK_BYTES
from handlers.render import (
    ECHO_QUESTION_LENGTH,
    MAX_MESSAGE_LENGTH,
    Reply,
    echo,
    question_keyboard,
    question_text,
    shown_length,
    split_message,
    utf16_length,
)
from surveys.engine import Progress
from surveys.model import (
    MAX_CHOICES,
    Choice,
    ChoiceQuestion,
    MultiQuestion,
    NumberQuestion,
    ScaleQuestion,
    Survey,
    TextQuestion,
    YesNoQuestion,
)

EMOJI = "😀"  # astral: two UTF-16 code units
CLEF = "𝄞"  # astral too
NEWLINE = "\n"


def test_utf16_length_counts_astral_characters_twice():
    assert utf16_length("abc") == 3
    assert utf16_length("é") == 1
    assert utf16_length(EMOJI) == 2
    assert utf16_length(f"a{EMOJI}{CLEF}") == 5


# --- split_message ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "hello", "line one\nline two", "a\n\nb", f"{EMOJI} hi\nthere"]
)
def test_short_text_is_one_unchanged_chunk(text):
    assert split_message(text) == [text]


def test_text_of_exactly_the_limit_is_one_chunk():
    text = "x" * MAX_MESSAGE_LENGTH
    assert split_message(text) == [text]


def test_text_of_the_limit_in_emoji_is_one_chunk_and_one_more_emoji_splits():
    text = EMOJI * (MAX_MESSAGE_LENGTH // 2)
    assert split_message(text) == [text]
    assert len(split_message(text + EMOJI)) == 2


def test_splits_only_at_newlines_when_every_line_fits():
    lines = [f"line {number:02d} " + "x" * 20 for number in range(10)]  # 28 units each
    chunks = split_message("\n".join(lines), limit=60)
    # Two lines and their newline make 57 units; a third would not fit.
    assert chunks == ["\n".join(lines[i : i + 2]) for i in range(0, 10, 2)]


def test_lines_fill_a_chunk_up_to_the_limit_exactly():
    assert split_message("aaaa\nbbbb\ncccc", limit=9) == ["aaaa\nbbbb", "cccc"]


def test_every_chunk_is_within_the_limit_in_utf16_units_with_emoji():
    lines = [EMOJI * 4 + "ab", CLEF * 5, "plain text", EMOJI + "x" * 7, "é" * 9]
    text = "\n".join(lines * 5)
    chunks = split_message(text, limit=12)
    assert all(utf16_length(chunk) <= 12 for chunk in chunks)
    # Counting code points instead would put more than 12 units into a chunk.
    assert "\n".join(chunks) == text


def test_joining_chunks_gives_back_the_original_when_every_line_fits():
    text = "\n".join(f"{EMOJI} point {n}: " + "words " * (n % 7) for n in range(200))
    chunks = split_message(text, limit=100)
    assert len(chunks) > 1
    assert "\n".join(chunks) == text


def test_a_single_line_over_the_limit_is_cut_without_losing_characters():
    line = "".join(f"{n}{EMOJI}" for n in range(40))
    chunks = split_message(f"before\n{line}\nafter", limit=11)
    assert all(utf16_length(chunk) <= 11 for chunk in chunks)
    assert "".join(chunks).replace("\n", "") == f"before{line}after"
    assert chunks[0] == "before"
    assert chunks[-1].endswith("after")


def test_a_long_line_of_emoji_is_never_cut_inside_a_character():
    chunks = split_message(EMOJI * 25, limit=11)  # 5 emoji (10 units) per chunk
    assert chunks == [EMOJI * 5] * 5


def test_no_chunk_is_empty():
    chunks = split_message("x" * 30 + "\n\n" + "y" * 30 + "\n", limit=10)
    assert "" not in chunks


@pytest.mark.parametrize(("text", "limit"), [("\nabc", MAX_MESSAGE_LENGTH), ("\n\nabc", 50)])
def test_a_text_that_fits_is_kept_as_it_is(text, limit):
    assert split_message(text, limit) == [text]


def test_lengths_count_what_telegram_shows_and_cuts_never_split_an_entity():
    line = "&amp;" * 30  # 30 characters shown, 150 written
    assert shown_length(line) == 30
    chunks = split_message(line, limit=8)
    assert chunks == ["&amp;" * 8, "&amp;" * 8, "&amp;" * 8, "&amp;" * 6]
    assert shown_length("<b>bold</b> &lt;x&gt;") == 8


def test_blank_lines_between_chunks_are_dropped_not_sent_as_empty_messages():
    assert split_message("abcde\n\nxy", 5) == ["abcde", "xy"]


# Random texts: ASCII, accented letters, CJK and astral characters, plus newlines, and the
# markup an HTML message has ("<b>", "&amp;"): a split counts what Telegram shows.
pieces = st.sampled_from(
    ["a", "<b>", "</b>", "&amp;", "&", "<", " ", "é", "中", EMOJI, CLEF]
) | st.characters(codec="utf-8", exclude_characters="\n")
limits = st.integers(min_value=10, max_value=50)


def texts(piece: st.SearchStrategy[str], **size: int) -> st.SearchStrategy[str]:
    return st.lists(piece, **size).map("".join)


@settings(max_examples=200, deadline=None)
@given(texts(pieces | st.just("\n"), max_size=300), limits)
def test_any_text_splits_into_chunks_within_the_limit_keeping_every_character(text, limit):
    chunks = split_message(text, limit)
    assert all(shown_length(chunk) <= limit for chunk in chunks)
    # The parts may close and reopen tags where they meet; everything else is kept.
    assert strip_tags("".join(chunks)).replace("\n", "") == strip_tags(text).replace("\n", "")
    if text.strip("\n"):
        assert "" not in chunks


@st.composite
def texts_whose_lines_fit(draw):
    limit = draw(limits)
    line = texts(pieces, min_size=1, max_size=limit // 2).filter(
        lambda candidate: shown_length(candidate) <= limit
    )
    # Non-empty lines: blank lines where chunks meet are dropped (see above).
    return "\n".join(draw(st.lists(line, max_size=40))), limit


@settings(max_examples=200, deadline=None)
@given(texts_whose_lines_fit())
def test_text_whose_lines_fit_splits_only_at_newlines(text_and_limit):
    text, limit = text_and_limit
    chunks = split_message(text, limit)
    assert strip_tags("\n".join(chunks)) == strip_tags(text)
    assert all(shown_length(chunk) <= limit for chunk in chunks)
    # Greedy: no chunk could have taken the next chunk's first line too.
    for chunk, following in pairwise(chunks):
        assert shown_length(f"{chunk}\n{following.partition(NEWLINE)[0]}") > limit


def strip_tags(text: str) -> str:
    """What is left of an HTML text without its tags (splitting adds tags only)."""
    return re.sub(r"<[^<>\n]*>", "", text)


def _open_names(chunk: str) -> list[str]:
    open_names: list[str] = []
    for closing, name in re.findall(r"<(/?)([a-z-]+)[^<>\n]*>", chunk):
        if not closing:
            open_names.append(name)
        elif open_names and open_names[-1] == name:
            open_names.pop()
    return open_names


@pytest.mark.parametrize(
    "text",
    [
        "<blockquote>" + "quoted line\n" * 40 + "</blockquote>",
        "<b>" + "bold " * 60 + "</b>",
        '<a href="https://example.org">' + "link " * 60 + "</a>",
    ],
)
def test_tags_running_over_a_cut_are_closed_and_reopened_so_each_part_parses(text):
    chunks = split_message(text, 100)

    assert len(chunks) > 1
    for chunk in chunks:
        assert _open_names(chunk) == []  # every tag opened in a part is closed in it
        assert not re.search(r"^(?:<[a-z][^<>]*>)*</", chunk)  # and none closes one it lacks


# --- keyboards --------------------------------------------------------------------------------

BIGGEST_RESPONSE_ID = 10**12 - 1
LAST_QUESTION_INDEX = 49  # a survey has at most 50 questions

long_choices = [
    Choice(value=f"option-{n:02d}-" + "v" * 54, label=f"{n:02d} " + "L" * 97)
    for n in range(MAX_CHOICES)
]

QUESTIONS = [
    ChoiceQuestion(id="q", type="choice", text="t", choices=long_choices, required=False),
    MultiQuestion(id="q", type="multi", text="t", choices=long_choices, required=False),
    ScaleQuestion(id="q", type="scale", text="t", min=0, max=10, required=False),
    YesNoQuestion(id="q", type="yesno", text="t", required=False),
    TextQuestion(id="q", type="text", text="t", required=False),
    NumberQuestion(id="q", type="number", text="t", required=False),
]


def test_long_choices_are_the_largest_the_survey_format_allows():
    assert len(long_choices) == MAX_CHOICES
    assert all(len(choice.label) == 100 for choice in long_choices)
    assert all(len(choice.value) == 64 for choice in long_choices)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda question: question.type)
@pytest.mark.parametrize("ticked", [[], [c.value for c in long_choices]], ids=["none", "all"])
def test_every_button_carries_at_most_64_bytes_of_ascii_data(question, ticked):
    keyboard = question_keyboard(
        BIGGEST_RESPONSE_ID, LAST_QUESTION_INDEX, question, ticked, can_go_back=True
    )
    buttons = [button for row in keyboard.inline_keyboard for button in row]
    assert buttons  # at least Back and Skip
    for button in buttons:
        data = button.callback_data
        assert isinstance(data, str)
        assert data.isascii()
        assert len(data.encode()) <= MAX_CALLBACK_BYTES


def test_choice_keyboard_has_one_button_per_choice_with_its_full_label():
    question = QUESTIONS[0]
    keyboard = question_keyboard(BIGGEST_RESPONSE_ID, 0, question, [], can_go_back=False)
    labels = [row[0].text for row in keyboard.inline_keyboard[:MAX_CHOICES]]
    assert labels == [choice.label for choice in long_choices]


# --- one message: what was answered above the next question --------------------------------------


def test_the_echo_names_the_question_shortened_and_the_answer_escaped():
    question = ChoiceQuestion(
        id="q",
        type="choice",
        text="<Where> " + "x" * 1400,
        choices=[Choice(value="a", label="A & <b>"), Choice(value="b", label="B")],
    )

    asked, answered = echo(question, "a").split(NEWLINE)

    assert asked.startswith("<i>&lt;Where&gt; xxx")
    assert asked.endswith("…</i>")
    assert len(unescape(asked.removeprefix("<i>").removesuffix("</i>"))) == ECHO_QUESTION_LENGTH
    assert answered == "✔️ <b>A &amp; &lt;b&gt;</b>"
    assert echo(question, None).endswith(f"{NEWLINE}✔️ Skipped")


def test_a_reply_beneath_a_text_keeps_its_buttons():
    markup = question_keyboard(1, 0, QUESTIONS[3], [], can_go_back=False)
    reply = Reply("question", markup)

    assert reply.beneath("answered") == Reply(f"answered{NEWLINE}{NEWLINE}question", markup)
    assert reply.beneath(None) is reply


def test_the_longest_answer_above_the_longest_next_question_fits_one_message():
    """A tapped answer is one edit only if what it shows fits one message: the echo of every
    option of a multi question of the longest labels, above the longest title and question, a
    hint, and the longest typed answer given before (shown when the member went back)."""
    survey = Survey(
        id="longest",
        title="T" * 200,
        intro="I",
        questions=[
            MultiQuestion(id="m", type="multi", text="M" * 1500, choices=long_choices),
            TextQuestion(id="t", type="text", text="Q" * 1500, max_length=3000, required=False),
        ],
    )
    multi, text = survey.questions
    above = echo(multi, [choice.value for choice in long_choices])
    question = question_text(survey, text, Progress(50, 50), "&" * 3000)

    assert shown_length(Reply(question).beneath(above).text) <= MAX_MESSAGE_LENGTH
