"""Organiser reports end to end: members answer through the real conversation, organisers read
the figures in their chats, exactly, with small counts suppressed and survey text escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handlers import organiser_render as text
from handlers.render import STALE_BUTTON
from tests.support.harness import BotHarness, GroupChat
from tests.support.organisers import ADMIN, GROUP, ORGANISER, start_bot

MULTILINE_SURVEYS = Path(__file__).parents[2] / "support" / "multiline_surveys"

CHART = "📊 Chart"
PNG = b"\x89PNG\r\n\x1a\n"
LEGEND = (
    "Completed responses only. Counts under 5 show as <5;"
    " c marks a count hidden so that a small one cannot be worked out."
)

# Ten members answer the census (k = 5). Each row: how they travel, union, campaign topics,
# hope (1-5), age, what they would change (themes: rent, repairs) and anything else.
CENSUS = [
    (
        "Bus",
        "Yes",
        ["Housing", "NHS"],
        "4",
        "20",
        "The rent is too high",
        "Secret plan at 5 Elm St",
    ),
    ("Bus", "Yes", ["Housing", "NHS"], "4", "25", "Rent rent rent", None),
    ("Bus", "Yes", ["Housing", "NHS"], "4", "30", "Landlord ignores us", None),
    ("Bus", "Yes", ["Housing", "NHS"], "4", "35", "Fix the damp", None),
    ("Bus", "Yes", ["Housing", "NHS"], "4", "40", "Mould everywhere", None),
    ("Bus", "Yes", ["Housing"], "2", "45", "Repairs take months", None),
    ("Car", "Yes", ["Housing"], "2", "50", "Damp, and the rent went up", "Call me on 07700 900123"),
    ("Car", "Yes", ["Transport"], "2", "55", "Mould and a landlord who never calls", None),
    ("Bike", "Yes", ["Housing"], "2", "60", "More green space please", None),
    ("Bike", "No", ["Housing"], "2", "65", None, "=HYPERLINK(evil)"),
]
TYPED = [typed for row in CENSUS for typed in row[5:] if typed]

# What the organisers read, worked out by hand: the eleventh member counts as started only;
# four completed more than 7 days ago. Car and Bike (2 each) and No (1) are under k, so "<5";
# Yes (9) is hidden too ("c"), as n=10 less it would give No away; Car and Bike may both show
# "<5" as together they make 4, which either could be 1 to 3 of. Shares are of those who
# answered, for multi of respondents. Ages 20, 25, ... 65: median 42.5, quartiles at positions
# 2.25 and 6.75 (inclusive method). Themes: rent in 5 answers, repairs in 5 (two have both),
# other 1, of 9 who answered; "Anything else?" has 3 answers, too few to count.
CENSUS_REPORT = f"""\
Housing census
Started 11 · completed 10 (91%)
Completed in the last 7 days: c
{LEGEND}

1. How do you get to work? (n=10)
██████░░░░  60%      6 Bus
                    <5 Car
                    <5 Bike
░░░░░░░░░░   0%      0 Walk

2. Are you in a union? (n=10)
                     c Yes
                    <5 No

3. What should we campaign on? (n=10)
                     c Housing
█████░░░░░  50%      5 NHS
░░░░░░░░░░   0%      0 Schools
                    <5 Transport

4. How hopeful are you? (n=10)
Mean 3.0 (1 = Not at all · 5 = Very)
░░░░░░░░░░   0%      0 1
█████░░░░░  50%      5 2
░░░░░░░░░░   0%      0 3
█████░░░░░  50%      5 4
░░░░░░░░░░   0%      0 5

5. How old are you? (n=10)
Median and quartiles are shown from 20 answers.

6. What would you change about your home? (n=9)
Themes (an answer may have several):
                     c rent
                     c repairs
                    <5 other

