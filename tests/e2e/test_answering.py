"""A member answers a survey: every question type, skip logic, Back, Skip, pause and resume."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from handlers import render
from surveys.engine import Problem, Rejected
from tests.support.harness import BotHarness, MemberChat

NORTH = "North <b>&</b> *stars*"


async def answer_up_to_priorities(member: MemberChat) -> None:
    await member.send("/start all-types")
    await member.tap(NORTH)
    await member.tap("Yes")
    await member.send("Central branch")


async def test_every_question_type_is_answered_and_recapped(
    harness: BotHarness, member: MemberChat
) -> None:
    await answer_up_to_priorities(member)
    await member.tap("Housing")
    await member.tap("NHS")
    await member.tap("Done")
    await member.tap("4")
    await member.send("34")
    await member.send("More buses, please & <soon>")

    assert await harness.answers_of(member) == {
        "area": "north",
        "member": "yes",
        "branch": "Central branch",
        "priorities": ["Housing", "NHS"],
        "hope": 4,
        "age": 34,
        "comment": "More buses, please & <soon>",
    }
    recap = member.latest().plain
    assert recap.startswith("Thank you!")
    assert f"→ {NORTH}" in recap
    assert "→ Housing, NHS" in recap
    assert "→ More buses, please & <soon>" in recap


async def test_questions_show_progress_and_buttons(member: MemberChat) -> None:
    await member.send("/start all-types")
    question = member.latest()
    assert "Question 1 of 6" in question.plain
    assert question.labels() == [NORTH, "South_under [x]"]
    shown = len(member.messages())

    await member.tap(NORTH)  # the question becomes the next one, the answer above it
    assert len(member.messages()) == shown
    assert question.plain.startswith(f"Where do you live? <North> & *South*\n✔️ {NORTH}\n\n")
    assert "Question 2 of 6" in question.plain
    assert "Are you a member?" in question.plain
    assert question.labels() == ["Yes", "No", "« Back"]

    await member.tap("No")  # the branch question is hidden
    assert question.plain.startswith("Are you a member?\n✔️ No\n\n")
    assert "Question 3 of 6" in question.plain
    assert question.labels() == ["Housing", "NHS", "Schools", "Done", "« Back"]
    assert len(member.messages()) == shown


SKIPPABLE = """
id: skippable
title: Skippable
intro: Questions to leave out.
questions:
  - {id: ready, type: yesno, text: "%s"}
  - {id: extra, type: text, text: "Anything to add?", required: false}
  - {id: done, type: yesno, text: "Done?"}
