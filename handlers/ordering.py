"""Updates of different chats run concurrently; updates of one chat run in the order they came.

Processing every update in turn would let one slow Bot API call hold up every member. Processing
them all at once would let a member's two quick messages overtake each other. This processor
does neither: each update first queues behind the earlier updates of its own chat, then takes
one of a bounded number of concurrent slots.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import SimpleUpdateProcessor


class ChatOrderedUpdateProcessor(SimpleUpdateProcessor):
    """A bounded number of concurrent updates, first-in first-out within each chat."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._chat_locks: dict[object, asyncio.Lock] = {}
        self._chat_waiting: dict[object, int] = {}

    # PTB marks process_update final: its hook, do_process_update, runs once a slot is taken.
    # Here the chat's turn comes first, so that one chat's queued updates never hold slots.
    async def process_update(  # type: ignore[misc]
        self, update: object, coroutine: Awaitable[Any]
    ) -> None:
        """Wait for the chat's earlier updates, then for a slot, then run the update.

        The Application starts one task per update in arrival order, and each task asks for
        its chat's lock before it first waits, so an asyncio.Lock's FIFO queue keeps the order.
        """
        key = chat_key(update)
        lock = self._chat_locks.setdefault(key, asyncio.Lock())
        self._chat_waiting[key] = self._chat_waiting.get(key, 0) + 1
        try:
            async with lock:
                await super().process_update(update, coroutine)
        finally:
            self._chat_waiting[key] -= 1
            if not self._chat_waiting[key]:  # forget idle chats so the table stays small
                del self._chat_waiting[key], self._chat_locks[key]


def chat_key(update: object) -> object:
    """What orders an update: its chat, else its sender; anything else shares one queue."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None
