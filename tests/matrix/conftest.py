"""Fixtures: a real Synapse on 127.0.0.1 for the session, klbot and citizens per test."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.runtime.config import Config, load_config
from tests.matrix.citizen import Citizen
from tests.matrix.synapse import Synapse
from tests.running import RunningKlbot
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
class MatrixWorld(RunningKlbot):
    synapse: Synapse
    config: Config
    folder: Path
    bot: str = "@klbot:localhost"
    citizens: list[Citizen] = field(default_factory=list)

    async def citizen(self, name: str = "ana") -> Citizen:
        user = f"{name}{secrets.token_hex(3)}"
        password = secrets.token_hex(8)
        user_id = self.synapse.register(user, password)
        citizen = Citizen(self.synapse.url, user_id, password, self.folder / user)
        await citizen.login()
        self.citizens.append(citizen)
        return citizen


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
async def matrix(
    synapse: Synapse, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[MatrixWorld]:
    """klbot on Synapse; parametrised indirectly, a dict of [matrix] settings."""
    config = matrix_config(db_url, synapse, tmp_path / "store")
    settings = getattr(request, "param", {})
    config = config.model_copy(update={"matrix": config.matrix.model_copy(update=settings)})
    world = MatrixWorld(synapse, config, tmp_path)
    await world.start_klbot()
    try:
        yield world
    finally:
        if world.task is not None:
            await world.stop_klbot()
        for citizen in world.citizens:
            await citizen.close()
