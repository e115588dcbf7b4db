"""Telegram through python-telegram-bot: updates in, replies out, errors as neutral outcomes.

Updates are fetched with long polling (or received by webhook) and handled one at a
time; the polling offset is stored only after an update is handled and its replies are
in the outbox, so a crash never loses what a citizen sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram import error as tg
from telegram.constants import MessageLimit, ParseMode
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.adapters import (
    KeyValueStore,
    PaidRefused,
    PermanentError,
    RateLimited,
    RecipientGone,
    SendError,
    TransientError,
    UpdateHandler,
)
from bot.adapters.telegram_http import AiohttpRequest
from bot.adapters.telegram_text import message_parts
from bot.core.events import Identity, Incoming, Reply, Surface
from bot.core.i18n import Text
from bot.runtime.config import TelegramSection

log = logging.getLogger(__name__)

SEND_RAW = r"Please use 'Bot\.sendMessage'"
"""python-telegram-bot's advice for ``do_api_request("sendMessage")``; klbot sends that way
on purpose (see ``TelegramAdapter._send_text``)."""
warnings.filterwarnings("ignore", message=SEND_RAW, category=PTBUserWarning)

POLL_TIMEOUT = 25
OFFSET_KEY = "telegram:offset"
CALLBACK_LIMIT = MessageLimit.CALLBACK_DATA if hasattr(MessageLimit, "CALLBACK_DATA") else 64
TOKEN_PREFIX = "~"


def translate_error(exc: tg.TelegramError, *, paid: bool = False) -> SendError:
    """A Telegram error as one of klbot's neutral outcomes (``paid``: of a paid broadcast,
    whose refusal for want of Stars is told apart)."""
    if paid and isinstance(exc, tg.BadRequest) and "star" in str(exc).lower():
        return PaidRefused(str(exc))
    if isinstance(exc, tg.RetryAfter):
        wait = exc._retry_after  # always a timedelta, whatever PTB_TIMEDELTA says
        return RateLimited(wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
    if isinstance(exc, tg.Forbidden):
        return RecipientGone(str(exc))
    if isinstance(exc, tg.BadRequest):
        if "chat not found" in str(exc).lower():
            return RecipientGone(str(exc))
        return PermanentError(str(exc))
    if isinstance(exc, tg.InvalidToken | tg.ChatMigrated):
        return PermanentError(str(exc))
    return TransientError(str(exc))


class TelegramAdapter:
    """One bot account on Telegram (or on a Bot API server compatible with it)."""

    platform = "telegram"
    idempotent = False  # the Bot API cannot recognise a resent message

    def __init__(
        self,
        settings: TelegramSection,
        store: KeyValueStore,
        commands: Sequence[tuple[str, Text]] = (),
    ) -> None:
        self.settings = settings
        self.store = store
        self.commands = list(commands)
        self.connected = settings.mode == "webhook"
        """Whether the Bot API answered the last poll (a webhook counts as connected)."""
        self.ready = True
        """Telegram needs nothing before sending."""
        self.bot = Bot(
            settings.token,
            base_url=settings.base_url,
            base_file_url=settings.base_file_url,
            # the sender's sends in flight, and a few for the handlers' calls
            request=AiohttpRequest(settings.max_in_flight + 8),
            get_updates_request=HTTPXRequest(read_timeout=POLL_TIMEOUT + 10, connect_timeout=10),
        )
        self.surface = Surface(buttons=True)
        self._tasks: list[asyncio.Task[None]] = []
        self._webhook: Any = None

    async def start(self, handle: UpdateHandler) -> None:
        """Connect (getMe), publish the command menu, then poll or serve the webhook."""
        await self._retrying("connect", self.bot.initialize)
        self.surface = Surface(buttons=True, username=self.bot.username)
        await self._publish_commands()
        if self.settings.mode == "webhook":
            from bot.adapters.telegram_webhook import serve_webhook

            await self.bot.set_webhook(
                self.settings.webhook_url, secret_token=self.settings.webhook_secret or None
            )
            self._webhook = await serve_webhook(self, handle)
        else:
            with contextlib.suppress(tg.TelegramError):
                await self.bot.delete_webhook()
            self._tasks.append(asyncio.create_task(self._poll(handle), name="telegram-poll"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._webhook is not None:
            await self._webhook.cleanup()
        with contextlib.suppress(tg.TelegramError):
            await self.bot.shutdown()

    async def _retrying(self, what: str, call: Any) -> Any:
        """Call until the Bot API answers (network trouble at start is not fatal)."""
        delay = 1.0
        while True:
            try:
                return await call()
            except (tg.NetworkError, tg.TimedOut) as exc:
                if isinstance(exc, tg.BadRequest):
                    raise
                log.warning("telegram %s failed (%s); retrying in %.0f s", what, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)

    async def _publish_commands(self) -> None:
        for lang in ("de", "en", None):
            menu = [BotCommand(name, text(lang or "de")) for name, text in self.commands]
            try:
                await self.bot.set_my_commands(menu, language_code=lang)
            except tg.TelegramError as exc:
                log.warning("could not set the telegram command menu (%s): %s", lang, exc)

    async def _poll(self, handle: UpdateHandler) -> None:
        stored = await self.store.get(OFFSET_KEY)
        offset = int(stored) if stored else None
        delay = 1.0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=POLL_TIMEOUT,
                    allowed_updates=["message", "callback_query", "my_chat_member"],
                )
                delay = 1.0
                self.connected = True
            except Exception as exc:  # network trouble, or an answer PTB cannot read
                self.connected = False
                log.warning("telegram polling failed (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)
                continue
            for update in updates:
                if not await self.process(update, handle):
                    await asyncio.sleep(delay)  # the same update comes again with this offset
                    delay = min(delay * 2, 60)
                    break
                offset = update.update_id + 1
                try:
                    await self.store.put({OFFSET_KEY: str(offset)})
                except Exception:
                    log.exception("could not store the telegram offset")

    async def process(self, update: Update, handle: UpdateHandler) -> bool:
        """Handle one update. A malformed one is logged once and skipped (True); False
        means klbot itself could not handle it now (its database is down): try again."""
        if update.callback_query is not None:
            with contextlib.suppress(tg.TelegramError):
                await update.callback_query.answer()  # the button stops spinning
        try:
            if update.my_chat_member is not None:
                await self._membership(update, handle)
                return True
            incoming = await self.translate(update)
        except Exception:
            log.exception("telegram update %s could not be read; skipped", update.update_id)
            return True
        if incoming is None:
            return True
        try:
            await handle(incoming, self.surface, f"telegram:{update.update_id}")
        except Exception:
            log.exception("telegram update %s could not be handled; will retry", update.update_id)
            return False
        return True

    async def _membership(self, update: Update, handle: UpdateHandler) -> None:
        change = update.my_chat_member
        assert change is not None
        if change.new_chat_member.status in ("kicked", "left"):
            await handle.gone(Identity(self.platform, str(change.chat.id)))

    async def translate(self, update: Update) -> Incoming | None:
        """A message or button press as a neutral event; ``None`` for what klbot ignores."""
        query = update.callback_query
        if query is not None and query.data:
            chat = query.message.chat if query.message is not None else None
            user = query.from_user
            data = await self._expand(query.data)
            if data is None:
                return None
            return Incoming(
                chat=Identity(self.platform, str(chat.id if chat else user.id)),
                sender=Identity(self.platform, str(user.id)),
                callback=data,
                language=user.language_code,
                is_direct=chat is None or chat.type == "private",
                sender_name=user.first_name,
            )
        message = update.message
        if message is None or message.text is None or message.from_user is None:
            return None
        text = message.text
        direct = message.chat.type == "private"
        if not direct:
            mention = f"@{self.bot.username}".lower() if self.bot.username else None
            if mention and mention in text.lower() and not text.startswith("/"):
                start = text.lower().index(mention)
                text = (text[:start] + text[start + len(mention) :]).strip()
            elif not text.startswith("/"):
                return None  # in groups klbot only listens to commands and mentions
        return Incoming(
            chat=Identity(self.platform, str(message.chat.id)),
            sender=Identity(self.platform, str(message.from_user.id)),
            text=text,
            language=message.from_user.language_code,
            is_direct=direct,
            sender_name=message.from_user.first_name,
        )

    async def send(
        self,
        chat: Identity,
        reply: Reply,
        key: str = "",
        *,
        paid: bool = False,
        edits: str | None = None,
    ) -> str | None:
        """Send a reply as HTML-escaped text, long ones split; buttons under the last part.
        ``paid``: with ``allow_paid_broadcast``; ``edits``: replace that message's text."""
        parts = message_parts(reply.text) if reply.text else []
        markup = await self._keyboard(reply) if reply.buttons else None
        if edits is not None and parts:
            await self._edit(chat, int(edits), parts[0], markup)
            return edits
        sent_id = None
        for number, part in enumerate(parts, 1):
            last = number == len(parts)
            sent_id = await self._send_text(chat, part, markup if last else None, paid=paid)
        if reply.attachment is not None:
            file = reply.attachment
            try:
                sent = await self.bot.send_document(
                    chat_id=int(chat.id), document=InputFile(file.data, filename=file.name)
                )
            except tg.TelegramError as exc:
                raise translate_error(exc) from exc
            sent_id = str(sent.message_id)
        return sent_id

    async def _send_text(
        self, chat: Identity, text: str, markup: InlineKeyboardMarkup | None, *, paid: bool
    ) -> str:
        """One sendMessage; only the new message's id is read from Telegram's answer (the
        whole Message object python-telegram-bot would build costs more CPU than the rest
        of a send, which counts at the 1,000 a second of a paid broadcast)."""
        parameters: dict[str, Any] = {
            "chat_id": int(chat.id),
            "text": text,
            "parse_mode": ParseMode.HTML,
            "link_preview_options": {"is_disabled": True},
        }
        if markup is not None:
            parameters["reply_markup"] = markup
        if paid:
            parameters["allow_paid_broadcast"] = True
        try:
            sent = await self.bot.do_api_request("sendMessage", api_kwargs=parameters)
        except tg.TelegramError as exc:
            raise translate_error(exc, paid=paid) from exc
        return str(sent["message_id"])

    async def _edit(
        self, chat: Identity, message_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=int(chat.id),
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                disable_web_page_preview=True,
            )
        except tg.BadRequest as exc:
            if "not modified" not in str(exc).lower():  # the same text again is no failure
                raise translate_error(exc) from exc
        except tg.TelegramError as exc:
            raise translate_error(exc) from exc

    async def _keyboard(self, reply: Reply) -> InlineKeyboardMarkup:
        rows = []
        for row in reply.buttons:
            buttons = []
            for button in row:
                data = button.data
                if len(data.encode()) > CALLBACK_LIMIT or data.startswith(TOKEN_PREFIX):
                    data = f"{TOKEN_PREFIX}{await self.store.shorten(button.data)}"
                buttons.append(InlineKeyboardButton(button.label, callback_data=data))
            rows.append(buttons)
        return InlineKeyboardMarkup(rows)

    async def _expand(self, data: str) -> str | None:
        if not data.startswith(TOKEN_PREFIX):
            return data
        token = data[len(TOKEN_PREFIX) :]
        if not token.isdecimal():
            return None
        return await self.store.expand(int(token))
