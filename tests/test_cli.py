"""The command line: exit codes, one-line settings errors, survey validation, settings parsing."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

import bot

REPO_ROOT = Path(__file__).resolve().parents[1]
BOT_SCRIPT = REPO_ROOT / "bot.py"
LIBRARY = REPO_ROOT / "surveys" / "library"
VALID_TOKEN = "123456789:" + "A1b2C3d4E5-_" * 3  # 36 characters after the colon
UNREACHABLE_API = "http://127.0.0.1:9/bot"  # the discard port: nothing ever answers

BROKEN_SURVEY = """\
id: broken
title: Broken
intro: Several things are wrong here.
questions:
  - id: mood
    type: scale
    text: How are you?
    min: 5
    max: 3
  - id: colour
    type: choice
    text: Favourite colour?
    choices: [red]
    shade: blue
  - id: follow-up
    type: text
    text: Why?
    show_if: {question: later-one, equals: "x"}
  - id: later-one
    type: yesno
    text: Later
"""


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No DOORSTEP_* variable from the outside, and no .env file in the working directory."""
    for name in list(os.environ):
        if name.startswith("DOORSTEP_"):
            monkeypatch.delenv(name)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)


@pytest.fixture
def broken_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "broken-surveys"
    folder.mkdir()
    (folder / "broken.yaml").write_text(BROKEN_SURVEY, encoding="utf-8")
    (folder / "not-yaml.yml").write_text("id: [unclosed\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a survey file, ignored", encoding="utf-8")
    return folder


