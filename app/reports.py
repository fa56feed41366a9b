"""Organisers' reports: who may see what (a chat's scope), and the suppressed report,
breakdown or survey list for a scope, with the audit entry of each release.

Access: a registered organiser chat sees reports (membership of the chat is the boundary), in
its area if it has one; an administrator (DOORSTEP_ADMINS) sees them in private. Every figure
comes from `surveys.summary`, suppressed there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.services import Catalogue, Services
from storage.model import AuditEntry
from storage.protocol import Store
from surveys import summary
from surveys.model import Question, Survey
from surveys.summary import Breakdown, Figure, SurveyReport
from surveys.tally import area_question

RECENT_DAYS = 7  # "completed in the last 7 days"


@dataclass(frozen=True)
class Scope:
    """Which responses a chat may see: every one (`area` None) or one area's."""

    area: str | None

    @property
    def name(self) -> str:
        """How the audit log names the scope."""
        return f"area {self.area}" if self.area is not None else "all"


EVERYTHING = Scope(None)


async def scope_of(
    service: Services, chat_id: int, *, private: bool, user_id: int | None
) -> Scope | None:
    """The scope of reports in a chat for a user, or None where reports are refused: an
    administrator's private chat sees everything, an active organiser chat its area."""
    if private:
        return EVERYTHING if service.is_admin(user_id) else None
    registered = await service.store.organisers.find_chat(chat_id)
    return Scope(registered.area) if registered is not None and registered.active else None


def in_scope(survey: Survey, scope: Scope) -> bool:
    """Whether a chat's scope covers a survey: an area chat sees surveys that ask for its area."""
    if scope.area is None:
        return True
    question = area_question(survey)
    return question is not None and scope.area in [v for v, _ in summary.columns(question)]


def find_survey(service: Services, survey_id: str, scope: Scope = EVERYTHING) -> Survey | None:
    """The current survey with this id, if the scope covers it."""
    survey = service.catalogue.current_survey(survey_id)
    return survey if survey is not None and in_scope(survey, scope) else None


async def report_for(service: Services, survey: Survey, area: str | None) -> SurveyReport:
    """A survey's report in a scope, suppressed for groups of `min_group_size`."""
    since = service.clock().date() - dt.timedelta(days=RECENT_DAYS - 1)
    activity = await service.store.reports.activity(survey.id, since)
    by_area = await service.store.reports.tallies_by_area(survey.id)
    return summary.survey_report(survey, by_area, activity, service.min_group_size, area)


async def survey_counts(service: Services, scope: Scope) -> list[tuple[Survey, Figure | None]]:
    """Each survey the scope covers, with its completed count as the scope's report shows it."""
    counts = []
    for survey, _ in service.catalogue.current.values():
        if in_scope(survey, scope):
            by_area = await service.store.reports.tallies_by_area(survey.id)
            completed = summary.scope_completed(survey, by_area, service.min_group_size, scope.area)
            counts.append((survey, completed))
    return counts


def breakdown_questions(survey: Survey) -> list[Question]:
    """The questions a survey's answers may be broken down by."""
    return [question for question in survey.questions if question.breakdown]


def may_break_down(survey: Survey, by: Question, scope: Scope) -> bool:
    """An area chat sees breakdowns by area only: its table by another question plus the
    others' would give away what the national one hides."""
    return scope.area is None or by is area_question(survey)


async def breakdown_for(service: Services, survey: Survey, by: Question, scope: Scope) -> Breakdown:
    """A survey's answers broken down by `by`, in a scope `may_break_down` allows."""
    by_area = await service.store.reports.tallies_by_area(survey.id)
    by_answers = {  # each split's tables are checked with the earlier splits' too
        question.id: await service.store.reports.tallies_by_area_and_answer(survey.id, question.id)
        for question in breakdown_questions(survey)
        if question is not area_question(survey)
    }
    return summary.breakdown(survey, by, by_area, by_answers, service.min_group_size, scope.area)


async def record_release(
    service: Services,
    action: str,
    *,
    actor: int | None,
    chat_id: int | None,
    survey_id: str | None,
    scope: str | None,
) -> None:
    """Record who released which results where (never what they showed)."""
    await service.store.audit.record(
        action,
        service.clock(),
        actor=actor,
        chat_id=chat_id,
        survey_id=survey_id,
        scope=scope,
    )


async def recent_releases(service: Services) -> list[AuditEntry]:
    """The newest entries of the audit log, for /audit."""
    return await service.store.audit.recent()


async def recount_if_needed(store: Store, catalogue: Catalogue) -> int | None:
    """Count responses completed before the report totals existed (once, after upgrading):
    how many were counted, or None when the totals were up to date."""
    if not await store.reports.totals_stale():
        return None
    return await store.reports.rebuild_totals(await catalogue.tally_counter(store))


def area_options(service: Services) -> list[tuple[str, str]]:
    """(value, label) of every area the current surveys' area questions offer."""
    return [
        option
        for survey, _ in service.catalogue.current.values()
        if (question := area_question(survey)) is not None
        for option in summary.columns(question)
    ]


def areas(service: Services) -> list[str]:
    """Every area value of the current surveys' area questions, in file order, once each."""
    return list(dict.fromkeys(value for value, _ in area_options(service)))


def known_area(service: Services, wanted: str) -> str | None:
    """The area value meant by `wanted` (its value or label, any case), or None."""
    for value, label in area_options(service):
        if wanted.casefold() in (value.casefold(), label.casefold()):
            return value
    return None


def area_label(service: Services, area: str | None) -> str | None:
    """How the surveys name an area value (the value itself if none does)."""
    return next((label for value, label in area_options(service) if value == area), area)
