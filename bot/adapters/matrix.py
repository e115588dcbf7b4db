"""Matrix through matrix-nio: rooms in, ``m.notice`` replies out, end-to-end encryption included.

klbot runs its own sync loop: the sync token is stored only after every event of a
batch is handled and its replies are in the outbox, so a restart neither replays nor
loses messages. On the very first start it skips the history of rooms it is already in.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)
from nio.exceptions import LocalProtocolError

from bot.adapters import (
    KeyValueStore,
    PermanentError,
    RateLimited,
    RecipientGone,
    TransientError,
    UpdateHandler,
)
from bot.adapters.matrix_content import file_content, message_contents
from bot.adapters.matrix_events import invitation, since_joining, translate
from bot.core.events import Attachment, Identity, Reply, Surface
from bot.runtime.config import ConfigError, MatrixSection

log = logging.getLogger(__name__)

SYNC_TIMEOUT_MS = 25_000
TOKEN_KEY, DEVICE_KEY, WAITING_KEY = "matrix:next_batch", "matrix:device_id", "matrix:undecrypted"
SURFACE = Surface(buttons=False)


def replacement(content: dict[str, Any], event_id: str) -> dict[str, Any]:
    """``content`` as an edit of event ``event_id`` (``m.replace``: clients show the new
    text in place of the old one)."""
    edit = {key: value for key, value in content.items() if key != "m.relates_to"}
    starred = {
        key: f"* {value}" for key, value in edit.items() if key in ("body", "formatted_body")
    }
    return {
        **edit,
        **starred,
        "m.new_content": edit,
        "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
    }


def translate_error(response: Any) -> Exception:
    """A matrix-nio error response as one of klbot's neutral outcomes."""
    code = getattr(response, "status_code", None) or ""
    message = getattr(response, "message", "") or str(response)
    if code == "M_LIMIT_EXCEEDED":
        retry_ms = getattr(response, "retry_after_ms", None) or 1000
        return RateLimited(retry_ms / 1000)
    if code in ("M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_ROOM"):
        return RecipientGone(f"{code}: {message}")
    if code.startswith("M_") and code not in ("M_UNKNOWN",):
        return PermanentError(f"{code}: {message}")
    return TransientError(f"{code or 'error'}: {message}")