def run_script(tmp_path: Path, *arguments: str, **variables: str) -> subprocess.CompletedProcess:
    """`python bot.py ARGUMENTS` in an empty directory, with only these DOORSTEP_* variables."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_")}
    environment.update(variables)
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    workdir = tmp_path / "subprocess-cwd"
    workdir.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, str(BOT_SCRIPT), *arguments],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def refuse_to_build(*args: object, **kwargs: object) -> None:
    raise AssertionError("the Application must not be built")


# --- the bot token ----------------------------------------------------------------------------


def assert_one_line_about_the_token(stderr: str, state: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "DOORSTEP_BOT_TOKEN" in lines[0]
    assert "BotFather" in lines[0]
    assert state in lines[0]


@pytest.mark.parametrize("arguments", [[], ["run"]], ids=["default", "run"])
def test_missing_token_exits_2_with_one_line_naming_the_variable(arguments, capsys, monkeypatch):
    monkeypatch.setattr(bot, "build_application", refuse_to_build)
    assert bot.main(arguments) == bot.EXIT_BAD_SETTINGS == 2
    captured = capsys.readouterr()
    assert_one_line_about_the_token(captured.err, "is not set")
    assert captured.out == ""


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "123456789",
        "123:" + "A" * 35,  # id too short
        "123456789:" + "A" * 29,  # secret too short
        "123456789:" + "A" * 34 + "!",
        "123456789:" + "A" * 20 + "\n" + "A" * 15,
        "123456789: " + "A" * 35,
    ],
)
def test_malformed_token_exits_2_with_one_line_without_echoing_it(token, capsys, monkeypatch):
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", token)
    monkeypatch.setattr(bot, "build_application", refuse_to_build)
    assert bot.main(["run"]) == 2
    captured = capsys.readouterr()
    assert_one_line_about_the_token(captured.err, "is not a valid bot token")
    if token.strip():
        assert token.strip() not in captured.err + captured.out


@pytest.mark.parametrize(
    "line", ["DOORSTEP_BOT_TOKEN=", "DOORSTEP_BOT_TOKEN=   ", 'DOORSTEP_BOT_TOKEN=""']
)
def test_an_empty_token_in_dotenv_is_not_set(line, capsys, monkeypatch):
    Path(".env").write_text(f"{line}\n", encoding="utf-8")
    monkeypatch.setattr(bot, "build_application", refuse_to_build)
    assert bot.main(["run"]) == 2
    assert_one_line_about_the_token(capsys.readouterr().err, "is not set")


def test_a_blank_token_in_the_environment_is_not_set(capsys, monkeypatch):
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", "  ")
    monkeypatch.setattr(bot, "build_application", refuse_to_build)
    assert bot.main(["run"]) == 2
    assert_one_line_about_the_token(capsys.readouterr().err, "is not set")


def test_surrounding_whitespace_is_stripped_from_every_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", f" {VALID_TOKEN}\n")
    monkeypatch.setenv("DOORSTEP_ADMINS", " 1 , 2 ")
    monkeypatch.setenv("DOORSTEP_DATABASE", f"  {tmp_path / 'x.db'} ")
    monkeypatch.setenv("DOORSTEP_SURVEYS", f"\t{tmp_path}  ")
    monkeypatch.setenv("DOORSTEP_TIMEZONE", " Europe/Berlin ")
    monkeypatch.setenv("DOORSTEP_SECRET_KEY", " the key ")
    settings = bot.Settings()
    assert settings.bot_token.get_secret_value() == VALID_TOKEN
    assert settings.admins == frozenset({1, 2})
    assert settings.database == tmp_path / "x.db"
    assert settings.surveys == tmp_path
    assert settings.timezone == "Europe/Berlin"
    assert settings.secret_key.get_secret_value() == "the key"


def test_a_blank_secret_key_is_not_set(monkeypatch):
    monkeypatch.setenv("DOORSTEP_SECRET_KEY", "   ")
    assert bot.Settings(bot_token=SecretStr(VALID_TOKEN)).secret_key is None


def test_missing_token_exits_2_from_the_real_script(tmp_path):
    result = run_script(tmp_path, "run")
    assert result.returncode == 2
    assert_one_line_about_the_token(result.stderr, "is not set")
    assert result.stdout == ""


def test_malformed_token_exits_2_from_the_real_script(tmp_path):
    secret = "12345678:too-short-to-be-real"
    result = run_script(tmp_path, DOORSTEP_BOT_TOKEN=secret)
    assert result.returncode == 2
    assert_one_line_about_the_token(result.stderr, "is not a valid bot token")
    assert secret not in result.stderr


# --- other settings ---------------------------------------------------------------------------


def test_admins_are_parsed_from_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("DOORSTEP_ADMINS", "1, 2,3")
    settings = bot.Settings(bot_token=SecretStr(VALID_TOKEN))
    assert settings.admins == frozenset({1, 2, 3})


def test_admins_default_to_none(monkeypatch):
    assert bot.Settings(bot_token=SecretStr(VALID_TOKEN)).admins == frozenset()
    monkeypatch.setenv("DOORSTEP_ADMINS", "")
    assert bot.Settings(bot_token=SecretStr(VALID_TOKEN)).admins == frozenset()


def test_settings_read_every_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("DOORSTEP_DATABASE", str(tmp_path / "x.db"))
    monkeypatch.setenv("DOORSTEP_SURVEYS", str(tmp_path))
    monkeypatch.setenv("DOORSTEP_TIMEZONE", "Europe/Berlin")
    settings = bot.Settings()
    assert settings.bot_token.get_secret_value() == VALID_TOKEN
    assert VALID_TOKEN not in repr(settings)
    assert settings.database == tmp_path / "x.db"
    assert settings.surveys == tmp_path
    assert settings.timezone == "Europe/Berlin"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Europe/Londn", "../etc/passwd", ""])
def test_an_unknown_timezone_is_rejected(zone):
    with pytest.raises(ValidationError, match="time zone"):
        bot.Settings(bot_token=SecretStr(VALID_TOKEN), timezone=zone)


def test_an_unknown_timezone_stops_the_bot_with_one_line(capsys, monkeypatch):
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("DOORSTEP_TIMEZONE", "Mars/Olympus_Mons")
    monkeypatch.setattr(bot, "build_application", refuse_to_build)
    assert bot.main(["run"]) == 2
    assert capsys.readouterr().err == "DOORSTEP_TIMEZONE: unknown time zone 'Mars/Olympus_Mons'\n"


def test_admins_that_are_not_numbers_stop_the_bot_with_one_line(capsys, monkeypatch):
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("DOORSTEP_ADMINS", "1, @alice")
    monkeypatch.setattr(bot, "build_application", refuse_to_build)
    assert bot.main(["run"]) == 2
    assert capsys.readouterr().err == (
        "DOORSTEP_ADMINS: '@alice' is not a numeric Telegram user id\n"
    )


def test_the_rebuild_interval_is_an_hour_unless_set(monkeypatch):
    assert bot.Settings(bot_token=SecretStr(VALID_TOKEN)).rebuild_interval_minutes == 60
    for minutes in (5, 1440):
        monkeypatch.setenv("DOORSTEP_REBUILD_INTERVAL_MINUTES", str(minutes))
        assert bot.Settings(bot_token=SecretStr(VALID_TOKEN)).rebuild_interval_minutes == minutes


@pytest.mark.parametrize("minutes", ["4", "1441", "0", "-60", "hourly"])
def test_a_rebuild_interval_out_of_range_stops_the_bot_with_one_line(capsys, monkeypatch, minutes):
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("DOORSTEP_REBUILD_INTERVAL_MINUTES", minutes)
    monkeypatch.setattr(bot, "build_application", refuse_to_build)
    assert bot.main(["run"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("DOORSTEP_REBUILD_INTERVAL_MINUTES: ")


def test_malformed_quiet_hours_stop_the_bot_with_one_line(capsys, monkeypatch):
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("DOORSTEP_QUIET_HOURS", "9pm-9am")
    monkeypatch.setattr(bot, "build_application", refuse_to_build)
    assert bot.main(["run"]) == 2
    assert capsys.readouterr().err == (
        "DOORSTEP_QUIET_HOURS: '9pm-9am' is not a window like 21:00-09:00 "
        "(times 00:00 to 23:59), or off\n"
    )


def test_a_number_out_of_range_is_named_in_plain_words(capsys, monkeypatch):
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("DOORSTEP_MIN_GROUP_SIZE", "1")
    monkeypatch.setattr(bot, "build_application", refuse_to_build)
    assert bot.main(["run"]) == 2
    assert capsys.readouterr().err == (
        "DOORSTEP_MIN_GROUP_SIZE: input should be greater than or equal to 2 (not '1')\n"
    )


def test_settings_come_from_a_dotenv_file_in_the_working_directory(capsys, broken_folder):
    Path(".env").write_text(f"DOORSTEP_SURVEYS={broken_folder}\n", encoding="utf-8")
    assert bot.main(["validate"]) == 1
    assert "broken.yaml" in capsys.readouterr().err


def test_the_bundled_surveys_are_found_beside_the_code_from_any_working_directory(capsys):
    assert Path.cwd() != REPO_ROOT
    assert bot.SurveySettings().surveys == LIBRARY
    assert bot.main(["validate"]) == 0
    assert "surveys valid" in capsys.readouterr().out


def test_the_bundled_surveys_are_found_from_another_folder_by_the_real_script(tmp_path):
    result = run_script(tmp_path, "validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{len(bundled_survey_ids())} surveys valid")


def test_a_relative_path_setting_is_relative_to_the_working_directory(capsys):
    Path("mine").mkdir()
    Path("mine", "one.yaml").write_text((LIBRARY / "your-community.yaml").read_text("utf-8"))
    Path(".env").write_text("DOORSTEP_SURVEYS=mine\n", encoding="utf-8")
    assert bot.main(["validate"]) == 0
    assert "1 survey valid: your-community" in capsys.readouterr().out


# --- version and help -------------------------------------------------------------------------


def test_version_is_the_installed_package_version(capsys):
    with pytest.raises(SystemExit) as stopped:
        bot.main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"bot.py {metadata.version('doorstep')}\n"


def test_version_from_the_real_script(tmp_path):
    result = run_script(tmp_path, "--version")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"bot.py {metadata.version('doorstep')}\n"


def test_version_falls_back_to_pyproject_when_not_installed(monkeypatch):
    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    with (REPO_ROOT / "pyproject.toml").open("rb") as pyproject:
        assert bot.version() == tomllib.load(pyproject)["project"]["version"]


@pytest.mark.parametrize("command", ["run", "validate", "schema", "export", "backup", "forget"])
def test_every_command_has_a_description_and_its_exit_statuses_in_help(command, capsys):
    with pytest.raises(SystemExit) as stopped:
        bot.main([command, "--help"])
    assert stopped.value.code == 0
    help_text = capsys.readouterr().out
    usage, description, *_, statuses = help_text.split("\n\n")
    assert usage.startswith(f"usage: bot.py {command}")
    assert len(description.split()) >= 8, description
    assert statuses.startswith("exit status:\n  0  ")
    assert "\n  2  " in statuses  # every command: at least a mistake in the command line


# --- commands that open the database ----------------------------------------------------------


def unusable_database(kind: str, folder: Path) -> Path:
    """A DOORSTEP_DATABASE that no command may use (and none may create)."""
    path = folder / "doorstep.db"
    if kind == "a folder":
        path.mkdir()
    elif kind == "not SQLite":
        path.write_text("member notes, not a database\n", encoding="utf-8")
    elif kind == "empty":
        path.touch()  # SQLite would take it for a new database
    elif kind == "under a file":
        (folder / "a-file").touch()
        path = folder / "a-file" / "doorstep.db"
    return path


def everything_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


@pytest.mark.parametrize("kind", ["missing", "a folder", "not SQLite", "empty"])
@pytest.mark.parametrize(
    "command",
    [["export", "your-community", "--out", "out.csv"], ["forget", "42"], ["backup", "copy.db"]],
    ids=["export", "forget", "backup"],
)
def test_an_unusable_database_is_one_line_and_exit_2_and_nothing_is_created(
    command, kind, capsys, monkeypatch, tmp_path
):
    database = unusable_database(kind, tmp_path)
    monkeypatch.setenv("DOORSTEP_DATABASE", str(database))
    monkeypatch.setenv("DOORSTEP_SECRET_KEY", "the bot's key")  # and no token: none is needed
    before = everything_under(tmp_path)

    assert bot.main(command) == bot.EXIT_BAD_SETTINGS

    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1, captured.err
    assert str(database) in captured.err
    assert everything_under(tmp_path) == before  # no database, no -wal, no CSV, no copy


@pytest.mark.parametrize("kind", ["a folder", "not SQLite", "under a file"])
def test_run_with_an_unusable_database_is_one_line_and_exit_2(kind, capsys, monkeypatch, tmp_path):
    database = unusable_database(kind, tmp_path)
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("DOORSTEP_DATABASE", str(database))
    monkeypatch.setattr(bot, "build_application", refuse_to_build)

    assert bot.main(["run"]) == bot.EXIT_BAD_SETTINGS

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert str(database) in lines[0]


# --- validate ---------------------------------------------------------------------------------


def bundled_survey_ids() -> list[str]:
    return sorted(path.stem for path in LIBRARY.glob("*.yaml"))


def test_validate_accepts_the_bundled_surveys(capsys):
    assert bot.main(["validate", str(LIBRARY)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.strip() == (
        f"{len(bundled_survey_ids())} surveys valid: {', '.join(bundled_survey_ids())}"
    )


def test_validate_without_a_path_checks_the_surveys_setting(capsys, monkeypatch, broken_folder):
    monkeypatch.setenv("DOORSTEP_SURVEYS", str(LIBRARY))
    assert bot.main(["validate"]) == 0
    monkeypatch.setenv("DOORSTEP_SURVEYS", str(broken_folder))
    assert bot.main(["validate"]) == 1
    assert "broken.yaml" in capsys.readouterr().err


def test_validate_accepts_a_single_file_and_says_survey_in_the_singular(capsys):
    path = LIBRARY / "your-community.yaml"
    assert bot.main(["validate", str(path)]) == 0
    assert capsys.readouterr().out == "1 survey valid: your-community\n"


def test_validate_warns_about_a_survey_that_has_closed_and_still_exits_0(capsys, tmp_path):
    folder = tmp_path / "surveys"
    folder.mkdir()
    yesterday = dt.date.today() - dt.timedelta(days=2)  # passed in every time zone
    for survey_id, closes in (("ended", yesterday), ("ongoing", dt.date(2999, 1, 1))):
        (folder / f"{survey_id}.yaml").write_text(
            f"id: {survey_id}\ntitle: T\nintro: I\ncloses: {closes}\n"
            "questions:\n  - {id: q, type: yesno, text: Q}\n",
            encoding="utf-8",
        )

    assert bot.main(["validate", str(folder)]) == 0

    captured = capsys.readouterr()
    assert captured.err == (
        f"warning: survey 'ended' closed on {yesterday}: members can no longer answer it\n"
    )
    assert captured.out == "2 surveys valid: ended, ongoing\n"


def test_validate_with_an_unknown_timezone_exits_2_with_one_line(capsys, monkeypatch):
    monkeypatch.setenv("DOORSTEP_TIMEZONE", "Mars/Olympus_Mons")
    assert bot.main(["validate", str(LIBRARY)]) == 2
    assert capsys.readouterr().err == "DOORSTEP_TIMEZONE: unknown time zone 'Mars/Olympus_Mons'\n"


def test_validate_reports_every_problem_with_file_and_question(capsys, broken_folder):
    assert bot.main(["validate", str(broken_folder)]) == bot.EXIT_INVALID_SURVEYS == 1
    captured = capsys.readouterr()
    assert "surveys valid" not in captured.out
    lines = captured.err.splitlines()
    broken = str(broken_folder / "broken.yaml")
    expected = [
        (broken, "question 'mood', max:", "greater than min"),
        (broken, "question 'colour', choices:", "at least 2"),
        (broken, "question 'colour', shade:", "unknown field"),
        (broken, "question 'follow-up', show_if:", "later question 'later-one'"),
        (str(broken_folder / "not-yaml.yml"), "survey:", "not valid YAML"),
    ]
    for file, where, what in expected:
        assert any(
            line.startswith(f"{file}: ") and where in line and what in line for line in lines
        ), (file, where, what, lines)
    # One problem per line, each naming its file.
    problems = [line for line in lines if line.startswith(str(broken_folder))]
    assert len(problems) == len(expected), problems
    assert "not valid YAML at line 2, column 1" in captured.err
    assert "notes.txt" not in captured.err


def test_validate_reports_a_duplicate_id_even_when_one_copy_is_invalid(capsys, tmp_path):
    survey = tmp_path / "twice.yaml"
    survey.write_text(
        textwrap.dedent(
            """\
            id: twice
            title: Twice
            intro: One id, two questions.
            questions:
              - {id: mood, type: scale, text: A, min: 5, max: 3}
              - {id: mood, type: yesno, text: B}
            """
        ),
        encoding="utf-8",
    )
    assert bot.main(["validate", str(survey)]) == 1
    assert "question 'mood', id: duplicate question id" in capsys.readouterr().err


def test_validate_reports_a_survey_id_used_twice(capsys, tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text((LIBRARY / "your-community.yaml").read_text("utf-8"), "utf-8")
    assert bot.main(["validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'b.yaml'}: id: survey id 'your-community' is already used by" in err


def test_validate_an_empty_folder_exits_1(capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("no surveys here", encoding="utf-8")
    assert bot.main(["validate", str(empty)]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == f"{empty}: survey: no survey files here"
    assert captured.out == ""


def test_validate_a_missing_path_exits_1(capsys, tmp_path):
    missing = tmp_path / "nowhere"
    assert bot.main(["validate", str(missing)]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == f"{missing}: survey: no such file or folder"
    assert captured.out == ""


def test_validate_a_broken_folder_exits_1_from_the_real_script(tmp_path, broken_folder):
    result = run_script(tmp_path, "validate", str(broken_folder))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "question 'mood'" in result.stderr


# --- schema -----------------------------------------------------------------------------------


def test_schema_prints_the_json_schema_of_a_survey(capsys):
    assert bot.main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "questions" in schema["properties"]
    assert {"id", "title", "intro", "questions"} <= set(schema["required"])
    assert schema["title"] == "Doorstep survey"


# --- run with invalid surveys -----------------------------------------------------------------


def test_run_with_invalid_surveys_exits_1_before_building_anything(
    capsys, monkeypatch, tmp_path, broken_folder
):
    database = tmp_path / "doorstep.db"
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("DOORSTEP_API_BASE_URL", UNREACHABLE_API)
    monkeypatch.setenv("DOORSTEP_SURVEYS", str(broken_folder))
    monkeypatch.setenv("DOORSTEP_DATABASE", str(database))
    monkeypatch.setattr(bot, "build_application", refuse_to_build)
    assert bot.main(["run"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines[-1] == "Doorstep will not start until the survey files are valid."
    assert any("question 'mood'" in line for line in lines)
    assert VALID_TOKEN not in captured.err + captured.out
    assert not database.exists()


def test_run_with_invalid_surveys_exits_1_from_the_real_script(tmp_path, broken_folder):
    database = tmp_path / "doorstep.db"
    result = run_script(
        tmp_path,
        "run",
        DOORSTEP_BOT_TOKEN=VALID_TOKEN,
        DOORSTEP_API_BASE_URL=UNREACHABLE_API,
        DOORSTEP_SURVEYS=str(broken_folder),
        DOORSTEP_DATABASE=str(database),
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Doorstep will not start until the survey files are valid." in result.stderr
    assert not database.exists()


def test_run_with_a_missing_survey_folder_exits_1(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("DOORSTEP_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("DOORSTEP_SURVEYS", str(tmp_path / "nowhere"))
    monkeypatch.setenv("DOORSTEP_DATABASE", str(tmp_path / "doorstep.db"))
    monkeypatch.setattr(bot, "build_application", refuse_to_build)
    assert bot.main(["run"]) == 1
    assert "no such file or folder" in capsys.readouterr().err
