"""Invitations, reminders and opting out, end to end through the fake Bot API: an administrator
previews and sends a round, members get one invitation each (or are left out, and why), and
turn invitations off and on; reminders go once, and only to idle responses; a crash mid-round
sends no one a second invitation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from handlers.send_budget import SendBudget
from handlers.sender import SENDER_KEY, Sender
from tests.support.fake_telegram import Failure, ShownMessage
from tests.support.harness import BotHarness, MemberChat

REACH_SURVEYS = Path(__file__).parent.parent / "support" / "reach_surveys"
ADMIN = 1001
BLOCKED = Failure(403, "Forbidden: bot was blocked by the user")


@pytest.fixture
async def harness(database: Path) -> AsyncIterator[BotHarness]:
    running = await BotHarness.start(database, REACH_SURVEYS, admins={ADMIN})
    yield running
    await running.stop()
    running.assert_no_errors()


@pytest.fixture
def admin(harness: BotHarness) -> MemberChat:
    return harness.member(ADMIN, "Admin")


async def agreed(harness: BotHarness, *user_ids: int) -> list[MemberChat]:
    """Members who agreed to the notice (and answered nothing)."""
    chats = []
    for user_id in user_ids:
        chat = harness.member(user_id)
        await chat.send("/start")
        await chat.tap("I agree")
        chats.append(chat)
    return chats


async def living_in(harness: BotHarness, user_id: int, area: str) -> MemberChat:
    """A member who answered the area question of `local`, and stopped there."""
    (chat,) = await agreed(harness, user_id)
    await chat.send("/start local")
    await chat.tap(area)
    return chat


def invitations(chat: MemberChat, title: str = "Local priorities") -> list[ShownMessage]:
    """The invitations in a member's chat."""
    return [
        message
        for message in chat.messages()
        if "Take part" in message.labels() and message.plain.startswith(title)
    ]


def reminders(chat: MemberChat) -> list[ShownMessage]:
    return [m for m in chat.messages() if m.plain.startswith("You have not finished")]


async def preview(admin: MemberChat, command: str = "/invite local") -> ShownMessage:
    await admin.send(command)
    return admin.latest()


async def send_round(
    harness: BotHarness, admin: MemberChat, command: str = "/invite local"
) -> None:
    shown = await preview(admin, command)
    send = next(label for label in shown.labels() if label.startswith("Send to"))
    await admin.tap(send, shown)
    await harness.send_bulk()


# --- preview and send -----------------------------------------------------------------------


async def test_the_preview_quotes_the_invitation_counts_the_audience_and_sends_nothing(
    harness: BotHarness, admin: MemberChat
):
    members = await agreed(harness, 1, 2, 3)
    await members[2].send("/stop")

    shown = await preview(admin)
    await harness.send_bulk()

    assert "Members will read:" in shown.plain
    assert "Three questions about where you live." in shown.plain
    assert "It reaches 2 members." in shown.plain
    assert "0 already done, 1 turned invitations off, 0 unreachable" in shown.plain
    assert shown.labels() == ["Send to 2 members", "Cancel"]
    assert all(invitations(member) == [] for member in members)


async def test_send_invites_each_member_once_and_the_card_shows_the_round(
    harness: BotHarness, admin: MemberChat
):
    members = await agreed(harness, 1, 2)

    await send_round(harness, admin)
    await harness.send_bulk()  # nothing more to send

    for member in members:
        (invitation,) = invitations(member)
        assert invitation.labels() == ["Take part", "No more invitations"]
    card = admin.latest()
    assert "Finished." in card.plain
    assert "2 of 2" in card.plain
    assert "Sent 2" in card.plain
    assert card.labels() == []


async def test_take_part_opens_the_survey_and_a_started_one_resumes(
    harness: BotHarness, admin: MemberChat
):
    (fresh,) = await agreed(harness, 1)
    started = await living_in(harness, 2, "North")

    await send_round(harness, admin)
    await fresh.tap("Take part", invitations(fresh)[0])
    await started.tap("Take part", invitations(started)[0])

    assert "Where do you live?" in fresh.latest().plain
    assert "Do you rent?" in started.latest().plain


