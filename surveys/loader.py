"""Reading survey files: YAML text in, `Survey` models or a complete list of problems out.

Pure: files arrive as (name, text or bytes) pairs read by the caller (bot.py), so the rules are
tested on strings. A hostile file (huge, deeply nested, with YAML aliases) is a problem like any
other, found cheaply. Every problem is reported at once, each with its file, question id and field.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import yaml
from pydantic import TypeAdapter, ValidationError
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from surveys.model import (
    SLUG_PATTERN,
    TYPE_TAGS,
    Question,
    Survey,
    SurveyProblem,
    survey_problems,
)

SURVEY_SUFFIXES = (".yaml", ".yml")  # what the folder reader in bot.py picks up
# The bundled surveys are under 8 KiB each; the cap keeps a hostile file cheap to refuse.
MAX_FILE_BYTES = 256 * 1024
# Levels of YAML nesting, counting the survey's own mapping as 1. The deepest a valid survey
# goes is 14 (an `in` list in a show_if nested MAX_CONDITION_DEPTH deep); the cap keeps the
# composer's recursion far from Python's limit.
MAX_NESTING = 20


# How a problem names a YAML type, where its tag's own name would puzzle an author.
_TYPE_NAMES = {"tag:yaml.org,2002:timestamp": "date", "tag:yaml.org,2002:int": "integer"}


class _RefusedYaml(yaml.MarkedYAMLError):
    """YAML that parses but that a survey file cannot use: `problem`, where, then `note`."""


def _start(event: yaml.Event) -> yaml.Mark | None:
    """Where an event starts. The pure-Python loader marks events with `yaml.Mark`; the stubs
    also allow the C parser's own mark type, which this loader never sees."""
    mark = event.start_mark
    return mark if isinstance(mark, yaml.Mark) else None


