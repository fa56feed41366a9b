"""Benchmark: the file rebuild after /forget (VACUUM) at national scale, and what it holds up.

Run with `.venv/bin/python bench/forget_rebuild.py [--sizes 100000,1000000]` (a smoke run:
`--sizes 2000,10000`). At 1M responses it takes about 5 minutes on two cores, nearly all of it
filling, and about 4 GB in the temporary directory at the peak (the 1.3 GB database, the
rebuilt copy in the write-ahead log, and VACUUM's own temporary copy).

The database is filled with completed responses to the 20-question survey of
`bench/summary_scale.py`, by its filler (the storage layer's bulk path,
`Store.reports.add_completed`), up to each size in turn. At each size one member is forgotten
(`app.privacy.forget`: delete, zero, checkpoint), which marks the file for a rebuild, and
then the clean-up the bot schedules runs (`app.privacy.clean_up`: VACUUM, then the log
checkpointed and truncated), once, while two probes run beside it:
  * a statement probe: `SELECT 1` through `SQLiteStore.statement()` every 10 ms, as any handler's
    read would; its longest wait is how long every member's next step waits;
  * an event-loop probe: `asyncio.sleep(0.005)` in a loop; its longest overshoot is how long
    the event loop itself was blocked (aiosqlite runs SQLite in its own thread).
Each size prints one line; the last line sums up the largest size: how long the bot pauses for
a rebuild, and so at most in any hour at the default DOORSTEP_REBUILD_INTERVAL_MINUTES.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import privacy
from app.services import Catalogue
from bench.summary_scale import (
    NOW,
    bench_database,
    build_survey,
    disk_size,
    grow,
    note,
    sizes_argument,
)
from storage.sqlite.store import SQLiteStore

STATEMENT_EVERY = 0.010  # seconds between statement probes
LOOP_TICK = 0.005  # the event-loop probe's sleep
KEY = b"bench"


@dataclass
class Probe:
    """The longest a repeated step took (beyond what it should have), in seconds."""

    longest: float = 0.0

    def record(self, seconds: float) -> None:
        self.longest = max(self.longest, seconds)


async def probe_statements(db: SQLiteStore, probe: Probe, stop: asyncio.Event) -> None:
    """A read every STATEMENT_EVERY: how long it waited and ran."""
    while not stop.is_set():
        began = time.perf_counter()
        async with db.statement() as connection:
            await connection.execute_fetchall("SELECT 1")
        probe.record(time.perf_counter() - began)
        await asyncio.sleep(STATEMENT_EVERY)


async def probe_loop(probe: Probe, stop: asyncio.Event) -> None:
    """Sleeps of LOOP_TICK: how much later than asked the event loop woke up."""
    while not stop.is_set():
        began = time.perf_counter()
        await asyncio.sleep(LOOP_TICK)
        probe.record(time.perf_counter() - began - LOOP_TICK)


async def probed(
    step: Callable[[], Awaitable[object]], db: SQLiteStore
) -> tuple[float, Probe, Probe]:
    """Run `step` with both probes beside it: its seconds, the statement and loop probes."""
    statements, loop, stop = Probe(), Probe(), asyncio.Event()
    probes = [
        asyncio.create_task(probe_statements(db, statements, stop)),
        asyncio.create_task(probe_loop(loop, stop)),
    ]
    await asyncio.sleep(0.05)  # both probes running before the step starts
    began = time.perf_counter()
    await step()
    seconds = time.perf_counter() - began
    stop.set()
    await asyncio.gather(*probes)
    return seconds, statements, loop


def file_bytes(path: Path) -> int:
    return os.path.getsize(path) if path.exists() else 0


def wal_bytes(path: Path) -> int:
    return file_bytes(path.with_name(path.name + "-wal"))


@dataclass(frozen=True)
class Rebuilt:
    """One clean-up after a /forget, with what waited for it."""

    size: int
    line: str
    paused: float  # the longest a statement waited meanwhile (seconds)
    blocked: float  # the longest the event loop was blocked (seconds)


async def measure(db: SQLiteStore, path: Path, catalogue: Catalogue, size: int) -> Rebuilt:
    """Forget one member, then time the clean-up."""
    telegram_id = 10_000_000 + size // 2  # a member in the middle (see summary_scale.add_members)
    began = time.perf_counter()
    forgotten = await privacy.forget(db, catalogue, KEY, telegram_id, NOW)
    forget_seconds = time.perf_counter() - began
    assert forgotten is not None
    assert forgotten.responses == 1
    before = file_bytes(path)

    vacuum_timing: dict[str, float] = {}
    vacuum = db.vacuum

    async def timed_vacuum() -> None:
        started = time.perf_counter()
        await vacuum()
        vacuum_timing["seconds"] = time.perf_counter() - started
        vacuum_timing["wal"] = wal_bytes(path)

    db.vacuum = timed_vacuum  # type: ignore[method-assign]
    try:
        seconds, statements, loop = await probed(lambda: privacy.clean_up(db, NOW), db)
    finally:
        db.vacuum = vacuum  # type: ignore[method-assign]
    assert "seconds" in vacuum_timing, "the clean-up did not rebuild the file"
    assert wal_bytes(path) == 0, "the log was not truncated"
    note(f"  after the clean-up: database {disk_size(path)}")
    line = (
        f"{size:,} responses ({before / 1e6:,.0f} MB): /forget {forget_seconds * 1000:.0f} ms;"
        f" clean-up {seconds:.2f} s (VACUUM {vacuum_timing['seconds']:.2f} s, log then"
        f" {vacuum_timing['wal'] / 1e6:,.0f} MB, checkpoint and truncation"
        f" {seconds - vacuum_timing['seconds']:.2f} s); a statement meanwhile waited up to"
        f" {statements.longest:.2f} s; event loop blocked up to {loop.longest * 1000:.0f} ms"
    )
    return Rebuilt(size, line, statements.longest, loop.longest)


async def main(sizes: list[int]) -> None:
    """Fill up to each size in turn, then forget one member and time the clean-up."""
    async with bench_database(build_survey()) as (db, path, catalogue, filler):
        for size in sizes:
            await grow(filler, path, size)
            await db.checkpoint()  # as the bot's file stands between deletions
            rebuilt = await measure(db, path, catalogue, size)
            print(rebuilt.line, flush=True)
    print(
        f"summary: at {rebuilt.size:,} responses a rebuild pauses the bot's database for"
        f" {rebuilt.paused:.1f} s (event loop blocked {rebuilt.blocked * 1000:.0f} ms at most);"
        f" with rebuilds at most hourly (the default), at most {rebuilt.paused:.1f} s an hour"
        f" ({rebuilt.paused / 3600:.2%})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=sizes_argument,
        default=[1_000_000],
        help="comma-separated numbers of completed responses (default 1000000)",
    )
    asyncio.run(main(parser.parse_args().sizes))
