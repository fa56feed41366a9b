"""Benchmark: the organiser /summary report at national scale, against a naive GROUP BY.

Run with `.venv/bin/python bench/summary_scale.py [--sizes 100000,1000000]` (a smoke run:
`--sizes 2000,10000`). At the default sizes it takes about 4 minutes on two cores, nearly all
of it filling, and about 1.4 GB in the temporary directory.

A temporary SQLite file is filled, through the storage layer's own bulk path
(`Store.reports.add_completed`, tally keys from `surveys.tally` as the answer path decides
them), with completed responses to a 20-question survey: a 10-region area question, a second
breakdown question (age band), choices, yes/no, multi, scales 1-5 and 0-10, numbers, coded free
text, and optional questions some members skip (answers drawn with a seeded `random.Random`,
in a worker process a batch ahead of storage). It is filled up to each size in turn (the
default: 100,000, then 900,000 more), and at each size it times, in the same process:
  * the report: `report_for` (running totals read and suppressed) + `report_text` +
    `split_message`, as /summary builds it with no Telegram I/O; best of 5, for every response
    and for one area's;
  * the naive query: every completed answer counted with `GROUP BY question, value`, all rows
    fetched; best of 3, or once when it takes many seconds.
Fill progress goes to stderr. Each size prints one line; the last is the largest size's (1M by
default), with the ratio report / naive. Targets: report at most 100 ms at 1M responses, and at
most a fifth of the naive query's time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.notice import Notice
from app.reports import report_for
from app.services import Catalogue, Services
from handlers.organiser_render import report_text
from handlers.render import split_message
from storage.model import CompletedResponse
from storage.sqlite.store import SQLiteStore, open_store
from surveys import tally
from surveys.model import Survey

NOW = dt.datetime(2025, 6, 30, 12, 0, tzinfo=dt.UTC)
SEED = 20250630
BATCH = 5000  # responses per add_completed call (one transaction)
PROGRESS_EVERY = 100_000
REPORT_RUNS = 5
NAIVE_RUNS = 3
NAIVE_ONCE_AFTER = 5.0  # seconds: a naive query this slow is timed once
REPORT_TARGET_MS = 100.0
RATIO_TARGET = 0.20
SKIP_SHARE = 0.10  # of respondents who skip each optional question

NAIVE_QUERY = (
    "SELECT a.question_id, a.value, COUNT(*) FROM answers a"
    " JOIN responses r ON r.id = a.response_id"
    " WHERE r.survey_id = ? AND r.status = 'completed'"
    " GROUP BY a.question_id, a.value"
)

REGIONS = [
    "north-east",
    "north-west",
    "yorkshire",
    "midlands",
    "east",
    "london",
    "south-east",
    "south-west",
    "scotland",
    "wales",
]
AGE_BANDS = [(18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 90)]
ISSUES = ["housing", "wages", "nhs", "climate", "transport"]
ACTIONS = ["canvass", "leaflet", "donate", "meetings", "online"]
THEMES = {
    "rent": ["rent", "landlord", "housing"],
    "pay": ["wages", "pay", "cost of living"],
    "health": ["NHS", "GP", "waiting list"],
    "transport": ["bus", "train", "transport"],
}
# Typed answers drawn from a few phrases: one theme, two, or none ("other").
PHRASES = [
    "The rent is far too high",
    "My landlord will not fix anything",
    "Wages have not kept up with the cost of living",
    "Waiting list for the GP is weeks long",
    "The bus stopped running after six",
    "Pay and rent both: we cannot get by",
    "Trains are late and the NHS is stretched",
    "Nothing in particular",
    "More local meetings please",
]


def choice(qid: str, text: str, values: list[str], **extra: object) -> dict[str, object]:
    """A choice question as a survey file writes it (bare labels as values)."""
    return {"id": qid, "type": "choice", "text": text, "choices": values, **extra}


def build_survey() -> Survey:
    """The 20 questions: area and age-band breakdowns first, then a mix of every type."""
    bands = [f"{low}-{high}" for low, high in AGE_BANDS]
    optional = {"required": False}
    questions = [
        choice("region", "Where do you live?", REGIONS, breakdown=True),
        {"id": "age", "type": "number", "text": "How old are you?", "min": 18, "max": 90},
        choice("age-band", "Which age band are you in?", bands, breakdown=True),
        choice("work", "Your work?", ["full-time", "part-time", "self", "unemployed", "retired"]),
        choice("years", "Years a member?", ["under-1", "1-5", "5-10", "over-10"]),
        {"id": "union", "type": "yesno", "text": "Are you in a union?"},
        {"id": "voted", "type": "yesno", "text": "Did you vote last time?"},
        {"id": "issues", "type": "multi", "text": "Top issues?", "choices": ISSUES},
        {"id": "actions", "type": "multi", "text": "Done?", "choices": ACTIONS, **optional},
        {"id": "satisfied", "type": "scale", "text": "Satisfied?", "min": 1, "max": 5},
        {"id": "recommend", "type": "scale", "text": "Recommend?", "min": 0, "max": 10},
        {"id": "trust", "type": "scale", "text": "Trust leaders?", "min": 1, "max": 5, **optional},
        choice("housing", "Housing?", ["own", "mortgage", "private", "social", "family", "other"]),
        {
            "id": "hours",
            "type": "number",
            "text": "Hours a month?",
            "min": 0,
            "max": 40,
            **optional,
        },
        {"id": "concern", "type": "text", "text": "Main worry?", "themes": THEMES},
        {"id": "idea", "type": "text", "text": "One idea?", "themes": THEMES, **optional},
        {"id": "contact", "type": "yesno", "text": "May we contact you?"},
        choice("travel", "How do you travel?", ["car", "bus", "bike", "walk"]),
        {"id": "events", "type": "scale", "text": "Local events?", "min": 1, "max": 5},
        choice("priority", "Priority?", ["win", "organise", "educate", "campaign", "fundraise"]),
    ]
    return Survey.model_validate(
        {"id": "national", "title": "National", "intro": "Bench.", "questions": questions}
    )


# --- answers -----------------------------------------------------------------------------------

Sampler = Callable[[random.Random], object]


def weighted(values: list[object]) -> Sampler:
    """Earlier values more common (weights n, n-1, ..., 1), as real answers are uneven.

    The weights are spelled out into a pool once, so drawing is one `Random.choice`.
    """
    pool = [
        value
        for weight, value in zip(range(len(values), 0, -1), values, strict=True)
        for _ in range(weight)
    ]
    return lambda rng: rng.choice(pool)


def ticks(options: list[str]) -> Sampler:
    """1 to 3 options, in survey order (as finish_multi stores them); precomputed subsets."""
    subsets = [
        list(subset) for size in (1, 2, 3) for subset in itertools.combinations(options, size)
    ]
    return lambda rng: rng.choice(subsets)


def optional(sampler: Sampler) -> Sampler:
    """Skipped by SKIP_SHARE of respondents (None: not stored, not counted)."""
    return lambda rng: None if rng.random() < SKIP_SHARE else sampler(rng)


def age_band(age: int) -> str:
    """The age-band answer that goes with an age."""
    return next(f"{low}-{high}" for low, high in AGE_BANDS if low <= age <= high)


def samplers(survey: Survey) -> dict[str, Sampler]:
    """A drawing rule for every question but age band, which follows from age."""
    drawn: dict[str, Sampler] = {
        "region": weighted(REGIONS),
        "age": lambda rng: min(90, int(rng.triangular(18, 91, 38))),
        "issues": ticks(ISSUES),
        "actions": optional(ticks(ACTIONS)),
        "satisfied": weighted([3, 4, 2, 5, 1]),
        "recommend": weighted([8, 7, 9, 6, 10, 5, 4, 3, 2, 1, 0]),
        "trust": optional(weighted([3, 2, 4, 1, 5])),
        "hours": optional(lambda rng: rng.randint(0, 40)),
        "concern": weighted(PHRASES),
        "idea": optional(weighted(PHRASES[::-1])),
        "union": weighted(["no", "yes"]),
        "voted": weighted(["yes", "no"]),
        "contact": weighted(["yes", "no"]),
        "events": weighted([3, 4, 2, 5, 1]),
    }
    for question in survey.questions:
        if question.id not in drawn and question.id != "age-band":
            drawn[question.id] = weighted(question.values())  # the remaining choice questions
    return drawn


def answers_of(
    drawn: dict[str, Sampler], order: list[str], rng: random.Random
) -> dict[str, object]:
    """One member's answers, in survey order; skipped questions are absent."""
    answers: dict[str, object] = {}
    for qid in order:
        # age is asked (and required) before the age band, which follows from it
        value = age_band(answers["age"]) if qid == "age-band" else drawn[qid](rng)
        if value is not None:
            answers[qid] = value
    return answers


