"""Everything a member reads: texts and inline keyboards, escaped once, here.

The parse mode is HTML (set once in bot.py through `Defaults`), so every piece of survey or
member text passes through `escape`. Button labels are plain text and are never escaped.
"""

from __future__ import annotations

import re
from html import escape, unescape
from typing import NamedTuple, assert_never

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers import callbacks
from handlers.callbacks import AnswerOption, Move, OpenSurvey, QuestionMove, ToggleOption
from surveys.engine import AnswerValue, Problem, Progress, Rejected, answer_text, format_number
from surveys.model import (
    ChoiceQuestion,
    MultiQuestion,
    NumberQuestion,
    Question,
    ScaleQuestion,
    Survey,
    TextQuestion,
    YesNoQuestion,
)

MAX_MESSAGE_LENGTH = 4096  # Telegram counts UTF-16 code units
SCALE_BUTTONS_PER_ROW = 6
# An answer repeated with a question is cut to this, so that a title (200), a question (1500)
# and its hint fit one message with a long typed answer under them and the answer just given
# above them (tests/handlers/test_render.py); the recap shows every answer whole.
MAX_ECHO_LENGTH = 1000
# The answered question named above the next one is cut to this: a reminder, not the question.
ECHO_QUESTION_LENGTH = 200
TICK = "✅ "

NOTICE_CHANGED = "The privacy notice has changed since you saw it: please read it again."

WELCOME = (
    "<b>Welcome to Doorstep.</b>\n"
    "Tell the movement what matters where you live, one short question at a time."
)
# /help ends with this, below the commands (handlers/commands.py lists them).
HELP_FOOTER = "Tap the buttons under a question, or type your answer when asked."

DECLINED = "No problem: nothing about you is stored.\nIf you change your mind, send /start."
WITHDRAWN = (
    "Understood: I will not take any more answers from you, and your open survey is closed. "
    "The answers you gave before are still held: send /forget to delete them, or /start if "
    "you change your mind."
)
AGREED = "Thank you. You can change your mind at any time."
ALREADY_HANDLED = "I have that already. Send /surveys to see what is open."
PAUSED = "Paused. Your answers are kept: send /surveys or /start to carry on where you stopped."
NOTHING_TO_PAUSE = "There is no survey open right now. Send /surveys to see what is open."
NO_OPEN_QUESTION = "There is no question open right now. Send /surveys to see what is open."
NEEDS_CONSENT = (
    "I take answers only from members who agree to the privacy notice: send /start to read it."
)
NO_SURVEYS = "There are no surveys open right now. Thank you for checking!"
SURVEY_NOT_OPEN = "That survey is not open. Send /surveys to see what is open."
SURVEY_CLOSED = "That survey has closed, so I cannot take more answers. Thank you for yours!"
STALE_BUTTON = "This button is no longer active."
FLOODING = (
    "That is more than I can read at once, so I will ignore what you send for a few seconds."
    " Then carry on where you were."
)
CANNOT_GO_BACK = "This is the first question: there is nothing to go back to."
PRIVATE_ONLY = "Surveys are answered in a private chat with me."
UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."
SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on my side. Your answers so far are safe; send /start to carry on."
)

_PROBLEMS = {
    Problem.USE_BUTTONS: "Please answer with the buttons under the question.",
    Problem.EMPTY: "Please type your answer.",
    Problem.TOO_LONG: "That is {actual} characters; please keep it to {limit}.",
    Problem.NOT_A_NUMBER: "Please type a number, like 3 or 12.5.",
    Problem.TOO_SMALL: "Please type a number of at least {limit}.",
    Problem.TOO_LARGE: "Please type a number of at most {limit}.",
    Problem.NOT_AN_OPTION: "That is not one of the options.",
    Problem.TOO_MANY: "You can choose at most {limit}. Untick one first.",
    Problem.NONE_CHOSEN: "Please tick at least one option, then tap Done.",
    Problem.REQUIRED: "This question needs an answer; it cannot be skipped.",
}
TYPE_YOUR_ANSWER = "Please answer in a text message."
USE_BUTTONS = _PROBLEMS[Problem.USE_BUTTONS]


