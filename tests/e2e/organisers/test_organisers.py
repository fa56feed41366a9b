"""Organiser chats: who may register them, which chats see reports, and what happens when the
bot is removed or can no longer post.

Reports themselves are in test_organiser_reports.py; digests, milestones and the export in
test_organiser_schedules.py; the audit log in test_audit.py. They share the bot and people of
tests/support/organisers.py and the fixtures of this folder's conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers import organiser_render as text
from tests.support.fake_telegram import BOT_USERNAME, Failure
from tests.support.harness import BotHarness, GroupChat, MemberChat
from tests.support.organisers import ADMIN, CHANNEL, GROUP, ORGANISER, digest_jobs, start_bot

KICKED = Failure(403, "Forbidden: bot was kicked from the supergroup chat")


@pytest.fixture
def group(harness: BotHarness) -> GroupChat:
    """The organisers' group, not yet registered; the administrator speaks."""
    return harness.group(GROUP, "Organisers <North> & co", ADMIN)


@pytest.fixture
def admin(harness: BotHarness) -> MemberChat:
    """The administrator's private chat with the bot."""
    return harness.member(ADMIN, "Ada")


async def registration(harness: BotHarness, chat_id: int) -> tuple | None:
    """How a chat is stored: (kind, title, area, active), or None if it is not registered."""
    found = await harness.rows(
        "SELECT kind, title, area, active FROM organiser_chats WHERE chat_id = ?", chat_id
    )
    return found[0] if found else None


# --- registering groups ------------------------------------------------------------------------


async def test_an_administrator_registers_a_group_for_all_responses(
    harness: BotHarness, group: GroupChat
) -> None:
    await group.send("/register")

    assert group.latest().plain == (
        "Registered Organisers <North> & co for reports on all responses."
        " Send /summary for results, /digest to get them on a schedule."
    )
    assert await registration(harness, GROUP) == ("group", "Organisers <North> & co", None, 1)


@pytest.mark.parametrize(
    ("command", "area", "label"),
    [
        ("/register north", "north", "North"),  # the area's value
        ("/register NORTH", "north", "North"),  # any case
        ("/register east end", "east", "East End"),  # its label, over two words
        ("/register EAST End", "east", "East End"),
    ],
)
async def test_a_group_registered_to_an_area_by_value_or_label(
    harness: BotHarness, group: GroupChat, command: str, area: str, label: str
) -> None:
    await group.send(command)

    assert group.latest().plain.startswith(
        f"Registered Organisers <North> & co for reports on the responses from {label}."
    )
    assert await registration(harness, GROUP) == ("group", "Organisers <North> & co", area, 1)


async def test_an_unknown_area_is_refused_with_the_areas_there_are(
    harness: BotHarness, group: GroupChat
) -> None:
    await group.send("/register Narnia <b>")

    # The area questions of the surveys, in file order: hostile.yaml's, then local.yaml's.
    assert group.latest().plain == (
        "No survey has the area Narnia <b>. Areas: left, right, north, south, east."
    )
    assert await registration(harness, GROUP) is None


async def test_only_an_administrator_registers_a_group(
    harness: BotHarness, group: GroupChat
) -> None:
    await group.speaker(ORGANISER).send("/register")

    assert group.latest().plain == text.ADMINS_ONLY
    assert await registration(harness, GROUP) is None


async def test_register_in_private_points_to_the_group(
    harness: BotHarness, admin: MemberChat
) -> None:
    await admin.send("/register")

    assert admin.latest().plain == text.GROUPS_ONLY
    assert await harness.count("organiser_chats") == 0


async def test_the_command_addressed_to_the_bot_by_name_works_in_a_group(
    harness: BotHarness, group: GroupChat
) -> None:
    await group.send(f"/register@{BOT_USERNAME} south")

    assert await registration(harness, GROUP) == ("group", "Organisers <North> & co", "south", 1)


async def test_an_administrator_unregisters_a_group(harness: BotHarness, group: GroupChat) -> None:
    await group.send("/register")
    await group.speaker(ORGANISER).send("/unregister")
    assert group.latest().plain == text.ADMINS_ONLY
    assert await registration(harness, GROUP) is not None

    await group.send("/unregister")
    assert group.latest().plain == text.UNREGISTERED
    assert await registration(harness, GROUP) is None
    await group.send("/unregister")
    assert group.latest().plain == text.NOT_REGISTERED

    await group.send("/summary census")
    assert group.latest().plain == text.NOT_HERE


async def test_an_administrator_unregisters_a_chat_from_private(
    harness: BotHarness, group: GroupChat, admin: MemberChat
) -> None:
    await group.send("/register")

    await admin.send(f"/unregister {GROUP}")

    assert admin.latest().plain == text.UNREGISTERED
    assert await registration(harness, GROUP) is None


