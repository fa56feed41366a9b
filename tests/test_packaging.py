"""The package builds without a warning: `make run` and `make test` install it, and any
setuptools warning would print above their own output.

Each build runs offline, with the setuptools of the test extras (no build isolation), on a copy
of the sources, so the checkout gets no build folders.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUILD = "import sys; from setuptools import build_meta; getattr(build_meta, sys.argv[1])('.')"
NOT_SOURCES = shutil.ignore_patterns(
    ".*", "build", "*.egg-info", "__pycache__", "tests", "bench", "*.db*", "*.csv"
)


@pytest.mark.parametrize("hook", ["build_wheel", "build_editable"])
def test_the_package_builds_without_a_warning(hook: str, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(REPO, sources, ignore=NOT_SOURCES)

    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", BUILD, hook],
        cwd=sources,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # -W error: a Python warning (pip prints those, e.g. "SetuptoolsDeprecationWarning: ...")
    # fails the build. Setuptools' log lines ("warning: byte-compiling is disabled") pip keeps
    # to itself.
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr, result.stderr[-3000:]
    assert len(list(sources.glob("doorstep-*.whl"))) == 1
