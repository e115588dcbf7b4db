"""Logs at INFO and above hold neither message text nor full platform ids."""

from __future__ import annotations

import logging

import pytest

from bot.runtime.app import App
from bot.runtime.pseudonym import Pseudonyms
from handlers.privacy.retention import apply_retention
from tests.harness import Chat

SECRET_TEXT = "Meine Telefonnummer ist 0631 123456"


def test_pseudonyms_are_short_stable_per_key_and_hide_the_id() -> None:
    one, same, other = Pseudonyms("k1"), Pseudonyms("k1"), Pseudonyms("k2")
    name = one("telegram:123456789")
    assert name.startswith("telegram:") and "123456789" not in name and len(name) == 17
    assert name == same("telegram:123456789") != other("telegram:123456789")
    assert one("telegram:123456789") != one("telegram:123456788")
    assert Pseudonyms()("matrix:@ana:x.org") != Pseudonyms()("matrix:@ana:x.org")


async def test_a_whole_conversation_logs_no_text_and_no_platform_id(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ana = Chat(app.dispatcher, user="telegram:987654321")
    await ana.ask(SECRET_TEXT)
    await ana.ask(f"/feedback {SECRET_TEXT}")
    await ana.ask("/subscribe alle")
    await ana.ask("/mydata")
    await ana.ask("/deleteme")
    await ana.press("Ja, alles löschen")
    await apply_retention(app.sessions, app.config)
    lines = [record.getMessage() for record in caplog.records if record.levelno >= logging.INFO]
    assert any("erased their data" in line for line in lines)  # the log did record something
    for line in lines:
        assert "987654321" not in line and "0631" not in line and "Telefon" not in line
    expected = app.services.pseudonyms("telegram:987654321")
    assert any(expected in line for line in lines)
