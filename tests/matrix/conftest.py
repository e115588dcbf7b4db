"""Fixtures: a real Synapse on 127.0.0.1 for the session, klbot and citizens per test."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config, load_config
from tests.matrix.citizen import Citizen
from tests.matrix.synapse import Synapse
from tests.telegram.conftest import free_port

BOT_PASSWORD = "klbot-test-password"


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    server = Synapse(tmp_path_factory.mktemp("synapse"), free_port())
    server.start()
    server.register("klbot", BOT_PASSWORD)
    yield server
    server.stop()


@dataclass
class MatrixWorld:
    synapse: Synapse
    config: Config
    folder: Path
    bot: str = "@klbot:localhost"
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    app: App | None = None
    citizens: list[Citizen] = field(default_factory=list)

    async def citizen(self, name: str = "ana") -> Citizen:
        user = f"{name}{secrets.token_hex(3)}"
        password = secrets.token_hex(8)
        user_id = self.synapse.register(user, password)
        citizen = Citizen(self.synapse.url, user_id, password, self.folder / user)
        await citizen.login()
        self.citizens.append(citizen)
        return citizen

    async def start_klbot(self) -> App:
        self.stop = asyncio.Event()
        self._context = App.open(self.config)
        self.app = await self._context.__aenter__()
        ready = asyncio.Event()
        self.task = asyncio.create_task(
            self.app.serve(self.app.platform_adapters(), self.stop, ready)
        )
        await self._until_ready(ready)
        return self.app

    async def _until_ready(self, ready: asyncio.Event) -> None:
        """Wait until klbot's adapters run; if starting fails, raise that error."""
        assert self.task is not None
        waiting = asyncio.create_task(ready.wait())
        await asyncio.wait([waiting, self.task], timeout=60, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if self.task.done():
            self.task.result()
            raise RuntimeError("klbot stopped while starting")
        if not ready.is_set():
            raise TimeoutError("klbot did not start within 60 s")

    async def stop_klbot(self) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 30)
            self.task = None
        await self._context.__aexit__(None, None, None)


def matrix_config(db_url: str, synapse: Synapse, store: Path) -> Config:
    config = load_config(
        None, env={"KLBOT_DATABASE_URL": db_url, "KLBOT_MATRIX_PASSWORD": BOT_PASSWORD}
    )
    matrix = config.matrix.model_copy(
        update={
            "enabled": True,
            "homeserver": synapse.url,
            "user_id": "@klbot:localhost",
            "store_path": str(store),
            "group_invites_from": ["@staff:localhost"],
        }
    )
    roles = config.roles.model_copy(update={"staff": ["console:staff"]})
    return config.model_copy(update={"matrix": matrix, "roles": roles})


@pytest.fixture
async def matrix(synapse: Synapse, db_url: str, tmp_path: Path) -> AsyncIterator[MatrixWorld]:
    world = MatrixWorld(synapse, matrix_config(db_url, synapse, tmp_path / "store"), tmp_path)
    await world.start_klbot()
    try:
        yield world
    finally:
        if world.task is not None:
            await world.stop_klbot()
        for citizen in world.citizens:
            await citizen.close()