async def test_a_round_is_recorded_in_the_audit_log_and_listed_by_invites(
    harness: BotHarness, admin: MemberChat
):
    await agreed(harness, 1, 2)

    await send_round(harness, admin)
    await admin.send("/audit")
    audit = admin.latest().plain
    await admin.send("/invites")
    listed = admin.latest().plain

    assert "invite" in audit
    assert "every area: 2 members" in audit
    assert "Local priorities · every area · finished · sent 2 of 2" in listed


async def test_an_area_round_reaches_only_the_members_of_that_area(
    harness: BotHarness, admin: MemberChat
):
    north = await living_in(harness, 1, "North")
    south = await living_in(harness, 2, "South")
    (nowhere,) = await agreed(harness, 3)

    await send_round(harness, admin, "/invite local north")

    assert len(invitations(north)) == 1
    assert invitations(south) == invitations(nowhere) == []


async def test_a_second_round_reaches_only_those_who_have_not_responded_since(
    harness: BotHarness, admin: MemberChat
):
    eager, idle = await agreed(harness, 1, 2)
    await send_round(harness, admin)
    harness.clock.advance(hours=2)
    await eager.tap("Take part", invitations(eager)[0])

    await send_round(harness, admin)

    assert len(invitations(eager)) == 1
    assert len(invitations(idle)) == 2


async def test_bad_invite_commands_get_one_line_and_change_nothing(
    harness: BotHarness, admin: MemberChat
):
    await agreed(harness, 1)
    replies = []
    for command in ("/invite", "/invite nope", "/invite ending local", "/invite pulse north"):
        await admin.send(command)
        replies.append(admin.latest().plain)

    assert replies[0].startswith("Send /invite SURVEY")
    assert replies[1] == "That survey is not open, so I cannot invite anyone to it."
    assert replies[2].startswith("No survey has the area")
    assert replies[3] == "Weekly pulse has no area question, so it cannot be sent to one area."
    assert await harness.count("invitation_rounds") == 0


async def test_only_administrators_invite(harness: BotHarness):
    (member,) = await agreed(harness, 1)

    await member.send("/invite local")
    forged = await member.press("v:1:s")

    assert member.latest().plain == "Only a Doorstep administrator can do that."
    assert forged is not None
    assert await harness.count("invitation_rounds") == 0


# --- pause, resume, cancel ------------------------------------------------------------------


async def test_pause_holds_the_round_resume_finishes_it_and_cancel_stops_it(
    harness: BotHarness, admin: MemberChat
):
    members = await agreed(harness, 1, 2)
    shown = await preview(admin)
    await admin.tap("Send to 2 members", shown)

    await admin.tap("Pause", admin.messages()[-1])
    await harness.send_bulk()
    paused = [invitations(m) for m in members]
    card = admin.latest()  # the preview, edited into the progress card
    paused_card = (card.plain, card.labels())
    await admin.tap("Resume", card)
    await harness.send_bulk()

    assert paused == [[], []]
    assert "Paused" in paused_card[0]
    assert paused_card[1] == ["Resume", "Cancel"]
    assert "Finished." in card.plain
    assert all(len(invitations(m)) == 1 for m in members)


async def test_a_cancelled_round_sends_nothing_more(harness: BotHarness, admin: MemberChat):
    members = await agreed(harness, 1, 2)
    shown = await preview(admin)
    await admin.tap("Send to 2 members", shown)

    await admin.tap("Cancel", admin.latest())
    await harness.send_bulk()

    assert all(invitations(m) == [] for m in members)
    assert "Cancelled" in admin.latest().plain


async def test_cancel_on_a_preview_sends_nothing_and_send_afterwards_is_refused(
    harness: BotHarness, admin: MemberChat
):
    (member,) = await agreed(harness, 1)
    shown = await preview(admin)
    send = shown.buttons()[0]["callback_data"]

    await admin.tap("Cancel", shown)
    await admin.press(send, shown)  # Send, tapped on a copy of the preview seen before
    await harness.send_bulk()

    assert admin.latest().plain == "Cancelled: nothing was sent."
    assert invitations(member) == []


