"""Resident memory the embedding model adds to a klbot process.

Usage: .venv/bin/python -m bench.model_memory
Runs klbot (the application with its dispatcher, on a fresh SQLite database) in two
child processes, once with ``[knowledge] embeddings = true`` and once with ``false``;
each answers the same ten questions, then prints its peak resident memory. Target: the
model adds ≤ 100 MB.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile

CHILD = """
import asyncio, resource, sys
from bot.runtime.app import App
from bot.runtime.config import load_config
from bot.core.events import Surface
from bot.core.events import Identity, Incoming

QUESTIONS = ["Wer ist der CDO?", "who runs the city's digital company?", "Was macht KL.digital?",
    "Gibt es freies WLAN?", "Wie wird das Wetter?", "Who is the mayor?", "Was kostet das?",
    "Wer leitet die Stabsstelle?", "Welche Projekte gibt es?", "How old is Rombach?"]

async def main() -> None:
    config = load_config(None, env={"KLBOT_DATABASE_URL": sys.argv[1]})
    knowledge = config.knowledge.model_copy(update={"embeddings": sys.argv[2] == "true"})
    config = config.model_copy(update={"knowledge": knowledge})
    async with App.open(config) as app:
        who = Identity.parse("console:bench")
        for question in QUESTIONS:
            await app.dispatcher.handle(Incoming(chat=who, sender=who, text=question),
                                        Surface(buttons=True, username="klbot"))
        mode = await app.services.knowledge.mode()
    print(mode, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

asyncio.run(main())
"""


def peak_mb(embeddings: bool) -> tuple[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/klbot.sqlite3"
        done = subprocess.run(
            [sys.executable, "-c", CHILD, url, str(embeddings).lower()],
            capture_output=True,
            text=True,
            check=True,
        )
    mode, peak = done.stdout.split()
    return mode, float(peak)


def main() -> None:
    lexical = peak_mb(False)
    hybrid = peak_mb(True)
    print(f"{lexical[0]}: peak RSS {lexical[1]:.0f} MB")
    print(f"{hybrid[0]}: peak RSS {hybrid[1]:.0f} MB")
    print(f"the model adds {hybrid[1] - lexical[1]:.0f} MB (target ≤ 100 MB)")


if __name__ == "__main__":
    main()
