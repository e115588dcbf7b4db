"""Every message klbot can say exists in German and English, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.core.i18n import DOMAIN, LANGUAGES, LOCALES, Plural, Text

ROOT = Path(__file__).parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def in_the_code() -> set[str | tuple[str, ...]]:
    """The messages ``pybabel extract -F babel.cfg -k Text -k Plural:1,2`` finds (a plural
    message as its English singular and plural)."""
    found: set[str | tuple[str, ...]] = set()
    for folder in ("bot", "handlers"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, [("**.py", "python")], keywords={"Text": None, "Plural": (1, 2)}
        ):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


MESSAGES = in_the_code()


def test_the_code_holds_messages() -> None:
    assert len(MESSAGES) > 200
    assert "/{command} is only available to {roles}." in MESSAGES


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_catalogue_has_every_message_with_its_placeholders(lang: str) -> None:
    with (LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as file:
        catalogue = read_po(file, locale=lang)
    translated = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalogue if m.id}
    missing = sorted(map(str, MESSAGES - translated.keys()))
    assert not missing, f"{lang}: not in the catalogue (pybabel update): {missing[:5]}"
    stale = sorted(map(str, translated.keys() - MESSAGES))
    assert not stale, f"{lang}: no longer in the code: {stale[:5]}"
    for msgid, message in translated.items():
        assert not message.fuzzy, f"{lang}: {msgid!r} is fuzzy"
        english = [msgid] if isinstance(msgid, str) else list(msgid)
        string = message.string
        forms = [string] if isinstance(string, str) else list(string or ())
        assert len(forms) == len(english) and all(forms), f"{lang}: {msgid!r} incomplete"
        expected = sorted(PLACEHOLDER.findall(english[-1]))
        for form in forms:
            assert sorted(PLACEHOLDER.findall(form)) == expected, (lang, msgid, form)


def test_a_message_reads_in_the_persons_language() -> None:
    not_allowed = Text("/{command} is only available to {roles}.")
    assert not_allowed("de", command="inbox", roles="x") == "/inbox steht nur x zur Verfügung."
    assert not_allowed("en", command="inbox", roles="x") == "/inbox is only available to x."


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [
        ("de", 1, "1 Rückmeldung"),
        ("de", 2, "2 Rückmeldungen"),
        ("de", 1250, "1.250 Rückmeldungen"),
        ("en", 1, "1 piece of feedback"),
        ("en", 0, "0 pieces of feedback"),
        ("en", 1250, "1,250 pieces of feedback"),
    ],
)
def test_plural_forms_and_number_formats(lang: str, count: int, expected: str) -> None:
    assert (
        Plural("{count} piece of feedback", "{count} pieces of feedback")(lang, count) == expected
    )