class SurveyYamlLoader(yaml.SafeLoader):
    """YAML for survey files: YAML 1.2 booleans (only true/false, so `yes`, `no`, `on` and
    `off` stay text); no aliases (`*name`), which let a few bytes stand for millions of
    values; at most MAX_NESTING levels of nesting, refused while composing, before any
    recursion could run deep; and every error a YAMLError with its position."""

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """One node of the document, refusing aliases and nesting beyond MAX_NESTING."""
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _RefusedYaml(
                problem=f"alias *{event.anchor}",
                problem_mark=_start(event),
                note="aliases are not part of the survey format; write the value out in full",
            )
        if self._depth == MAX_NESTING:
            raise _RefusedYaml(
                problem=f"nesting deeper than {MAX_NESTING} levels",
                problem_mark=_start(event),
                note="a survey needs far fewer",
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value that does not fit its type (`2026-02-30`, `!!int x`, an integer of 5,000
        digits) as a YAML problem at its line, not a crash."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as error:
            raise _RefusedYaml(
                problem=f"unreadable {_TYPE_NAMES.get(node.tag, node.tag.rsplit(':', 1)[-1])}",
                problem_mark=node.start_mark,
                note=str(error).split(";")[0],  # not Python's advice on raising its limits
            ) from error


SurveyYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SurveyYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class FileProblem:
    """One problem in one survey file."""

    file: str
    question: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"question {self.question!r}, " if self.question else ""
        return f"{self.file}: {where}{self.field or 'survey'}: {self.message}"


@dataclass
class LoadResult:
    """Surveys that loaded, and every problem found on the way."""

    surveys: list[Survey] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was wrong."""
        return not self.problems


_QUESTION = TypeAdapter(Question)


def parse_survey(content: str | bytes, file: str) -> LoadResult:
    """Parse one survey file, given as text or as its bytes; `file` names it in problems.

    Bytes are decoded as YAML does (UTF-8, or UTF-16 with a byte order mark). Content over
    MAX_FILE_BYTES is refused unparsed: a reader may pass just the first MAX_FILE_BYTES + 1
    bytes of a file.
    """
    size = len(content if isinstance(content, bytes) else content.encode(errors="surrogatepass"))
    if size > MAX_FILE_BYTES:
        message = f"is larger than {MAX_FILE_BYTES // 1024} KiB, the most a survey file may be"
        return LoadResult(problems=[FileProblem(file, None, "", message)])
    try:
        # A SafeLoader subclass: never builds arbitrary objects.
        data = yaml.load(content, Loader=SurveyYamlLoader)
    except yaml.YAMLError as error:
        return LoadResult(problems=[FileProblem(file, None, "", _yaml_problem(error))])
    if not isinstance(data, dict):
        return LoadResult(problems=[FileProblem(file, None, "", "must be a mapping of fields")])
    try:
        return LoadResult(surveys=[Survey.model_validate(data)])
    except ValidationError as error:
        return LoadResult(problems=_explain(error, data, file))


def _yaml_problem(error: yaml.YAMLError) -> str:
    """A YAML syntax error, or YAML a survey may not use, in one line with its position."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    if isinstance(error, _RefusedYaml):
        return f"{problem}{where}: {error.note}"
    return f"not valid YAML{where}: {problem}"


def _explain(error: ValidationError, data: dict[str, Any], file: str) -> list[FileProblem]:
    """Turn pydantic's errors into file problems, and add cross-question ones it could not see."""
    questions = data.get("questions")
    raw_questions = questions if isinstance(questions, list) else []
    problems = []
    for item in error.errors():
        location = list(item["loc"])
        if location == []:
            continue  # the survey-level rules, reported below with their question ids
        question = None
        if location[0] == "questions" and len(location) > 1 and isinstance(location[1], int):
            question = _question_name(raw_questions, location[1])
            location = location[2:]
            if location and location[0] in TYPE_TAGS:
                location = location[1:]  # pydantic names the union member; the file does not
            elif not location:
                location = ["type"]  # the question as a whole: its type selects its fields
        # "[key]": pydantic's mark for a mapping's key (a theme name) rather than its value.
        parts = [part for part in _without_condition_tags(location) if part != "[key]"]
        field_name = ".".join(str(part) for part in parts)
        problems.append(FileProblem(file, question, field_name, _message(item)))
    problems.extend(_cross_question_problems(data, raw_questions, file))
    return _unique(problems)


_CONDITION_TAGS = {"equals", "in", "not_in", "all", "any"}


def _without_condition_tags(location: list[Any]) -> list[Any]:
    """Drop the union member names pydantic puts where a condition is chosen.

    Pydantic says `show_if.equals.question` and `show_if.all.all.0`; the file says
    `show_if.question` and `show_if.all.0`.
    """
    kept: list[Any] = []
    for part in location:
        at_condition = kept[-1:] == ["show_if"] or (
            len(kept) >= 2 and isinstance(kept[-1], int) and kept[-2] in ("all", "any")
        )
        if at_condition and part in _CONDITION_TAGS and kept[-1] != "show_if-tag":
            kept.append("show_if-tag")
            continue
        if kept[-1:] == ["show_if-tag"]:
            kept.pop()
        kept.append(part)
    return kept


_PLAIN_MESSAGES = {
    "bool_type": "must be true or false",
    "extra_forbidden": "unknown field",
    "missing": "required field is missing",
}


def _message(item: Any) -> str:
    if item["type"] in _PLAIN_MESSAGES:
        return _PLAIN_MESSAGES[item["type"]]
    if item["type"] == "string_pattern_mismatch":
        return "must use only a-z, 0-9 and '-', starting with a letter or digit"
    if item["type"] == "union_tag_invalid":
        given, expected = item["input"].get("type"), item["ctx"]["expected_tags"]
        return f"unknown type {given!r}; use one of {expected}"
    if item["type"] == "union_tag_not_found":
        return "type is missing; use one of choice, multi, scale, yesno, text, number"
    message = str(item["msg"])
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _question_name(raw_questions: list[Any], index: int) -> str:
    raw = raw_questions[index] if index < len(raw_questions) else None
    question_id = raw.get("id") if isinstance(raw, dict) else None
    return question_id if isinstance(question_id, str) else f"#{index + 1}"


def _cross_question_problems(
    data: dict[str, Any], raw_questions: list[Any], file: str
) -> list[FileProblem]:
    """Check ids and show_if among the questions that are valid on their own."""
    valid = []
    raw_ids = [raw["id"] for raw in raw_questions if isinstance(raw, dict) and "id" in raw]
    for raw in raw_questions:
        try:
            valid.append(_QUESTION.validate_python(raw))
        except ValidationError:
            continue
    file_order = [str(i) for i in raw_ids]
    problems = survey_problems(valid, file_order)
    # Also between questions that are invalid on their own (identical reports merge below).
    for duplicate in sorted({i for i in file_order if file_order.count(i) > 1}):
        problems.append(SurveyProblem(duplicate, "id", "duplicate question id"))
    opens, closes = data.get("opens"), data.get("closes")
    if opens and closes and type(opens) is type(closes) and closes < opens:
        problems.append(SurveyProblem(None, "closes", "closes is before opens"))
    return [FileProblem(file, p.question, p.field, p.message) for p in problems]


def _unique(problems: list[FileProblem]) -> list[FileProblem]:
    return list(dict.fromkeys(problems))  # in order, each once


def parse_files(files: Iterable[tuple[str, str | bytes]]) -> LoadResult:
    """Parse several survey files, given as (name, text or bytes) pairs; survey ids must be
    unique."""
    result = LoadResult()
    first_file_of: dict[str, str] = {}
    for name, content in files:
        loaded = parse_survey(content, name)
        result.problems.extend(loaded.problems)
        for survey in loaded.surveys:
            if survey.id in first_file_of:
                message = f"survey id {survey.id!r} is already used by {first_file_of[survey.id]}"
                result.problems.append(FileProblem(name, None, "id", message))
                continue
            first_file_of[survey.id] = name
            result.surveys.append(survey)
    return result


def canonical_json(survey: Survey) -> str:
    """The survey as stable JSON: what is stored as a version snapshot."""
    return survey.model_dump_json(by_alias=True, exclude_none=True)


def content_hash(survey: Survey) -> str:
    """A short fingerprint of a survey's content: a new hash means a new version."""
    return hashlib.sha256(canonical_json(survey).encode()).hexdigest()[:16]


class _SurveyJsonSchema(GenerateJsonSchema):
    """Pydantic's JSON Schema, true to how the survey models read text fields: a number is
    read as text (`label: 10`), and text that is blank once stripped is refused."""

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        text = super().str_schema(schema)
        if schema.get("strip_whitespace") and text.get("minLength") and "pattern" not in text:
            text["pattern"] = r"\S"
        if not self._config.coerce_numbers_to_str:
            return text
        if text.get("pattern") == SLUG_PATTERN:
            number = {"type": "integer", "minimum": 0}  # the only numbers that read as a slug
        else:
            number = {"type": "number"}
        return {"anyOf": [text, number]}

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        mapping = super().dict_schema(schema)
        keys = schema.get("keys_schema")
        if keys is not None and keys["type"] == "str":
            # A key is text even when it looks like a number; every key must match.
            key_text = cast(core_schema.StringSchema, keys)  # its type says so
            mapping["propertyNames"] = GenerateJsonSchema.str_schema(self, key_text)
        return mapping


def survey_json_schema() -> dict[str, Any]:
    """The JSON Schema of a survey file, for editors that check and autocomplete YAML.

    It accepts what `parse_survey` accepts, except for rules that span fields (docs/surveys.md,
    "What only validate checks"); of those it states one: `reminders` only with `remind_after`."""
    schema = Survey.model_json_schema(by_alias=True, schema_generator=_SurveyJsonSchema)
    schema["title"] = "Doorstep survey"
    return schema
