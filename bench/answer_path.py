"""Benchmark: answers per second through the real Doorstep Application, against a bare baseline.

Run with `make bench` (or `.venv/bin/python bench/answer_path.py [--answers N]`).

Both applications run offline over the same fake Bot API transport, in this one process, and
get the updates as long polling hands them over (through `Application.update_queue`):
  * Doorstep: bot.py's Application with every handler, SQLite on disk, members answering a
    survey of number questions by typing (each answer: judged, committed, next question sent);
  * bare: a PTB Application whose only handler does one aiosqlite INSERT + COMMIT and one reply
    (PTB's defaults: one update at a time; also run, for comparison, with Doorstep's number of
    concurrent updates, where its two statements overlap those of other updates).
Doorstep handles different members' updates concurrently (each member's in order; see
handlers/ordering.py), as it does in production, where it keeps members from waiting on each
other's Bot API round trips.
Telegram's own ceiling of 30 messages a second is lifted in both (AIORateLimiter without the
overall limit): the benchmark measures Doorstep's work per answer, not Telegram's throttle.
The last line prints the ratio Doorstep / bare; the target is at least 0.5.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosqlite
from telegram import Update
from telegram.ext import AIORateLimiter, Application, ContextTypes, MessageHandler, filters

import bot
from tests.support.harness import BotHarness, text_update

QUESTIONS = 20


def survey_yaml() -> str:
    """A survey of typed number questions: one reply per answer, as in the baseline."""
    questions = "\n".join(
        f'  - {{id: q{n}, type: number, text: "How many, {n}?", min: 0, max: 1000}}'
        for n in range(1, QUESTIONS + 1)
    )
    return f"id: bench\ntitle: Bench\nintro: Numbers.\nrepeatable: true\nquestions:\n{questions}\n"


async def push(application: Application, updates: list[dict[str, Any]]) -> float:
    """Seconds to handle every update, delivered as polling delivers them: into update_queue."""
    parsed = [Update.de_json(data, application.bot) for data in updates]
    started = time.perf_counter()
    for update in parsed:
        application.update_queue.put_nowait(update)
    await application.update_queue.join()
    return time.perf_counter() - started


async def run_doorstep(workdir: Path, answers: int) -> float:
    """Seconds for `answers` typed answers through the real Application."""
    folder = workdir / "surveys"
    folder.mkdir()
    (folder / "bench.yaml").write_text(survey_yaml())
    harness = await BotHarness.start(workdir / "doorstep.db", surveys=folder)
    members = [harness.member(100000 + n) for n in range(answers // QUESTIONS)]
    for chat in members:  # consent and opening the survey are set-up, not timed
        await chat.send("/start bench")
        await chat.tap("I agree")
    updates = []
    for round_number in range(QUESTIONS):
        for chat in members:
            message = harness.api.record_member_message(chat.user_id, "")
            updates.append(text_update(chat.user_id, message.message_id, str(round_number)))
    elapsed = await push(harness.application, updates)
    await harness.stop()
    harness.assert_no_errors()
    return elapsed


async def run_bare(workdir: Path, answers: int, concurrent_updates: int = 1) -> float:
    """Seconds for `answers` messages through a one-insert, one-reply PTB Application."""
    from tests.support.fake_telegram import FakeBotApi

    # The default isolation level: the INSERT opens a transaction, commit() ends it.
    connection = await aiosqlite.connect(workdir / f"bare-{concurrent_updates}.db")
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON"):
        await connection.execute(f"PRAGMA {pragma}")
    await connection.execute("CREATE TABLE answers (user_id INTEGER, value TEXT)")
    await connection.commit()

    async def store_and_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await connection.execute(
            "INSERT INTO answers (user_id, value) VALUES (?, ?)",
            (update.effective_user.id, update.message.text),
        )
        await connection.commit()
        await update.message.reply_text("Thanks")

    api = FakeBotApi()
    application = (
        Application.builder()
        .token("123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ")
        .request(api)
        .get_updates_request(api)
        .rate_limiter(AIORateLimiter(overall_max_rate=0))
        .concurrent_updates(concurrent_updates)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, store_and_reply))
    await application.initialize()
    await application.start()
    updates = [text_update(100000 + n % 250, n + 1, str(n)) for n in range(answers)]
    elapsed = await push(application, updates)
    await application.stop()
    await application.shutdown()
    await connection.close()
    return elapsed


async def main(answers: int, rounds: int) -> None:
    """Run each side in alternation, print the best rate of each, and the ratio last.

    Alternating rounds and keeping each side's best run (as timeit does) keeps a busy machine
    from favouring whichever side ran in a quiet moment. For comparison, the bare application
    also runs with Doorstep's number of concurrent updates.
    """
    answers -= answers % QUESTIONS
    times: dict[str, list[float]] = {"doorstep": [], "bare": [], "bare concurrent": []}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            times["doorstep"].append(await run_doorstep(Path(folder), answers))
            times["bare"].append(await run_bare(Path(folder), answers))
            times["bare concurrent"].append(
                await run_bare(Path(folder), answers, bot.CONCURRENT_UPDATES)
            )
    rate = {side: answers / min(runs) for side, runs in times.items()}
    print(f"doorstep: {answers} answers, best of {rounds}: {rate['doorstep']:,.0f} answers/s")
    print(
        f"bare PTB + aiosqlite, {bot.CONCURRENT_UPDATES} concurrent updates: "
        f"{rate['bare concurrent']:,.0f} answers/s "
        f"(ratio {rate['doorstep'] / rate['bare concurrent']:.2f})"
    )
    print(
        f"bare PTB + aiosqlite: {answers} answers, best of {rounds}: {rate['bare']:,.0f} answers/s"
    )
    print(f"ratio doorstep/bare: {rate['doorstep'] / rate['bare']:.2f} (target >= 0.50)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=5000, help="answer updates per run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.answers, arguments.rounds))
