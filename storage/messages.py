"""Which private messages were handled: one mark per member, so a redelivery changes nothing.

Telegram numbers the messages of a chat in order and delivers each chat's updates in order, and
Doorstep handles each chat's updates one after another. So a message is new exactly when its id
is above the member's mark. The mark moves in the same transaction as the change the message
causes (or alone, for a message that changes nothing else), never before.
"""

from __future__ import annotations

import aiosqlite

from storage.db import Database, Stale


async def claim(connection: aiosqlite.Connection, member_id: int, message_id: int | None) -> None:
    """Move the member's mark to `message_id` in a transaction; Stale if it is not above it.

    None (a button, not a message) claims nothing: buttons are checked by the state they act on.
    """
    if message_id is None:
        return
    cursor = await connection.execute(
        "UPDATE members SET last_message_id = ? WHERE id = ? AND last_message_id < ?",
        (message_id, member_id, message_id),
    )
    if cursor.rowcount != 1:
        raise Stale


async def claim_alone(db: Database, member_id: int, message_id: int) -> bool:
    """Mark a message that changes nothing else (a refused answer) as handled; False if it was."""
    async with db.transaction_unless_stale() as connection:
        await claim(connection, member_id, message_id)
        return True
    return False
