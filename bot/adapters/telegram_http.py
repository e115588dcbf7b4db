"""The Bot API's HTTP client: python-telegram-bot's requests through aiohttp.

httpx (python-telegram-bot's default) spends time per request that grows with the number
of open connections; with the dozens of sends a paid broadcast keeps in flight, klbot's
CPU, not Telegram's limit, would set the pace. aiohttp keeps it flat.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


def _seconds(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


class AiohttpRequest(BaseRequest):
    """Requests to the Bot API over one aiohttp session with up to ``connections`` open."""

    def __init__(
        self, connections: int = 16, *, connect_timeout: float = 10, read_timeout: float = 20
    ) -> None:
        self.connections = connections
        self._connect, self._read = connect_timeout, read_timeout
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"User-Agent": self.USER_AGENT}
        self._json_headers = self._headers | {"Content-Type": "application/json"}

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = _seconds(read_timeout, self._read)
        write = _seconds(write_timeout, self._read)
        timeout = aiohttp.ClientTimeout(
            sock_connect=_seconds(connect_timeout, self._connect),
            sock_read=max(read or 0, write or 0) or None,
        )
        body: Any = None
        headers = self._headers
        if request_data is not None and request_data.contains_files:
            body = aiohttp.FormData()
            for name, value in (request_data.json_parameters or {}).items():
                body.add_field(name, value)
            for name, part in request_data.multipart_data.items():
                filename, content, *mime = part
                body.add_field(
                    name,
                    content,
                    filename=filename,
                    content_type=mime[0] if mime else "application/octet-stream",
                )
        elif request_data is not None:  # JSON (nested objects as objects): no form encoding
            body, headers = json.dumps(request_data.parameters), self._json_headers
        try:
            async with self._session.request(
                method, url, data=body, timeout=timeout, headers=headers
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
