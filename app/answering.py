"""The member's survey: agreeing, opening a survey, taking an answer, going back, and where the
member is.

Progress lives in the database only: every accepted answer is committed (in one statement,
conditional on the step it answered) before the member sees the next question, so a crash or a
redelivered update changes nothing. Each use case returns what happened; `handlers.conversation`
and `handlers.buttons` render it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Unpack

from app.services import Services
from storage.model import ConsentOrigin, Member, Replaced, Response, Standing, TallyKey
from surveys import engine, tally
from surveys.engine import Accepted, AnswerValue
from surveys.model import Question, Survey


@dataclass(frozen=True)
class Place:
    """A member's unfinished response and the survey version it answers."""

    response: Response
    survey: Survey

    @property
    def question(self) -> Question:
        """The question the member is on. A place is looked up for a response that takes
        answers; once it completes (`after_answer`) nobody asks for its question."""
        question_id = self.response.current_question
        if question_id is None:
            raise ValueError(f"response {self.response.id} is complete: it has no question")
        return self.survey.question(question_id)


@dataclass(frozen=True)
class NotOpen:
    """The survey asked for takes no answers today (closed, or no such survey)."""


@dataclass(frozen=True)
class AlreadyTaken:
    """The member completed this survey, which may be taken only once."""

    survey: Survey


@dataclass(frozen=True)
class HandledBefore:
    """The update asking was handled before: nothing changed."""


@dataclass(frozen=True)
class Opened:
    """A response to answer: the member's unfinished one (`resumed`), or a new one."""

    place: Place
    resumed: bool


Opening = NotOpen | AlreadyTaken | HandledBefore | Opened


async def agree(
    service: Services, telegram_id: int, notice_version: str, **update: Unpack[ConsentOrigin]
) -> Member | None:
    """Record a member's agreement to the notice `notice_version` (`update`: the tap, as
    `members.record_consent` takes it); None when the tap was handled before."""
    return await service.store.members.record_consent(
        telegram_id, True, notice_version, service.clock(), **update
    )


def handled_before(member: Member, message_id: int) -> bool:
    """Whether a member's message was handled before (Telegram delivering it again): a chat's
    messages are numbered in order, and every message that changed something moved the mark."""
    return message_id <= member.last_message_id


async def agreed_member(service: Services, telegram_id: int) -> Member | None:
    """The member, if they agreed to the notice (else None)."""
    member = await service.store.members.find_member(telegram_id)
    return member if member is not None and member.agreed else None


async def member_and_place(
    service: Services, telegram_id: int
) -> tuple[Member | None, Response | None]:
    """The member (if any) and their active response (if any)."""
    return await service.store.members.find_member_and_active_response(telegram_id)


def takes_answers(service: Services, response: Response) -> bool:
    """An unfinished response to a survey that is still open."""
    return not response.completed and service.catalogue.is_open(response.survey_id, service.today())


async def place_of(service: Services, response: Response) -> Place:
    """A response with the survey version it answers."""
    return Place(response, await service.catalogue.version(service.store, response.version_id))


async def current_place(service: Services, telegram_id: int) -> Place | None:
    """Where the member is: their active response, if it still takes answers."""
    _, response = await member_and_place(service, telegram_id)
    if response is None or not takes_answers(service, response):
        return None
    return await place_of(service, response)


async def claim(service: Services, member: Member, message_id: int | None) -> None:
    """Mark a message that changes nothing else as handled (a button needs no mark)."""
    if message_id is not None:
        await service.store.handled.claim_message_alone(member.id, message_id)


async def standing(service: Services, telegram_id: int, survey_id: str) -> Standing | None:
    """The member, if they agreed to the notice, and where they stand with a survey: all that
    opening it needs, in one read."""
    found = await service.store.members.find_standing(telegram_id, survey_id)
    return found if found is not None and found.member.agreed else None


async def open_survey(
    service: Services,
    standing: Standing,
    *,
    message_id: int | None = None,
    query_id: str | None = None,
) -> Opening:
    """Resume the member's response to a survey, or start one if they may: one write.

    The update asking is a message (`message_id`) or a button tap (`query_id`), so that
    Telegram delivering it again changes nothing.
    """
    member, survey_id = standing.member, standing.survey_id
    if not service.catalogue.is_open(survey_id, service.today()):
        await claim(service, member, message_id)
        return NotOpen()
    survey, version_id = service.catalogue.current[survey_id]
    resuming = standing.unfinished is not None
    if not resuming and standing.completed and not survey.repeatable:
        await claim(service, member, message_id)
        return AlreadyTaken(survey)
    # Nothing hides the first question: a show_if may refer only to questions before its own.
    response = await service.store.responses.start_response(
        member.id,
        survey_id,
        version_id,
        survey.questions[0].id,
        service.clock(),
        message_id=message_id,
        query_id=query_id,
    )
    if response is None:
        return HandledBefore()
    return Opened(await place_of(service, response), resumed=resuming)


