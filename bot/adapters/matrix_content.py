"""What klbot sends to Matrix: the event contents of a reply and of a file."""

from __future__ import annotations

import html
import json
from typing import Any

from bot.adapters.formatting import split_text, with_choices
from bot.core.events import Attachment, Reply

MAX_EVENT_BYTES = 60_000
"""Matrix allows 65,536 bytes per event, envelope and signatures included."""


def _content(part: str) -> dict[str, str]:
    return {
        "msgtype": "m.notice",
        "body": part,
        "format": "org.matrix.custom.html",
        "formatted_body": html.escape(part).replace("\n", "<br>"),
    }


def _event_bytes(part: str) -> int:
    return len(json.dumps(_content(part), ensure_ascii=False).encode("utf-8", "surrogatepass"))


def message_contents(reply: Reply) -> list[dict[str, str]]:
    """The ``m.notice`` contents a reply is sent as (buttons as numbered choices), split at
    paragraphs where one event would exceed Matrix's size limit."""
    parts = split_text(with_choices(reply), MAX_EVENT_BYTES, size=_event_bytes)
    return [_content(part) for part in parts]


def shown(text: str) -> list[str]:
    """What a Matrix client shows for ``text`` sent as the adapter sends it: one entry per
    event, its ``formatted_body`` read back as the reader sees it (for previews)."""
    return [
        "\n".join(html.unescape(line) for line in content["formatted_body"].split("<br>"))
        for content in message_contents(Reply(text))
    ]


def file_content(file: Attachment, uri: str, keys: dict[str, Any] | None) -> dict[str, Any]:
    """An ``m.file`` content for an uploaded file (``keys``: its decryption info, when it
    was uploaded encrypted for an encrypted room)."""
    content: dict[str, Any] = {
        "msgtype": "m.file",
        "body": file.name,
        "filename": file.name,
        "info": {"mimetype": file.mime_type, "size": len(file.data)},
    }
    if keys is not None:
        content["file"] = {**keys, "url": uri}
    else:
        content["url"] = uri
    return content
