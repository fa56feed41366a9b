"""Flood control's count: more than FLOOD_LIMIT updates in FLOOD_WINDOW seconds is a flood."""

from __future__ import annotations

from telegram import CallbackQuery, Chat, Message, Update, User

from handlers.flood import FLOOD_LIMIT, FLOOD_WINDOW, FloodCounter, Verdict, private_sender

MEMBER = 424242


def verdicts(counter: FloodCounter, times: list[float], member: int = MEMBER) -> list[Verdict]:
    return [counter.arrives(member, time) for time in times]


def test_the_limit_at_once_is_heard_and_one_more_is_a_flood() -> None:
    counter = FloodCounter()

    heard = verdicts(counter, [0.0] * FLOOD_LIMIT)
    past = verdicts(counter, [0.0] * 3)

    assert heard == [Verdict.HEARD] * FLOOD_LIMIT
    assert past == [Verdict.WARNED, Verdict.DROPPED, Verdict.DROPPED]  # one notice per flood


def test_the_limit_spread_over_the_window_is_never_a_flood() -> None:
    step = FLOOD_WINDOW / FLOOD_LIMIT
    counter = FloodCounter()

    assert set(verdicts(counter, [n * step for n in range(10 * FLOOD_LIMIT)])) == {Verdict.HEARD}


def test_a_member_who_keeps_flooding_stays_unheard_and_is_heard_once_calm() -> None:
    counter = FloodCounter()
    verdicts(counter, [0.0] * (FLOOD_LIMIT + 1))

    still = verdicts(counter, [n * 0.1 for n in range(1, 50)])  # dropped updates count too
    calm = counter.arrives(MEMBER, 4.9 + FLOOD_WINDOW)
    again = verdicts(counter, [4.9 + FLOOD_WINDOW] * FLOOD_LIMIT)

    assert set(still) == {Verdict.DROPPED}
    assert calm is Verdict.HEARD
    assert again[-1] is Verdict.WARNED  # a new flood, a new notice


def test_members_are_counted_apart_and_idle_ones_forgotten() -> None:
    counter = FloodCounter()
    verdicts(counter, [0.0] * (FLOOD_LIMIT + 1))

    assert counter.arrives(MEMBER + 1, 0.0) is Verdict.HEARD
    counter.arrives(MEMBER + 1, 2 * FLOOD_WINDOW)
    assert list(counter._arrivals) == [MEMBER + 1]


def test_only_what_a_member_sends_in_their_private_chat_is_limited() -> None:
    person = User(MEMBER, "Sam", is_bot=False)
    private = Chat(MEMBER, Chat.PRIVATE)
    group = Chat(-100123, Chat.SUPERGROUP)

    def message(chat: Chat) -> Message:
        return Message(1, None, chat, from_user=person, text="x")

    tap = CallbackQuery("1", person, "ci", message=message(private), data="x")

    assert private_sender(Update(1, message=message(private))) == MEMBER
    assert private_sender(Update(2, edited_message=message(private))) == MEMBER
    assert private_sender(Update(3, callback_query=tap)) == MEMBER
    assert private_sender(Update(4, message=message(group))) is None
    assert private_sender(Update(5)) is None