def stamps() -> list[tuple[dt.datetime, dt.datetime]]:
    """(started, completed) pairs every hour over the last 60 days, made once and shared."""
    completed = [NOW - dt.timedelta(hours=hours) for hours in range(60 * 24)]
    return [(at - dt.timedelta(minutes=6), at) for at in completed]


# --- filling -----------------------------------------------------------------------------------


async def add_members(db: SQLiteStore, first: int, stop: int) -> None:
    """Members first..stop-1 (ids n+1), one executemany: responses need them (foreign key).

    Storage has no bulk member API; this is test data, not a path the bot takes.
    """
    created = (NOW - dt.timedelta(days=90)).isoformat()
    async with db.transaction() as connection:
        await connection.executemany(
            "INSERT INTO members (id, telegram_id, created_at) VALUES (?, ?, ?)",
            [(n + 1, 10_000_000 + n, created) for n in range(first, stop)],
        )


def generated_batch(first: int, stop: int, version_id: int) -> list[CompletedResponse]:
    """The responses of members first..stop-1 (member n has id n+1), with their area and tally
    keys as the answer path counts them.

    Runs in a worker process, a batch ahead of storage, so that drawing answers and working
    out keys (as much time as storing them) uses the second core. Seeded by the batch's first
    member: a run is reproducible.
    """
    survey, drawn, order, times = generator()
    rng = random.Random(SEED + first)
    batch = []
    for n in range(first, stop):
        answers = answers_of(drawn, order, rng)
        started, completed = rng.choice(times)
        # The same keys as plain tuples (what storage takes): far cheaper to send back than Key.
        counted = [tuple(key) for key in tally.keys(survey, answers)]
        area = tally.area_of(survey, answers)
        batch.append(
            CompletedResponse(n + 1, version_id, answers, area, counted, started, completed)
        )
    return batch


