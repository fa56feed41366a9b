"""What the member's conversation spends of Telegram's send budget (about 30 chat-bound calls a
second for the whole bot), counted as the fake Bot API sees the calls. These are today's
ceilings: an answer may not cost more, and issue 11's one-message design will lower them."""

from __future__ import annotations

from tests.e2e.test_answering import answer_up_to_priorities
from tests.support.harness import BotHarness, MemberChat

# Chat-bound calls of the all-types survey (7 questions, one skipped by none, a multi answered with
# one tick), from the privacy notice to the recap, as measured today.
TODAY = 16


def spent(harness: BotHarness, member: MemberChat, since: int) -> list[str]:
    return [call.method for call in harness.api.chat_bound_calls(member.chat_id)[since:]]


async def test_a_tapped_answer_costs_an_edit_and_the_next_question(
    harness: BotHarness, member: MemberChat
) -> None:
    await answer_up_to_priorities(member)
    await member.tap("Housing")
    await member.tap("Done")
    before = len(harness.api.chat_bound_calls(member.chat_id))

    await member.tap("4")

    assert spent(harness, member, before) == ["editMessageText", "sendMessage"]


async def test_a_typed_answer_costs_the_next_question_only(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    await member.tap("North <b>&</b> *stars*")
    await member.tap("Yes")
    before = len(harness.api.chat_bound_calls(member.chat_id))

    await member.send("Central branch")

    assert spent(harness, member, before) == ["sendMessage"]


async def test_a_tick_on_a_multi_question_costs_one_edit(
    harness: BotHarness, member: MemberChat
) -> None:
    await answer_up_to_priorities(member)
    before = len(harness.api.chat_bound_calls(member.chat_id))

    await member.tap("Housing")

    assert spent(harness, member, before) == ["editMessageReplyMarkup"]


async def test_a_whole_survey_costs_at_most_today_s_calls(harness: BotHarness) -> None:
    """From the consent to the recap, all seven questions answered: the figure issue 11 sets
    out to bring down to one message per answer."""
    newcomer = harness.member(5150)

    await newcomer.take_survey(
        "all-types",
        "North <b>&</b> *stars*",
        "Yes",
        "Central branch",
        "Housing",
        "Done",
        "4",
        "34",
        "More buses",
    )

    assert newcomer.latest().plain.startswith("Thank you!")
    assert len(harness.api.chat_bound_calls(newcomer.chat_id)) <= TODAY
