"""The web console under load: the feedback inbox with 100,000 pieces of feedback (a
year's worth) and the start page's charts, over HTTP, signed in as staff; the inbox
filtered, paged and searched (a word in 30 % of the feedback, two words, a word in
capitals with an umlaut).

Usage: .venv/bin/python -m bench.web [ROWS] [REQUESTS] [DATABASE_URL]
(targets: inbox p95 ≤ 200 ms per page; start page with its charts p95 ≤ 300 ms;
DATABASE_URL: an empty database to fill, e.g. a PostgreSQL one; default: SQLite in a
temporary folder)
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from aiohttp import ClientSession, CookieJar, web

from bot.runtime.app import App
from bot.runtime.config import load_config
from bot.web.server import console
from handlers.web.service import login_link
from storage import people
from storage.models import AnswerLog, Feedback, UnansweredQuestion

STAFF = "console:bench"
WORDS = [
    "Radweg",
    "Bank",
    "Licht",
    "Spielplatz",
    "WLAN",
    "Parkplatz",
    "Bus",
    "Müll",
    "Baustelle",
    "Schule",
]
TOPICS = ["general", "bot", "general", "general"]


async def fill(app: App, rows: int) -> None:
    """``rows`` pieces of feedback over the last year, and two weeks of questions."""
    now, rng = datetime.now(UTC), random.Random(7)
    async with app.sessions() as session, session.begin():
        person = await people.get_or_create_person(session, identity="console:citizen")
        person_id = person.id
    for start in range(0, rows, 10_000):
        async with app.sessions() as session, session.begin():
            session.add_all(
                Feedback(
                    reference=f"F-B{number:07d}",
                    person_id=person_id,
                    platform="console",
                    topic=rng.choice(TOPICS),
                    rating=rng.choice([None, 1, 2, 3, 4, 5]),
                    text=f"Rückmeldung {number}: {' '.join(rng.sample(WORDS, 3))}",
                    language="de",
                    may_contact=rng.random() < 0.5,
                    status=rng.choice(["new", "read", "answered", "closed"]),
                    created_at=now - timedelta(minutes=rng.randrange(365 * 24 * 60)),
                )
                for number in range(start, min(rows, start + 10_000))
            )
    async with app.sessions() as session, session.begin():
        session.add_all(
            AnswerLog(
                entry_id="rombach",
                language="de",
                helpful=rng.choice([None, True, False]),
                created_at=now - timedelta(minutes=rng.randrange(14 * 24 * 60)),
            )
            for _ in range(20_000)
        )
        session.add_all(
            UnansweredQuestion(
                text=f"Frage {n % 40}",
                normalised=f"frage {n % 40}",
                language="de",
                created_at=now - timedelta(minutes=rng.randrange(14 * 24 * 60)),
            )
            for n in range(5_000)
        )


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] * 1000


async def timed(client: ClientSession, url: str) -> float:
    start = time.perf_counter()
    async with client.get(url) as response:
        await response.read()
        assert response.status == 200, (url, response.status)
    return time.perf_counter() - start


async def main(rows: int, requests: int, database: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = database or f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        config = load_config(None, env={"KLBOT_DATABASE_URL": database})
        config = config.model_copy(
            update={
                "roles": config.roles.model_copy(update={"staff": [STAFF]}),
                "web": config.web.model_copy(update={"enabled": True}),
                "knowledge": config.knowledge.model_copy(update={"embeddings": False}),
            }
        )
        async with App.open(config) as app:
            began = time.perf_counter()
            await fill(app, rows)
            print(f"filled {rows:,} feedback rows in {time.perf_counter() - began:.1f} s")
            runner = web.AppRunner(console(app), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            base = f"http://127.0.0.1:{port}"
            async with app.sessions() as session, session.begin():
                link = await login_link(session, config, STAFF)
            assert link is not None
            async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as client:
                token = urlsplit(link).path.rsplit("/", 1)[1]
                async with client.post(f"{base}/web/login", data={"token": token}) as signed:
                    assert signed.status == 200
                pages = rows // 25
                addresses = [
                    "/web/feedback",
                    "/web/feedback?status=all",
                    "/web/feedback?status=all&topic=bot&rating=4",
                    "/web/feedback?status=all&q=radweg",
                    "/web/feedback?status=all&q=radweg+licht",
                    "/web/feedback?q=M%C3%9CLL",
                    "/web/feedback?status=all&from=2025-01-01&until=2030-12-31",
                ]
                each: dict[str, list[float]] = {address: [] for address in addresses}
                rng = random.Random(1)
                for n in range(requests):
                    address = addresses[n % len(addresses)]
                    joined = "&" if "?" in address else "?"
                    page = rng.randrange(1, max(2, pages // 4))
                    each[address].append(await timed(client, f"{base}{address}{joined}page={page}"))
                loads = max(10, requests // 10)
                start = [await timed(client, f"{base}/web/") for _ in range(loads)]
            await runner.cleanup()
    for address, times in each.items():
        median, worst = statistics.median(times) * 1000, p95(times)
        print(f"  {address}: median {median:.0f} ms, p95 {worst:.0f} ms")
    inbox = [took for times in each.values() for took in times]
    median, worst = statistics.median(inbox) * 1000, p95(inbox)
    print(f"inbox, {requests} pages: median {median:.0f} ms, p95 {worst:.0f} ms (target ≤ 200 ms)")
    median, worst = statistics.median(start) * 1000, p95(start)
    print(f"start page, {len(start)} loads: median {median:.0f} ms, p95 {worst:.0f} ms (≤ 300 ms)")


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
            int(sys.argv[2]) if len(sys.argv) > 2 else 280,
            sys.argv[3] if len(sys.argv) > 3 else None,
        )
    )
