"""Memory of one ``klbot run`` process with both platforms up and 100,000 subscribers.

Usage: .venv/bin/python -m bench.memory [SUBSCRIBERS]
Starts a Synapse homeserver and the telegram-test-api emulator on 127.0.0.1 (as the tests
do), fills a SQLite database with SUBSCRIBERS (100,000) Telegram subscribers, starts
``klbot run`` with both adapters, and reads the process's resident memory (VmRSS) once
both adapters are up, then while it delivers a broadcast to all of them (written by
``klbot announce``) for 60 s; prints the median and peak (target ≤ 150 MB RSS).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bot.runtime.app import App
from bot.runtime.config import load_config
from storage import people, subscriptions
from tests.matrix.conftest import BOT_PASSWORD
from tests.matrix.synapse import Synapse
from tests.telegram.compat import CompatProxy
from tests.telegram.conftest import Emulator, free_port

KLBOT = Path(sys.executable).parent / "klbot"


def rss_mb(pid: int) -> float:
    """The resident memory of process ``pid`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return bool(json.load(answer)["status"] == "ok")
    except OSError:
        return False


async def fill(url: str, subscribers: int) -> None:
    config = load_config(None, env={"KLBOT_DATABASE_URL": url})
    async with App.open(config) as app, app.sessions() as session, session.begin():
        for number in range(subscribers):
            chat = f"telegram:{1_000_000 + number}"
            person = await people.get_or_create_person(session, identity=chat)
            await subscriptions.subscribe(
                session, chat=chat, person_id=person.id, topic="all", language="de"
            )
            if number % 5000 == 4999:
                await session.flush()
                session.expunge_all()


async def main(subscribers: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        synapse = Synapse(Path(folder) / "synapse", free_port())
        synapse.start()
        synapse.register("klbot", BOT_PASSWORD)
        emulator = Emulator()
        emulator.start()
        proxy = CompatProxy(emulator.url)
        proxy_url = await proxy.start()
        url = f"sqlite+aiosqlite:///{folder}/klbot.sqlite3"
        print(f"filling {subscribers:,} subscribers …", flush=True)
        await fill(url, subscribers)
        port = free_port()
        config = Path(folder) / "klbot.toml"
        config.write_text(
            f'[storage]\nurl = "{url}"\n'
            f'[telegram]\nenabled = true\ntoken = "12345:BENCH"\nbase_url = "{proxy_url}/bot"\n'
            f'base_file_url = "{proxy_url}/file/bot"\n'
            f'[matrix]\nenabled = true\nhomeserver = "{synapse.url}"\n'
            f'user_id = "@klbot:localhost"\npassword = "{BOT_PASSWORD}"\n'
            f'store_path = "{folder}/matrix-store"\n'
            f'[operations]\nport = {port}\n[logging]\nlevel = "WARNING"\n'
        )
        run = await asyncio.create_subprocess_exec(
            str(KLBOT), "--config", str(config), "run", stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 120
            while not healthy(port):
                if time.monotonic() > deadline:
                    raise RuntimeError("klbot did not become healthy within 120 s")
                await asyncio.sleep(0.5)
            await asyncio.sleep(2)
            idle = rss_mb(run.pid)
            announce = await asyncio.create_subprocess_exec(
                str(KLBOT),
                "--config",
                str(config),
                "announce",
                "--audience",
                "all",
                "--text",
                "Neuigkeit von KL.digital",
                "--no-wait",
                stdout=subprocess.DEVNULL,
            )
            await announce.wait()
            samples = []
            for _ in range(300):
                samples.append(rss_mb(run.pid))
                await asyncio.sleep(0.2)
        finally:
            run.terminate()
            await run.wait()
            await proxy.stop()
            emulator.stop()
            synapse.stop()
    print(f"klbot run, Telegram + Matrix up, {subscribers:,} subscribers:")
    print(f"  idle:                      {idle:6.1f} MB RSS")
    print(
        f"  delivering the broadcast:  median {statistics.median(samples):6.1f} MB, "
        f"peak {max(samples):6.1f} MB RSS"
    )
    print("target: ≤ 150 MB RSS")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
