"""The house keeps its rooms (ARCHITECTURE.md): no Telegram below the handlers, no database
driver outside its backend, and the pure core imports neither the use cases nor the store."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DRIVERS = {"sqlite3", "aiosqlite", "asyncpg", "psycopg"}


def imported(path: Path) -> set[str]:
    """The top-level packages and the modules a file imports (`a.b` gives `a` and `a.b`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules = [node.module]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return names


def files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", files("app", "surveys", "storage"), ids=str)
def test_no_telegram_below_the_handlers(path: Path) -> None:
    assert "telegram" not in imported(path)


@pytest.mark.parametrize(
    "path",
    [ROOT / "bot.py", *files("app", "handlers", "surveys"), *(ROOT / "storage").glob("*.py")],
    ids=str,
)
def test_no_database_driver_outside_a_storage_backend(path: Path) -> None:
    assert not imported(path) & DRIVERS


@pytest.mark.parametrize("path", files("surveys"), ids=str)
def test_the_pure_core_needs_neither_use_cases_nor_store(path: Path) -> None:
    assert not imported(path) & {"app", "storage", "handlers"}


@pytest.mark.parametrize("path", files("app", "storage"), ids=str)
def test_neither_use_cases_nor_store_know_the_handlers(path: Path) -> None:
    assert "handlers" not in imported(path)


@pytest.mark.parametrize("path", files("app"), ids=str)
def test_use_cases_reach_storage_through_the_protocol(path: Path) -> None:
    """The use cases name the store's protocol and domain types, never a backend."""
    assert not {name for name in imported(path) if name.startswith("storage.sqlite")}