class Reply(NamedTuple):
    """One message to show: its text (HTML) and its buttons."""

    text: str
    markup: InlineKeyboardMarkup | None = None

    def beneath(self, above: str | None) -> Reply:
        """The same message with `above` shown first (what was just answered, an intro, why a
        message was refused), a blank line between."""
        return self if above is None else Reply(f"{above}\n\n{self.text}", self.markup)


def problem_text(rejected: Rejected) -> str:
    """The short explanation for an answer that was not accepted."""
    limit, actual = (
        None if number is None else format_number(number)
        for number in (rejected.limit, rejected.actual)
    )
    return _PROBLEMS[rejected.problem].format(limit=limit, actual=actual)


def notice_keyboard(version: str, survey_id: str | None) -> InlineKeyboardMarkup:
    """I agree / No thanks to the notice `version`; agreeing carries on to the survey the member
    was heading for."""
    return InlineKeyboardMarkup(
        [
            [
                button("I agree", callbacks.Consent(True, version, survey_id)),
                button("No thanks", callbacks.Consent(False, version)),
            ]
        ]
    )


def survey_list(surveys: list[Survey], unfinished: set[str], done: set[str]) -> Reply:
    """The open surveys as buttons, marking those in progress or already taken."""
    if not surveys:
        return Reply(NO_SURVEYS)
    rows = []
    for survey in surveys:
        label = survey.title
        if survey.id in unfinished:
            label = f"Continue: {survey.title}"
        elif survey.id in done and not survey.repeatable:
            label = f"✓ {survey.title}"
        rows.append([button(label, OpenSurvey(survey.id))])
    return Reply(
        "<b>Surveys open now</b>\nTap one to start or carry on.", InlineKeyboardMarkup(rows)
    )


def welcome(unfinished: list[Survey]) -> Reply:
    """The /start greeting, reminding the member of unfinished surveys."""
    if not unfinished:
        return Reply(f"{WELCOME}\n\nSend /surveys to see what is open.")
    names = ", ".join(f"<b>{escape(survey.title)}</b>" for survey in unfinished)
    text = f"{WELCOME}\n\nYou have not finished {names} yet. Carry on where you stopped?"
    rows = [[button(f"Continue: {survey.title}", OpenSurvey(survey.id))] for survey in unfinished]
    return Reply(text, InlineKeyboardMarkup(rows))


def survey_intro(survey: Survey) -> str:
    """Said before the first question of a new response."""
    return f"<b>{escape(survey.title)}</b>\n\n{escape(survey.intro)}"


def already_taken(survey: Survey) -> str:
    """A non-repeatable survey the member has completed."""
    return f"You have already taken part in <b>{escape(survey.title)}</b>. Thank you!"


def resuming(survey: Survey) -> str:
    """Said before the question when a member comes back to a survey."""
    return f"Welcome back to <b>{escape(survey.title)}</b>. Here is where you stopped:"


def question_text(
    survey: Survey, question: Question, progress: Progress, previous: AnswerValue = None
) -> str:
    """A question with its progress, a hint on how to answer, and any earlier answer."""
    lines = [
        f"<b>{escape(survey.title)}</b> · Question {progress.position} of {progress.total}",
        "",
        escape(question.text),
    ]
    hint = _hint(question)
    if hint:
        lines += ["", f"<i>{escape(hint)}</i>"]
    if previous is not None and _echoes_answer(question):
        so_far = shorten(answer_text(question, previous), MAX_ECHO_LENGTH)
        lines += ["", f"Your answer so far: {escape(so_far)}"]
    return "\n".join(lines)


def echo(question: Question, value: AnswerValue) -> str:
    """What the member just answered, shown above the next question (in the message that asked
    it): the question, shortened, and the answer."""
    asked = escape(shorten(question.text, ECHO_QUESTION_LENGTH))
    if value is None:
        return f"<i>{asked}</i>\n✔️ Skipped"
    answer = escape(shorten(answer_text(question, value), MAX_ECHO_LENGTH))
    return f"<i>{asked}</i>\n✔️ <b>{answer}</b>"