async def take_answer(
    service: Services,
    place: Place,
    verdict: Accepted,
    *,
    message_id: int | None = None,
    step: int | None = None,
) -> Response | None:
    """Commit an accepted answer, from the message `message_id` or a button drawn at `step`:
    one conditional statement, which also counts a completed response in the report totals
    (replacing the member's earlier completion of a repeatable survey).

    The response as it is now, or None if the update was stale."""
    response, survey, question_id = place.response, place.survey, place.question.id
    outcome = engine.advance(survey, response.answers, question_id, verdict.value)
    # What the totals count: nothing while the response is unfinished.
    area = ""
    counted: Sequence[TallyKey] = ()
    replaced: Replaced | None = None
    if outcome.next_question is None:  # completing: the response counts in the report totals
        final = {**response.answers, question_id: outcome.value}
        final = {key: value for key, value in final.items() if key not in outcome.dropped}
        area, counted = tally.area_of(survey, final), tally.keys(survey, final)
        replaced = await _replaced(service, response) if survey.repeatable else None
    return await service.store.responses.record_answer(
        response,
        outcome.value,
        next_question=outcome.next_question.id if outcome.next_question else None,
        dropped=outcome.dropped,
        now=service.clock(),
        message_id=message_id,
        step=step,
        area=area,
        counted=counted,
        replaced=replaced,
        member_area=_member_area(survey, place.question, outcome.value),
    )


def _member_area(survey: Survey, question: Question, value: AnswerValue) -> str | None:
    """An answer to the survey's area question is the member's area from now on (invitations
    to an area reach them); a skipped one changes nothing."""
    if value is None or question is not tally.area_question(survey):
        return None
    return str(value)


async def _replaced(service: Services, response: Response) -> Replaced | None:
    """The member's earlier completion of a repeatable survey, which a new one replaces in the
    totals, with the keys it was counted under (from the version it was given to)."""
    earlier = await service.store.responses.counted_completion(
        response.member_id, response.survey_id
    )
    if earlier is None:
        return None
    given, completed_at = earlier
    version = await service.catalogue.version(service.store, given.version_id)
    answers = {key: value for key, value in given.answers.items() if value is not None}
    return Replaced(
        given.id,
        tally.area_of(version, answers),
        tally.keys(version, answers),
        completed_at.astimezone(dt.UTC).date().isoformat(),
    )


async def tick(service: Services, place: Place, step: int, chosen: list[str]) -> bool:
    """Keep the options ticked so far on a multi question drawn at `step`; False if stale."""
    return await service.store.responses.set_pending_choices(
        place.response, step, chosen, service.clock()
    )


@dataclass(frozen=True)
class FirstQuestion:
    """There is no question before this one."""


BackOutcome = FirstQuestion | HandledBefore | Response


async def go_back(
    service: Services,
    member: Member,
    place: Place,
    *,
    message_id: int | None = None,
    step: int | None = None,
) -> BackOutcome:
    """Back to the previous question, by /back (`message_id`) or the Back button drawn at
    `step`: the response as it is now, or why not."""
    response, survey = place.response, place.survey
    previous = engine.previous_question(survey, response.answers, place.question.id)
    if previous is None:
        await claim(service, member, message_id)
        return FirstQuestion()
    earlier: AnswerValue | None = response.answers.get(previous.id)
    moved = await service.store.responses.move_back(
        response,
        previous.id,
        pending_choices=earlier if isinstance(earlier, list) else [],
        now=service.clock(),
        message_id=message_id,
        step=step,
    )
    return HandledBefore() if moved is None else moved


async def open_surveys_for(
    service: Services, member: Member
) -> tuple[list[Survey], set[str], set[str]]:
    """The surveys open today, with those the member left unfinished and those completed."""
    open_now = service.catalogue.open_surveys(service.today())
    unfinished = set(await service.store.responses.unfinished_surveys(member.id))
    done = await service.store.responses.completed_surveys(member.id)
    return open_now, unfinished, done


async def unfinished_open(service: Services, member: Member) -> list[Survey]:
    """The open surveys the member started and did not finish, to offer in the welcome."""
    return [
        survey
        for survey_id in await service.store.responses.unfinished_surveys(member.id)
        if (survey := service.catalogue.current_survey(survey_id)) is not None
        and survey.is_open(service.today())
    ]


async def pause(service: Services, member: Member, message_id: int) -> bool:
    """/cancel: no survey active (its answers kept, to resume later); whether one was."""
    await service.store.members.set_active_response(
        member.id, None, service.clock(), message_id=message_id
    )
    return member.active_response_id is not None
