"""A first walk through the member's conversation."""

from tests.support.harness import MemberChat


async def test_member_completes_all_types(member: MemberChat) -> None:
    await member.send("/start all-types")
    print([m.plain for m in member.messages()])
    assert "Question 1 of" in member.latest().plain
    await member.tap("North <b>&</b> *stars*")
    await member.tap("Yes")
    await member.send("Central")
    await member.tap("Housing")
    await member.tap("NHS")
    await member.tap("Done")
    await member.tap("4")
    await member.send("34")
    await member.tap("Skip »")
    for m in member.messages():
        print("----\n" + m.plain, m.labels())
    assert "Thank you" in member.latest().plain