@cache
def generator() -> tuple[Survey, dict[str, Sampler], list[str], list[tuple]]:
    """What drawing responses needs, built once in each process."""
    survey = build_survey()
    return survey, samplers(survey), [question.id for question in survey.questions], stamps()


class Filler:
    """Adds completed responses through the bulk path, one batch generated ahead."""

    def __init__(self, db: SQLiteStore, survey_id: str, version_id: int, pool: Executor) -> None:
        self.db, self.survey_id, self.version_id, self.pool = db, survey_id, version_id, pool
        self.filled = 0
        self.waiting = self.storing = 0.0  # seconds waiting for a batch, and storing them

    def generate(self, first: int, stop: int) -> asyncio.Future[list[CompletedResponse]]:
        """Start drawing a batch in the worker process."""
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self.pool, generated_batch, first, stop, self.version_id)

    async def fill_to(self, size: int) -> None:
        """Add responses until `size` are stored, reporting progress on stderr."""
        began = time.perf_counter()
        bounds = [(first, min(first + BATCH, size)) for first in range(self.filled, size, BATCH)]
        if not bounds:
            return
        pending = self.generate(*bounds[0])
        for index, (first, stop) in enumerate(bounds):
            clock = time.perf_counter()
            batch = await pending
            self.waiting += time.perf_counter() - clock
            if index + 1 < len(bounds):
                pending = self.generate(*bounds[index + 1])
            clock = time.perf_counter()
            await add_members(self.db, first, stop)
            await self.db.reports.add_completed(self.survey_id, batch)
            self.storing += time.perf_counter() - clock
            self.filled = stop
            if stop // PROGRESS_EVERY > first // PROGRESS_EVERY or stop == size:
                note(
                    f"  {stop:,} responses stored ({time.perf_counter() - began:.0f} s this step;"
                    f" so far storing {self.storing:.0f} s, waiting for answers to be drawn"
                    f" {self.waiting:.0f} s)"
                )


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def disk_size(path: Path) -> str:
    """The database with its write-ahead log, as they stand on disk."""
    wal = path.with_name(path.name + "-wal")
    log = os.path.getsize(wal) if wal.exists() else 0
    return f"{(os.path.getsize(path) + log) / 1e6:,.0f} MB (write-ahead log {log / 1e6:,.0f} MB)"