async def test_a_round_stops_when_its_survey_closes(harness: BotHarness, admin: MemberChat):
    members = await agreed(harness, 1, 2)
    shown = await preview(admin, "/invite ending")
    await admin.tap("Send to 2 members", shown)

    harness.clock.advance(days=1)  # "ending" closes at the end of the 29th
    await harness.send_bulk()

    assert all(invitations(m, "Last call") == [] for m in members)
    assert "Stopped: the survey closed." in admin.latest().plain


# --- quiet hours ----------------------------------------------------------------------------


async def test_nothing_goes_in_quiet_hours_and_the_round_resumes_when_they_end(
    harness: BotHarness, admin: MemberChat
):
    (member,) = await agreed(harness, 1)
    harness.clock.advance(hours=10)  # 22:00 in London
    await send_round(harness, admin)
    during = invitations(member)
    card = admin.latest().plain

    harness.clock.advance(hours=11)  # 09:00
    await harness.send_bulk()

    assert during == []
    assert "quiet hours end at 09:00" in card
    assert len(invitations(member)) == 1


async def test_quiet_hours_never_hold_a_reply(harness: BotHarness):
    harness.clock.advance(hours=12)  # midnight
    (member,) = await agreed(harness, 1)

    await member.send("/start local")

    assert "Where do you live?" in member.latest().plain


# --- exclusions -----------------------------------------------------------------------------


async def test_every_exclusion(harness: BotHarness, admin: MemberChat):
    invited, turned_off, blocked, withdrew = await agreed(harness, 1, 2, 3, 4)
    done = await living_in(harness, 5, "North")
    await done.tap("Yes")
    await done.tap("Housing")
    never_agreed = harness.member(6)
    await never_agreed.send("/start")
    await turned_off.send("/stop")
    await blocked.bot_status_becomes("kicked")
    await withdrew.send("/withdraw")

    shown = await preview(admin)
    await admin.tap("Send to 1 members", shown)
    await harness.send_bulk()

    assert "1 already done, 1 turned invitations off, 1 unreachable" in shown.plain
    assert len(invitations(invited)) == 1
    for member in (done, turned_off, blocked, withdrew, never_agreed):
        assert invitations(member) == []


async def test_a_repeatable_survey_invites_again_those_who_took_it_before_the_last_round(
    harness: BotHarness, admin: MemberChat
):
    (member,) = await agreed(harness, 1)
    await member.send("/start pulse")
    await member.tap("Yes")

    await send_round(harness, admin, "/invite pulse")

    assert len(invitations(member, "Weekly pulse")) == 1


async def test_a_member_who_turns_invitations_off_after_the_round_starts_is_skipped(
    harness: BotHarness, admin: MemberChat
):
    (member,) = await agreed(harness, 1)
    shown = await preview(admin)
    await admin.tap("Send to 1 members", shown)

    await member.send("/stop")
    await harness.send_bulk()

    assert invitations(member) == []
    assert "skipped 1" in admin.latest().plain


# --- reachability ---------------------------------------------------------------------------


async def test_a_403_makes_the_member_unreachable_until_they_unblock_the_bot(
    harness: BotHarness, admin: MemberChat
):
    (member,) = await agreed(harness, 1)
    harness.api.fail_next("sendMessage", BLOCKED, chat_id=member.chat_id)

    await send_round(harness, admin)
    card = admin.latest().plain
    left_out = (await preview(admin)).plain
    await member.bot_status_becomes("member", old_status="kicked")
    back = (await preview(admin)).plain

    assert "unreachable 1" in card
    assert "1 unreachable" in left_out
    assert "It reaches 1 members." in back


async def test_a_member_found_unreachable_who_writes_to_the_bot_is_reachable_again(
    harness: BotHarness, admin: MemberChat
):
    writer, tapper = await agreed(harness, 1, 2)
    await tapper.send("/start pulse")  # a response open, its question shown
    for member in (writer, tapper):
        harness.api.fail_next(
            "sendMessage", Failure(400, "Bad Request: chat not found"), chat_id=member.chat_id
        )
    await send_round(harness, admin)
    assert "2 unreachable" in (await preview(admin)).plain

    await writer.send("/start pulse")  # Telegram found their chat after all
    await tapper.tap(tapper.latest().labels()[0])  # someone who blocked the bot can still tap

    assert "1 unreachable" in (await preview(admin)).plain
    assert (
        await harness.scalar("SELECT telegram_id FROM members WHERE unreachable_since IS NOT NULL")
        == tapper.user_id
    )


