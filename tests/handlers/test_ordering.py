"""The update processor: chats run side by side, each chat's updates in arrival order."""

from __future__ import annotations

import asyncio
import random

from telegram import Chat, Message, Update, User

from handlers.ordering import ChatOrderedUpdateProcessor, chat_key


def message_update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    user = User(chat_id, "M", is_bot=False)
    return Update(update_id, message=Message(update_id, None, chat, from_user=user, text="x"))


async def test_each_chats_updates_finish_in_arrival_order_while_chats_interleave() -> None:
    processor = ChatOrderedUpdateProcessor(max_concurrent_updates=8)
    finished: list[tuple[int, int]] = []
    running = 0
    most_at_once = 0
    rng = random.Random(7)

    async def handle(update: Update) -> None:
        nonlocal running, most_at_once
        running += 1
        most_at_once = max(most_at_once, running)
        await asyncio.sleep(rng.random() / 1000)  # handlers take different times
        running -= 1
        finished.append((update.effective_chat.id, update.update_id))

    updates = [message_update(n, chat_id=1 + n % 5) for n in range(200)]
    # As the Application does with concurrent updates: one task per update, in arrival order.
    await asyncio.gather(
        *(asyncio.create_task(processor.process_update(u, handle(u))) for u in updates)
    )

    for chat in range(1, 6):
        ids = [update_id for chat_id, update_id in finished if chat_id == chat]
        assert ids == sorted(ids)
        assert len(ids) == 40
    assert 1 < most_at_once <= 5  # chats overlapped, never two updates of one chat
    assert processor._chat_locks == {}  # idle chats are forgotten


def test_updates_are_keyed_by_chat_then_user() -> None:
    assert chat_key(message_update(1, chat_id=42)) == 42
    assert chat_key(Update(2)) is None
    assert chat_key("not an update") is None