def _echoes_answer(question: Question) -> bool:
    """Whether a question asked again repeats the earlier answer under it."""
    match question:
        case MultiQuestion():
            return False  # its ticked buttons show it
        case (
            ChoiceQuestion() | YesNoQuestion() | ScaleQuestion() | TextQuestion() | NumberQuestion()
        ):
            return True
        case _:
            assert_never(question)


def _hint(question: Question) -> str:
    parts = [_how_to_answer(question)]
    if not question.required:
        parts.append("Optional: tap Skip or send /skip to leave it out.")
    return " ".join(part for part in parts if part)


def _how_to_answer(question: Question) -> str:
    """What the buttons or the limits of a question do not say by themselves ("" if nothing)."""
    match question:
        case ScaleQuestion() if question.min_label or question.max_label:
            return (
                f"{question.min} = {question.min_label or '…'}, {question.max} = "
                f"{question.max_label or '…'}"
            )
        case MultiQuestion():
            most = f" (up to {question.max_choices})" if question.max_choices else ""
            return f"Tick all that apply{most}, then tap Done."
        case TextQuestion():
            return f"Type your answer (up to {question.max_length} characters)."
        case NumberQuestion():
            return "Type a number" + _number_range(question) + "."
        case ChoiceQuestion() | YesNoQuestion() | ScaleQuestion():
            return ""
        case _:
            assert_never(question)


def _number_range(question: NumberQuestion) -> str:
    if question.min is not None and question.max is not None:
        return f" from {format_number(question.min)} to {format_number(question.max)}"
    if question.min is not None:
        return f" of at least {format_number(question.min)}"
    if question.max is not None:
        return f" of at most {format_number(question.max)}"
    return ""


def question_keyboard(
    response_id: int,
    step: int,
    question: Question,
    ticked: list[str],
    can_go_back: bool,
) -> InlineKeyboardMarkup | None:
    """Answer buttons for the question, then Back and Skip where they apply."""
    rows = _answer_rows(response_id, step, question, ticked)
    moves = []
    if can_go_back:
        moves.append(button("« Back", QuestionMove(Move.BACK, response_id, step)))
    if not question.required:
        moves.append(button("Skip »", QuestionMove(Move.SKIP, response_id, step)))
    if moves:
        rows.append(moves)
    return InlineKeyboardMarkup(rows) if rows else None


def _answer_rows(
    response_id: int, step: int, question: Question, ticked: list[str]
) -> list[list[InlineKeyboardButton]]:
    match question:
        case ChoiceQuestion():
            return [
                [button(choice.label, AnswerOption(response_id, step, option))]
                for option, choice in enumerate(question.choices)
            ]
        case MultiQuestion():
            return _toggle_rows(response_id, step, question, ticked)
        case YesNoQuestion():
            return [
                [
                    button("Yes", AnswerOption(response_id, step, 0)),
                    button("No", AnswerOption(response_id, step, 1)),
                ]
            ]
        case ScaleQuestion():
            buttons = [
                button(str(point), AnswerOption(response_id, step, option))
                for option, point in enumerate(question.points())
            ]
            return [
                buttons[start : start + SCALE_BUTTONS_PER_ROW]
                for start in range(0, len(buttons), SCALE_BUTTONS_PER_ROW)
            ]
        case TextQuestion() | NumberQuestion():
            return []  # typed
        case _:
            assert_never(question)


def _toggle_rows(
    response_id: int, step: int, question: MultiQuestion, ticked: list[str]
) -> list[list[InlineKeyboardButton]]:
    """One toggle button per option, ticked or not, then Done."""
    rows = [
        [
            button(
                f"{TICK if choice.value in ticked else ''}{choice.label}",
                ToggleOption(response_id, step, option, choice.value not in ticked),
            )
        ]
        for option, choice in enumerate(question.choices)
    ]
    return [*rows, [button("Done", QuestionMove(Move.DONE, response_id, step))]]