class MatrixAdapter:
    """klbot's Matrix account: answers in direct chats, and to commands and mentions in rooms."""

    platform = "matrix"
    surface = SURFACE
    idempotent = True  # a resend with the same transaction id shows once

    def __init__(self, settings: MatrixSection, store: KeyValueStore, store_path: Path) -> None:
        self.connected = False
        """Whether the homeserver answered the last sync."""
        self.ready = False
        """Whether klbot knows its rooms (after the first sync): only then can it send."""
        self.settings = settings
        self.store = store
        store_path.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            settings.homeserver,
            settings.user_id,
            store_path=str(store_path),
            config=AsyncClientConfig(
                encryption_enabled=True,
                store_sync_tokens=False,
                max_timeouts=None,
                max_limit_exceeded=0,  # a 429 comes back to klbot's sender: it pauses all sends
                request_timeout=60,
            ),
        )
        self._task: asyncio.Task[None] | None = None
        self._waiting: list[MegolmEvent] = []

    async def start(self, handle: UpdateHandler) -> None:
        """Log in (keeping one device id across restarts) and start syncing."""
        await self._login()
        self._task = asyncio.create_task(self._sync_loop(handle), name="matrix-sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()

    async def _login(self) -> None:
        device = self.settings.device_id or await self.store.get(DEVICE_KEY)
        if self.settings.access_token:
            if not device:
                raise ConfigError("[matrix] device_id: needed with access_token")
            self.client.restore_login(self.settings.user_id, device, self.settings.access_token)
        else:
            if device:
                self.client.device_id = device  # log in again as the same device
            response = await self.client.login(self.settings.password, device_name="klbot")
            if not isinstance(response, LoginResponse):
                raise ConfigError(f"[matrix] password: login failed ({response.message})")
            await self.store.put({DEVICE_KEY: response.device_id})
        self.client.load_store()
        if self.client.should_upload_keys:
            await self.client.keys_upload()

    async def _sync_loop(self, handle: UpdateHandler) -> None:
        token = await self.store.get(TOKEN_KEY)
        waiting = await self.store.get(WAITING_KEY)
        self._restore_waiting(waiting)
        first = token is None  # never synced: skip the history of rooms klbot is in
        full_state = True  # after a (re)start: learn every room's members again
        delay = 1.0
        while True:
            try:
                response = await self.client.sync(
                    timeout=0 if full_state else SYNC_TIMEOUT_MS,
                    since=token,
                    full_state=full_state,
                )
            except Exception as exc:  # connection lost: reconnect with backoff
                response = exc
            self.connected = isinstance(response, SyncResponse)
            self.ready = self.ready or self.connected
            if not isinstance(response, SyncResponse):
                log.warning("matrix sync failed (%s); retrying in %.0f s", response, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)
                continue
            delay = 1.0
            await self._keys()
            await self._invites(response)
            await self._left(response, handle)
            # the first sync only learns where klbot is: it answers no old messages
            if not first and not await self._events(response, handle):
                await asyncio.sleep(delay)
                continue  # the same batch comes again from the same token
            await self._retry_waiting(handle)
            token, first, full_state = response.next_batch, False, False
            await self.store.put({TOKEN_KEY: token, WAITING_KEY: self._waiting_json()})

    async def _keys(self) -> None:
        """The encryption housekeeping matrix-nio's sync_forever would do."""
        with contextlib.suppress(LocalProtocolError):
            if self.client.should_upload_keys:
                await self.client.keys_upload()
            if self.client.should_query_keys:
                await self.client.keys_query()
            if self.client.should_claim_keys:
                await self.client.keys_claim(self.client.get_users_for_key_claiming())
            await self.client.send_to_device_messages()

    async def _invites(self, response: SyncResponse) -> None:
        for room_id, info in response.rooms.invite.items():
            direct, inviter = invitation(info.invite_state, self.client.user_id)
            if direct or self._allowed_group_inviter(inviter):
                result = await self.client.join(room_id)
                log.info("joined a matrix room (%s)", "direct" if direct else "group")
                log.debug("joined %s: %s", room_id, result)
            else:
                await self.client.room_leave(room_id)

    def _allowed_group_inviter(self, inviter: str) -> bool:
        server = inviter.partition(":")[2]
        return any(allowed in (inviter, server) for allowed in self.settings.group_invites_from)

    async def _left(self, response: SyncResponse, handle: UpdateHandler) -> None:
        for room_id in response.rooms.leave:
            await handle.gone(Identity(self.platform, room_id))

    async def _events(self, response: SyncResponse, handle: UpdateHandler) -> bool:
        for room_id, info in response.rooms.join.items():
            room = self.client.rooms.get(room_id)
            for event in since_joining(info.timeline.events, self.client.user_id):
                if isinstance(event, MegolmEvent):  # keys not here yet: ask, and keep it
                    self._waiting.append(event)
                    with contextlib.suppress(Exception):
                        await self.client.request_room_key(event)
                    continue
                if room is not None and not await self._handle_event(room, event, handle):
                    return False
        return True

    async def _handle_event(self, room: MatrixRoom, event: Any, handle: UpdateHandler) -> bool:
        incoming = translate(room, event, self.client.user_id)
        if incoming is None:
            return True
        try:
            await handle(incoming, SURFACE, f"matrix:{event.event_id}")
        except Exception:
            log.exception("matrix event could not be handled; will retry")
            return False
        return True

    async def _retry_waiting(self, handle: UpdateHandler) -> None:
        still: list[MegolmEvent] = []
        for event in self._waiting:
            try:
                decrypted = self.client.decrypt_event(event)
            except Exception:
                still.append(event)
                continue
            room = self.client.rooms.get(event.room_id)
            if room is not None:
                await self._handle_event(room, decrypted, handle)
        self._waiting = still

    def _waiting_json(self) -> str:
        return json.dumps([e.source | {"room_id": e.room_id} for e in self._waiting][-200:])

    def _restore_waiting(self, stored: str | None) -> None:
        for source in json.loads(stored or "[]"):
            event = MegolmEvent.from_dict(source)
            if isinstance(event, MegolmEvent):
                event.room_id = source["room_id"]
                self._waiting.append(event)

    async def send(
        self,
        chat: Identity,
        reply: Reply,
        key: str = "",
        *,
        paid: bool = False,
        edits: str | None = None,
    ) -> str | None:
        """Send as ``m.notice`` (plain and HTML); numbered choices; long texts split; a file
        as ``m.file`` (encrypted in an encrypted room)."""
        contents = message_contents(reply) if reply.text else []
        if edits is not None and contents:  # a new text for a message sent before
            contents = [replacement(contents[0], edits)]
        if reply.attachment is not None:
            contents.append(await self._upload(chat, reply.attachment))
        event_id = None
        for number, content in enumerate(contents):
            try:
                response = await self.client.room_send(
                    chat.id,
                    "m.room.message",
                    content,
                    tx_id=f"{key}-{number}" if key else None,
                    ignore_unverified_devices=True,
                )
            except LocalProtocolError as exc:  # klbot is not in that room (any more)
                raise RecipientGone(str(exc)) from exc
            except (TimeoutError, OSError) as exc:
                raise TransientError(str(exc)) from exc
            if not isinstance(response, RoomSendResponse):
                raise translate_error(response)
            event_id = str(response.event_id)
        return event_id

    async def _upload(self, chat: Identity, file: Attachment) -> dict[str, Any]:
        """Upload ``file`` to the homeserver; the ``m.file`` content that shows it."""
        room = self.client.rooms.get(chat.id)
        if room is None:  # klbot is not in that room (any more)
            raise RecipientGone(f"not in room {chat.id}")
        encrypt = bool(room.encrypted)
        try:
            response, keys = await self.client.upload(
                io.BytesIO(file.data),
                content_type=file.mime_type,
                filename=file.name,
                encrypt=encrypt,
                filesize=len(file.data),
            )
        except (TimeoutError, OSError) as exc:
            raise TransientError(str(exc)) from exc
        if not isinstance(response, UploadResponse):
            error = translate_error(response)  # the media store refused: not the recipient
            raise (
                error
                if isinstance(error, RateLimited | TransientError)
                else PermanentError(str(error))
            )
        return file_content(file, response.content_uri, keys if encrypt else None)
