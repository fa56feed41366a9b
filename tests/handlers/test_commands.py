"""The command table: what /help says, and that every menu is one Telegram accepts."""

from __future__ import annotations

import re

import pytest
from telegram.constants import BotCommandLimit

from handlers import commands
from handlers.commands import Audience

HELP = """\
<b>What I can do</b>
/surveys – the surveys open now
/start – welcome, and any survey you have not finished
/back – go back to the previous question
/skip – skip an optional question
/cancel – pause the survey; your answers are kept
/help – what I can do

<b>Your data</b>
/privacy – the privacy notice and your choice
/mydata – a file of everything held about you
/stop – no more invitations or reminders
/withdraw – stop giving answers
/forget – delete everything held about you

Tap the buttons under a question, or type your answer when asked."""


def test_help_lists_every_member_command_under_its_heading() -> None:
    assert commands.HELP == HELP


def test_every_member_command_has_a_help_heading_and_no_organiser_command_has_one() -> None:
    for command in commands.COMMANDS:
        assert (command.topic is not None) == (command.audience is Audience.MEMBERS), command.name


def test_command_names_are_unique_and_as_telegram_accepts_them() -> None:
    names = [command.name for command in commands.COMMANDS]

    assert len(set(names)) == len(names)
    for name in names:
        assert re.fullmatch(f"[a-z0-9_]{{1,{BotCommandLimit.MAX_COMMAND}}}", name), name


@pytest.mark.parametrize("audience", list(Audience))
def test_each_menu_is_one_telegram_accepts(audience: Audience) -> None:
    menu = commands.menu(audience)

    assert 0 < len(menu) <= BotCommandLimit.MAX_COMMAND_NUMBER
    for entry in menu:
        assert 0 < len(entry.description) <= BotCommandLimit.MAX_DESCRIPTION, entry.command
    assert set(commands.MENU_SCOPES) == set(Audience)


def test_the_readme_list_is_one_markdown_item_per_command() -> None:
    listed = commands.markdown_list(Audience.MEMBERS).splitlines()

    assert listed[0] == "- `/surveys` — The surveys open now"
    assert len(listed) == len(commands.of(Audience.MEMBERS))
