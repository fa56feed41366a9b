"""Settings for the whole suite: property tests draw the same examples on every run.

The searches for leaks (tests/surveys/test_cross_view*.py) are bounded for CI; a fixed draw
keeps `make test` repeatable, and a wider random search is run by hand with
`HYPOTHESIS_PROFILE=explore` (and MORE_EXAMPLES for the second module).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