async def test_registrations_survive_a_restart(database: Path) -> None:
    first = await start_bot(database)
    await first.group(GROUP, "North", ADMIN).send("/register north")
    await first.group(GROUP - 1, "Everyone", ADMIN).send("/register")

    second = await first.restart()
    north = second.group(GROUP, "North", ORGANISER)
    await north.send("/summary local")
    everyone = second.group(GROUP - 1, "Everyone", ORGANISER)
    await everyone.send("/summary local")

    assert north.latest().plain.splitlines()[:2] == ["Local priorities", "Area: North"]
    assert everyone.latest().plain.splitlines()[:2] == [
        "Local priorities",
        "Started 0 · completed 0",
    ]
    assert await registration(second, GROUP) == ("group", "North", "north", 1)
    await second.stop()
    second.assert_no_errors()


# --- registering channels ----------------------------------------------------------------------


def define_channel(harness: BotHarness, status: str = "administrator", **rights: bool) -> None:
    """@members_news, a channel in which the bot has `status`."""
    harness.api.add_chat(CHANNEL, "channel", "Members' news & <views>", username="members_news")
    harness.api.set_bot_member(CHANNEL, status, **rights)


async def test_an_administrator_registers_a_channel_the_bot_can_post_in(
    harness: BotHarness, admin: MemberChat
) -> None:
    define_channel(harness)

    await admin.send("/register_channel @members_news")

    assert admin.latest().plain.startswith(
        "Registered Members' news & <views> for reports on all responses."
    )
    assert await registration(harness, CHANNEL) == ("channel", "Members' news & <views>", None, 1)
    asked = [call.params["chat_id"] for call in harness.api.calls_of("getChatMember")]
    assert asked == [CHANNEL]


async def test_a_channel_named_by_id_with_an_area(harness: BotHarness, admin: MemberChat) -> None:
    define_channel(harness)

    await admin.send(f"/register_channel {CHANNEL} South")

    assert await registration(harness, CHANNEL) == (
        "channel",
        "Members' news & <views>",
        "south",
        1,
    )


@pytest.mark.parametrize(
    ("status", "rights"),
    [("member", {}), ("administrator", {"can_post_messages": False}), ("left", {})],
)
async def test_a_channel_the_bot_cannot_post_in_is_refused(
    harness: BotHarness, admin: MemberChat, status: str, rights: dict[str, bool]
) -> None:
    define_channel(harness, status, **rights)

    await admin.send("/register_channel @members_news")

    assert admin.latest().plain == (
        "I cannot post in @members_news: I am not an admin allowed to post messages there."
    )
    assert await harness.count("organiser_chats") == 0


async def test_a_channel_telegram_does_not_know_is_refused(
    harness: BotHarness, admin: MemberChat
) -> None:
    await admin.send("/register_channel @nobody_here")

    assert admin.latest().plain == (
        "I cannot post in @nobody_here: Telegram says “Chat not found”."
        " Add me to the channel as an admin first."
    )
    assert await harness.count("organiser_chats") == 0


async def test_a_group_is_not_registered_as_a_channel(
    harness: BotHarness, admin: MemberChat
) -> None:
    harness.api.add_chat(GROUP, "supergroup", "A group", username="a_group")

    await admin.send("/register_channel @a_group")

    assert admin.latest().plain == (
        "I cannot post in @a_group: that is not a channel (use /register in groups)."
    )
    assert await harness.count("organiser_chats") == 0


@pytest.mark.parametrize("command", ["/register_channel", "/register_channel members_news"])
async def test_register_channel_without_a_channel_shows_its_usage(
    admin: MemberChat, command: str
) -> None:
    await admin.send(command)

    assert admin.latest().plain == text.REGISTER_CHANNEL_USAGE


async def test_only_an_administrator_registers_a_channel(harness: BotHarness) -> None:
    define_channel(harness)
    organiser = harness.member(ORGANISER)

    await organiser.send("/register_channel @members_news")

    assert organiser.latest().plain == text.ADMINS_ONLY
    assert harness.api.calls_of("getChat") == []
    assert await harness.count("organiser_chats") == 0


# --- when the bot is removed -------------------------------------------------------------------


@pytest.mark.parametrize("status", ["left", "kicked"])
async def test_a_chat_the_bot_was_removed_from_is_inactive(
    harness: BotHarness, group: GroupChat, status: str
) -> None:
    await group.send("/register")

    await group.bot_status_becomes(status)

    assert await registration(harness, GROUP) == ("group", "Organisers <North> & co", None, 0)
    await group.send("/summary census")
    assert group.latest().plain == text.NOT_HERE
    await group.send("/digest daily 08:00")
    assert group.latest().plain == text.NOT_HERE


async def test_the_bot_becoming_an_admin_changes_nothing(
    harness: BotHarness, group: GroupChat
) -> None:
    await group.send("/register")

    await group.bot_status_becomes("administrator")

    assert await registration(harness, GROUP) == ("group", "Organisers <North> & co", None, 1)


