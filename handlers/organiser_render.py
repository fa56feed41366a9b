"""What organisers read: reports, breakdown tables, replies to organiser commands, and buttons.

Reports arrive already suppressed (`surveys.summary`): this module only words them. All survey
text is escaped here for HTML, the one parse mode. Tags never span a line, so a long report can
be split between lines (`render.split_message`); tables are one `<code>` line per row.
"""

from __future__ import annotations

from html import escape as _escape_html
from typing import assert_never

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers import callbacks
from handlers.callbacks import ShowChart, ShowReport
from handlers.render import shorten
from storage.model import AuditEntry
from surveys import report
from surveys.engine import format_number
from surveys.model import (
    ChoiceQuestion,
    MultiQuestion,
    NumberQuestion,
    ScaleQuestion,
    Survey,
    TextQuestion,
    YesNoQuestion,
)
from surveys.report import NumberSummary, bar
from surveys.summary import (
    OTHER_ROWS_LABEL,
    QUARTERS,
    Breakdown,
    Figure,
    QuestionReport,
    SurveyReport,
    Table,
)
from surveys.summary import columns as summary_columns
from surveys.tally import area_question

MAX_LISTED_AREAS = 50
MAX_SURVEY_BUTTONS = 50
HIDDEN = "c"  # hidden to protect a small count elsewhere (statisticians' "confidential")
ROW_LABEL_WIDTH = 12
COLUMN_WIDTH = 6
COUNT_WIDTH = 6
SURVEY_BUTTON_WIDTH = 60

NOT_HERE = "Reports are only shown in registered organiser chats, or in private to administrators."
ADMINS_ONLY = "Only a Doorstep administrator can do that."
GROUPS_ONLY = "Send /register in the organiser group you want reports in."
NOT_REGISTERED = "This chat is not registered for reports."
UNREGISTERED = "This chat will no longer receive reports or digests."
NO_REPORTS = "No survey has completed responses yet."
UNKNOWN_SURVEY = "There is no survey {survey}. Send /summary to see the surveys."
SUMMARY_USAGE = (
    "Send /summary, /summary SURVEY, /summary SURVEY by QUESTION or /summary SURVEY chart."
)
NOT_A_BREAKDOWN = "{question} is not a breakdown question of this survey. Breakdowns: {known}."
NO_BREAKDOWNS = "This survey has no breakdown questions."
BREAKDOWNS_NEED_EVERY_AREA = (
    "Breakdowns by other questions are for chats that see every area: with your area's alone,"
    " they could give away what the national tables hide."
)
EXPORT_USAGE = "Send /export SURVEY in this private chat."
EXPORT_IN_PRIVATE = "Exports are only sent to administrators, in a private chat with me."
REGISTER_CHANNEL_USAGE = "Send /register_channel @channel or /register_channel -100… [AREA]."
DIGEST_USAGE = (
    "Send /digest daily HH:MM, /digest weekly DAY HH:MM (DAY: mon…sun) or /digest off"
    " (in private, administrators add the channel first: /digest @channel daily 08:00)."
)
DIGEST_OFF = "Digests are off for this chat."
NO_CHART = "There is nothing to chart yet: no question has enough answers."
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def escape(text: str) -> str:
    """Survey or chat text for HTML, on one line: reports are split between lines, and a tag
    must never span a cut (a question written over several lines would break its heading)."""
    return _escape_html(" ".join(text.split()))


def registered(title: str, area: str | None) -> str:
    """Confirmation of a registration."""
    scope = f"the responses from {escape(area)}" if area else "all responses"
    return (
        f"Registered <b>{escape(title)}</b> for reports on {scope}. "
        "Send /summary for results, /digest to get them on a schedule."
    )


def unknown_area(area: str, known: list[str]) -> str:
    """A refusal naming the areas surveys know."""
    listed = ", ".join(escape(value) for value in known[:MAX_LISTED_AREAS])
    more = ", …" if len(known) > MAX_LISTED_AREAS else ""
    listed = listed + more or "none (no survey has an area question)"
    return f"No survey has the area {escape(shorten(area, 64))}. Areas: {listed}."


def cannot_post(channel: str, reason: str) -> str:
    """Why a channel cannot be registered."""
    return f"I cannot post in {escape(channel)}: {escape(reason)}"


def digest_set(every: str, at: str, weekday: int | None) -> str:
    """Confirmation of a digest schedule."""
    when = f"every {WEEKDAYS[weekday]}" if weekday is not None else "every day"
    return f"Digest set: the report of every open survey, {when} at {at}."


