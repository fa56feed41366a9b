"""The survey file format: pydantic models for one survey and its questions.

A survey file is YAML (see README, "Survey format"); these models are its single definition, the
source of the JSON Schema printed by `python bot.py schema`, and the in-memory form the engine
works on. Rules that span several questions (show_if references, breakdown types) live in
`survey_problems`, so the loader can report them alongside field errors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal, assert_never, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    StrictBool,
    StringConstraints,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=32)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
QuestionText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1500)
]


def _scalar(value: Any) -> Any:
    """One clear error for a list or mapping where a single value belongs."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(
            'must be a single value: a choice value, "yes"/"no" or a number (not true/false)'
        )
    return value


# A value a show_if condition compares an answer with: a choice value, yes/no, or a number.
ConditionValue = Annotated[str | int | float, BeforeValidator(_scalar)]

YES, NO = "yes", "no"
MAX_SCALE_POINTS = 11  # one button per point: 0..10 is the widest scale that stays readable
MAX_CHOICES = 20
# Limits on one question's show_if, so that checking it and evaluating it at every step of a
# conversation stay cheap: comparisons (`equals`, `in`, `not_in`), all/any levels, and values in
# one `in`/`not_in` (no question has more than MAX_CHOICES values worth naming).
MAX_CONDITION_LEAVES = 20
MAX_CONDITION_DEPTH = 4
MAX_CONDITION_VALUES = MAX_CHOICES
# Reminders about an unfinished response: the longest wait is 30 days (a reminder later than
# that reminds a member of nothing they remember), and a member is reminded at most three times
# (more is nagging, and each reminder spends the bot's shared sending budget).
MAX_REMIND_AFTER_HOURS = 720
MAX_REMINDERS = 3
DEFAULT_REMINDERS = 1  # when a survey sets remind_after and not reminders


