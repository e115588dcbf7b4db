"""A citizen on the emulated Telegram: sends messages, presses buttons, reads the bot's replies."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import ClientSession


class TelegramUser:
    """Talks to telegram-test-api's client side, as one user in a private chat."""

    def __init__(
        self,
        emulator: str,
        token: str,
        user_id: int,
        first_name: str = "Ana",
        language: str = "de",
        group: int | None = None,
    ) -> None:
        self.emulator, self.token, self.user_id = emulator, token, user_id
        self.first_name, self.language = first_name, language
        self.chat_id = group if group is not None else user_id
        self.chat_type = "group" if group is not None else "private"
        self.seen: list[dict[str, Any]] = []

    def _common(self) -> dict[str, Any]:
        user = {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language,
        }
        chat = {"id": self.chat_id, "type": self.chat_type, "first_name": self.first_name}
        return {"botToken": self.token, "date": int(time.time()), "from": user, "chat": chat}

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        async with (
            ClientSession() as client,
            client.post(f"{self.emulator}{path}", json=body) as response,
        ):
            return await response.json(content_type=None)

    async def send(self, text: str) -> None:
        body = self._common() | {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            body["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
            await self._post("/sendCommand", body)
        else:
            await self._post("/sendMessage", body)

    async def press(self, label: str) -> None:
        """Press the button labelled ``label`` under the bot's latest message that has it."""
        for message in reversed(self.seen):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        common = self._common()
                        message = {"from": common["from"], "chat": common["chat"]}
                        await self._post(
                            "/sendCallback",
                            {**common, "message": message, "data": button["callback_data"]},
                        )
                        return
        raise AssertionError(f"no button {label!r} in {self.seen[-3:]!r}")

    async def replies(self, count: int = 1, timeout: float = 20) -> list[dict[str, Any]]:
        """Wait for ``count`` new messages from the bot; returns them (text, reply_markup)."""
        fresh: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(fresh) < count and time.monotonic() < deadline:
            body = await self._post("/getUpdates", {"token": self.token, "chatId": self.chat_id})
            fresh += [update["message"] for update in body.get("result", [])]
            if len(fresh) < count:
                await asyncio.sleep(0.05)
        self.seen += fresh
        if len(fresh) < count:
            raise AssertionError(f"expected {count} replies, got {fresh!r}")
        return fresh

    async def ask(self, text: str, count: int = 1) -> str:
        """Send ``text`` and return the texts of the next ``count`` replies, joined."""
        await self.send(text)
        return "\n\n".join(m["text"] for m in await self.replies(count))

    def buttons(self) -> list[str]:
        markup = (self.seen[-1].get("reply_markup") or {}) if self.seen else {}
        return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
