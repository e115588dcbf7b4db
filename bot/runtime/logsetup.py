"""Logging for ``klbot run``: plain lines or one JSON object per line."""

from __future__ import annotations

import logging

from bot.runtime.config import LoggingSection

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("httpx", "httpcore", "aiohttp.access", "nio", "apscheduler.executors.default")
"""Libraries whose INFO lines carry URLs with tokens, ids or message content."""


def configure(settings: LoggingSection) -> None:
    """Send log records to standard error at the configured level and format."""
    handler = logging.StreamHandler()
    if settings.format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