# --- timing ------------------------------------------------------------------------------------


async def report_seconds(service: Services, survey: Survey, area: str | None, size: int) -> float:
    """Best of REPORT_RUNS: the report computed from storage, rendered and split."""
    best = float("inf")
    for _ in range(REPORT_RUNS):
        started = time.perf_counter()
        summary_report = await report_for(service, survey, area)
        parts = split_message(report_text(summary_report))
        best = min(best, time.perf_counter() - started)
    # A report that shows nothing would be quick for the wrong reason.
    assert parts, "nothing rendered"
    assert not summary_report.too_few, "the report is empty"
    assert area is not None or summary_report.counts.completed == size, summary_report.counts
    assert all(not question.too_few for question in summary_report.questions)
    return best


async def naive_seconds(db: SQLiteStore, survey: Survey, size: int) -> tuple[float, int]:
    """Best of NAIVE_RUNS (or one, when slow) of the naive count; and how many runs."""
    times: list[float] = []
    while len(times) < NAIVE_RUNS and (not times or times[0] < NAIVE_ONCE_AFTER):
        started = time.perf_counter()
        async with db.statement() as connection:
            rows = await connection.execute_fetchall(NAIVE_QUERY, (survey.id,))
        times.append(time.perf_counter() - started)
    # Same data as the report: every response answered the area question.
    regions = sum(count for question, _, count in rows if question == "region")
    assert regions == size, (regions, size)
    return min(times), len(times)


@asynccontextmanager
async def bench_database(
    survey: Survey,
) -> AsyncIterator[tuple[SQLiteStore, Path, Catalogue, Filler]]:
    """A temporary database (and its path) with `survey` registered, and a filler to grow it
    (shared with bench/forget_rebuild.py)."""
    # spawn, not fork: this process already runs the database's worker thread
    spawn = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="doorstep-bench-") as folder,
        ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool,
    ):
        path = Path(folder) / "doorstep.db"
        db = await open_store(path)
        try:
            catalogue = Catalogue()
            await catalogue.register(db, [survey], NOW)
            yield db, path, catalogue, Filler(db, survey.id, catalogue.current[survey.id][1], pool)
        finally:
            await db.close()


async def grow(filler: Filler, path: Path, size: int) -> None:
    """Fill the database up to `size` completed responses, saying how long it took."""
    began = time.perf_counter()
    note(f"filling to {size:,} responses (batches of {BATCH:,})")
    await filler.fill_to(size)
    note(f"filled to {size:,} in {time.perf_counter() - began:.0f} s; database {disk_size(path)}")


async def main(sizes: list[int]) -> None:
    """Fill up to each size in turn, then time the report and the naive query there."""
    survey = build_survey()
    async with bench_database(survey) as (db, path, catalogue, filler):
        service = Services(
            store=db,
            catalogue=catalogue,
            timezone=ZoneInfo("UTC"),
            notice=Notice.from_markdown("Reports only.", retention_days=730),
            clock=lambda: NOW,
        )
        for size in sizes:
            await grow(filler, path, size)
            print(await measure(service, db, survey, size), flush=True)


async def measure(service: Services, db: SQLiteStore, survey: Survey, size: int) -> str:
    """The report's and the naive query's times at this size, as one line."""
    report = await report_seconds(service, survey, None, size)
    area = await report_seconds(service, survey, REGIONS[0], size)
    naive, runs = await naive_seconds(db, survey, size)
    once = " (once: slow)" if runs == 1 else ""
    return (
        f"{size:,} responses: report {report * 1000:.1f} ms (area {area * 1000:.1f} ms),"
        f" naive GROUP BY {naive * 1000:.1f} ms{once}, ratio {report / naive:.4f}"
        f" (target <= {RATIO_TARGET:.2f}), report target <= {REPORT_TARGET_MS:.0f} ms"
    )


def sizes_argument(text: str) -> list[int]:
    """Comma-separated response counts, filled in ascending order."""
    return sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=sizes_argument,
        default=[100_000, 1_000_000],
        help="comma-separated numbers of completed responses (default 100000,1000000)",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.sizes))
