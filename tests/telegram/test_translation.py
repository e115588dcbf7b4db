"""The Telegram adapter's pure parts: error outcomes, message splitting, webhook secret."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp import ClientSession
from telegram import Update
from telegram import error as tg

from bot.adapters import PermanentError, RateLimited, RecipientGone, TransientError
from bot.adapters.formatting import split_text
from bot.adapters.telegram import TelegramAdapter, translate_error
from bot.adapters.telegram_text import escape as _escape
from bot.core.events import Identity, Incoming, Reply, Surface
from bot.runtime.app import App
from bot.runtime.config import Config, TelegramSection
from storage.platform import AdapterState
from tests.running import RunningKlbot
from tests.telegram.conftest import TelegramWorld, free_port


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (tg.RetryAfter(7), RateLimited),
        (tg.RetryAfter(timedelta(seconds=3)), RateLimited),
        (tg.Forbidden("Forbidden: bot was blocked by the user"), RecipientGone),
        (tg.BadRequest("Bad Request: chat not found"), RecipientGone),
        (tg.BadRequest("Bad Request: message is too long"), PermanentError),
        (tg.TimedOut(), TransientError),
        (tg.NetworkError("Bad Gateway"), TransientError),
        (tg.InvalidToken(), PermanentError),
    ],
)
def test_errors_become_neutral_outcomes(error: tg.TelegramError, outcome: type) -> None:
    assert isinstance(translate_error(error), outcome)


def test_retry_after_keeps_the_seconds() -> None:
    outcome = translate_error(tg.RetryAfter(7))
    assert isinstance(outcome, RateLimited) and outcome.retry_after == 7


def test_split_at_paragraphs_and_within_the_escaped_limit() -> None:
    text = "\n\n".join(["a" * 3000, "b" * 3000, "<" * 1500])
    parts = split_text(text, 4096, escape=_escape)
    assert parts == ["a" * 3000, "b" * 3000, "<" * 750, "<" * 750]
    assert all(len(_escape(part)) <= 4096 for part in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_a_single_huge_word_is_cut_anywhere() -> None:
    parts = split_text("x" * 10_000, 4096)
    assert [len(p) for p in parts] == [2500, 2500, 2500, 2500]
    assert "".join(parts) == "x" * 10_000


def webhook_settings(config: Config, port: int, **more: str) -> TelegramSection:
    """``config``'s Telegram settings, switched to a webhook served on ``port``."""
    return config.telegram.model_copy(
        update={
            "mode": "webhook",
            "webhook_listen": "127.0.0.1",
            "webhook_port": port,
            "webhook_path": "/hook",
            "webhook_url": f"http://127.0.0.1:{port}/hook",
            **more,
        }
    )


async def test_webhook_checks_the_secret_on_every_request(
    telegram: TelegramWorld, db_url: str
) -> None:
    await telegram.stop_klbot()
    port = free_port()
    secret = "s3cret-s3cret-s3cret"
    hook = webhook_settings(telegram.config, port, webhook_secret=secret)
    await telegram.start_klbot(telegram.config.model_copy(update={"telegram": hook}))
    user = telegram.user("Hana")
    update = {
        "update_id": 99,
        "message": {
            "message_id": 5,
            "date": 1_700_000_000,
            "text": "/start",
            "chat": {"id": user.chat_id, "type": "private"},
            "from": {"id": user.user_id, "is_bot": False, "first_name": "Hana"},
        },
    }
    url = f"http://127.0.0.1:{port}/hook"
    async with ClientSession() as client:
        async with client.post(url, json=update) as response:
            assert response.status == 403
        async with client.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
        ) as response:
            assert response.status == 403
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with client.post(url, json=update, headers=headers) as response:
            assert response.status == 200
        async with client.post(url, json=update, headers=headers) as response:
            assert response.status == 200  # Telegram resending it: handled only once
    replies = await user.replies(timeout=20)
    assert replies[0]["text"].startswith("Hallo Hana!")
    with pytest.raises(AssertionError):
        await user.replies(timeout=2)
    assert ("setWebhook", {"url": url, "secret_token": secret}) in [
        (m, {k: p[k] for k in ("url", "secret_token") if k in p}) for m, p in telegram.proxy.calls
    ]


async def test_being_blocked_stops_messages_to_that_chat(app: App, config: Config) -> None:
    settings = config.telegram.model_copy(update={"enabled": True, "token": "1:UNUSED"})
    adapter = TelegramAdapter(settings, AdapterState(app.sessions))
    gone: list[Identity] = []

    class Handle:
        async def __call__(
            self, message: Incoming, surface: Surface, update_key: str | None = None
        ) -> list[Reply]:
            raise AssertionError("a membership change is not a message")

        async def gone(self, chat: Identity) -> None:
            gone.append(chat)

    update = Update.de_json(
        {
            "update_id": 5,
            "my_chat_member": {
                "chat": {"id": 321, "type": "private"},
                "from": {"id": 321, "is_bot": False, "first_name": "Ida"},
                "date": 1_700_000_000,
                "old_chat_member": {
                    "status": "member",
                    "user": {"id": 1, "is_bot": True, "first_name": "klbot"},
                },
                "new_chat_member": {
                    "status": "kicked",
                    "until_date": 0,
                    "user": {"id": 1, "is_bot": True, "first_name": "klbot"},
                },
            },
        },
        adapter.bot,
    )
    assert await adapter.process(update, Handle()) is True
    assert gone == [Identity("telegram", "321")]


@pytest.mark.postgres
async def test_any_process_on_one_database_serves_the_webhook(
    telegram: TelegramWorld, postgres_url: str
) -> None:
    """Two klbot processes behind one reverse proxy: an update resent to the other process
    is handled once, and either process answers."""
    await telegram.stop_klbot()
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        urls.append(f"http://127.0.0.1:{port}/hook")
        hook = webhook_settings(telegram.config, port)
        storage = telegram.config.storage.model_copy(update={"url": postgres_url})
        process = RunningKlbot()
        process.config = telegram.config.model_copy(update={"telegram": hook, "storage": storage})
        await process.start_klbot()
        processes.append(process)
    user = telegram.user("Ida")

    def update(number: int, text: str) -> dict[str, object]:
        sender = {"id": user.user_id, "is_bot": False, "first_name": "Ida"}
        chat = {"id": user.chat_id, "type": "private"}
        message = {"message_id": number, "date": 1_700_000_000, "text": text}
        return {"update_id": number, "message": message | {"chat": chat, "from": sender}}

    try:
        async with ClientSession() as client:
            for url, body in [
                (urls[0], update(201, "/start")),
                (urls[1], update(201, "/start")),  # the proxy retried it on the other one
                (urls[1], update(202, "/privacy")),
            ]:
                async with client.post(url, json=body) as response:
                    assert response.status == 200
        texts = [reply["text"] for reply in await user.replies(count=2, timeout=20)]
        assert texts[0].startswith("Hallo Ida!") and "Datenschutz" in texts[1]
        with pytest.raises(AssertionError):
            await user.replies(timeout=3)  # nothing twice
    finally:
        for process in processes:
            await process.stop_klbot()
