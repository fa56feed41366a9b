"""Callback data: the one codec for every inline button Doorstep sends.

Formats (always ASCII, at most 64 bytes; ids are numbers, never labels):
    c:1:V[:SURVEY] agree to version V of the privacy notice (then open SURVEY); c:0:V decline
    o:SURVEY       open (or continue) a survey
    a:R:S:O        answer option O of the question response R showed at step S
    t:R:S:O:1|0    tick (1) or untick (0) option O of a multi question
    d:R:S          Done with a multi question
    s:R:S          Skip          b:R:S  Back
    r:SURVEY       an organiser's report of a survey     g:SURVEY  its charts
    f:1            delete everything held about me (confirmed)     f:0  keep it
    i:0            no more invitations (or reminders)      i:1  invitations on again
    v:ROUND:A      an administrator's invitation round: s send, p pause, u resume, x cancel
A response's step counts its changes, so a button works only while its question is on screen
as it was drawn: an older button, or one Telegram delivers again later, is stale.
Decoding is strict: anything else is None, and the handler answers it as a stale button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_CALLBACK_BYTES = 64
_SLUG = r"[a-z0-9][a-z0-9-]{0,31}"
_NUMBER = r"0|[1-9][0-9]{0,11}"


@dataclass(frozen=True)
class Consent:
    """A decision on the version of the privacy notice the member read, and the survey they
    were heading for."""

    agreed: bool
    version: str
    survey_id: str | None = None


@dataclass(frozen=True)
class OpenSurvey:
    """Open or continue a survey."""

    survey_id: str


class Move(StrEnum):
    """Buttons that act on a question as a whole."""

    DONE = "d"
    SKIP = "s"
    BACK = "b"


@dataclass(frozen=True)
class QuestionMove:
    """Done, Skip or Back on the question response `response_id` showed at `step`."""

    move: Move
    response_id: int
    step: int


@dataclass(frozen=True)
class AnswerOption:
    """An answer button: option `option` of the question."""

    response_id: int
    step: int
    option: int


@dataclass(frozen=True)
class ToggleOption:
    """Tick (`chosen`) or untick an option of a multi question."""

    response_id: int
    step: int
    option: int
    chosen: bool


@dataclass(frozen=True)
class ShowReport:
    """An organiser's report of a survey, in the scope of the chat the button is in."""

    survey_id: str


@dataclass(frozen=True)
class ShowChart:
    """The charts of a survey's report, in the scope of the chat the button is in."""

    survey_id: str


@dataclass(frozen=True)
class Forget:
    """The member's answer to "delete everything held about you?"."""

    confirmed: bool


@dataclass(frozen=True)
class Invitations:
    """A member turns invitations and reminders off ("No more invitations") or on again."""

    on: bool


class RoundAction(StrEnum):
    """What an administrator's button does to an invitation round."""

    SEND = "s"
    PAUSE = "p"
    RESUME = "u"
    CANCEL = "x"


@dataclass(frozen=True)
class RoundButton:
    """A button of an invitation round's preview or progress card."""

    round_id: int
    action: RoundAction


Callback = (
    Consent
    | OpenSurvey
    | QuestionMove
    | AnswerOption
    | ToggleOption
    | ShowReport
    | ShowChart
    | Forget
    | Invitations
    | RoundButton
)

_PATTERNS = {
    "c": re.compile(rf"c:(?P<agreed>[01]):(?P<version>[0-9a-f]{{12}})(?::(?P<survey>{_SLUG}))?"),
    "o": re.compile(rf"o:(?P<survey>{_SLUG})"),
    "r": re.compile(rf"r:(?P<survey>{_SLUG})"),
    "g": re.compile(rf"g:(?P<survey>{_SLUG})"),
    "a": re.compile(rf"a:(?P<r>{_NUMBER}):(?P<s>{_NUMBER}):(?P<o>{_NUMBER})"),
    "t": re.compile(rf"t:(?P<r>{_NUMBER}):(?P<s>{_NUMBER}):(?P<o>{_NUMBER}):(?P<on>[01])"),
    "f": re.compile(r"f:(?P<confirmed>[01])"),
    "i": re.compile(r"i:(?P<on>[01])"),
    "v": re.compile(rf"v:(?P<round>{_NUMBER}):(?P<action>[spux])"),
    "m": re.compile(rf"(?P<move>[dsb]):(?P<r>{_NUMBER}):(?P<s>{_NUMBER})"),
}


def encode(callback: Callback) -> str:
    """The callback data for a button."""
    match callback:
        case Consent(agreed, version, survey_id):
            data = f"c:{int(agreed)}:{version}" + (f":{survey_id}" if survey_id else "")
        case OpenSurvey(survey_id):
            data = f"o:{survey_id}"
        case ShowReport(survey_id):
            data = f"r:{survey_id}"
        case ShowChart(survey_id):
            data = f"g:{survey_id}"
        case AnswerOption(response_id, step, option):
            data = f"a:{response_id}:{step}:{option}"
        case ToggleOption(response_id, step, option, chosen):
            data = f"t:{response_id}:{step}:{option}:{int(chosen)}"
        case QuestionMove(move, response_id, step):
            data = f"{move.value}:{response_id}:{step}"
        case Forget(confirmed):
            data = f"f:{int(confirmed)}"
        case Invitations(on):
            data = f"i:{int(on)}"
        case RoundButton(round_id, action):
            data = f"v:{round_id}:{action.value}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def decode(data: object) -> Callback | None:
    """The button behind callback data, or None for anything Doorstep did not send."""
    if not isinstance(data, str) or not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    pattern = _PATTERNS.get(data[0], _PATTERNS["m"])
    match = pattern.fullmatch(data)  # the whole string: `$` would allow a trailing newline
    if match is None:
        return None
    fields = match.groupdict()
    if data[0] == "c":
        return Consent(fields["agreed"] == "1", fields["version"], fields["survey"])
    if data[0] == "f":
        return Forget(fields["confirmed"] == "1")
    if data[0] == "i":
        return Invitations(fields["on"] == "1")
    if data[0] == "v":
        return RoundButton(int(fields["round"]), RoundAction(fields["action"]))
    if data[0] == "o":
        return OpenSurvey(fields["survey"])
    if data[0] == "r":
        return ShowReport(fields["survey"])
    if data[0] == "g":
        return ShowChart(fields["survey"])
    response_id, step = int(fields["r"]), int(fields["s"])
    if data[0] == "a":
        return AnswerOption(response_id, step, int(fields["o"]))
    if data[0] == "t":
        return ToggleOption(response_id, step, int(fields["o"]), fields["on"] == "1")
    return QuestionMove(Move(fields["move"]), response_id, step)