class StrictModel(BaseModel):
    """Base for every part of a survey file: unknown fields are errors, numbers may be labels."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


# --- show_if conditions -----------------------------------------------------------------------


class Equals(StrictModel):
    """Shown when the answer to `question` equals `equals` (for multi: includes it)."""

    question: Slug
    equals: ConditionValue


class In(StrictModel):
    """Shown when the answer to `question` is one of `in` (for multi: includes any of them)."""

    model_config = ConfigDict(populate_by_name=True)

    question: Slug
    in_: Annotated[
        list[ConditionValue], Field(alias="in", min_length=1, max_length=MAX_CONDITION_VALUES)
    ]


class NotIn(StrictModel):
    """Shown when the answer to `question` is none of `not_in` (also when it was skipped)."""

    question: Slug
    not_in: Annotated[list[ConditionValue], Field(min_length=1, max_length=MAX_CONDITION_VALUES)]


class All(StrictModel):
    """Shown when every condition holds."""

    all: Annotated[list[Condition], Field(min_length=1)]


class AnyOf(StrictModel):
    """Shown when at least one condition holds."""

    any: Annotated[list[Condition], Field(min_length=1)]


def _condition_kind(value: Any) -> str | None:
    """Pick the condition model from the key that names it (`equals`, `in`, ...)."""
    if isinstance(value, BaseModel):
        return {Equals: "equals", In: "in", NotIn: "not_in", All: "all", AnyOf: "any"}.get(
            type(value)
        )
    if isinstance(value, dict):
        for key in ("equals", "in", "not_in", "all", "any"):
            if key in value:
                return key
    return None


Condition = Annotated[
    Annotated[Equals, Tag("equals")]
    | Annotated[In, Tag("in")]
    | Annotated[NotIn, Tag("not_in")]
    | Annotated[All, Tag("all")]
    | Annotated[AnyOf, Tag("any")],
    Discriminator(
        _condition_kind,
        custom_error_type="invalid_condition",
        custom_error_message=(
            "a condition needs one of: equals, in, not_in (with question), all, any"
        ),
    ),
]

All.model_rebuild()
AnyOf.model_rebuild()


def condition_references(condition: Condition) -> list[Equals | In | NotIn]:
    """Every leaf comparison inside a condition, in writing order."""
    if isinstance(condition, All):
        return [leaf for part in condition.all for leaf in condition_references(part)]
    if isinstance(condition, AnyOf):
        return [leaf for part in condition.any for leaf in condition_references(part)]
    return [condition]


def condition_depth(condition: Condition) -> int:
    """How many all/any levels a condition nests (0 for a single comparison)."""
    if isinstance(condition, All | AnyOf):
        parts = condition.all if isinstance(condition, All) else condition.any
        return 1 + max(condition_depth(part) for part in parts)
    return 0


def _condition_within_limits(condition: Condition | None) -> Condition | None:
    """Refuse a show_if too big to check and evaluate cheaply."""
    if condition is None:
        return None
    if condition_depth(condition) > MAX_CONDITION_DEPTH:
        raise ValueError(f"nests all/any more than {MAX_CONDITION_DEPTH} levels deep")
    leaves = len(condition_references(condition))
    if leaves > MAX_CONDITION_LEAVES:
        raise ValueError(
            f"has {leaves} comparisons; a show_if may have at most {MAX_CONDITION_LEAVES}"
        )
    return condition


def compared_values(leaf: Equals | In | NotIn) -> list[ConditionValue]:
    """The values a leaf comparison mentions."""
    if isinstance(leaf, Equals):
        return [leaf.equals]
    if isinstance(leaf, In):
        return list(leaf.in_)
    return list(leaf.not_in)


# --- questions ---------------------------------------------------------------------------------


class Choice(StrictModel):
    """One option of a choice or multi question; `value` is what is stored and compared."""

    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    label: Label


def _normalise_choices(items: Any) -> Any:
    """Accept a bare label as shorthand for `{value: label, label: label}`."""
    if not isinstance(items, list):
        return items
    return [
        {"value": item, "label": item} if isinstance(item, str | int | float) else item
        for item in items
    ]


class _OrShorthand:
    """In the JSON Schema, a choice may also be written as its shorthand: a bare value."""

    @staticmethod
    def __get_pydantic_json_schema__(
        schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        choice = handler(schema)
        # The bare value is the label too; a value's limits are the stricter of the two.
        bare_value = handler.resolve_ref_schema(choice)["properties"]["value"]
        return {"anyOf": [bare_value, choice]}


class QuestionBase(StrictModel):
    """What every question has, whatever its type."""

    id: Slug
    text: QuestionText
    required: StrictBool = True
    show_if: Annotated[Condition | None, AfterValidator(_condition_within_limits)] = None
    breakdown: StrictBool = Field(
        default=False, description="Answers to this question split reports (e.g. region)."
    )


class ChoiceOptions(StrictModel):
    """Options shared by choice and multi questions."""

    choices: Annotated[
        list[Annotated[Choice, _OrShorthand()]], Field(min_length=2, max_length=MAX_CHOICES)
    ]

    @field_validator("choices", mode="before")
    @classmethod
    def _shorthand(cls, items: Any) -> Any:
        return _normalise_choices(items)

    @field_validator("choices")
    @classmethod
    def _distinct(cls, choices: list[Choice]) -> list[Choice]:
        for attribute in ("value", "label"):
            seen: set[str] = set()
            for choice in choices:
                key = getattr(choice, attribute).casefold()
                if key in seen:
                    raise ValueError(f"duplicate choice {attribute} {getattr(choice, attribute)!r}")
                seen.add(key)
        return choices

    def values(self) -> list[str]:
        """The stored values, in the survey's order."""
        return [choice.value for choice in self.choices]

    def label_of(self, value: str) -> str:
        """The label shown for a stored value (the value itself if the survey no longer has it)."""
        return next((c.label for c in self.choices if c.value == value), value)


class ChoiceQuestion(QuestionBase, ChoiceOptions):
    """Pick exactly one option, from buttons."""

    type: Literal["choice"]


class MultiQuestion(QuestionBase, ChoiceOptions):
    """Pick one or more options with toggle buttons, then Done."""

    type: Literal["multi"]
    max_choices: Annotated[int, Field(ge=1)] | None = None

    @field_validator("max_choices")
    @classmethod
    def _max_choices_fits(cls, max_choices: int | None, info: ValidationInfo) -> int | None:
        choices = info.data.get("choices")
        if max_choices is not None and choices is not None and max_choices > len(choices):
            raise ValueError(f"is {max_choices} but there are only {len(choices)} choices")
        return max_choices


class ScaleQuestion(QuestionBase):
    """A whole number from min to max, one button per point."""

    type: Literal["scale"]
    min: int = 1
    max: Annotated[int, Field(validate_default=True)] = 5  # checked against min even if unset
    min_label: Label | None = None
    max_label: Label | None = None

    @field_validator("max")
    @classmethod
    def _range(cls, maximum: int, info: ValidationInfo) -> int:
        minimum = info.data.get("min")
        if minimum is not None and minimum >= maximum:
            raise ValueError(f"must be greater than min ({minimum})")
        if minimum is not None and maximum - minimum + 1 > MAX_SCALE_POINTS:
            raise ValueError(f"a scale has at most {MAX_SCALE_POINTS} points")
        return maximum

    def points(self) -> list[int]:
        """Every value a member can pick."""
        return list(range(self.min, self.max + 1))


