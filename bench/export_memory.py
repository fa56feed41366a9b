"""Benchmark: the peak memory of a survey's CSV export, which should not grow with the responses.

Run with `.venv/bin/python bench/export_memory.py [--sizes 10000,100000]` (a smoke run:
`--sizes 2000,10000`). At the default sizes it takes about 75 s and 150 MB in the temporary
directory.

A temporary SQLite file is filled with completed responses to the 20-question survey of
`bench/summary_scale.py`, by its filler (the storage layer's bulk path), up to each size in
turn. At each size both exports run to completion, each in a fresh process of its own (spawned),
so that one process's memory is one export's:
  * `bot.py export`: `app.export.write_export` to a new file on disk;
  * `/export`: `app.export.write_export_bytes` to the handler's spooled temporary file (in
    memory up to `EXPORT_IN_MEMORY`, on disk beyond), without the upload to Telegram.
Each is measured twice, in two processes: once with `tracemalloc` on, for the peak of Python
allocations during the export alone, and once without, for how far the process's resident size
rose above where it was when the export began (sampled every 2 ms; SQLite's page cache and
buffers included, which tracing would not see and would itself inflate). Each size prints one
line a path; the last line compares the largest size with the first (the baseline): constant
memory means ratios near 1. The baseline should hold several export batches (2,000 responses
each): below two batches the peak is lower, as one batch is read while the last is still held.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import export
from bench.summary_scale import bench_database, build_survey, grow, sizes_argument
from handlers.organisers.administration import EXPORT_IN_MEMORY
from storage.protocol import Store
from storage.sqlite.store import open_store
from surveys.model import Survey

KEY = b"bench"
PATHS = ("bot.py export", "/export")
MB = 1e6
SAMPLE_EVERY = 0.002  # seconds between readings of the resident size
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Measured:
    """One export in a fresh process: its rows, seconds, and peak memory (bytes)."""

    rows: int
    seconds: float
    peak: int  # tracemalloc's peak during the export, or the growth of the peak resident size


Pair = tuple[Measured, Measured]  # one export path at one size: traced, untraced


def export_in_fresh_process(database: Path, out: Path, path: str, traced: bool) -> Measured:
    """Run one export in this (new) process and measure it; the pool's worker entry point."""
    return asyncio.run(_measured_export(database, out, path, traced))


async def _measured_export(database: Path, out: Path, path: str, traced: bool) -> Measured:
    store = await open_store(database, create=False)
    try:
        survey = build_survey()
        run = _exporter(store, survey, out, path)
        if traced:
            tracemalloc.start()
            began = time.perf_counter()
            rows = await run()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        else:
            with ResidentPeak() as resident:
                began = time.perf_counter()
                rows = await run()
            peak = resident.growth
        seconds = time.perf_counter() - began
        return Measured(rows, seconds, peak)
    finally:
        await store.close()


def _exporter(store: Store, survey: Survey, out: Path, path: str) -> Callable[[], Awaitable[int]]:
    """The export as `bot.py export` or /export writes it, ready to run."""

    async def to_file() -> int:
        with out.open("w", encoding="utf-8", newline="") as stream:
            return await export.write_export(store, survey, KEY, stream)

    async def spooled() -> int:
        with tempfile.SpooledTemporaryFile(EXPORT_IN_MEMORY, mode="w+b") as stream:
            return await export.write_export_bytes(store, survey, KEY, stream)

    return to_file if path == PATHS[0] else spooled


class ResidentPeak:
    """The highest resident size of this process while it is entered, read from /proc every
    SAMPLE_EVERY seconds by a thread (ru_maxrss would only show growth beyond the peak of
    importing the modules, which an export stays under)."""

    def __init__(self) -> None:
        self.before = self.highest = 0  # bytes, set on entering
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ResidentPeak:
        self.highest = self.before = _resident()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.highest = max(self.highest, _resident())

    @property
    def growth(self) -> int:
        """How far above its size on entering the process rose, in bytes."""
        return self.highest - self.before

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY):
            self.highest = max(self.highest, _resident())


def _resident() -> int:
    """This process's resident size now, in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


async def measure(database: Path, folder: Path, path: str) -> Pair:
    """One export path, traced and untraced, each in a process of its own."""
    results = []
    for traced in (True, False):
        # spawn, not fork: this process runs the database's worker thread
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            out = folder / f"export-{traced}.csv"
            results.append(
                await asyncio.get_running_loop().run_in_executor(
                    pool, export_in_fresh_process, database, out, path, traced
                )
            )
            out.unlink(missing_ok=True)
    traced_run, untraced_run = results
    assert traced_run.rows == untraced_run.rows
    return traced_run, untraced_run


def line(size: int, path: str, traced: Measured, untraced: Measured) -> str:
    """One size's figures for one export path."""
    return (
        f"{size:,} responses, {path}: {traced.rows:,} rows in {untraced.seconds:.1f} s;"
        f" traced peak {traced.peak / MB:.2f} MB, peak RSS growth {untraced.peak / MB:.1f} MB"
    )


def summary(baseline: int, size: int, first: dict[str, Pair], last: dict[str, Pair]) -> str:
    """The largest size against the baseline, for both paths, as the last line."""
    parts = []
    for path in PATHS:
        (traced_first, untraced_first), (traced_last, untraced_last) = first[path], last[path]
        parts.append(
            f"{path} traced peak {traced_last.peak / MB:.2f} MB"
            f" (ratio {traced_last.peak / traced_first.peak:.2f}),"
            f" peak RSS growth {untraced_last.peak / MB:.1f} MB"
            f" (ratio {untraced_last.peak / untraced_first.peak:.2f})"
        )
    return (
        f"export memory at {size:,} responses against {baseline:,}: {'; '.join(parts)}"
        " (constant memory: ratios ≈ 1)"
    )


async def main(sizes: list[int]) -> None:
    """Fill up to each size in turn and measure both export paths there."""
    survey = build_survey()
    measured: dict[int, dict[str, Pair]] = {}
    async with bench_database(survey) as (_, database, _, filler):
        for size in sizes:
            await grow(filler, database, size)
            measured[size] = {}
            for path in PATHS:
                measured[size][path] = await measure(database, database.parent, path)
                print(line(size, path, *measured[size][path]), flush=True)
    print(summary(sizes[0], sizes[-1], measured[sizes[0]], measured[sizes[-1]]), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=sizes_argument,
        default=[10_000, 100_000],
        help="comma-separated numbers of completed responses; the first is the baseline"
        " (default 10000,100000)",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.sizes))
