"""A citizen on the test homeserver, with matrix-nio: opens a chat with klbot, talks, reads."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    DownloadResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomEncryptedFile,
    RoomMemberEvent,
    RoomMessageFile,
    RoomMessageNotice,
    RoomSendResponse,
    SyncResponse,
)
from nio.crypto.attachments import decrypt_attachment


class Citizen:
    """One Matrix user talking to klbot in one room."""

    def __init__(self, homeserver: str, user_id: str, password: str, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            homeserver,
            user_id,
            store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
        )
        self.password = password
        self.room_id = ""
        self.notices: list[RoomMessageNotice] = []
        self.files: list[RoomMessageFile | RoomEncryptedFile] = []
        self.undecryptable = 0

    async def login(self) -> None:
        response = await self.client.login(self.password, device_name="citizen")
        assert response.__class__.__name__ == "LoginResponse", response
        await self.sync(timeout=0)

    async def close(self) -> None:
        await self.client.close()

    async def sync(self, timeout: int = 1000) -> SyncResponse:
        response = await self.client.sync(timeout=timeout)
        assert isinstance(response, SyncResponse), response
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        if self.client.should_query_keys:
            await self.client.keys_query()
        if self.client.should_claim_keys:
            await self.client.keys_claim(self.client.get_users_for_key_claiming())
        await self.client.send_to_device_messages()
        for room_id, room in response.rooms.join.items():
            if room_id != self.room_id:
                continue
            for event in room.timeline.events:
                if isinstance(event, RoomMessageNotice) and event.sender != self.client.user_id:
                    self.notices.append(event)
                elif isinstance(event, RoomMessageFile | RoomEncryptedFile):
                    self.files.append(event)
                elif isinstance(event, MegolmEvent):
                    self.undecryptable += 1
        return response

    async def open_chat(
        self, bot: str, *, encrypted: bool = False, direct: bool = True, wait: bool = True
    ) -> str:
        initial_state: list[dict[str, Any]] = []
        if encrypted:
            initial_state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        response = await self.client.room_create(
            is_direct=direct,
            invite=[bot],
            initial_state=initial_state,
        )
        assert isinstance(response, RoomCreateResponse), response
        self.room_id = response.room_id
        while self.room_id not in self.client.rooms:
            await self.sync(timeout=0)
        if wait:
            await self.wait_for_member(bot)
        return self.room_id

    async def wait_for_member(self, user: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = await self.sync()
            room = response.rooms.join.get(self.room_id)
            if room and any(
                isinstance(e, RoomMemberEvent) and e.state_key == user and e.membership == "join"
                for e in room.timeline.events
            ):
                return
            if user in self.client.rooms[self.room_id].users:
                return
        raise AssertionError(f"{user} did not join {self.room_id}")

    async def say(self, text: str, msgtype: str = "m.text") -> None:
        response = await self.client.room_send(
            self.room_id,
            "m.room.message",
            {"msgtype": msgtype, "body": text},
            ignore_unverified_devices=True,
        )
        assert isinstance(response, RoomSendResponse), response

    async def replies(self, count: int = 1, timeout: float = 30) -> list[RoomMessageNotice]:
        """The next ``count`` notices from klbot in the room."""
        start = len(self.notices)
        deadline = time.monotonic() + timeout
        while len(self.notices) - start < count and time.monotonic() < deadline:
            await self.sync()
        fresh = self.notices[start:]
        if len(fresh) < count:
            raise AssertionError(f"expected {count} replies, got {[n.body for n in fresh]}")
        return fresh

    async def file(self, timeout: float = 30) -> tuple[str, bytes]:
        """The next file klbot sends: its name and content (decrypted if it came encrypted)."""
        start = len(self.files)
        deadline = time.monotonic() + timeout
        while len(self.files) == start and time.monotonic() < deadline:
            await self.sync()
        if len(self.files) == start:
            raise AssertionError("klbot sent no file")
        event = self.files[start]
        response = await self.client.download(mxc=event.url)
        assert isinstance(response, DownloadResponse), response
        data = response.body
        if isinstance(event, RoomEncryptedFile):
            data = decrypt_attachment(data, event.key["k"], event.hashes["sha256"], event.iv)
        return event.body, data

    async def ask(self, text: str, count: int = 1, timeout: float = 30) -> str:
        await self.say(text)
        return "\n\n".join(notice.body for notice in await self.replies(count, timeout))

    async def quiet(self, seconds: float = 3) -> list[str]:
        """Whatever klbot says within ``seconds`` (expected: nothing)."""
        start = len(self.notices)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self.sync(timeout=500)
            await asyncio.sleep(0)
        return [n.body for n in self.notices[start:]]