def survey_choices(
    surveys: list[tuple[Survey, Figure | None]], k: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/summary without a survey: each survey with its completed responses, as buttons."""
    if not surveys:
        return NO_REPORTS, None
    buttons = []
    for survey, completed in surveys[:MAX_SURVEY_BUTTONS]:
        count = f" ({_count(completed, k)})" if completed is not None else ""
        label = shorten(survey.title, SURVEY_BUTTON_WIDTH - len(count)) + count
        buttons.append(
            [InlineKeyboardButton(label, callback_data=callbacks.encode(ShowReport(survey.id)))]
        )
    more = (
        f" The first {MAX_SURVEY_BUTTONS} are shown; send /summary SURVEY_ID for another."
        if len(surveys) > MAX_SURVEY_BUTTONS
        else ""
    )
    return f"Which survey? (completed responses in brackets){more}", InlineKeyboardMarkup(buttons)


def chart_keyboard(survey_id: str) -> InlineKeyboardMarkup:
    """The Chart button under a report."""
    button = InlineKeyboardButton("📊 Chart", callback_data=callbacks.encode(ShowChart(survey_id)))
    return InlineKeyboardMarkup([[button]])


def milestone(survey: Survey, completed: int) -> str:
    """An announcement of a number of completed responses."""
    return f"🎉 <b>{escape(survey.title)}</b> has {completed:,} completed responses."


# --- reports -----------------------------------------------------------------------------------


def report_text(summary: SurveyReport) -> str:
    """A survey's report for its scope, as one HTML text (split before sending)."""
    lines = [f"<b>{escape(summary.survey.title)}</b>", *_scope_lines(summary)]
    if summary.too_few and summary.area is not None:
        lines.append(AREA_TOO_FEW)
        return "\n".join(lines)
    if summary.too_few:
        lines.append(_too_few(summary.k, "this survey"))
        return "\n".join(lines)
    for number, question in enumerate(summary.questions, start=1):
        lines += ["", *_question_lines(number, question, summary.k)]
    return "\n".join(lines)


def _scope_lines(summary: SurveyReport) -> list[str]:
    counts = summary.counts
    if summary.area is None:
        lines = []
    else:
        lines = [f"Area: <b>{escape(_area_label(summary.survey, summary.area))}</b>"]
        if summary.too_few:  # the area's own count is under k: not even that is shown
            return lines
    # The grand total of every table: a survey with fewer than k completed shows only that.
    shown = not summary.too_few or counts.completed == 0
    completed = _count(Figure(counts.completed, shown=shown, small=True), summary.k)
    if counts.started is not None:
        rate = summary.completion_rate if not summary.too_few else None
        lines.append(
            f"Started {counts.started:,} · completed {escape(completed)}"
            + (f" ({rate:.0%})" if rate is not None else "")
        )
    else:
        lines.append(f"Completed {escape(completed)}")
    recent = _count(counts.completed_recently, summary.k)
    lines.append(f"Completed in the last 7 days: {escape(recent)}")
    lines.append(
        f"<i>Completed responses only. Counts under {summary.k} show as &lt;{summary.k};"
        f" {HIDDEN} marks a count hidden so that a small one cannot be worked out.</i>"
    )
    return lines


def _area_label(survey: Survey, area: str) -> str:
    """How the survey names an area value (the value itself if the survey has no such area)."""
    question = area_question(survey)
    labels = dict(summary_columns(question)) if question is not None else {}
    return labels.get(area, area)


AREA_TOO_FEW = (
    "<i>Too few responses in this area to show it apart from others: nothing more can be shown.</i>"
)


def _too_few(k: int, where: str) -> str:
    return f"<i>Fewer than {k} responses in {where}: nothing more can be shown.</i>"


def _question_lines(number: int, question: QuestionReport, k: int) -> list[str]:
    heading = f"<b>{number}. {escape(question.question.text)}</b>"
    if question.too_few:
        return [heading, f"<i>fewer than {k} responses</i>"]
    lines = [f"{heading} (n={question.answered:,})", *_lines_before_counts(question, k)]
    for line in question.lines:
        share = f"{line.share:4.0%}" if line.share is not None else " " * 4
        gauge = bar(line.share) if line.share is not None else " " * report.BAR_WIDTH
        count = _count(line.figure, k).rjust(COUNT_WIDTH)
        lines.append(
            f"<code>{_escape_html(f'{gauge} {share} {count}')}</code> {escape(line.label)}"
        )
    return lines


def _lines_before_counts(question: QuestionReport, k: int) -> list[str]:
    """What a question's type adds above its counts: a scale's mean, a number's quartiles."""
    match asked := question.question:
        case ScaleQuestion():
            return [_scale_line(asked, question.mean)]
        case NumberQuestion():
            return [_number_line(question.numbers, k)]
        case TextQuestion() if question.lines:
            return ["<i>Themes (an answer may have several):</i>"]
        case ChoiceQuestion() | MultiQuestion() | YesNoQuestion() | TextQuestion():
            return []
        case _:
            assert_never(asked)


def _number_line(numbers: NumberSummary | None, k: int) -> str:
    quartiles = numbers.quartiles() if numbers is not None else None
    if quartiles is None:  # withheld (see summary.QUARTERS)
        return f"<i>Median and quartiles are shown from {QUARTERS * k} answers.</i>"
    lower, median, upper = (format_number(round(quartile, 2)) for quartile in quartiles)
    return f"Median {median} · quartiles {lower}–{upper}"


def _scale_line(scale: ScaleQuestion, mean: float | None) -> str:
    ends = " · ".join(
        f"{point} = {escape(label)}"
        for point, label in ((scale.min, scale.min_label), (scale.max, scale.max_label))
        if label
    )
    shown = (
        f"Mean {mean:.1f}" if mean is not None else "Mean not shown (it would reveal a small count)"
    )
    return shown + (f" ({ends})" if ends else "")


def _count(figure: Figure, k: int) -> str:
    if figure.shown:
        return f"{figure.count:,}"
    return f"<{k}" if figure.small else HIDDEN


# --- breakdowns --------------------------------------------------------------------------------


def breakdown_text(split: Breakdown) -> str:
    """Every question of a survey split by a breakdown question, as compact tables."""
    title = f"<b>{escape(split.survey.title)}</b> by <b>{escape(split.by.text)}</b>"
    lines = [title]
    if split.area is not None:
        lines.append(f"Area: <b>{escape(_area_label(split.survey, split.area))}</b>")
    lines.append(
        f"<i>Completed responses. Counts under {split.k} show as &lt;{split.k};"
        f" {HIDDEN} marks a count hidden so that a small one cannot be worked out;"
        f" {OTHER_ROWS_LABEL} are answers too few to show alone, and no answer.</i>"
    )
    if split.too_few:
        lines.append(_too_few(split.k, "this scope"))
        return "\n".join(lines)
    for number, table in enumerate(split.tables, start=1):
        lines += ["", *_table_lines(number, table, split.k)]
    return "\n".join(lines)


def _table_lines(number: int, table: Table, k: int) -> list[str]:
    heading = f"<b>{number}. {escape(table.question.text)}</b>"
    if table.too_few:
        return [heading, f"<i>fewer than {k} responses</i>"]
    short = [shorten(" ".join(label.split()), COLUMN_WIDTH) for label in table.columns]
    lines = [heading]
    if short != table.columns:
        lines.append(
            "<i>"
            + " · ".join(
                f"{escape(s)} = {escape(label)}"
                for s, label in zip(short, table.columns, strict=True)
                if s != label
            )
            + "</i>"
        )
    lines.append(_row("", [*short, "n"]))
    for (_, label), cells, total in zip(table.rows, table.cells, table.row_totals, strict=True):
        lines.append(_row(label, [_count(cell, k) for cell in cells] + [_count(total, k)]))
    shown_total = Figure(table.total)
    lines.append(
        _row("All", [_count(cell, k) for cell in table.column_totals] + [_count(shown_total, k)])
    )
    return lines


def _row(label: str, cells: list[str]) -> str:
    head = shorten(" ".join(label.split()), ROW_LABEL_WIDTH).ljust(ROW_LABEL_WIDTH)
    return (
        "<code>"
        + _escape_html(head + "".join(cell.rjust(COLUMN_WIDTH + 1) for cell in cells))
        + "</code>"
    )


def audit_text(entries: list[AuditEntry]) -> str:
    """The audit log's newest entries, one line each, newest first."""
    if not entries:
        return "The audit log is empty."
    lines = ["<b>Audit log</b> (newest first)"]
    for entry in entries:
        when = entry.at[:16].replace("T", " ")
        parts = [
            " ".join(part for part in (when, entry.action, entry.survey_id, entry.scope) if part),
            f"chat {entry.chat_id}" if entry.chat_id is not None else "",
            # Posts and retention are the bot's own; /forget names who asked in its scope.
            f"user {entry.actor}" if entry.actor is not None else "",
        ]
        lines.append(escape(" · ".join(part for part in parts if part)))
    return "\n".join(lines)
