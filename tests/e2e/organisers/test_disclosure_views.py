"""Numbers an organiser could once work out, tried end to end against the running bot (k = 5).

Each test is one of the leaks a review of the running bot found: a follow-up's number of
answers that gave its source's hidden count away, an area chat's survey list that showed what
the national report hid, and an option removed from a live survey whose answers stayed in n.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.harness import BotHarness
from tests.support.organisers import ADMIN, GROUP

VOTE = """\
id: vote
title: Vote
intro: Two questions.
questions:
  - id: area
    type: choice
    text: Where do you live?
    breakdown: true
    choices: [North, South, East]
  - id: vote
    type: choice
    text: How did you vote?
    choices: [Labour, Green, Reform]
  - id: sure
    type: yesno
    text: How sure are you?
    show_if: {question: vote, not_in: [Reform]}
"""


def survey_folder(folder: Path, survey: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "vote.yaml").write_text(survey, encoding="utf-8")
    return folder


async def start(database: Path, folder: Path, survey: str) -> BotHarness:
    return await BotHarness.start(database, survey_folder(folder, survey), admins={ADMIN})


async def answer_votes(harness: BotHarness, votes: list[tuple[str, str]]) -> None:
    for number, (area, vote) in enumerate(votes):
        answers = (area, vote) if vote == "Reform" else (area, vote, "Yes")
        await harness.member(5000 + number).take_survey("vote", *answers)


async def test_a_follow_ups_count_does_not_give_its_sources_small_count_away(
    database: Path, tmp_path: Path
) -> None:
    harness = await start(database, tmp_path / "surveys", VOTE)
    await answer_votes(
        harness,
        [("North", "Labour")] * 6 + [("South", "Green")] * 5 + [("South", "Reform")],
    )
    group = harness.group(GROUP, "Organisers", ADMIN)
    await group.send("/register")

    await group.send("/summary vote")

    report = group.latest().plain
    assert "c Reform" in report or "<5 Reform" in report  # 1 Reform voter: hidden
    assert "How sure are you? (n=11)" not in report  # 12 - 11 would be that one voter
    assert "3. How sure are you?\nfewer than 5 responses" in report
    await harness.stop()
    harness.assert_no_errors()


async def test_an_area_chats_survey_list_shows_its_count_as_the_national_report_does(
    database: Path, tmp_path: Path
) -> None:
    harness = await start(database, tmp_path / "surveys", VOTE)
    await answer_votes(
        harness,
        [("North", "Labour")] * 8
        + [("South", "Green")] * 2
        + [("South", "Labour")] * 3
        + [("East", "Labour")] * 2,
    )
    group = harness.group(GROUP, "Organisers", ADMIN)
    await group.send("/register")
    south = harness.group(GROUP - 1, "South", ADMIN)
    await south.send("/register South")

    await group.send("/summary vote")
    await south.send("/summary")

    national = group.latest().plain
    assert "<5 East" in national
    assert "c South" in national  # East's 2 would be 15 - 8 - 5
    assert south.latest().labels() != ["Vote (5)"]
    assert "5" not in south.latest().labels()[0]
    await harness.stop()
    harness.assert_no_errors()


async def test_an_option_removed_from_a_live_survey_stays_a_hidden_column(
    database: Path, tmp_path: Path
) -> None:
    harness = await start(database, tmp_path / "surveys", VOTE)
    await answer_votes(
        harness, [("North", "Labour")] * 6 + [("South", "Green")] * 5 + [("North", "Reform")]
    )
    await harness.stop()
    edited = VOTE.replace("[Labour, Green, Reform]", "[Labour, Green]").replace(
        "not_in: [Reform]", "in: [Labour, Green]"
    )
    harness = await start(database, tmp_path / "surveys", edited)
    group = harness.group(GROUP, "Organisers", ADMIN)
    await group.send("/register")

    await group.send("/summary vote")

    report = group.latest().plain
    assert "2. How did you vote? (n=12)" in report
    assert "c Reform (no longer offered)" in report  # its 1 still counted, as a column
    # Labour's 6 and Green's 5 shown together would give Reform's 1 away: 12 - 6 - 5
    assert "6 Labour" not in report or "5 Green" not in report
    await harness.stop()
    harness.assert_no_errors()
