"""An event loop whose clock jumps to the next timer instead of waiting for it.

Tests of pacing (the send budget, the fake Bot API's flood limits) then take no real time and
see exact times: `loop.time()` moves only when every task is waiting for a timer, and then
straight to the earliest one, as if the wait had happened. Work that needs another thread or
real I/O has nothing to fast-forward; the loop waits for it in real time, and fails the test
when nothing at all is left to wake it (a deadlock would otherwise hang the run).

    @in_virtual_time
    async def test_something() -> None: ...
"""

from __future__ import annotations

import asyncio
import functools
import selectors
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec

P = ParamSpec("P")
START = 1000.0  # not 0, so that code that takes 0 for "long ago" is tested as it runs
DEADLOCK_AFTER = 5.0  # real seconds with no timer, no I/O and no other thread's call


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector loop on a virtual clock (see the module docstring)."""

    def __init__(self) -> None:
        self._virtual_now = START
        super().__init__(_FastForward(self))

    def time(self) -> float:
        """The virtual clock, in seconds."""
        return self._virtual_now

    def advance(self, seconds: float) -> None:
        """Move the clock on (the selector does, when the loop would wait)."""
        self._virtual_now += seconds


class _FastForward(selectors.DefaultSelector):
    """Polls instead of blocking; a wait for a timer moves the loop's clock instead."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer: only I/O or another thread can wake the loop
            ready = super().select(DEADLOCK_AFTER)
            if not ready:
                raise RuntimeError("deadlock: no timer, no I/O and no other thread's call")
            return ready
        self._loop.advance(timeout)
        return ready


def in_virtual_time(
    test: Callable[P, Coroutine[Any, Any, None]],
) -> Callable[P, None]:
    """Run an async test on its own `VirtualTimeLoop`."""

    @functools.wraps(test)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
            runner.run(test(*args, **kwargs))

    return run