async def test_a_removed_chat_registered_again_is_active_again(
    harness: BotHarness, group: GroupChat
) -> None:
    await group.send("/register")
    await group.bot_status_becomes("kicked")
    await group.bot_status_becomes("member", old_status="left")

    await group.send("/register")
    await group.speaker(ORGANISER).send("/summary local")

    assert await registration(harness, GROUP) == ("group", "Organisers <North> & co", None, 1)
    assert group.latest().plain.startswith("Local priorities\nStarted 0 · completed 0")


async def test_a_post_refused_as_forbidden_marks_the_chat_inactive(
    harness: BotHarness, group: GroupChat
) -> None:
    await group.send("/register")
    await group.send("/digest daily 08:00")
    (job,) = digest_jobs(harness)
    harness.api.fail_next("sendMessage", KICKED)

    await job.run(harness.application)

    assert await registration(harness, GROUP) == ("group", "Organisers <North> & co", None, 0)
    sent = len(harness.api.calls_of("sendMessage"))
    await job.run(harness.application)  # the next time, the digest stops itself
    assert len(harness.api.calls_of("sendMessage")) == sent
    assert digest_jobs(harness) == []


async def test_a_group_that_became_a_supergroup_keeps_its_registration(
    harness: BotHarness, group: GroupChat
) -> None:
    await group.send("/register north")
    await group.send("/digest daily 08:00")
    new_id = GROUP - 5

    await group.send_service(migrate_to_chat_id=new_id)

    assert await registration(harness, GROUP) is None
    assert await registration(harness, new_id) == ("group", "Organisers <North> & co", "north", 1)
    assert [job.name for job in digest_jobs(harness)] == [f"digest:{new_id}"]


# --- who sees reports --------------------------------------------------------------------------


async def test_an_unregistered_group_gets_one_line_and_no_data(
    harness: BotHarness, group: GroupChat
) -> None:
    await harness.member(5001).take_survey("pulse", "Yes")

    await group.speaker(ORGANISER).send("/summary")
    await group.speaker(ORGANISER).send("/summary pulse")
    await group.speaker(ADMIN).send("/summary pulse by mood")

    assert [message.plain for message in group.messages()] == [text.NOT_HERE] * 3


async def test_a_forged_report_button_in_an_unregistered_group_shows_nothing(
    harness: BotHarness, group: GroupChat
) -> None:
    await group.send("/summary")  # refused: the only message there
    for data in ("r:pulse", "g:pulse"):
        await group.press(data)

    assert [message.plain for message in group.messages()] == [text.NOT_HERE]
    answers = [call.params.get("text") for call in harness.api.calls_of("answerCallbackQuery")]
    assert answers == [text.NOT_HERE, text.NOT_HERE]


async def test_in_private_only_an_administrator_sees_reports(
    harness: BotHarness, admin: MemberChat
) -> None:
    organiser = harness.member(ORGANISER)
    await organiser.send("/summary")
    await organiser.send("/summary pulse")
    assert organiser.texts_since(0) == [text.NOT_HERE] * 2

    await admin.send("/summary pulse")
    assert admin.latest().plain.startswith("Pulse\nStarted 0 · completed 0")


async def test_any_member_of_a_registered_group_sees_reports(
    harness: BotHarness, group: GroupChat
) -> None:
    await group.send("/register")

    await group.speaker(ORGANISER).send("/summary pulse")

    assert group.latest().plain.startswith("Pulse\nStarted 0 · completed 0")


async def test_a_summary_of_an_unknown_survey_or_in_bad_words_is_explained(
    group: GroupChat,
) -> None:
    await group.send("/register")

    await group.send("/summary nonsense")
    await group.send("/summary pulse now please")

    assert group.texts_since(1) == [
        "There is no survey “nonsense”. Send /summary to see the surveys.",
        text.SUMMARY_USAGE,
    ]


async def test_a_group_that_became_an_already_registered_supergroup_keeps_that_registration(
    harness: BotHarness, group: GroupChat
) -> None:
    await group.send("/register north")
    new_id = GROUP - 5
    supergroup = harness.group(new_id, "New", ADMIN)
    await supergroup.send("/register south")

    await group.send_service(migrate_to_chat_id=new_id)

    assert await registration(harness, GROUP) is None
    assert await registration(harness, new_id) == ("group", "New", "south", 1)


async def test_a_word_typed_after_summary_is_escaped_in_the_reply(
    harness: BotHarness, group: GroupChat
) -> None:
    await group.send("/register")

    await group.speaker(ORGANISER).send("/summary <b")
    await group.speaker(ORGANISER).send("/summary local by <i>x&")

    assert group.messages()[-2].plain.startswith("There is no survey “<b”.")
    assert group.latest().plain.startswith("“<i>x&” is not a breakdown question")
