"""``/healthz`` and ``/metrics`` on a local port, for a load balancer and for Prometheus."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.adapters import Adapter
from bot.runtime.metrics import Metrics


async def serve_operations(
    listen: str,
    port: int,
    metrics: Metrics,
    adapters: Sequence[Adapter],
    database_ok: Callable[[], Awaitable[bool]],
) -> web.AppRunner:
    """Start the operations endpoints; ``cleanup()`` the returned runner to stop them.

    ``/healthz`` answers 200 when the database and every adapter are up, 503 otherwise,
    with each one's state as JSON."""

    async def healthz(request: web.Request) -> web.Response:
        states = {a.platform: "up" if a.connected else "down" for a in adapters}
        states["database"] = "up" if await database_ok() else "down"
        healthy = all(state == "up" for state in states.values())
        body = json.dumps({"status": "ok" if healthy else "degraded", **states})
        return web.Response(
            text=body, content_type="application/json", status=200 if healthy else 503
        )

    async def metrics_page(request: web.Request) -> web.Response:
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, listen, port).start()
    return runner
