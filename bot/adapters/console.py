"""The console adapter: chat with klbot in a terminal, or script it through stdin."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from typing import TextIO

from bot.adapters import MessageHandler, UpdateHandler
from bot.adapters.formatting import with_choices
from bot.core.events import Attachment, Identity, Incoming, Reply, Surface
from bot.core.i18n import language_from_hint

SURFACE = Surface(buttons=False, push=False)
PROMPT = "du> "
BOT = "klbot> "


class ConsoleAdapter:
    """One console user talking to klbot over stdin and stdout; an :class:`Adapter` whose
    replies are shown as each message is answered (it cannot push)."""

    platform = "console"
    surface = SURFACE
    idempotent = False
    connected = ready = True

    def __init__(
        self,
        user: str,
        *,
        language: str | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.identity = Identity("console", user)
        self.language = language_from_hint(language)
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.interactive = self.stdin.isatty() and self.stdout.isatty()
        self.finished = asyncio.Event()
        """Set when the input has ended."""
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, handle: UpdateHandler) -> None:
        """Read and answer messages in the background until the input ends."""

        async def conversation() -> None:
            try:
                await self.converse(handle, self._stop)
            finally:
                self.finished.set()

        self._task = asyncio.create_task(conversation(), name="console")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    def incoming(self, text: str) -> Incoming:
        """A console message from this adapter's user."""
        return Incoming(chat=self.identity, sender=self.identity, text=text, language=self.language)

    async def send(
        self,
        chat: Identity,
        reply: Reply,
        key: str = "",
        *,
        paid: bool = False,
        edits: str | None = None,
    ) -> str | None:
        prefix = BOT if self.interactive else ""
        self.stdout.write(prefix + with_choices(reply) + "\n\n")
        if reply.attachment is not None:
            self.stdout.write(attachment_as_text(reply.attachment) + "\n")
        self.stdout.flush()
        return None

    async def converse(self, handle: MessageHandler, stop: asyncio.Event | None = None) -> None:
        """Read messages until end of input (or ``stop``), answering each in turn."""
        stop = stop or asyncio.Event()
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        ready = threading.Event()
        loop = asyncio.get_running_loop()
        reader = threading.Thread(
            target=self._read_lines, args=(loop, lines, ready), daemon=True, name="console-input"
        )
        reader.start()
        stopped = asyncio.create_task(stop.wait())
        try:
            while True:
                ready.set()
                next_line = asyncio.create_task(lines.get())
                done, _ = await asyncio.wait(
                    {next_line, stopped}, return_when=asyncio.FIRST_COMPLETED
                )
                if stopped in done:
                    next_line.cancel()
                    return
                line = next_line.result()
                if line is None:
                    return
                for reply in await handle(self.incoming(line), SURFACE):
                    await self.send(self.identity, reply)
        finally:
            stopped.cancel()

    def _read_lines(
        self,
        loop: asyncio.AbstractEventLoop,
        lines: asyncio.Queue[str | None],
        ready: threading.Event,
    ) -> None:
        if self.interactive:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401  (line editing and history for input())
        binary = getattr(self.stdin, "buffer", None)
        while True:
            ready.wait()
            ready.clear()
            try:
                if self.interactive:
                    line: str | None = input(PROMPT)
                else:
                    raw = binary.readline() if binary is not None else self.stdin.readline()
                    if not raw:
                        line = None
                    elif isinstance(raw, bytes):
                        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                    else:
                        line = raw.rstrip("\r\n")
            except (EOFError, KeyboardInterrupt, OSError, ValueError):
                line = None
                if self.interactive:
                    self.stdout.write("\n")
            loop.call_soon_threadsafe(lines.put_nowait, line)
            if line is None:
                return


def attachment_as_text(attachment: Attachment) -> str:
    """A file as a message, for where files cannot be sent: its name, then its content."""
    return f"{attachment.name}\n\n{attachment.data.decode('utf-8', errors='replace')}"