async def test_chat_not_found_is_unreachable_and_server_errors_are_retried_then_failed(
    harness: BotHarness, admin: MemberChat
):
    gone, flaky = await agreed(harness, 1, 2)
    harness.api.fail_next(
        "sendMessage", Failure(400, "Bad Request: chat not found"), chat_id=gone.chat_id
    )
    harness.api.fail_next(
        "sendMessage", Failure(500, "Internal Server Error"), times=3, chat_id=flaky.chat_id
    )

    await send_round(harness, admin)
    for _ in range(3):  # each retry waits its backoff
        harness.clock.advance(minutes=30)
        await harness.send_bulk()

    card = admin.latest().plain
    assert "unreachable 1" in card
    assert "failed 1" in card
    assert invitations(flaky) == []
    assert len(harness.api.calls_of("sendMessage")) >= 3


async def test_a_passing_server_error_is_retried_and_the_invitation_goes(
    harness: BotHarness, admin: MemberChat
):
    (member,) = await agreed(harness, 1)
    harness.api.fail_next("sendMessage", Failure(502, "Bad Gateway"), chat_id=member.chat_id)

    await send_round(harness, admin)
    before_retry = invitations(member)
    harness.clock.advance(minutes=30)
    await harness.send_bulk()

    assert before_retry == []
    assert len(invitations(member)) == 1


# --- /stop, the button, /privacy ------------------------------------------------------------


async def test_no_more_invitations_turns_them_off_and_privacy_turns_them_on(
    harness: BotHarness, admin: MemberChat
):
    member, other = await agreed(harness, 1, 2)
    await send_round(harness, admin)

    await member.tap("No more invitations", invitations(member)[0])
    toast = member.callback_answers()[-1]
    flipped = invitations(member)[0].labels()
    await send_round(harness, admin)
    while_off = len(invitations(member))
    await member.send("/privacy")
    privacy_off = member.latest()
    await member.tap("Turn invitations back on", privacy_off)
    await send_round(harness, admin)

    assert toast["text"].startswith("Done: no more invitations")
    assert flipped == ["Take part", "Turn invitations back on"]
    assert while_off == 1
    assert "Invitations:</b> off" in privacy_off.text
    assert len(invitations(member)) == 2
    assert len(invitations(other)) == 3


async def test_stop_turns_invitations_off_and_says_how_to_undo_it(harness: BotHarness):
    (member,) = await agreed(harness, 1)

    await member.send("/stop")

    assert member.latest().plain.startswith("Done: no more invitations or reminders.")
    assert member.latest().labels() == ["Turn invitations back on"]
    await member.tap("Turn invitations back on")
    assert member.callback_answers()[-1]["text"].startswith("Invitations are on")


async def test_stop_from_someone_never_recorded_stores_nothing(harness: BotHarness):
    stranger = harness.member(77)

    await stranger.send("/stop")

    assert "nothing about you is stored" in stranger.latest().plain
    assert await harness.count("members") == 0


async def test_mydata_shows_invitations_and_forget_deletes_them(
    harness: BotHarness, admin: MemberChat
):
    member = await living_in(harness, 1, "South")
    await send_round(harness, admin)

    assert await harness.scalar("SELECT count(*) FROM outbox") == 1
    await member.send("/forget")
    await member.tap("Delete everything")

    assert await harness.scalar("SELECT count(*) FROM outbox") == 0
    assert await harness.count("members") == 0


# --- reminders ------------------------------------------------------------------------------


async def test_a_reminder_goes_once_to_an_idle_response(harness: BotHarness):
    member = await living_in(harness, 1, "North")

    harness.clock.advance(hours=47)
    await harness.send_bulk()
    too_soon = reminders(member)
    harness.clock.advance(hours=2)
    await harness.send_bulk()
    harness.clock.advance(hours=100)
    await harness.send_bulk()

    assert too_soon == []
    (reminder,) = reminders(member)
    assert reminder.labels() == ["Continue", "No more invitations"]
    await member.tap("Continue", reminder)
    assert "Do you rent?" in member.latest().plain


