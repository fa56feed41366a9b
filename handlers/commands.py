"""Every slash command of the bot, once: bot.py registers a handler for each entry of `COMMANDS`,
and the command menus, the /help text and the README's command lists are made from it too.

A new command is one more `Command` here; where it works follows from its audience.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from html import escape

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.ext import ContextTypes

from handlers import contact, conversation, privacy, render
from handlers.context import Callback, message_of
from handlers.organisers import administration, digests, invitations, registration
from handlers.organisers import reports as organiser_reports


class Audience(Enum):
    """Who a command is for, and so where it works. The value names its list in the README."""

    # In private chats only; sent elsewhere, a pointer to the private chat answers.
    MEMBERS = "private"
    # Anywhere: in organiser chats, and administrators in private (each callback checks who).
    ORGANISERS = "organisers"


class Topic(Enum):
    """The heading a member command is listed under in /help, in this order."""

    SURVEYS = "What I can do"
    DATA = "Your data"


@dataclass(frozen=True)
class Command:
    """One slash command: its name (without the slash), one line saying what it does (plain
    text: the menu shows it as it is), and the callback that answers it."""

    name: str
    description: str
    callback: Callback
    audience: Audience
    topic: Topic | None = None  # member commands: where /help lists it
    in_menu: bool = True  # shown in the audience's command menu


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: what the bot can do."""
    await message_of(update).reply_text(HELP)


# In the order menus, /help and the README list them.
COMMANDS = (
    Command(
        "surveys",
        "The surveys open now",
        conversation.list_surveys,
        Audience.MEMBERS,
        Topic.SURVEYS,
    ),
    Command(
        "start",
        "Welcome, and any survey you have not finished",
        conversation.start,
        Audience.MEMBERS,
        Topic.SURVEYS,
    ),
    Command(
        "back",
        "Go back to the previous question",
        conversation.back_command,
        Audience.MEMBERS,
        Topic.SURVEYS,
    ),
    Command(
        "skip",
        "Skip an optional question",
        conversation.skip_command,
        Audience.MEMBERS,
        Topic.SURVEYS,
    ),
    Command(
        "cancel",
        "Pause the survey; your answers are kept",
        conversation.cancel,
        Audience.MEMBERS,
        Topic.SURVEYS,
    ),
    Command(
        "help",
        "What I can do",
        help_command,
        Audience.MEMBERS,
        Topic.SURVEYS,
    ),
    Command(
        "privacy",
        "The privacy notice and your choice",
        privacy.privacy_command,
        Audience.MEMBERS,
        Topic.DATA,
    ),
    Command(
        "mydata",
        "A file of everything held about you",
        privacy.mydata_command,
        Audience.MEMBERS,
        Topic.DATA,
    ),
    Command(
        "stop",
        "No more invitations or reminders",
        contact.stop_command,
        Audience.MEMBERS,
        Topic.DATA,
    ),
    Command(
        "withdraw",
        "Stop giving answers",
        privacy.withdraw_command,
        Audience.MEMBERS,
        Topic.DATA,
    ),
    Command(
        "forget",
        "Delete everything held about you",
        privacy.forget_command,
        Audience.MEMBERS,
        Topic.DATA,
    ),
    Command(
        "register",
        "Make a group an organiser chat; /register AREA shows it only that area's responses",
        registration.register,
        Audience.ORGANISERS,
        in_menu=False,
    ),
    Command(
        "unregister",
        "Stop reports and digests in a chat",
        registration.unregister,
        Audience.ORGANISERS,
        in_menu=False,
    ),
    Command(
        "register_channel",
        "Register a channel (administrators, in private)",
        registration.register_channel,
        Audience.ORGANISERS,
        in_menu=False,
    ),
    Command(
        "summary",
        "Survey results (aggregated), with breakdowns by a question and charts",
        organiser_reports.summary_command,
        Audience.ORGANISERS,
    ),
    Command(
        "digest",
        "Post the reports on a schedule: daily HH:MM, weekly DAY HH:MM, off",
        digests.digest_command,
        Audience.ORGANISERS,
    ),
    Command(
        "export",
        "A survey's responses as a CSV file (administrators, in private)",
        administration.export_command,
        Audience.ORGANISERS,
        in_menu=False,
    ),
    Command(
        "invite",
        "Invite members to a survey: /invite SURVEY [AREA] (administrators, in private)",
        invitations.invite_command,
        Audience.ORGANISERS,
        in_menu=False,
    ),
    Command(
        "invites",
        "The recent invitation rounds (administrators, in private)",
        invitations.invites_command,
        Audience.ORGANISERS,
        in_menu=False,
    ),
    Command(
        "audit",
        "The newest entries of the audit log (administrators, in private)",
        administration.audit_command,
        Audience.ORGANISERS,
        in_menu=False,
    ),
)

# Each audience's menu: members in private chats, organisers in groups (administrators use their
# commands in private too, but members there should not see them offered).
MENU_SCOPES: dict[Audience, BotCommandScope] = {
    Audience.MEMBERS: BotCommandScopeAllPrivateChats(),
    Audience.ORGANISERS: BotCommandScopeAllGroupChats(),
}


def of(audience: Audience) -> list[Command]:
    """The commands of one audience, in table order."""
    return [command for command in COMMANDS if command.audience is audience]


def menu(audience: Audience) -> list[BotCommand]:
    """The command menu Telegram shows the audience."""
    return [
        BotCommand(command.name, command.description) for command in of(audience) if command.in_menu
    ]


def _help_text() -> str:
    """/help: the member commands under their headings, in HTML."""
    sections = [
        "\n".join(
            [
                f"<b>{escape(topic.value)}</b>",
                *(
                    f"/{command.name} – {escape(_lower_first(command.description))}"
                    for command in of(Audience.MEMBERS)
                    if command.topic is topic
                ),
            ]
        )
        for topic in Topic
    ]
    return "\n\n".join([*sections, render.HELP_FOOTER])


def markdown_list(audience: Audience) -> str:
    """The audience's commands as the README lists them, one Markdown list item a line."""
    return "\n".join(f"- `/{command.name}` — {command.description}" for command in of(audience))


def _lower_first(text: str) -> str:
    """A menu description as it reads after a dash in /help."""
    return text[:1].lower() + text[1:]


HELP = _help_text()
