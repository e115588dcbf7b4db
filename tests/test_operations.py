"""Operations: /healthz and /metrics on a local port, JSON logs."""

from __future__ import annotations

import asyncio
import json
import logging
import socket

import aiohttp
import pytest

from bot.runtime.app import App
from bot.runtime.config import Config, LoggingSection
from bot.runtime.logsetup import configure
from bot.runtime.metrics import Metrics
from bot.runtime.operations import serve_operations
from storage import db
from tests.harness import Chat


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_health_and_metrics_while_klbot_runs(config: Config) -> None:
    port = free_port()
    config = config.model_copy(
        update={"operations": config.operations.model_copy(update={"port": port})}
    )
    async with App.open(config) as app:
        stop, ready = asyncio.Event(), asyncio.Event()
        serving = asyncio.create_task(app.serve([], stop, ready))
        await asyncio.wait_for(ready.wait(), 30)
        try:
            chat = Chat(app.dispatcher)
            assert "Rombach" in await chat.ask("Wer ist der CDO?")
            await chat.ask("Wie wird das Wetter morgen?")
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
                async with http.get("/healthz") as response:
                    assert response.status == 200
                    assert json.loads(await response.text()) == {
                        "status": "ok",
                        "database": "up",
                    }
                async with http.get("/metrics") as response:
                    metrics = await response.text()
        finally:
            stop.set()
            await serving
    assert 'klbot_updates_handled_total{platform="telegram"} 2.0' in metrics
    assert 'klbot_questions_total{outcome="answered"} 1.0' in metrics
    assert 'klbot_questions_total{outcome="declined"} 1.0' in metrics
    assert "klbot_send_seconds" in metrics


class Disconnected:
    platform = "matrix"
    connected = False
    ready = True


async def test_health_reports_a_lost_database_and_a_disconnected_platform() -> None:
    port = free_port()
    gone = db.make_engine("postgresql+asyncpg://postgres@127.0.0.1:5432/klbot_no_such_database")
    runner = await serve_operations(
        "127.0.0.1",
        port,
        Metrics(),
        [Disconnected()],  # type: ignore[list-item]
        lambda: db.reachable(gone),
    )
    try:
        async with (
            aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http,
            http.get("/healthz") as response,
        ):
            assert response.status == 503
            assert json.loads(await response.text()) == {
                "status": "degraded",
                "matrix": "down",
                "database": "down",
            }
    finally:
        await runner.cleanup()
        await gone.dispose()


def test_json_logs_are_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure(LoggingSection(level="INFO", format="json"))
        logging.getLogger("klbot.test").info("announcement %s sent", 7)
    finally:
        root.handlers[:], root.level = handlers, level
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["message"] == "announcement 7 sent"
    assert record["level"] == "INFO" and record["logger"] == "klbot.test"