async def test_no_reminder_for_an_active_finished_or_opted_out_member(harness: BotHarness):
    active = await living_in(harness, 1, "North")
    finished = await living_in(harness, 2, "North")
    await finished.tap("Yes")
    await finished.tap("Housing")
    opted_out = await living_in(harness, 3, "North")
    await opted_out.send("/stop")

    harness.clock.advance(hours=30)
    await active.tap("Yes")  # active again: idle from now
    harness.clock.advance(hours=30)
    await harness.send_bulk()

    assert reminders(active) == reminders(finished) == reminders(opted_out) == []


# --- crashes --------------------------------------------------------------------------------


async def test_a_crash_mid_round_sends_no_one_a_second_invitation(database: Path):
    first = await BotHarness.start(database, REACH_SURVEYS, admins={ADMIN})
    members = await agreed(first, *range(1, 41))
    admin = first.member(ADMIN, "Admin")
    shown = await preview(admin)
    await admin.tap("Send to 40 members", shown)
    stuck = members[20]  # in the second batch of 16
    first.api.hold(stuck.chat_id)  # its send hangs; the process dies meanwhile

    sending = asyncio.create_task(first.send_bulk())
    # Polling what the chats show: the fake Bot API has no event for "31 sent".
    while sum(len(invitations(m)) for m in members) < 31 and not sending.done():  # noqa: ASYNC110
        await asyncio.sleep(0.01)  # the first batch, and the rest of the second, go out
    sending.cancel()  # SIGKILL: the second batch is claimed and never settled
    first.api.release(stuck.chat_id)
    second = await first.restart()
    await second.send_bulk()

    counts = [len(invitations(member)) for member in members]
    assert max(counts) == 1  # no duplicates
    unknown = await second.scalar("SELECT count(*) FROM outbox WHERE state = 'unknown'")
    assert unknown == 16  # one batch was in flight
    assert counts.count(0) == 1  # the one that hung never went, and is not sent again
    assert await second.scalar("SELECT count(*) FROM outbox WHERE state = 'sent'") == 24
    await second.stop()
    second.assert_no_errors()


async def test_a_second_round_waits_until_the_first_is_over(harness: BotHarness, admin: MemberChat):
    (member,) = await agreed(harness, 1)
    first = await preview(admin)
    second = await preview(admin)  # previewed before the first started
    await admin.tap("Send to 1 members", first)

    await admin.tap("Send to 1 members", second)
    refused = admin.callback_answers()[-1]["text"]
    await admin.send("/invite local")
    refused_again = admin.latest().plain
    await harness.send_bulk()

    assert refused.startswith("A round of this survey is still going")
    assert refused_again == refused
    assert len(invitations(member)) == 1


async def test_bulk_never_delays_a_reply(database: Path):
    """With a budget of 10 messages a second, a round to 30 members takes three seconds; a
    member who writes meanwhile is answered at the next free slot, not after the round."""
    budget = SendBudget(overall_rate=10, per_chat_rate=0, group_per_minute=0)
    running = await BotHarness.start(database, REACH_SURVEYS, admins={ADMIN}, rate_limiter=budget)
    for user_id in range(1, 32):  # agreed beforehand: their replies would take the budget's time
        await running.db.members.record_consent(
            user_id, True, running.notice.version, running.clock(), message_id=1
        )
    admin = running.member(ADMIN, "Admin")
    shown = await preview(admin)
    await admin.tap("Send to 31 members", shown)
    invited = [running.member(user_id) for user_id in range(2, 32)]
    answering = running.member(1)

    sending = asyncio.create_task(running.send_bulk())
    await asyncio.sleep(0.5)  # the round is under way
    before = sum(len(invitations(m)) for m in invited)
    await answering.send("/start local")
    after = sum(len(invitations(m)) for m in invited)
    await sending

    assert "Where do you live?" in answering.latest().plain
    assert 0 < before < 15  # the round had started, and had far to go
    assert after - before <= 2  # the reply waited behind one invitation at most
    assert all(len(invitations(m)) == 1 for m in invited)
    await running.stop()
    running.assert_no_errors()


