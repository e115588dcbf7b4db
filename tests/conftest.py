"""Shared fixtures: an isolated database per test, no network beyond 127.0.0.1."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Config, load_config
from tests.harness import Chat


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # Unix sockets
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True, scope="session")
def no_network() -> Iterator[None]:
    """Fail any test that tries to reach anything but this machine."""
    original = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if not _is_local(address):
            raise RuntimeError(f"test tried to reach {address!r}; only 127.0.0.1 is allowed")
        return original(self, address)

    socket.socket.connect = guarded  # type: ignore[method-assign,assignment]
    yield
    socket.socket.connect = original  # type: ignore[method-assign]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'klbot.sqlite3'}"


@pytest.fixture
def config(db_url: str) -> Config:
    return load_config(None, env={"KLBOT_DATABASE_URL": db_url})


@pytest.fixture
async def app(config: Config) -> AsyncIterator[App]:
    async with App.open(config) as opened:
        yield opened


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app.dispatcher)