class YesNoQuestion(QuestionBase):
    """Yes or No, from two buttons; stored as `yes` / `no`."""

    type: Literal["yesno"]

    def values(self) -> list[str]:
        """The stored values, in button order."""
        return [YES, NO]


Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
OTHER_THEME = "other"


class TextQuestion(QuestionBase):
    """Free text, typed by the member."""

    type: Literal["text"]
    max_length: Annotated[int, Field(ge=1, le=3000)] = 1000
    themes: dict[Slug, Annotated[list[Phrase], Field(min_length=1)]] | None = Field(
        default=None,
        description="A codebook for reports: theme -> words and phrases that mark it "
        "(whole words, any case). Reports count themes, never quote the text.",
    )

    @field_validator("themes")
    @classmethod
    def _other_is_reserved(cls, themes: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if themes and OTHER_THEME in themes:
            raise ValueError(f"{OTHER_THEME!r} is the name reports give to text with no theme")
        return themes


class NumberQuestion(QuestionBase):
    """A number, typed by the member, optionally within min and max."""

    type: Literal["number"]
    min: float | None = None
    max: float | None = None

    @field_validator("max")
    @classmethod
    def _range(cls, maximum: float | None, info: ValidationInfo) -> float | None:
        minimum = info.data.get("min")
        if minimum is not None and maximum is not None and minimum > maximum:
            raise ValueError(f"is less than min ({minimum:g})")
        return maximum


# Every question type. Each decision that depends on the type is a `match` over this union
# ending in `assert_never`, so that a new type makes the type checker name every such place.
Question = Annotated[
    ChoiceQuestion | MultiQuestion | ScaleQuestion | YesNoQuestion | TextQuestion | NumberQuestion,
    Field(discriminator="type"),
]
# The `type:` of each question model, as a survey file writes it.
TYPE_TAGS = frozenset(
    get_args(model.model_fields["type"].annotation)[0] for model in get_args(get_args(Question)[0])
)


# --- the survey --------------------------------------------------------------------------------


def _not_a_boolean(value: Any) -> Any:
    """Refuse true/false where a count belongs: pydantic would read `reminders: true` as 1."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true/false")
    return value


# The check for true/false comes after the range, so that the JSON Schema states the range.
RemindAfterHours = Annotated[
    int, Field(ge=1, le=MAX_REMIND_AFTER_HOURS), BeforeValidator(_not_a_boolean)
]
ReminderCount = Annotated[int, Field(ge=0, le=MAX_REMINDERS), BeforeValidator(_not_a_boolean)]

# In the JSON Schema, the one rule across survey fields that a schema can state.
_REMINDERS_NEED_REMIND_AFTER: dict[str, Any] = {
    "if": {"required": ["reminders"], "properties": {"reminders": {"not": {"type": "null"}}}},
    "then": {
        "required": ["remind_after"],
        "properties": {"remind_after": {"not": {"type": "null"}}},
    },
}


class Survey(StrictModel):
    """One survey: its header and its questions, in the order they are asked."""

    model_config = ConfigDict(json_schema_extra=_REMINDERS_NEED_REMIND_AFTER)

    id: Slug
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    intro: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    opens: dt.date | None = None
    closes: dt.date | None = None
    repeatable: StrictBool = False
    remind_after: RemindAfterHours | None = Field(
        default=None,
        description=f"Hours (1-{MAX_REMIND_AFTER_HOURS}) an unfinished response may stay "
        "untouched before its member is reminded of it. Absent: no reminders.",
    )
    # Validated after remind_after, which it needs; also when absent, to take its default.
    reminders: ReminderCount | None = Field(
        default=None,
        validate_default=True,
        description=f"At most how many reminders (0-{MAX_REMINDERS}) one response gets, each "
        f"after remind_after more hours untouched; default {DEFAULT_REMINDERS}. Only with "
        "remind_after.",
    )
    questions: Annotated[list[Question], Field(min_length=1, max_length=50)]

    @field_validator("reminders")
    @classmethod
    def _reminders_need_remind_after(
        cls, reminders: int | None, info: ValidationInfo
    ) -> int | None:
        """The default count when remind_after is set, written into the survey so that its
        stored version keeps it; an error when reminders is set and remind_after is not."""
        if "remind_after" not in info.data:
            return reminders  # remind_after is invalid: reported on its own
        if info.data["remind_after"] is None:
            if reminders is not None:
                raise ValueError("needs remind_after, the hours a response waits before a reminder")
            return None
        return DEFAULT_REMINDERS if reminders is None else reminders

    @model_validator(mode="after")
    def _consistent(self) -> Survey:
        problems = survey_problems(self.questions)
        if self.opens and self.closes and self.closes < self.opens:
            problems.append(SurveyProblem(None, "closes", "closes is before opens"))
        if problems:
            raise ValueError("; ".join(problem.describe() for problem in problems))
        return self

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError if there is none)."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def is_open(self, today: dt.date) -> bool:
        """Whether members may start this survey on `today`."""
        return (self.opens is None or self.opens <= today) and (
            self.closes is None or today <= self.closes
        )

    @property
    def reminders_allowed(self) -> int:
        """How many reminders one response may get: none without remind_after."""
        return self.reminders or 0


@dataclass(frozen=True)
class SurveyProblem:
    """One thing wrong with a survey that no single field can see."""

    question: str | None
    field: str
    message: str

    def describe(self) -> str:
        """One line: where, then what."""
        where = f"question {self.question!r}: " if self.question else ""
        return f"{where}{self.field}: {self.message}"


def survey_problems(
    questions: list[Question], file_order: list[str] | None = None
) -> list[SurveyProblem]:
    """Rules spanning questions: unique ids, show_if pointing back to known values, breakdowns.

    `file_order` lists every question id of the file, including questions left out of
    `questions` because they are invalid on their own: a reference to one of those is reported
    with that question, not as "later" or "unknown".
    """
    problems: list[SurveyProblem] = []
    earlier: dict[str, Question] = {}
    file_order = file_order or [question.id for question in questions]
    for question in questions:
        position = file_order.index(question.id) if question.id in file_order else 0
        invalid_earlier = set(file_order[:position]) - set(earlier) - {question.id}
        if question.id in earlier:
            problems.append(SurveyProblem(question.id, "id", "duplicate question id"))
        if question.breakdown and not _can_split(question):
            problems.append(
                SurveyProblem(question.id, "breakdown", "only choice and yesno questions can split")
            )
        if question.show_if is not None:
            problems.extend(
                _show_if_problems(
                    question.id, question.show_if, earlier, set(file_order), invalid_earlier
                )
            )
        earlier.setdefault(question.id, question)
    return problems


def _can_split(question: Question) -> bool:
    """Whether reports can be split by the answers: one stored value each, from a short list."""
    match question:
        case ChoiceQuestion() | YesNoQuestion():
            return True
        case MultiQuestion() | ScaleQuestion() | TextQuestion() | NumberQuestion():
            return False
        case _:
            assert_never(question)


def _show_if_problems(
    question_id: str,
    show_if: Condition,
    earlier: dict[str, Question],
    all_ids: set[str],
    invalid: set[str],
) -> list[SurveyProblem]:
    problems = []
    for leaf in condition_references(show_if):
        target = earlier.get(leaf.question)
        if target is None and leaf.question in invalid:
            continue  # an earlier question with problems of its own, reported there
        if target is None:
            where = "a later" if leaf.question in all_ids else "an unknown"
            message = f"refers to {where} question {leaf.question!r}; only earlier ones can be used"
            problems.append(SurveyProblem(question_id, "show_if", message))
            continue
        for value in compared_values(leaf):
            impossible = _comparison_problem(target, value)
            if impossible:
                problems.append(SurveyProblem(question_id, "show_if", impossible))
    return problems


def _comparison_problem(target: Question, value: ConditionValue) -> str | None:
    """Why `value` can never be an answer to `target`, or None when it can."""
    match target:
        case ChoiceQuestion() | MultiQuestion() | YesNoQuestion():
            if str(value) not in target.values():
                known = ", ".join(target.values())
                return f"{value!r} is not a value of question {target.id!r} (it has: {known})"
            return None
        case ScaleQuestion():
            if isinstance(value, str) or value not in target.points():
                return f"{value!r} is not a point of scale question {target.id!r}"
            return None
        case NumberQuestion():
            return None if not isinstance(value, str) else f"{value!r} is not a number"
        case TextQuestion():
            return f"question {target.id!r} is free text; show_if cannot compare it"
        case _:
            assert_never(target)