async def test_a_send_that_timed_out_may_have_arrived_so_it_is_never_sent_again(
    harness: BotHarness, admin: MemberChat
):
    timed_out, offline = await agreed(harness, 1, 2)
    harness.api.fail_next("sendMessage", TimedOut(), chat_id=timed_out.chat_id)
    harness.api.fail_next(
        "sendMessage", NetworkError("connection refused"), chat_id=offline.chat_id
    )

    await send_round(harness, admin)
    harness.clock.advance(minutes=30)
    await harness.send_bulk()

    assert invitations(timed_out) == []  # its fate is unknown: not tried again
    assert len(invitations(offline)) == 1  # never left: tried again
    assert "unknown 1" in admin.latest().plain


# --- what a review tried (each failed once) ---------------------------------------------------


async def wait_until(predicate: Callable[[], bool], task: asyncio.Task[None]) -> None:
    """Poll what the fake Bot API recorded until `predicate` holds (or `task` ends)."""
    while not predicate() and not task.done():  # noqa: ASYNC110  (the fake has no events)
        await asyncio.sleep(0.005)


def refused_once(chat: MemberChat, seconds: int = 1) -> None:
    """Telegram refuses the next message to this chat with a 429."""
    failure = Failure(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
    chat.harness.api.fail_next("sendMessage", failure, chat_id=chat.chat_id)


def tried(chat: MemberChat) -> Callable[[], bool]:
    """Whether the bot has tried to send to this chat (refused or not) since this was asked:
    the chat's earlier messages (the notice, say) do not count."""
    calls = chat.harness.api.calls
    since = len(calls)
    return lambda: any(
        call.method == "sendMessage" and int(call.params["chat_id"]) == chat.chat_id
        for call in calls[since:]
    )


async def test_a_member_who_stops_while_the_bulk_lane_waits_out_a_429_is_not_invited(
    database: Path,
):
    running = await BotHarness.start(
        database, REACH_SURVEYS, admins={ADMIN}, rate_limiter=SendBudget(max_retries=1)
    )
    first, second = await agreed(running, 1, 2)
    admin = running.member(ADMIN, "Admin")
    await admin.tap("Send to 2 members", await preview(admin))
    refused_once(first, seconds=2)  # bulk waits: the batch is claimed, and waits for its slots

    sending = asyncio.create_task(running.send_bulk())
    await wait_until(tried(first), sending)
    assert invitations(second) == []
    await second.send("/stop")  # a reply: it goes at once
    await sending

    assert len(invitations(first)) == 1
    assert invitations(second) == []  # its slot came after the pause: its last look said no
    assert await running.scalar("SELECT state FROM outbox WHERE member_id = 2") == "skipped"
    await running.stop()
    running.assert_no_errors()


async def test_cancel_while_a_batch_waits_out_a_429_sends_nothing_more(database: Path):
    running = await BotHarness.start(
        database, REACH_SURVEYS, admins={ADMIN}, rate_limiter=SendBudget(max_retries=1)
    )
    members = await agreed(running, 1, 2, 3)
    admin = running.member(ADMIN, "Admin")
    shown = await preview(admin)
    await admin.tap("Send to 3 members", shown)
    refused_once(members[0])

    sending = asyncio.create_task(running.send_bulk())
    await wait_until(tried(members[0]), sending)
    before = [len(invitations(m)) for m in members]
    await admin.tap("Cancel", shown)
    await sending

    assert before[0] == 0  # refused, waiting out its pause
    assert [len(invitations(m)) for m in members] == before  # nothing after the cancel
    assert "Cancelled" in shown.plain
    await running.stop()
    running.assert_no_errors()


async def test_a_pause_while_a_batch_waits_out_a_429_holds_it_and_resume_sends_it(
    database: Path,
):
    running = await BotHarness.start(
        database, REACH_SURVEYS, admins={ADMIN}, rate_limiter=SendBudget(max_retries=1)
    )
    members = await agreed(running, 1, 2, 3)
    admin = running.member(ADMIN, "Admin")
    shown = await preview(admin)
    await admin.tap("Send to 3 members", shown)
    refused_once(members[0])

    sending = asyncio.create_task(running.send_bulk())
    await wait_until(tried(members[0]), sending)
    await admin.tap("Pause", shown)
    await sending
    held = await running.rows("SELECT state, attempts FROM outbox ORDER BY member_id")
    await admin.tap("Resume", shown)
    await running.send_bulk()

    assert held == [("waiting", 0)] * 3  # none skipped, no attempt counted
    assert [len(invitations(m)) for m in members] == [1, 1, 1]
    assert "Sent 3 · waiting 0 · failed 0 · unreachable 0 · skipped 0" in shown.plain
    await running.stop()
    running.assert_no_errors()


async def test_a_pause_during_a_slow_batch_loses_no_invitation(database: Path):
    budget = SendBudget(overall_rate=4, per_chat_rate=0, group_per_minute=0)
    running = await BotHarness.start(database, REACH_SURVEYS, admins={ADMIN}, rate_limiter=budget)
    members = await agreed(running, *range(1, 13))
    admin = running.member(ADMIN, "Admin")
    shown = await preview(admin)
    await admin.tap("Send to 12 members", shown)

    sending = asyncio.create_task(running.send_bulk())  # 12 at 4 a second: 3 s
    await asyncio.sleep(0.3)
    await admin.tap("Pause", shown)
    await sending
    sent_before_resume = sum(len(invitations(m)) for m in members)
    await admin.tap("Resume", shown)
    await running.send_bulk()

    assert sent_before_resume < 12  # those waiting over a second looked, and were held
    assert [len(invitations(m)) for m in members] == [1] * 12
    await running.stop()
    running.assert_no_errors()


async def test_a_message_written_while_the_batch_is_in_hand_is_not_undone_by_its_settling(
    harness: BotHarness, admin: MemberChat
):
    lost, slow = await agreed(harness, 1, 2)
    await admin.tap("Send to 2 members", await preview(admin))
    harness.api.fail_next(
        "sendMessage", Failure(400, "Bad Request: chat not found"), chat_id=lost.chat_id
    )
    harness.api.hold(slow.chat_id)  # the batch is settled once this send is answered

    sending = asyncio.create_task(harness.send_bulk())
    await wait_until(tried(lost), sending)
    await lost.send("/start pulse")  # Telegram found their chat after all
    harness.api.release(slow.chat_id)
    await sending

    assert "Feeling hopeful?" in lost.latest().plain
    assert (
        await harness.scalar(
            "SELECT unreachable_since FROM members WHERE telegram_id = ?", lost.user_id
        )
        is None
    )


async def test_a_round_cancelled_while_another_sends_sends_nothing(
    harness: BotHarness, admin: MemberChat
):
    north = await living_in(harness, 1, "North")
    others = await agreed(harness, 2, 3)
    await admin.tap("Send to 1 members", await preview(admin, "/invite local north"))
    second = await preview(admin, "/invite pulse")
    await admin.tap("Send to 3 members", second)
    harness.api.hold(north.chat_id)  # the first round's send is slow

    sending = asyncio.create_task(harness.send_bulk())
    await asyncio.sleep(0.05)
    await admin.tap("Cancel", second)
    harness.api.release(north.chat_id)
    await sending

    assert [invitations(m, "Weekly pulse") for m in others] == [[], []]


async def test_two_administrators_tapping_send_at_once_start_one_round(database: Path):
    running = await BotHarness.start(database, REACH_SURVEYS, admins={ADMIN, ADMIN + 1})
    (member,) = await agreed(running, 1)
    one, other = running.member(ADMIN, "A"), running.member(ADMIN + 1, "B")
    first, second = await preview(one), await preview(other)

    await asyncio.gather(
        one.tap("Send to 1 members", first), other.tap("Send to 1 members", second)
    )
    await running.send_bulk()

    assert len(invitations(member)) == 1
    assert (
        await running.scalar("SELECT count(*) FROM invitation_rounds WHERE state = 'finished'") == 1
    )
    await running.stop()
    running.assert_no_errors()


async def test_an_unexpected_refusal_of_one_send_strands_nothing(
    harness: BotHarness, admin: MemberChat
):
    members = await agreed(harness, 1, 2, 3)
    harness.api.fail_next("sendMessage", Failure(401, "Unauthorized"), chat_id=1)
    await admin.tap("Send to 3 members", await preview(admin))

    await harness.send_bulk()

    assert [len(invitations(m)) for m in members] == [0, 1, 1]
    states = await harness.rows("SELECT state FROM outbox ORDER BY member_id")
    assert states == [("failed",), ("sent",), ("sent",)]


async def test_a_send_whose_answer_was_lost_is_never_sent_again(
    harness: BotHarness, admin: MemberChat
):
    (member,) = await agreed(harness, 1)
    lost = NetworkError("httpx.ReadError: connection reset by peer")
    lost.__cause__ = httpx.ReadError("connection reset by peer")  # as PTB raises it
    harness.api.fail_next("sendMessage", lost, chat_id=member.chat_id)

    await send_round(harness, admin)
    harness.clock.advance(minutes=30)
    await harness.send_bulk()

    assert invitations(member) == []
    assert "unknown 1" in admin.latest().plain


async def test_a_card_is_not_edited_again_while_nothing_changes(
    harness: BotHarness, admin: MemberChat
):
    (member,) = await agreed(harness, 1)
    harness.api.fail_next("sendMessage", Failure(502, "Bad Gateway"), chat_id=member.chat_id)
    await send_round(harness, admin)  # the invitation waits 30 s for a retry
    edits = len(harness.api.calls_of("editMessageText"))

    for _ in range(5):
        await harness.send_bulk()

    assert len(harness.api.calls_of("editMessageText")) == edits


async def test_a_restart_while_paused_then_resume_invites_each_member_once(database: Path):
    first = await BotHarness.start(database, REACH_SURVEYS, admins={ADMIN})
    members = await agreed(first, *range(1, 40))
    admin = first.member(ADMIN, "Admin")
    shown = await preview(admin)
    await admin.tap("Send to 39 members", shown)
    await first.application.bot_data[SENDER_KEY].run_pass()  # one batch of 16
    await admin.tap("Pause", shown)
    await admin.redeliver()

    second = await first.restart()
    await second.send_bulk()
    paused = sum(len(invitations(m)) for m in members)
    await second.member(ADMIN, "Admin").tap("Resume", shown)
    await second.send_bulk()

    assert paused == 16
    assert [len(invitations(m)) for m in members] == [1] * 39
    await second.stop()
    second.assert_no_errors()


async def test_the_sender_finishes_its_batch_before_the_bot_stops(database: Path):
    running = await BotHarness.start(database, REACH_SURVEYS, admins={ADMIN})
    await agreed(running, *range(1, 60))
    admin = running.member(ADMIN, "Admin")
    await admin.tap("Send to 59 members", await preview(admin))
    sender: Sender = running.application.bot_data[SENDER_KEY]
    sender.start()  # as in the running bot
    await wait_until(
        lambda: len(running.api.calls_of("sendMessage")) > 5, asyncio.create_task(asyncio.sleep(5))
    )

    await running.stop()

    in_flight = await BotHarness.start(database, REACH_SURVEYS, admins={ADMIN})
    assert await in_flight.scalar("SELECT count(*) FROM outbox WHERE state = 'unknown'") == 0
    await in_flight.stop()


async def test_mydata_shows_the_reminders_of_a_response(harness: BotHarness):
    member = await living_in(harness, 1, "North")
    harness.clock.advance(hours=49)
    await harness.send_bulk()

    await member.send("/mydata")

    (upload,) = harness.api.calls_of("sendDocument")[-1].files.values()
    (response,) = json.loads(upload.content)["responses"]
    assert response["reminders_sent"] == 1
    assert response["last_reminded_at"] == harness.clock().isoformat()


async def test_a_reminder_due_at_night_waits_for_the_morning(harness: BotHarness):
    member = await living_in(harness, 1, "North")  # idle from noon

    harness.clock.advance(hours=58)  # 22:00, two days later: due, but in quiet hours
    await harness.send_bulk()
    at_night = reminders(member)
    harness.clock.advance(hours=11)  # 09:00
    await harness.send_bulk()

    assert at_night == []
    assert len(reminders(member)) == 1