7. Anything else?
fewer than 5 responses"""


async def area_group(harness: BotHarness, chat_id: int, area: str) -> GroupChat:
    """A group registered to one area; an organiser speaks."""
    group = harness.group(chat_id, f"{area} organisers", ADMIN)
    await group.send(f"/register {area}")
    return group.speaker(ORGANISER)


async def census_answered(harness: BotHarness) -> None:
    """The ten census members answer: four a week before the other six; an eleventh starts
    and stops after the first question."""
    for number, (transport, union, topics, hope, age, change, comment) in enumerate(CENSUS):
        if number == 4:
            harness.clock.advance(days=7)
        await harness.member(2000 + number).take_survey(
            "census",
            transport,
            union,
            *topics,
            "Done",
            hope,
            age,
            change or "/skip",
            comment or "/skip",
        )
    await harness.member(2999).take_survey("census", "Walk")


async def local_answered(harness: BotHarness) -> None:
    """Fifteen members: ten in the North (five renters for housing, five owners for
    transport), five renters in the South for transport."""
    answers = [
        *[("North", "Yes", "Housing")] * 5,
        *[("North", "No", "Transport")] * 5,
        *[("South", "Yes", "Transport")] * 5,
    ]
    for number, steps in enumerate(answers):
        await harness.member(3000 + number).take_survey("local", *steps)


# --- what a report shows -----------------------------------------------------------------------


async def test_a_report_shows_every_figure_exactly(
    harness: BotHarness, organisers: GroupChat
) -> None:
    await census_answered(harness)

    await organisers.send("/summary census")

    assert organisers.latest().plain == CENSUS_REPORT  # hidden counts aligned with the others
    assert organisers.latest().labels() == [CHART]


async def test_what_members_typed_never_reaches_the_group(
    harness: BotHarness, organisers: GroupChat
) -> None:
    await census_answered(harness)

    await organisers.send("/summary census")
    await organisers.tap(CHART)

    shown = "\n".join(message.plain for message in organisers.messages())
    assert [typed for typed in TYPED if typed in shown] == []
    assert "HYPERLINK" not in shown


async def test_summary_lists_the_surveys_as_buttons_with_their_completed_responses(
    harness: BotHarness, organisers: GroupChat
) -> None:
    await census_answered(harness)
    await harness.member(4000).take_survey("pulse", "Yes")

    await organisers.send("/summary")

    assert organisers.latest().plain == "Which survey? (completed responses in brackets)"
    assert organisers.latest().labels() == [
        "Housing census (10)",
        "Tags <b>bold</b> & </code> co (0)",
        "Local priorities (0)",
        "Long & <title> Long & <title> Long & <title> Long & <ti… (0)",
        "Old poll (0)",
        "Pulse (<5)",
    ]
    assert [button["callback_data"] for button in organisers.latest().buttons()] == [
        "r:census",
        "r:hostile",
        "r:local",
        "r:long",
        "r:old-poll",
        "r:pulse",
    ]


async def test_tapping_a_survey_posts_its_report_and_chart_posts_its_charts(
    harness: BotHarness, organisers: GroupChat
) -> None:
    await census_answered(harness)
    await organisers.send("/summary")

    await organisers.tap("Housing census (10)")
    assert organisers.latest().plain == CENSUS_REPORT
    await organisers.tap(CHART)

    (album,) = harness.api.calls_of("sendMediaGroup")
    assert album.params["chat_id"] == GROUP
    photos = organisers.messages()[-4:]
    assert [photo.kind for photo in photos] == ["photo"] * 4
    assert [photo.plain for photo in photos] == [
        "How do you get to work? (n=10)",
        "Are you in a union? (n=10)",
        "What should we campaign on? (n=10)",
        "How hopeful are you? (n=10)",
    ]
    assert all(photo.file.content.startswith(PNG) for photo in photos)
    assert len({photo.media_group_id for photo in photos}) == 1


async def test_the_chart_button_of_an_old_report_still_posts_the_charts(
    harness: BotHarness, organisers: GroupChat
) -> None:
    """A digest's buttons are tapped days later, when Telegram sends its message as
    inaccessible: the chat it was in is enough."""
    await census_answered(harness)
    await organisers.send("/summary census")

    await organisers.tap(CHART, accessible=False)

    (album,) = harness.api.calls_of("sendMediaGroup")
    assert album.params["chat_id"] == GROUP


async def test_a_report_button_under_an_inline_message_is_answered_and_ignored(
    harness: BotHarness, organisers: GroupChat
) -> None:
    await census_answered(harness)
    calls_before = len(harness.api.calls)
    for number, data in enumerate(("r:census", "g:census"), start=1):
        query = {
            "id": f"inline-report-{number}",
            "from": organisers.user,
            "chat_instance": "inline",
            "inline_message_id": "AAQAAAAAAAAAAAAA",
            "data": data,
        }
        await harness.feed({"update_id": 910_000 + number, "callback_query": query})

    assert [call.method for call in harness.api.calls[calls_before:]] == ["answerCallbackQuery"] * 2
    assert [answer["text"] for answer in organisers.callback_answers()[-2:]] == [STALE_BUTTON] * 2


async def test_summary_chart_posts_the_charts_too(
    harness: BotHarness, organisers: GroupChat
) -> None:
    await census_answered(harness)

    await organisers.send("/summary census chart")

    assert len(harness.api.calls_of("sendMediaGroup")) == 1
    assert [message.kind for message in organisers.messages()[-4:]] == ["photo"] * 4


async def test_a_survey_with_too_few_responses_shows_only_that(
    harness: BotHarness, organisers: GroupChat
) -> None:
    for number in range(4):
        await harness.member(4000 + number).take_survey("pulse", "Yes")

    await organisers.send("/summary pulse")
    await organisers.tap(CHART)

    assert organisers.messages()[-2].plain == "\n".join(
        [
            "Pulse",
            "Completed <5",  # the survey's own count is under k too, so not how many started
            "Completed in the last 7 days: <5",
            LEGEND,
            "Fewer than 5 responses in this survey: nothing more can be shown.",
        ]
    )
    assert organisers.latest().plain == text.NO_CHART
    assert harness.api.calls_of("sendPhoto") == []


async def test_the_smallest_group_shown_is_a_setting(database: Path) -> None:
    harness = await start_bot(database, min_group_size=3)
    organisers = harness.group(GROUP, "Organisers", ADMIN)
    await organisers.send("/register")
    for number, answer in enumerate(("Yes", "Yes", "Yes", "No")):
        await harness.member(4000 + number).take_survey("pulse", answer)

    await organisers.send("/summary pulse")

    assert organisers.latest().plain.split("\n\n")[1] == (
        "1. Feeling good? (n=4)\n                     c Yes\n                    <3 No"
    )
    assert "Counts under 3 show as <3;" in organisers.latest().plain
    await harness.stop()
    harness.assert_no_errors()


async def test_a_member_who_completes_a_repeatable_survey_again_counts_once(
    harness: BotHarness, organisers: GroupChat
) -> None:
    """Every figure is about people: one member's five completions are one person, with their
    latest answer, in the report, the survey list and the milestones alike."""
    for answer in ("No", "No", "No", "No", "No"):
        await harness.member(4100).take_survey("pulse", answer)

    await organisers.send("/summary pulse")

    assert "Fewer than 5 responses in this survey" in organisers.latest().plain
    for number in range(4):
        await harness.member(4000 + number).take_survey("pulse", "Yes")
    await harness.member(4100).take_survey("pulse", "Yes")  # changed their mind
    await organisers.send("/summary pulse")
    assert organisers.latest().plain.split("\n\n")[1] == (
        "1. Feeling good? (n=5)\n██████████ 100%      5 Yes\n░░░░░░░░░░   0%      0 No"
    )
    await organisers.send("/summary")
    assert "Pulse (5)" in organisers.latest().labels()


async def test_a_closed_surveys_report_can_still_be_asked_for(organisers: GroupChat) -> None:
    await organisers.send("/summary old-poll")

    assert organisers.latest().plain.splitlines()[:2] == ["Old poll", "Started 0 · completed 0"]
    assert organisers.latest().labels() == [CHART]


# --- breakdowns --------------------------------------------------------------------------------


async def test_a_breakdown_splits_every_question_but_the_breakdowns_with_an_all_row(
    harness: BotHarness, organisers: GroupChat
) -> None:
    await local_answered(harness)

    await organisers.send("/summary local by renter")

    assert organisers.latest().plain == "\n".join(
        [
            "Local priorities by Do you rent?",
            "Completed responses. Counts under 5 show as <5;"
            " c marks a count hidden so that a small one cannot be worked out;"
            " Others are answers too few to show alone, and no answer.",
            "",
            # Where do you live? by renter is in the breakdown by area (as renter by area).
            "1. What matters most?",
            "Housi… = Housing · Trans… = Transport",
            "             Housi… Trans…      n",
            "Yes               5      5     10",
            "No                0      5      5",
            "All               5     10     15",
        ]
    )


async def test_a_breakdown_by_the_area_question(harness: BotHarness, organisers: GroupChat) -> None:
    await local_answered(harness)

    await organisers.send("/summary local by area")

    assert organisers.latest().plain.split("\n\n")[1:] == [
        "\n".join(
            [
                "1. Do you rent?",
                "                Yes     No      n",
                "North             5      5     10",
                "South             5      0      5",
                "All              10      5     15",
            ]
        ),
        "\n".join(
            [
                "2. What matters most?",
                "Housi… = Housing · Trans… = Transport",
                "             Housi… Trans…      n",
                "North             5      5     10",
                "South             0      5      5",
                "All               5     10     15",
            ]
        ),
    ]


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (
            "/summary local by priority",
            "“priority” is not a breakdown question of this survey. Breakdowns: area, renter.",
        ),
        (
            "/summary local by nothing",
            "“nothing” is not a breakdown question of this survey. Breakdowns: area, renter.",
        ),
        ("/summary census by union", text.NO_BREAKDOWNS),
        ("/summary local by", text.SUMMARY_USAGE),
    ],
)
async def test_a_breakdown_by_something_else_is_explained(
    harness: BotHarness, organisers: GroupChat, command: str, reply: str
) -> None:
    await local_answered(harness)

    await organisers.send(command)

    assert organisers.latest().plain == reply


# --- areas -------------------------------------------------------------------------------------


async def test_an_area_group_sees_only_its_area(harness: BotHarness) -> None:
    await local_answered(harness)
    north = await area_group(harness, GROUP - 1, "North")
    south = await area_group(harness, GROUP - 2, "south")

    await north.send("/summary local")
    await south.send("/summary local")

    assert north.latest().plain == "\n".join(
        [
            "Local priorities",
            "Area: North",
            "Completed 10",
            "Completed in the last 7 days: 10",
            LEGEND,
            "",
            "1. Do you rent? (n=10)",
            "█████░░░░░  50%      5 Yes",
            "█████░░░░░  50%      5 No",
            "",
            "2. What matters most? (n=10)",
            "█████░░░░░  50%      5 Housing",
            "█████░░░░░  50%      5 Transport",
        ]
    )
    assert south.latest().plain.split("\n\n")[1:] == [
        "1. Do you rent? (n=5)\n██████████ 100%      5 Yes\n░░░░░░░░░░   0%      0 No",
        "2. What matters most? (n=5)\n"
        "░░░░░░░░░░   0%      0 Housing\n██████████ 100%      5 Transport",
    ]


async def test_an_area_group_lists_the_surveys_that_ask_for_its_area_with_its_own_count(
    harness: BotHarness,
) -> None:
    await local_answered(harness)
    south = await area_group(harness, GROUP - 2, "south")

    await south.send("/summary")
    await south.send("/summary census")

    assert south.messages()[-2].labels() == ["Local priorities (5)"]
    assert south.latest().plain.startswith("There is no survey “census”.")


async def test_an_area_with_fewer_than_k_responses_sees_only_that_fact(
    harness: BotHarness,
) -> None:
    await local_answered(harness)
    east = await area_group(harness, GROUP - 3, "east")
    for number in range(2):
        await harness.member(3100 + number).take_survey("local", "East End", "Yes", "Housing")

    await east.send("/summary local")
    await east.send("/summary")

    assert east.messages()[-2].plain == "\n".join(
        [
            "Local priorities",
            "Area: East End",
            "Too few responses in this area to show it apart from others: nothing more can be"
            " shown.",
        ]
    )
    assert east.latest().labels() == ["Local priorities (<5)"]


# --- survey text that is not HTML -------------------------------------------------------------


async def test_survey_text_is_escaped_in_reports_breakdowns_and_captions(
    harness: BotHarness, organisers: GroupChat
) -> None:
    for number in range(5):
        await harness.member(5000 + number).take_survey("hostile", "<b>Left</b> & co", "3")

    await organisers.send("/summary hostile")  # the fake Bot API refuses bad HTML
    report = organisers.latest().plain
    await organisers.send("/summary hostile by side")
    split = organisers.latest().plain
    await organisers.send("/summary")
    await organisers.tap("Tags <b>bold</b> & </code> co (5)")
    await organisers.tap(CHART)

    assert report.split("\n\n")[0].splitlines()[0] == "Tags <b>bold</b> & </code> co"
    assert report.split("\n\n")[1:] == [
        "1. Which <i>side</i> & </code>? (n=5)\n"
        "██████████ 100%      5 <b>Left</b> & co\n"
        "░░░░░░░░░░   0%      0 </code> Right",
        "2. Level </b> &amp;? (n=5)\n"
        "Mean 3.0 (1 = <low> & · 3 = </code>high)\n"
        "░░░░░░░░░░   0%      0 1\n"
        "░░░░░░░░░░   0%      0 2\n"
        "██████████ 100%      5 3",
    ]
    assert split.splitlines()[0] == "Tags <b>bold</b> & </code> co by Which <i>side</i> & </code>?"
    assert split.split("\n\n")[1].splitlines()[-2:] == [
        "<b>Left</b>…      0      0      5      5",
        "All               0      0      5      5",
    ]
    assert [photo.plain for photo in organisers.messages()[-2:]] == [
        "Which <i>side</i> & </code>? (n=5)",
        "Level </b> &amp;? (n=5)",
    ]


# --- long reports ------------------------------------------------------------------------------


async def test_a_long_report_is_split_with_the_chart_button_under_the_last_part(
    harness: BotHarness, organisers: GroupChat
) -> None:
    for number in range(5):
        await harness.member(6000 + number).take_survey("long", "No")
    posted = len(organisers.messages())

    await organisers.send("/summary long")

    parts = organisers.messages()[posted:]
    assert len(parts) > 1
    assert all(len(part.plain.encode("utf-16-le")) // 2 <= 4096 for part in parts)
    assert [part.labels() for part in parts] == [[]] * (len(parts) - 1) + [[CHART]]
    whole = "\n".join(part.plain for part in parts)
    question = ("Rent & <repairs> " * 100)[:1500].strip()
    headings = [line for line in whole.splitlines() if re.match(r"[0-9]+\. ", line)]
    assert headings[0] == f"1. {question} (n=5)"
    assert headings[1:] == [f"{number}. {question}" for number in range(2, 51)]
    assert whole.count("fewer than 5 responses") == 49


async def test_a_single_chart_is_a_photo_with_its_caption_cut_to_fit(
    harness: BotHarness, organisers: GroupChat
) -> None:
    for number in range(5):
        await harness.member(6000 + number).take_survey("long", "No")
    await organisers.send("/summary long")

    await organisers.tap(CHART)

    assert len(harness.api.calls_of("sendPhoto")) == 1
    photo = organisers.latest()
    assert photo.kind == "photo"
    assert photo.file.content.startswith(PNG)
    assert len(photo.plain) == 1024
    assert photo.plain.endswith("… (n=5)")
    assert harness.api.calls_of("sendMediaGroup") == []


# --- consistency across views (known leaks, in surveys/summary.py) -----------------------------


async def east_joins(harness: BotHarness) -> None:
    """After `local_answered`: two members in the East End, fewer than k."""
    for number in range(2):
        await harness.member(3100 + number).take_survey("local", "East End", "Yes", "Housing")


async def test_an_area_too_small_to_show_is_counted_with_the_others_in_every_view(
    harness: BotHarness, organisers: GroupChat
) -> None:
    """North 10, South 5, East End 2: the area line hides East End (<5) and, to protect it,
    South; the tables by area then show North and the rest together (7), never South alone."""
    await local_answered(harness)
    await east_joins(harness)

    await organisers.send("/summary local")
    overall = organisers.latest().plain.split("\n\n")[1].splitlines()[1:]
    await organisers.send("/summary local by area")
    table = organisers.latest().plain.split("\n\n")[1].splitlines()[2:-1]

    by_report = {line[23:]: line[:22].split()[-1] for line in overall}
    by_breakdown = {line[:12].strip(): line.split()[-1] for line in table}
    assert by_report == {"North": "10", "South": "c", "East End": "<5"}  # n = 17
    assert by_breakdown == {"North": "10", "Others": "7"}


async def test_an_area_chat_gets_no_breakdown_by_another_question(harness: BotHarness) -> None:
    await local_answered(harness)
    north = await area_group(harness, GROUP - 1, "north")

    await north.send("/summary local by renter")

    assert north.latest().plain.startswith("Breakdowns by other questions are for chats that")


async def test_a_long_report_of_questions_written_over_many_lines_is_delivered(
    database: Path,
) -> None:
    harness = await BotHarness.start(database, MULTILINE_SURVEYS, admins={ADMIN})
    for member in range(5):
        await harness.member(7000 + member).take_survey("multi", "Yes", "Yes", "No", "Yes")
    admin = harness.member(ADMIN, "Ada")
    before = len(admin.messages())

    await admin.send("/summary multi")

    parts = [message.plain for message in admin.messages()[before:]]
    assert len(parts) > 1
    assert all(part.count("Line 0 of a long preamble") <= 4 for part in parts)
    assert sum(part.count("Line 23 of a long preamble") for part in parts) == 4
    await harness.stop()
    harness.assert_no_errors()
