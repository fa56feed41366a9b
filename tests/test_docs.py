"""The documentation stays true: every survey example is valid, every command, setting and link
it names exists, the example reports are what the code renders, and the deployment files run
`bot.py run` from files that exist.

The docs are README.md, ARCHITECTURE.md, bench/README.md and docs/*.md. An example report in
docs/organisers.md sits between `<!-- example:NAME -->` and `<!-- /example:NAME -->`; when the
rendering changes, the failing test prints the block to paste there.
"""

from __future__ import annotations

import configparser
import fnmatch
import html
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import CommandHandler

import bot
from handlers import commands, organiser_render
from handlers.commands import Audience
from surveys import tally
from surveys.loader import MAX_FILE_BYTES, MAX_NESTING, parse_survey
from surveys.model import (
    DEFAULT_REMINDERS,
    MAX_CHOICES,
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_LEAVES,
    MAX_CONDITION_VALUES,
    MAX_REMIND_AFTER_HOURS,
    MAX_REMINDERS,
    Survey,
)
from surveys.summary import Activity, breakdown, survey_report
from tests.support.fake_telegram import FakeBotApi
from tests.support.harness import SURVEYS, settings_for
from tests.surveys.test_schema import schema_errors

REPO = Path(__file__).resolve().parent.parent
DOCS = [
    REPO / "README.md",
    REPO / "ARCHITECTURE.md",
    REPO / "bench" / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
]
TEXTS = {doc: doc.read_text(encoding="utf-8") for doc in DOCS}
README = TEXTS[REPO / "README.md"]
SURVEYS_DOC = (REPO / "docs" / "surveys.md").read_text(encoding="utf-8")
ORGANISERS_DOC = (REPO / "docs" / "organisers.md").read_text(encoding="utf-8")
OPERATORS_DOC = (REPO / "docs" / "operators.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (REPO / ".env.example").read_text(encoding="utf-8")
SURVEY_EXAMPLES = [
    pytest.param(example, id=f"{doc.relative_to(REPO)}-{number}")
    for doc, text in TEXTS.items()
    for number, example in enumerate(re.findall(r"```yaml\n(.*?)```", text, re.DOTALL), 1)
]
SETTINGS = {f"DOORSTEP_{name.upper()}" for name in bot.Settings.model_fields}


def words(text: str) -> str:
    """The text with every run of whitespace as one space (sentences wrap anywhere)."""
    return " ".join(text.split())


def name(doc: Path) -> str:
    return str(doc.relative_to(REPO))


# --- survey examples ---------------------------------------------------------------------------


@pytest.mark.parametrize("example", SURVEY_EXAMPLES)
def test_every_survey_example_is_valid_and_meets_the_json_schema(example: str) -> None:
    result = parse_survey(example, "example.yaml")

    assert result.problems == []
    assert schema_errors(example) == []


def test_there_are_survey_examples_in_the_readme_and_for_survey_authors() -> None:
    assert re.search(r"```yaml\n", README)
    assert re.search(r"```yaml\n", SURVEYS_DOC)


def full_example() -> Survey:
    """The first example of docs/surveys.md: the one with every question type."""
    example = re.findall(r"```yaml\n(.*?)```", SURVEYS_DOC, re.DOTALL)[0]
    return parse_survey(example, "docs/surveys.md").surveys[0]


def test_the_survey_authors_example_has_every_question_type() -> None:
    assert {q.type for q in full_example().questions} == {
        "choice",
        "multi",
        "scale",
        "yesno",
        "number",
        "text",
    }


def test_the_survey_file_limits_are_documented() -> None:
    text = words(SURVEYS_DOC)
    assert f"a survey file is at most {MAX_FILE_BYTES // 1024} KiB" in text
    assert f"nests at most {MAX_NESTING} levels" in text
    assert f"has at most {MAX_CONDITION_LEAVES} comparisons" in text
    assert f"nests `all`/`any` at most {MAX_CONDITION_DEPTH} deep" in text
    assert f"lists at most {MAX_CONDITION_VALUES} values" in text
    assert f"`choices` (choice, multi; 2 to {MAX_CHOICES}," in text


def test_the_reminder_fields_limits_and_default_are_documented() -> None:
    text = words(SURVEYS_DOC)
    assert f"`remind_after` (1 to {MAX_REMIND_AFTER_HOURS} hours," in text
    assert f"`reminders` (0 to {MAX_REMINDERS}, default {DEFAULT_REMINDERS})" in text
    assert "`reminders` alone is an error" in text


# --- settings, commands and links --------------------------------------------------------------


def test_every_setting_is_documented() -> None:
    for variable in SETTINGS:
        assert f"`{variable}`" in OPERATORS_DOC, variable
        assert f"{variable}=" in ENV_EXAMPLE, variable


@pytest.mark.parametrize("doc", DOCS, ids=name)
def test_every_setting_a_doc_names_is_real(doc: Path) -> None:
    named = set(re.findall(r"DOORSTEP_[A-Z_]*[A-Z]", TEXTS[doc]))

    assert named <= SETTINGS, named - SETTINGS


def subcommands() -> dict[str, Any]:
    """The command line's subcommands, by name, with their parsers."""
    parser = bot.command_line()
    (action,) = [a for a in parser._actions if a.dest == "command"]
    return dict(action.choices)


@pytest.mark.parametrize("doc", DOCS, ids=name)
def test_every_command_line_a_doc_names_exists(doc: Path) -> None:
    named = set(re.findall(r"python bot\.py ([a-z][a-z_-]*)", TEXTS[doc]))
    named |= {
        command
        for listed in re.findall(r"bot\.py ((?:[a-z]+\|)+[a-z]+)", TEXTS[doc])
        for command in listed.split("|")
    }

    assert named <= set(subcommands()), named - set(subcommands())


def test_the_operators_guide_gives_each_commands_exit_statuses() -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \| (\d: .*) \|$", OPERATORS_DOC, re.MULTILINE))

    assert set(rows) == set(subcommands())
    for command, parser in subcommands().items():
        statuses = re.findall(r"^  (\d)  (.*)$", parser.epilog, re.MULTILINE)
        for status, meaning in statuses:
            # Each command's 2 also covers a wrong command line, said once under the table.
            meaning = meaning.removeprefix("the command line is wrong")
            meaning = meaning.removesuffix("; or the command line is wrong")
            if meaning:
                assert f"{status}: {meaning}" in rows[command], (command, status)


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown text."""
    outside_code = re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)
    headings = re.findall(r"^#+ (.+)$", outside_code, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("doc", DOCS, ids=name)
def test_every_relative_link_points_to_a_file_and_heading_that_exist(doc: Path) -> None:
    links = re.findall(r"\]\(([^)\s]+)\)", TEXTS[doc])
    relative = [link for link in links if not re.match(r"[a-z]+:", link)]

    for link in relative:
        path, _, anchor = link.partition("#")
        target = (doc.parent / path).resolve() if path else doc
        assert target.exists(), link
        if anchor:
            assert anchor in anchors(target.read_text(encoding="utf-8")), link


def test_every_doc_is_linked_from_the_readme() -> None:
    linked = {(REPO / link).resolve() for link in re.findall(r"\]\(([^)#\s]+)\)", README)}

    for doc in DOCS[1:]:
        assert doc in linked, name(doc)


def listed_commands(audience: Audience) -> str:
    """What the README lists between `<!-- commands:AUDIENCE -->` markers."""
    scope = audience.value
    block = re.search(f"<!-- commands:{scope} -->\n(.*?)<!-- /commands:{scope} -->", README, re.S)
    assert block, scope
    return block.group(1)


@pytest.mark.parametrize("audience", list(Audience))
def test_the_readme_lists_the_command_tables_commands(audience: Audience) -> None:
    assert listed_commands(audience) == commands.markdown_list(audience) + "\n"


def test_the_bot_registers_exactly_the_commands_of_the_table(tmp_path: Path) -> None:
    loaded = bot.read_surveys(SURVEYS)
    application = bot.build_application(
        settings_for(tmp_path / "d.db"), loaded, request=FakeBotApi()
    )
    registered = {
        command
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }

    assert registered == {command.name for command in commands.COMMANDS}


# --- the example reports -----------------------------------------------------------------------

# The responses behind the organisers' guide's examples: (how many, of them completed in the last
# 7 days, their answers) to the survey authors' example survey. 9 more started and did not finish.
RESPONSES: list[tuple[int, int, dict[str, Any]]] = [
    (9, 2, {"region": "north", "issues": ["Housing", "Cost of living"], "rent-worry": 5,
            "renting": "yes", "rent-share": 40, "doorstep": "The landlord put the rent up again"}),
    (6, 1, {"region": "north", "issues": ["Jobs and wages"], "rent-worry": 2, "renting": "no"}),
    (5, 0, {"region": "north", "issues": ["NHS", "Cost of living"], "rent-worry": 4,
            "renting": "yes", "rent-share": 30, "doorstep": "Waiting weeks for a GP"}),
    (7, 3, {"region": "south", "issues": ["Housing"], "rent-worry": 5, "renting": "yes",
            "rent-share": 45, "doorstep": "Rent and the council house list"}),
    (6, 0, {"region": "south", "issues": ["Schools", "Cost of living"], "rent-worry": 1,
            "renting": "no"}),
    (5, 0, {"region": "south", "issues": ["Cost of living"], "rent-worry": 3, "renting": "yes",
            "rent-share": 25}),
    (3, 1, {"region": "Wales", "issues": ["Housing"], "rent-worry": 5, "renting": "yes",
            "rent-share": 35, "doorstep": "Repairs to the council house never get done"}),
]  # fmt: skip
NOT_FINISHED = 9
K = 5


def example_totals(survey: Survey) -> tuple[dict[tuple[str, ...], int], Activity]:
    """The running totals by area, and the activity, as storage keeps them for RESPONSES."""
    by_area: Counter[tuple[str, ...]] = Counter()
    completed: Counter[str] = Counter()
    recent: Counter[str] = Counter()
    for count, lately, answers in RESPONSES:
        area = tally.area_of(survey, answers)
        completed[area] += count
        recent[area] += lately
        for key in tally.keys(survey, answers):
            if (key.split_question, key.split_value) == tally.OVERALL:
                by_area[area, key.question_id, key.value] += count
    started = sum(completed.values()) + NOT_FINISHED
    return dict(by_area), Activity(started, dict(completed), dict(recent))


def as_telegram_shows(text: str) -> str:
    """An HTML message as the plain text Telegram shows (bold and fixed-width aside)."""
    return html.unescape(re.sub(r"</?(b|i|code)>", "", text))


def examples() -> dict[str, str]:
    """Each example of docs/organisers.md, as the code renders it today."""
    survey = full_example()
    by_area, activity = example_totals(survey)
    region = survey.questions[0]
    return {
        "report": organiser_render.report_text(survey_report(survey, by_area, activity, K)),
        "area-report": organiser_render.report_text(
            survey_report(survey, by_area, activity, K, "south")
        ),
        "breakdown": organiser_render.breakdown_text(
            breakdown(survey, region, by_area, {}, K, None)
        ),
    }


def example_block(text: str) -> str:
    return f"```text\n{as_telegram_shows(text)}\n```\n"


@pytest.mark.parametrize("example", ["report", "area-report", "breakdown"])
def test_the_organisers_guide_shows_the_reports_the_code_renders(example: str) -> None:
    shown = re.search(
        f"<!-- example:{example} -->\n(.*?)<!-- /example:{example} -->", ORGANISERS_DOC, re.S
    )
    expected = example_block(examples()[example])

    assert shown, example
    assert shown.group(1) == expected, f"paste into docs/organisers.md:\n{expected}"


def test_the_example_report_shows_what_the_guide_explains() -> None:
    shown = {name: as_telegram_shows(text) for name, text in examples().items()}

    assert "<5 Wales" in words(shown["report"])
    assert "c The South" in words(shown["report"])
    assert "Too few responses in this area" in shown["area-report"]
    assert "\nOthers " in shown["breakdown"]


# --- deployment: the Dockerfile and the systemd unit -------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuations joined."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for parts in (line.split(None, 1) for line in joined.splitlines() if line.strip())
    ]


def docker_ignored(path: str) -> bool:
    """Whether .dockerignore keeps a file (path relative to the checkout) out of the build."""
    patterns = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [p.strip().rstrip("/") for p in patterns if p.strip() and not p.startswith("#")]
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatch(prefix, pattern.removeprefix("**/")) or fnmatch.fnmatch(part, pattern)
        for pattern in patterns
        for prefix, part in zip(prefixes, parts, strict=True)
    )


def docker_context_copy(into: Path) -> None:
    """Copy what the Dockerfile's COPY instructions take from the build context into `into`."""
    copies = [arguments.split() for instruction, arguments in dockerfile() if instruction == "COPY"]
    for *sources, destination in copies:
        for source in sources:
            path = REPO / source
            assert path.exists(), source
            assert not docker_ignored(source.rstrip("/")), source
            files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
            for file in files:
                relative = file.relative_to(REPO).as_posix()
                if docker_ignored(relative):
                    continue
                target = into / destination / (file.name if path.is_file() else "")
                if path.is_dir():
                    target = into / destination / file.relative_to(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target)


def test_the_dockerfile_runs_bot_py_run_on_the_pythons_doorstep_supports() -> None:
    instructions = dockerfile()
    (base,) = [arguments for instruction, arguments in instructions if instruction == "FROM"]
    (command,) = [arguments for instruction, arguments in instructions if instruction == "CMD"]
    argv = json.loads(command)  # the exec form: SIGTERM reaches the bot, not a shell

    assert re.fullmatch(r"python:3\.(1[1-9])-slim", base), base
    assert Path(argv[1]).name == "bot.py"
    assert argv[2:] == ["run"]
    assert argv[2] in subcommands()


def test_dockerignore_keeps_secrets_and_members_data_out() -> None:
    for path in [".env", "doorstep.db", "doorstep.db-wal", "doorstep.db.key", "exports/a.csv"]:
        assert docker_ignored(path), path
    for path in [
        "bot.py",
        "app/answering.py",
        "handlers/conversation.py",
        "surveys/library/your-community.yaml",
    ]:
        assert not docker_ignored(path), path


def test_the_files_the_dockerfile_copies_build_and_run(tmp_path: Path) -> None:
    app = tmp_path / "app"
    docker_context_copy(app)
    build = "import sys; from setuptools import build_meta; build_meta.build_wheel(sys.argv[1])"

    built = subprocess.run(
        [sys.executable, "-c", build, str(tmp_path / "wheel")],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    # bot.py finds the bundled surveys and the privacy notice beside itself, as in the image.
    assert (app / "docs" / "privacy-notice.md").is_file()
    validated = subprocess.run(
        [sys.executable, str(app / "bot.py"), "validate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr


def systemd_unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(REPO / "deploy" / "doorstep.service", encoding="utf-8")
    return unit


def test_the_systemd_unit_runs_bot_py_run_and_does_not_restart_on_bad_settings() -> None:
    service = systemd_unit()["Service"]
    argv = shlex.split(service["ExecStart"])

    assert Path(argv[0]).name == "python"
    assert Path(argv[1]).name == "bot.py"
    assert argv[2:] == ["run"]
    assert argv[2] in subcommands()
    assert {int(status) for status in service["RestartPreventExitStatus"].split()} == {
        bot.EXIT_INVALID_SURVEYS,
        bot.EXIT_BAD_SETTINGS,
    }
    assert service["KillSignal"] == "SIGTERM"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    text = (REPO / "deploy" / "doorstep.service").read_text(encoding="utf-8")
    # The unit names the checkout /opt/doorstep; here it is this one, with this Python.
    text = text.replace("/opt/doorstep/.venv/bin/python", sys.executable)
    unit = tmp_path / "doorstep.service"
    unit.write_text(text.replace("/opt/doorstep", str(REPO)), encoding="utf-8")

    verified = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "doorstep.service" not in verified.stderr, verified.stderr