"""


@pytest.fixture
async def skippable(database: Path, tmp_path: Path) -> AsyncIterator[MemberChat]:
    """A member who agreed, on the first question of a survey whose first question is as long
    as the format allows and whose second may be skipped."""
    folder = tmp_path / "surveys"
    folder.mkdir()
    (folder / "skippable.yaml").write_text(SKIPPABLE % ("Ready? " * 214))  # 1498 characters
    harness = await BotHarness.start(database, surveys=folder)
    chat = harness.member()
    await chat.take_survey("skippable")
    yield chat
    await harness.stop()
    harness.assert_no_errors()


async def test_the_question_above_the_next_one_is_shortened(skippable: MemberChat) -> None:
    question = skippable.latest()

    await skippable.tap("Yes")

    asked, answered, blank = question.plain.split("\n")[:3]
    assert len(asked) == render.ECHO_QUESTION_LENGTH
    assert asked.startswith("Ready? Ready?")
    assert asked.endswith("…")
    assert (answered, blank) == ("✔️ Yes", "")
    assert "Skippable · Question 2 of 3" in question.plain


async def test_skipping_says_which_question_was_left_out(
    skippable: MemberChat,
) -> None:
    await skippable.tap("Yes")
    shown = len(skippable.messages())

    await skippable.send("/skip")  # the command: the next question says what was skipped
    (after_command,) = skippable.messages()[shown:]
    assert after_command.plain.startswith("Anything to add?\n✔️ Skipped\n\n")
    assert "Done?" in after_command.plain
    await skippable.tap("« Back")
    assert "✔️" not in after_command.plain  # going back answers nothing
    await skippable.tap("Skip »")  # the button: the same message turns into the next question

    assert after_command.plain.startswith("Anything to add?\n✔️ Skipped\n\n")
    assert after_command.labels() == ["Yes", "No", "« Back"]
    assert len(skippable.messages()) == shown + 1


async def test_scale_buttons_run_from_min_to_max(member: MemberChat) -> None:
    await member.send("/start quick-poll")
    assert member.latest().labels() == [str(n) for n in range(11)]
    assert member.latest().keyboard[0][0]["text"] == "0"


async def test_multi_toggles_ticks_and_respects_max_choices(
    harness: BotHarness, member: MemberChat
) -> None:
    await answer_up_to_priorities(member)
    await member.tap("Housing")
    assert member.latest().labels()[:3] == ["✅ Housing", "NHS", "Schools"]
    await member.tap("NHS")
    await member.tap("Schools")  # a third is one too many
    assert member.callback_answers()[-1]["text"] == "You can choose at most 2. Untick one first."
    await member.tap("✅ Housing")  # untick
    await member.tap("Schools")
    await member.tap("Done")

    assert (await harness.answers_of(member))["priorities"] == ["NHS", "Schools"]


async def test_done_with_nothing_ticked_is_refused(member: MemberChat) -> None:
    await answer_up_to_priorities(member)
    await member.tap("Done")

    assert member.callback_answers()[-1]["text"] == render.problem_text(_rejected("NONE_CHOSEN"))
    assert "Your priorities?" in member.latest().plain


async def test_skip_logic_hides_the_follow_up(harness: BotHarness, member: MemberChat) -> None:
    await member.send("/start all-types")
    await member.tap(NORTH)
    await member.tap("No")

    assert "Your priorities?" in member.latest().plain
    assert "branch" not in await harness.answers_of(member)


async def test_back_with_a_changed_answer_removes_the_hidden_answer(
    harness: BotHarness, member: MemberChat
) -> None:
    await answer_up_to_priorities(member)  # member=yes, branch answered
    await member.tap("« Back")  # from priorities to branch
    assert "Which branch?" in member.latest().plain
    assert "Your answer so far: Central branch" in member.latest().plain
    assert "✔️" not in member.latest().plain  # nothing was answered: Back is no answer
    await member.send("/back")  # to the yes/no question
    assert "Are you a member?" in member.latest().plain
    assert "Your answer so far: Yes" in member.latest().plain

    await member.tap("No")

    assert "Your priorities?" in member.latest().plain
    stored = await harness.answers_of(member)
    assert stored == {"area": "north", "member": "no"}


async def test_back_then_same_answer_returns_to_where_the_member_was(
    harness: BotHarness, member: MemberChat
) -> None:
    await answer_up_to_priorities(member)
    await member.send("/back")
    await member.send("/back")
    await member.tap("Yes")

    assert "Your priorities?" in member.latest().plain  # the branch answer is kept
    assert (await harness.answers_of(member))["branch"] == "Central branch"


async def test_back_on_the_first_question_says_so(member: MemberChat) -> None:
    await member.send("/start all-types")
    await member.send("/back")

    assert member.latest().plain == render.CANNOT_GO_BACK


async def test_skip_button_and_command_leave_optional_questions_out(
    harness: BotHarness, member: MemberChat
) -> None:
    await answer_up_to_priorities(member)
    await member.tap("NHS")
    await member.tap("Done")
    await member.tap("3")
    await member.send("40")
    assert member.latest().labels() == ["« Back", "Skip »"]
    await member.send("/skip")

    assert (await harness.answers_of(member))["comment"] is None
    assert "→ (skipped)" in member.latest().plain


async def test_a_required_question_cannot_be_skipped(
    harness: BotHarness, member: MemberChat
) -> None:
    await member.send("/start all-types")
    shown = len(member.messages())
    await member.send("/skip")

    (refusal,) = member.messages()[shown:]  # the explanation and the question, in one message
    assert refusal.plain.startswith(render.problem_text(_rejected("REQUIRED")) + "\n\n")
    assert "Where do you live?" in refusal.plain
    assert refusal.labels() == [NORTH, "South_under [x]"]
    assert await harness.answers_of(member) == {}


async def test_cancel_pauses_and_the_survey_resumes_at_the_same_question(
    harness: BotHarness, member: MemberChat
) -> None:
    await answer_up_to_priorities(member)
    await member.send("/cancel")
    assert member.latest().plain == render.PAUSED
    await member.send("typed while paused")
    assert member.latest().plain == render.NO_OPEN_QUESTION

    await member.send("/start")
    assert "You have not finished Test <all> & *types* yet" in member.latest().plain
    shown = len(member.messages())
    await member.tap("Continue: Test <all> & *types*")

    (resumed,) = member.messages()[shown:]  # a welcome back and the question, in one message
    assert resumed.plain.startswith("Welcome back to Test <all> & *types*.")
    assert "Your priorities?" in resumed.plain
    assert resumed.labels() == ["Housing", "NHS", "Schools", "Done", "« Back"]
    assert len(await harness.answers_of(member)) == 3


async def test_cancel_with_nothing_open(member: MemberChat) -> None:
    await member.send("/cancel")
    assert member.latest().plain == render.NOTHING_TO_PAUSE


async def test_the_deep_link_resumes_an_unfinished_survey(member: MemberChat) -> None:
    await answer_up_to_priorities(member)
    await member.send("/surveys")
    assert member.latest().labels()[0] == "Continue: Test <all> & *types*"
    await member.send("/start all-types")

    assert "Your priorities?" in member.latest().plain


async def test_a_non_repeatable_survey_cannot_be_taken_twice(member: MemberChat) -> None:
    await member.send("/start all-types")
    await member.tap("South_under [x]")
    await member.tap("No")
    await member.tap("NHS")
    await member.tap("Done")
    await member.tap("5")
    await member.send("70")
    await member.send("/skip")

    await member.send("/start all-types")
    assert (
        member.latest().plain == "You have already taken part in Test <all> & *types*. Thank you!"
    )
    await member.send("/surveys")
    assert member.latest().labels()[0] == "✓ Test <all> & *types*"


async def test_a_repeatable_survey_starts_afresh(harness: BotHarness, member: MemberChat) -> None:
    await member.send("/start quick-poll")
    await member.tap("7")
    await member.send("/start quick-poll")
    await member.tap("3")

    async with harness.db.statement() as connection:
        cursor = await connection.execute(
            "SELECT a.value FROM answers a JOIN responses r ON r.id = a.response_id"
            " WHERE r.survey_id = 'quick-poll' AND r.status = 'completed' ORDER BY r.id"
        )
        assert await cursor.fetchall() == [("7",), ("3",)]


async def test_a_closed_survey_is_neither_listed_nor_opened(member: MemberChat) -> None:
    await member.send("/surveys")
    assert "Closed survey" not in member.latest().labels()
    await member.send("/start closed")
    assert member.latest().plain == render.SURVEY_NOT_OPEN


@pytest.mark.parametrize("command", ["/help", "/start"])
async def test_help_and_welcome(member: MemberChat, command: str) -> None:
    await member.send(command)
    assert "/surveys" in member.latest().plain


def _rejected(problem: str) -> Rejected:
    return Rejected(Problem[problem])
