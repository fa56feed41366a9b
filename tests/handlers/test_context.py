"""The accessors of `handlers.context`: a part the registration guarantees is returned as it
is; a missing one is named in a MissingPart error, never passed on as None."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Update

from handlers import context
from handlers.context import MissingPart

PRIVATE_TEXT = {
    "update_id": 1,
    "message": {
        "message_id": 7,
        "date": 1,
        "chat": {"id": 42, "type": "private", "first_name": "Sam"},
        "from": {"id": 42, "is_bot": False, "first_name": "Sam"},
        "text": "hello",
    },
}


def test_the_parts_of_a_message_update_are_returned() -> None:
    update = Update.de_json(PRIVATE_TEXT, None)

    assert context.message_of(update).message_id == 7
    assert context.sender_of(update).id == 42
    assert context.chat_of(update).id == 42


@pytest.mark.parametrize(
    ("accessor", "named"),
    [
        (context.message_of, "a message"),
        (context.sender_of, "a sender"),
        (context.chat_of, "a chat"),
        (context.query_of, "a callback query"),
        (context.membership_of, "a my_chat_member change"),
    ],
)
def test_a_missing_part_of_an_update_is_named(
    accessor: Callable[[Update], object], named: str
) -> None:
    with pytest.raises(MissingPart, match=named):
        accessor(Update(update_id=1))


def test_the_job_queue_is_required() -> None:
    queue = object()

    assert context.jobs(SimpleNamespace(job_queue=queue)) is queue
    with pytest.raises(MissingPart, match="job-queue"):
        context.jobs(SimpleNamespace(job_queue=None))


@pytest.mark.parametrize(
    ("job", "named"), [(None, "a job"), (SimpleNamespace(chat_id=None), "a job with a chat")]
)
def test_a_job_without_its_chat_is_named(job: Any, named: str) -> None:
    with pytest.raises(MissingPart, match=named):
        context.job_chat_id(SimpleNamespace(job=job))
