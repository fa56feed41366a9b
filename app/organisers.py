"""Organiser chats: registering and removing them, their digests, and milestones.

A registration, a removal and every digest post are recorded in the audit log. Scheduling the
posts is the caller's (the handlers put digests on PTB's job queue); what to post, and where,
is decided here.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from app.reports import Scope, in_scope, record_release, report_for
from app.services import Services
from storage.model import ChatKind, Digest, OrganiserChat
from surveys import report
from surveys.model import Survey
from surveys.summary import SurveyReport


async def register(
    service: Services,
    chat_id: int,
    kind: ChatKind,
    title: str,
    area: str | None,
    *,
    actor: int | None,
) -> OrganiserChat:
    """Make a group or channel an organiser chat (again: it keeps its digest)."""
    registered = await service.store.organisers.register_chat(
        chat_id, kind, title, area, service.clock()
    )
    action = "register" if kind == "group" else "register channel"
    await record_release(
        service, action, actor=actor, chat_id=chat_id, survey_id=None, scope=Scope(area).name
    )
    return registered


async def unregister(service: Services, chat_id: int, *, actor: int | None) -> bool:
    """Stop reports and digests in a chat; False if it was not registered."""
    removed = await service.store.organisers.unregister_chat(chat_id)
    if removed:
        await record_release(
            service, "unregister", actor=actor, chat_id=chat_id, survey_id=None, scope=None
        )
    return removed


async def find(service: Services, chat_id: int) -> OrganiserChat | None:
    """A registered organiser chat (active or not)."""
    return await service.store.organisers.find_chat(chat_id)


async def chat_gone(service: Services, chat_id: int) -> bool:
    """The bot was removed from a chat, or it no longer exists: no more posts there. False if
    it was no active organiser chat."""
    return await service.store.organisers.deactivate_chat(chat_id)


async def chat_moved(service: Services, old_chat_id: int, new_chat_id: int) -> OrganiserChat | None:
    """A group became a supergroup, with a new id: its registration moves with it."""
    return await service.store.organisers.move_chat(old_chat_id, new_chat_id)


async def set_digest(service: Services, chat_id: int, digest: Digest | None) -> None:
    """A chat's digest schedule (None: off)."""
    await service.store.organisers.set_digest(chat_id, digest)


async def digest_chats(service: Services) -> list[OrganiserChat]:
    """The active chats with a digest, to schedule at start."""
    return [chat for chat in await service.store.organisers.active_chats() if chat.digest]


async def digest_reports(
    service: Services, chat: OrganiserChat
) -> AsyncGenerator[SurveyReport, None]:
    """A digest: the report of every open survey in the chat's scope, each recorded in the
    audit log as released there just before it is handed over (a caller that stops posting
    stops the digest)."""
    scope = Scope(chat.area)
    for survey in service.catalogue.open_surveys(service.today()):
        if not in_scope(survey, scope):
            continue
        summary_report = await report_for(service, survey, chat.area)
        await record_release(
            service,
            "digest",
            actor=None,
            chat_id=chat.chat_id,
            survey_id=survey.id,
            scope=scope.name,
        )
        yield summary_report


async def milestone_reached(service: Services, survey: Survey) -> tuple[int, list[int]] | None:
    """After a response is completed: a newly reached milestone (claimed once, whoever asks)
    and the organiser chats to tell, those that see every response (an area chat's count is
    its own); None when there is none to announce."""
    reached = report.milestone(await service.store.reports.completed_overall(survey.id))
    if reached is None or not await service.store.organisers.claim_milestone(
        survey.id, reached, service.clock()
    ):
        return None
    chats = await service.store.organisers.active_chats()
    return reached, [chat.chat_id for chat in chats if chat.area is None]
