"""Every benchmark still runs: each script, at a size that takes seconds, ends with a line of
figures (the figures themselves are read from real runs, never asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parent.parent / "bench"
SMOKE_RUNS = {
    "answer_path.py": ["--answers", "200", "--rounds", "1"],
    "broadcast.py": ["--members", "300", "--answering", "10", "--launch", "100", "--think=.2,.5"],
    "summary_scale.py": ["--sizes", "2000"],
    "forget_rebuild.py": ["--sizes", "2000"],
    "export_memory.py": ["--sizes", "2000,4000"],
}


def test_every_benchmark_has_a_smoke_run() -> None:
    assert {path.name for path in BENCH.glob("*.py")} == set(SMOKE_RUNS)


@pytest.mark.parametrize("script", sorted(SMOKE_RUNS))
def test_the_benchmark_runs_and_prints_its_figures(script: str, tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, str(BENCH / script), *SMOKE_RUNS[script]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    last = finished.stdout.strip().splitlines()[-1]
    assert any(character.isdigit() for character in last), last
