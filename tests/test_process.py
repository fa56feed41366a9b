"""The real process: `python bot.py run` against a loopback Bot API stand-in, stopped by a signal.

The stand-in answers the few methods start-up and polling need, on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import signal
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
    """getMe, setMyCommands, deleteWebhook, and getUpdates with nothing new."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        method = self.path.rsplit("/", 1)[-1]
        result = {"getMe": BOT, "getUpdates": []}.get(method, True)
        if method == "getUpdates":
            time.sleep(0.05)  # a short long-poll
        body = json.dumps({"ok": True, "result": result}).encode()
        with suppress(BrokenPipeError, ConnectionResetError):  # the bot stopped mid-poll
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def bot_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BotApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bot"
    server.shutdown()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_bot_starts_polls_and_stops_cleanly_on_a_signal(
    bot_api: str, tmp_path: Path, stop: signal.Signals
) -> None:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("DOORSTEP_")
    }
    environment |= {
        "DOORSTEP_BOT_TOKEN": TOKEN,
        "DOORSTEP_API_BASE_URL": bot_api,
        "DOORSTEP_DATABASE": str(tmp_path / "doorstep.db"),
        "DOORSTEP_SURVEYS": str(REPO / "surveys" / "library"),
    }
    process = subprocess.Popen(
        [sys.executable, str(REPO / "bot.py"), "run"],
        cwd=tmp_path,
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        for line in process.stderr:  # wait for start-up to finish
            lines.append(line)
            if "loaded 2 surveys" in line:
                break
        time.sleep(0.3)  # let it poll
        process.send_signal(stop)
        _, remaining = process.communicate(timeout=20)
    finally:
        process.kill()
    log = "".join(lines) + remaining

    assert process.returncode == 0, log
    assert "loaded 2 surveys: rebuilding-the-party, your-community" in log
    assert "Traceback" not in log
    assert TOKEN not in log  # the token is in every request URL; it never reaches the log
    assert (tmp_path / "doorstep.db").exists()
