"""The real process: `python bot.py run` against a loopback Bot API stand-in, stopped by a signal.

The stand-in answers the few methods start-up and polling need, on 127.0.0.1 only, and can be
told to fail a method a few times (a rejected token, Telegram down) or not to listen yet.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ"
BOT = {"id": 7000000001, "is_bot": True, "first_name": "Doorstep", "username": "doorstep_bot"}


class _BotApi(BaseHTTPRequestHandler):
    """getMe, setMyCommands, deleteWebhook, and getUpdates with nothing new; or the failures
    queued on the server."""

    server: BotApiStandIn

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        method = self.path.rsplit("/", 1)[-1]
        status = self.server.next_status(method)
        if status != 200:
            body = {"ok": False, "error_code": status, "description": f"failed with {status}"}
        else:
            result = {"getMe": BOT, "getUpdates": []}.get(method, True)
            body = {"ok": True, "result": result}
        if method == "getUpdates":
            time.sleep(0.05)  # a short long-poll
        data = json.dumps(body).encode()
        with suppress(BrokenPipeError, ConnectionResetError):  # the bot stopped mid-poll
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        """Quiet."""


class BotApiStandIn(ThreadingHTTPServer):
    """The Bot API on a loopback port; `fail` queues error answers for a method."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _BotApi)
        self.failures: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/bot"

    def fail(self, method: str, status: int, times: int = 1) -> None:
        with self._lock:
            self.failures.setdefault(method, []).extend([status] * times)

    def next_status(self, method: str) -> int:
        with self._lock:
            queued = self.failures.get(method)
            return queued.pop(0) if queued else 200


@pytest.fixture
def bot_api() -> Iterator[BotApiStandIn]:
    server = BotApiStandIn()
    yield server
    server.shutdown()


@pytest.fixture
def unreachable() -> Iterator[socket.socket]:
    """A loopback port that refuses connections (bound, not listening), until the test closes
    the socket to listen there itself."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held


def url_of(held: socket.socket) -> str:
    return f"http://127.0.0.1:{held.getsockname()[1]}/bot"


class RunningBot:
    """`python bot.py run` in `tmp_path`, its stderr read line by line as it comes."""

    def __init__(self, tmp_path: Path, api_url: str) -> None:
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith("DOORSTEP_")
        }
        environment |= {
            "DOORSTEP_BOT_TOKEN": TOKEN,
            "DOORSTEP_API_BASE_URL": api_url,
            "DOORSTEP_DATABASE": str(tmp_path / "doorstep.db"),
            "DOORSTEP_SURVEYS": str(REPO / "surveys" / "library"),
        }
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "bot.py"), "run"],
            cwd=tmp_path,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.stdout = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 15) -> None:
        """Wait until a stderr line contains `text` (fail after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.log}"
            assert self.process.poll() is None or self._reader.is_alive(), self.log
            time.sleep(0.02)

    def finish(self, stop: signal.Signals | None = None, timeout: float = 20) -> int:
        """Send `stop` (if any), wait for the exit, and return its status."""
        if stop is not None:
            self.process.send_signal(stop)
        try:
            self.process.wait(timeout)
        finally:
            self.process.kill()
        self._reader.join(5)
        self.stdout = self.process.stdout.read()
        return self.process.returncode


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_bot_starts_polls_and_stops_cleanly_on_a_signal(
    bot_api: BotApiStandIn, tmp_path: Path, stop: signal.Signals
) -> None:
    bot = RunningBot(tmp_path, bot_api.url)
    bot.wait_for("loaded 2 surveys")
    time.sleep(0.3)  # let it poll

    assert bot.finish(stop) == 0, bot.log
    assert "loaded 2 surveys: rebuilding-the-party, your-community" in bot.log
    assert "running as @doorstep_bot" in bot.log
    assert "survey your-community: https://t.me/doorstep_bot?start=your-community" in bot.log
    assert "Traceback" not in bot.log
    assert TOKEN not in bot.log  # the token is in every request URL; it never reaches the log
    assert (tmp_path / "doorstep.db").exists()


@pytest.mark.parametrize("status", [401, 404])
def test_a_rejected_token_stops_the_bot_with_one_line_exit_2_and_the_token_unshown(
    bot_api: BotApiStandIn, tmp_path: Path, status: int
) -> None:
    bot_api.fail("getMe", status)
    bot = RunningBot(tmp_path, bot_api.url)

    assert bot.finish() == 2
    assert bot.log.splitlines() == [
        "Telegram rejected DOORSTEP_BOT_TOKEN: check it with @BotFather"
        " (and DOORSTEP_API_BASE_URL, if you set it)."
    ]
    assert bot.stdout == ""


def test_the_bot_waits_for_telegram_one_line_per_attempt_and_starts_when_it_can(
    unreachable: socket.socket, tmp_path: Path
) -> None:
    bot = RunningBot(tmp_path, url_of(unreachable))
    bot.wait_for("cannot reach Telegram")
    port = unreachable.getsockname()[1]
    unreachable.close()
    server = BotApiStandIn(port)  # Telegram is back
    try:
        bot.wait_for("loaded 2 surveys")
        status = bot.finish(signal.SIGTERM)
    finally:
        server.shutdown()

    assert status == 0, bot.log
    attempts = [line for line in bot.lines if "cannot reach Telegram" in line]
    assert attempts, bot.log
    assert attempts[0].endswith(
        "WARNING handlers.connection: cannot reach Telegram: httpx.ConnectError:"
        " All connection attempts failed; retrying in 1 s\n"
    )
    assert "Traceback" not in bot.log
    assert TOKEN.partition(":")[2] not in bot.log


def test_a_signal_while_waiting_for_telegram_stops_the_bot_at_once(
    unreachable: socket.socket, tmp_path: Path
) -> None:
    bot = RunningBot(tmp_path, url_of(unreachable))
    bot.wait_for("cannot reach Telegram")

    assert bot.finish(signal.SIGTERM, timeout=5) == 0, bot.log
    assert "Traceback" not in bot.log


def test_an_outage_while_polling_is_one_warning_and_one_info_not_a_traceback_per_retry(
    bot_api: BotApiStandIn, tmp_path: Path
) -> None:
    bot_api.fail("getUpdates", 502, times=2)  # PTB retries after 1 s, then 1.5 s
    bot = RunningBot(tmp_path, bot_api.url)
    bot.wait_for("Telegram reachable again")

    assert bot.finish(signal.SIGTERM) == 0, bot.log
    about_polling = [line.split(": ", 1)[1] for line in bot.lines if "handlers.connection" in line]
    assert len(about_polling) == 2, bot.log
    assert (
        about_polling[0] == "cannot reach Telegram: HTTP status 502; polling resumes when it can\n"
    )
    assert re.fullmatch(
        r"Telegram reachable again after \d+ s; polling resumed\n", about_polling[1]
    )
    assert "Traceback" not in bot.log
