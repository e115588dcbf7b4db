"""A Matrix homeserver fake that behaves like Synapse where delivery notices it: each
message send takes ``latency`` seconds (half on the way there, half back), the account's
messages are rate-limited as Synapse's ``rc_message`` does it (a leaky bucket of
``burst`` messages draining at ``per_second``; beyond it HTTP 429 ``M_LIMIT_EXCEEDED``
with ``retry_after_ms``), and a resend with the same transaction id gets the first
event's id back without counting again. Only what klbot's adapter needs to send: a first
sync that lists ``rooms`` (unencrypted, klbot joined), later syncs that stay empty, the
key upload of a new device, and ``PUT /rooms/{room}/send/m.room.message/{txn}``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from typing import Any

from aiohttp import web

API = "/_matrix/client/v3"


class HomeserverFake:
    """Accepts ``per_second`` messages a second with a burst of ``burst``; 429 beyond."""

    def __init__(
        self, per_second: float, *, burst: int | None = None, latency: float = 0.0, rooms: int = 0
    ) -> None:
        self.per_second, self.burst = per_second, burst or max(1, int(per_second))
        self.latency = latency
        self.rooms = [f"!room{number}:fake.local" for number in range(rooms)]
        self.events: dict[tuple[str, str], str] = {}
        """The event id each (room, transaction id) got."""
        self.sent: list[tuple[float, str]] = []
        """(arrival, room) of every message accepted."""
        self.by_room: Counter[str] = Counter()
        self.refused = 0
        self.resent = 0
        """Sends recognised as a resend by their transaction id (not shown twice)."""
        self.in_flight = self.most_in_flight = 0
        self._level = 0.0
        self._checked = time.monotonic()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get(f"{API}/sync", self.sync)
        app.router.add_post(f"{API}/keys/upload", self.keys_upload)
        app.router.add_post(f"{API}/keys/query", self.empty)
        app.router.add_post(f"{API}/keys/claim", self.empty)
        app.router.add_put(f"{API}/rooms/{{room}}/send/{{kind}}/{{txn}}", self.send)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self.url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def sync(self, request: web.Request) -> web.Response:
        if "since" in request.query:  # nothing new: hold the long poll, as a server does
            await asyncio.sleep(min(float(request.query.get("timeout", 0)) / 1000, 30))
            return web.json_response({"next_batch": "s1"})
        joined = {
            room: {"timeline": {"events": [], "limited": False, "prev_batch": "p0"}}
            for room in self.rooms
        }
        return web.json_response({"next_batch": "s1", "rooms": {"join": joined}})

    async def keys_upload(self, request: web.Request) -> web.Response:
        return web.json_response({"one_time_key_counts": {"signed_curve25519": 50}})

    async def empty(self, request: web.Request) -> web.Response:
        return web.json_response({"device_keys": {}, "one_time_keys": {}, "failures": {}})

    async def send(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency / 2)  # on the way to the homeserver
            answer = self._answer(request.match_info["room"], request.match_info["txn"])
            await asyncio.sleep(self.latency / 2)  # and back
            return answer
        finally:
            self.in_flight -= 1

    def _answer(self, room: str, txn: str) -> web.Response:
        known = self.events.get((room, txn))
        if known is not None:  # Synapse's transaction cache: the same event, not a new one
            self.resent += 1
            return web.json_response({"event_id": known})
        now = time.monotonic()
        self._level = max(0.0, self._level - (now - self._checked) * self.per_second)
        self._checked = now
        if self._level + 1 > self.burst:
            self.refused += 1
            wait_ms = math.ceil((self._level + 1 - self.burst) / self.per_second * 1000)
            body: dict[str, Any] = {
                "errcode": "M_LIMIT_EXCEEDED",
                "error": "Too Many Requests",
                "retry_after_ms": wait_ms,
            }
            return web.json_response(body, status=429)
        self._level += 1
        event_id = f"$event{len(self.sent)}"
        self.events[room, txn] = event_id
        self.sent.append((now, room))
        self.by_room[room] += 1
        return web.json_response({"event_id": event_id})