def completion(survey: Survey, answers: dict[str, AnswerValue]) -> str:
    """Thanks, and the member's own answers in survey order."""
    lines = [
        f"<b>Thank you!</b> That is the end of <b>{escape(survey.title)}</b>.",
        "",
        "Your answers:",
    ]
    for question in survey.questions:
        if question.id in answers:
            # No tag spans a line, so split_message may cut between any two lines.
            answer = escape(answer_text(question, answers[question.id]))
            lines += [f"• {escape(question.text)}", f"→ {answer}"]
    return "\n".join(lines)


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


# An HTML text is a run of tags (shown as nothing), entities (shown as one character) and
# characters; Telegram's limit counts what is shown.
_HTML_TOKEN = re.compile(r"<[^<>\n]*>|&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);|.", re.DOTALL)


def _shown_length(token: str) -> int:
    if token.startswith("<") and len(token) > 1:
        return 0
    return utf16_length(unescape(token))


def shown_length(html_text: str) -> int:
    """How long Telegram counts an HTML text: after its markup is parsed away."""
    return sum(_shown_length(token) for token in _HTML_TOKEN.findall(html_text))


def split_message(html_text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split a long HTML text at line boundaries into messages within Telegram's limit.

    Lengths count what Telegram shows (markup parsed away). Joining the parts with newlines
    gives the text back, less blank lines where one part ends and the next begins (Telegram
    trims those, and refuses an empty message). A line longer than the limit is cut between
    characters or entities, never inside one; a tag open where a part ends is closed there and
    opened again at the start of the next.
    """
    # Markup only shortens a text, so a text whose raw length fits needs no parsing.
    if utf16_length(html_text) <= limit or shown_length(html_text) <= limit:
        return [html_text]
    chunks: list[str] = []
    current: list[str] = []  # the lines of the chunk being filled
    size = 0
    for line in html_text.split("\n"):
        while shown_length(line) > limit:
            if current:
                chunks.append("\n".join(current))
                current, size = [], 0
            head = _shown_prefix(line, limit)
            chunks.append(head)
            line = line[len(head) :]
        added = shown_length(line) + (1 if current else 0)
        if current and size + added > limit:
            chunks.append("\n".join(current))
            current, size, added = [], 0, shown_length(line)
        current.append(line)
        size += added
    chunks.append("\n".join(current))
    return _balanced([chunk for chunk in (part.strip("\n") for part in chunks) if chunk])


_TAG = re.compile(r"<(/?)([a-z-]+)[^<>\n]*>")


def _balanced(chunks: list[str]) -> list[str]:
    """Each part closes the tags still open where it ends, and the next opens them again (a
    blockquote or a bold passage can run over the cut), so every message parses alone."""
    open_tags: list[tuple[str, str]] = []  # (name, opening tag) of the tags open so far
    balanced = []
    for chunk in chunks:
        reopened = "".join(tag for _, tag in open_tags)
        for closing, name, tag in ((m[1], m[2], m[0]) for m in _TAG.finditer(chunk)):
            if not closing:
                open_tags.append((name, tag))
            elif open_tags and open_tags[-1][0] == name:
                open_tags.pop()
        closed = "".join(f"</{name}>" for name, _ in reversed(open_tags))
        balanced.append(reopened + chunk + closed)
    return balanced


def _shown_prefix(html_line: str, limit: int) -> str:
    """The longest prefix of a line, cut between tokens, that shows within `limit`."""
    size, end = 0, 0
    for match in _HTML_TOKEN.finditer(html_line):
        size += _shown_length(match.group())
        if size > limit:
            break
        end = match.end()
    return html_line[:end]


def shorten(text: str, limit: int) -> str:
    """Plain text cut to at most `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def button(label: str, callback: callbacks.Callback) -> InlineKeyboardButton:
    """An inline button (labels are plain text, never parsed)."""
    return InlineKeyboardButton(label, callback_data=callbacks.encode(callback))
