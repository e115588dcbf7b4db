"""klbot running in the test's event loop with its platform adapters, started and stopped."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager

from bot.runtime.app import App
from bot.runtime.config import Config


class RunningKlbot:
    """Base of the end-to-end worlds: ``start_klbot`` waits until every adapter runs."""

    config: Config
    app: App | None = None
    task: asyncio.Task[None] | None = None

    async def start_klbot(self, config: Config | None = None) -> App:
        self.stop = asyncio.Event()
        self._context: AbstractAsyncContextManager[App] = App.open(config or self.config)
        self.app = await self._context.__aenter__()
        ready = asyncio.Event()
        self.task = asyncio.create_task(
            self.app.serve(self.app.platform_adapters(), self.stop, ready)
        )
        waiting = asyncio.create_task(ready.wait())
        await asyncio.wait([waiting, self.task], timeout=60, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if self.task.done():
            self.task.result()  # raises what made klbot stop while starting
            raise RuntimeError("klbot stopped while starting")
        if not ready.is_set():
            raise TimeoutError("klbot did not start within 60 s")
        return self.app

    async def stop_klbot(self) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 30)
            self.task = None
        await self._context.__aexit__(None, None, None)
