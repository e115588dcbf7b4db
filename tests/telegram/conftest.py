"""Fixtures for end-to-end tests against the telegram-test-api emulator on 127.0.0.1."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.runtime.config import Config, load_config
from tests.running import RunningKlbot
from tests.telegram.client import TelegramUser
from tests.telegram.compat import CompatProxy

PACKAGE = "telegram-test-api@4.2.1"
HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def node_modules() -> Path:
    """The emulator, installed once per machine into the user's cache folder."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = cache / "klbot-tests" / PACKAGE.replace("@", "-")
    if not (folder / "node_modules" / "telegram-test-api").is_dir():
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            if os.environ.get("CI"):
                pytest.fail("node and npm are needed for the Telegram tests")
            pytest.skip("node and npm are not installed")
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(folder),
                "--no-audit",
                "--no-fund",
                "--silent",
                PACKAGE,
            ],
            check=True,
            timeout=600,
            capture_output=True,
        )
    return folder / "node_modules"


class Emulator:
    """The node process of telegram-test-api; can be stopped and started on the same port."""

    def __init__(self) -> None:
        self.modules = node_modules()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "NODE_PATH": str(self.modules)}
        self.process = subprocess.Popen(
            ["node", str(HERE / "emulator.js"), str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the Telegram emulator did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    running = Emulator()
    running.start()
    yield running
    running.stop()


@dataclass
class TelegramWorld(RunningKlbot):
    """klbot running against the emulator, and a way to make users there."""

    emulator: Emulator
    proxy: CompatProxy
    token: str
    config: Config
    users: int = 0

    def user(
        self, name: str = "Ana", language: str = "de", group: int | None = None
    ) -> TelegramUser:
        self.users += 1
        return TelegramUser(self.emulator.url, self.token, 7000 + self.users, name, language, group)


def telegram_config(db_url: str, proxy_url: str, token: str) -> Config:
    config = load_config(None, env={"KLBOT_DATABASE_URL": db_url, "KLBOT_TELEGRAM_TOKEN": token})
    telegram = config.telegram.model_copy(
        update={
            "enabled": True,
            "base_url": f"{proxy_url}/bot",
            "base_file_url": f"{proxy_url}/file/bot",
        }
    )
    roles = config.roles.model_copy(update={"staff": ["console:staff"]})
    return config.model_copy(update={"telegram": telegram, "roles": roles})


@pytest.fixture
async def telegram(
    emulator: Emulator, db_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[TelegramWorld]:
    """klbot on the emulator; parametrised indirectly, a dict of [telegram] settings."""
    proxy = CompatProxy(emulator.url)
    proxy_url = await proxy.start()
    token = f"{secrets.randbelow(10**9)}:TEST{secrets.token_hex(4)}"
    config = telegram_config(db_url, proxy_url, token)
    settings = getattr(request, "param", {})
    config = config.model_copy(update={"telegram": config.telegram.model_copy(update=settings)})
    world = TelegramWorld(emulator, proxy, token, config)
    await world.start_klbot()
    try:
        yield world
    finally:
        if world.task is not None:
            await world.stop_klbot()
        await proxy.stop()
