"""What administrators read of invitation rounds: the preview, the progress card, /invites.

HTML, escaped here. The preview quotes the invitation exactly as members will read it
(`handlers.contact_render`); the card counts the outbox by state.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers import contact_render
from handlers.callbacks import RoundAction, RoundButton
from handlers.render import button
from storage.model import LeftOut, Round, RoundProgress
from surveys.model import Survey

BAR_WIDTH = 20
# What the preview leaves for the invitation it quotes: its own lines (a title of up to 200
# characters, an area, the counts) take less than the rest of Telegram's 4096.
QUOTE_ROOM = 3300
INVITE_USAGE = (
    "Send /invite SURVEY to invite every member who can be reached, or /invite SURVEY AREA for "
    "one area. You will see the invitation and how many it reaches before anything is sent."
)
NOT_OPEN = "That survey is not open, so I cannot invite anyone to it."
NO_AREA_QUESTION = "{title} has no area question, so it cannot be sent to one area."
STILL_GOING = (
    "A round of this survey is still going: let it finish, or cancel it, before you start "
    "another (its members would be invited twice)."
)
NO_ROUNDS = "No invitation round has been sent yet."
NOT_PREVIEW = "This preview was used or cancelled already: send /invite again."
NOT_NOW = "That round cannot do that now."
CANCELLED_PREVIEW = "Cancelled: nothing was sent."

_STATE_LINES = {
    "sending": "Sending.",
    "paused": "Paused: nothing is sent until you resume.",
    "cancelled": "Cancelled: no more invitations are sent.",
    "finished": "Finished.",
    "closed": "Stopped: the survey closed.",
}


def _heading(survey: Survey, area: str | None) -> str:
    where = f"area {escape(area)}" if area else "every area"
    return f"<b>Invitations to {escape(survey.title)}</b> · {where}"


def _left_out(left_out: LeftOut) -> str:
    return (
        f"Left out: {left_out.done} already done, {left_out.turned_off} turned invitations off, "
        f"{left_out.unreachable} unreachable."
    )


def preview(
    survey: Survey, invitation: Round, reaches: int, left_out: LeftOut
) -> tuple[str, InlineKeyboardMarkup]:
    """The invitation as members will read it, whom it reaches and whom it leaves out, with
    Send and Cancel (only Cancel when it would reach nobody)."""
    text, _ = contact_render.invitation(survey, QUOTE_ROOM)
    lines = [
        _heading(survey, invitation.area),
        "",
        "Members will read:",
        f"<blockquote>{text}</blockquote>",
        "",
        f"It reaches <b>{reaches}</b> members. {_left_out(left_out)}",
        "Nothing is sent until you tap Send.",
    ]
    cancel = button("Cancel", RoundButton(invitation.id, RoundAction.CANCEL))
    rows = [[cancel]]
    if reaches:
        send = button(f"Send to {reaches} members", RoundButton(invitation.id, RoundAction.SEND))
        rows = [[send, cancel]]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def card(
    survey: Survey,
    invitation: Round,
    progress: RoundProgress,
    now: dt.datetime,
    quiet_until: dt.datetime | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The progress card: counts, a bar, the time left, and the buttons the state allows."""
    done = progress.total - progress.waiting
    state = _STATE_LINES.get(invitation.state, "")
    if invitation.state == "sending" and quiet_until is not None:
        state = f"Waiting: quiet hours end at {quiet_until:%H:%M}."  # local time
    lines = [
        _heading(survey, invitation.area),
        state,
        f"<code>{progress_bar(done, progress.total)}</code> {done} of {progress.total}",
        f"Sent {progress['sent']} · waiting {progress.waiting} · failed {progress['failed']}"
        f" · unreachable {progress['unreachable']} · skipped {progress['skipped']}"
        f" · unknown {progress['unknown']}",
        _left_out(invitation.left_out),
    ]
    sending_now = invitation.state == "sending" and quiet_until is None
    left = time_left(invitation, progress, now) if sending_now else None
    if left is not None:
        lines.append(f"About {left} left.")
    return "\n".join(lines), _card_buttons(invitation)


def _card_buttons(invitation: Round) -> InlineKeyboardMarkup | None:
    def action(label: str, what: RoundAction) -> InlineKeyboardButton:
        return button(label, RoundButton(invitation.id, what))

    match invitation.state:
        case "sending":
            row = [action("Pause", RoundAction.PAUSE), action("Cancel", RoundAction.CANCEL)]
        case "paused":
            row = [action("Resume", RoundAction.RESUME), action("Cancel", RoundAction.CANCEL)]
        case _:
            return None
    return InlineKeyboardMarkup([row])


def progress_bar(done: int, total: int) -> str:
    """A text bar: ▓ for what is done, ░ for the rest."""
    filled = BAR_WIDTH if total == 0 else done * BAR_WIDTH // total
    return "▓" * filled + "░" * (BAR_WIDTH - filled)


def time_left(invitation: Round, progress: RoundProgress, now: dt.datetime) -> str | None:
    """The time left at the pace so far ("2 min"), or None before there is a pace."""
    done = progress.total - progress.waiting
    if invitation.started_at is None or done == 0 or progress.waiting == 0:
        return None
    elapsed = (now - dt.datetime.fromisoformat(invitation.started_at)).total_seconds()
    if elapsed <= 0:
        return None
    seconds = progress.waiting * elapsed / done
    if seconds < 60:
        return "1 min"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def rounds_list(rounds: list[tuple[Round, RoundProgress, str]]) -> str:
    """/invites: the recent rounds, newest first (each with its survey's title)."""
    if not rounds:
        return NO_ROUNDS
    lines = ["<b>Recent invitation rounds</b>"]
    for invitation, progress, title in rounds:
        where = escape(invitation.area) if invitation.area else "every area"
        started = (invitation.started_at or "")[:16].replace("T", " ")
        lines.append(
            f"• {escape(title)} · {where} · {invitation.state} · sent {progress['sent']} of "
            f"{progress.total} · started {started} UTC"
        )
    return "\n".join(lines)


def no_area_question(survey: Survey) -> str:
    return NO_AREA_QUESTION.format(title=escape(survey.title))
