"""Every message klbot can say exists in German and English, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.core.i18n import DOMAIN, LANGUAGES, LOCALES, Text

ROOT = Path(__file__).parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def in_the_code() -> set[str]:
    """The messages ``pybabel extract -F babel.cfg -k Text`` finds."""
    found = set()
    for folder in ("bot", "handlers"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, [("**.py", "python")], keywords={"Text": None}
        ):
            assert isinstance(message, str)  # Text takes one message, no plural
            found.add(message)
    return found


MESSAGES = in_the_code()


def test_the_code_holds_messages() -> None:
    assert len(MESSAGES) > 200
    assert "/{command} is only available to {roles}." in MESSAGES


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_catalogue_has_every_message_with_its_placeholders(lang: str) -> None:
    with (LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as file:
        catalogue = read_po(file, locale=lang)
    translated = {str(m.id): m for m in catalogue if m.id}
    missing = sorted(MESSAGES - translated.keys())
    assert not missing, f"{lang}: not in the catalogue (pybabel update): {missing[:5]}"
    stale = sorted(translated.keys() - MESSAGES)
    assert not stale, f"{lang}: no longer in the code: {stale[:5]}"
    for msgid, message in translated.items():
        assert isinstance(message.string, str) and message.string, f"{lang}: {msgid!r} empty"
        assert not message.fuzzy, f"{lang}: {msgid!r} is fuzzy"
        expected = sorted(PLACEHOLDER.findall(msgid))
        assert sorted(PLACEHOLDER.findall(message.string)) == expected, (lang, msgid)


def test_a_message_reads_in_the_persons_language() -> None:
    not_allowed = Text("/{command} is only available to {roles}.")
    assert not_allowed("de", command="inbox", roles="x") == "/inbox steht nur x zur Verfügung."
    assert not_allowed("en", command="inbox", roles="x") == "/inbox is only available to x."
