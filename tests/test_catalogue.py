"""Browsing the knowledge base, and replacing it: /projects, /officer, /reload, `klbot kb`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.generated_kb import generated_text
from bot.knowledge.schema import default_text
from bot.runtime.app import App
from bot.runtime.config import Config
from tests.harness import Chat
from tests.test_questions import staff_dispatcher


async def test_about_shows_the_organisation_with_source(chat: Chat) -> None:
    answer = await chat.ask("/about")
    assert "KL.digital GmbH" in answer and "Quelle:" in answer
    assert "Alle Ansprechpersonen" in chat.buttons()
    assert "Prof. Gerhard Steinebach" in await chat.press("Alle Ansprechpersonen")


async def test_officer_by_role_name_or_typo(chat: Chat) -> None:
    for query in ("CDO", "rombach", "Chief Digital Officer", "Rombahc"):
        card = await chat.ask(f"/officer {query}")
        assert card.startswith("Prof. Dieter Rombach"), query
        assert "Seit: 01.11.2017" in card and "Stabsstelle beim Oberbürgermeister" in card
    assert "keine Person" in await chat.ask("/officer Bundeskanzler")
    assert "/officer CDO" in await chat.ask("/officer")


async def test_project_and_link_to_its_officer(chat: Chat) -> None:
    card = await chat.ask("/project Digitale Stadt")
    assert "geplant (Stand 15.11.2017)" in card and "Verantwortlich: Prof. Dieter Rombach" in card
    assert "Chief Digital Officer" in await chat.press("Prof. Dieter Rombach")
    assert "kein Projekt" in await chat.ask("/project Mondlandung")


async def test_lists_and_cards_read_as_sentences_in_both_languages(chat: Chat) -> None:
    assert (await chat.ask("/projects")).startswith("1 Projekt im Katalog:\n")
    assert "\nStatus: geplant (Stand 15.11.2017)\n" in await chat.ask("/project Digitale Stadt")
    assert "\nAnbindung: Stabsstelle beim Oberbürgermeister\n" in await chat.ask("/officer CDO")
    await chat.ask("/language en")
    assert (await chat.ask("/projects")).startswith("1 project in the catalogue:\n")
    mayor = await chat.ask("/officer mayor")
    assert "\nPosition: City of Kaiserslautern; the CDO's post is a staff unit attached" in mayor


async def test_reload_names_the_built_in_file_in_words(app: App, config: Config) -> None:
    staff = Chat(staff_dispatcher(app, config), user="console:staff")
    reply = await staff.ask("/reload")
    assert "aus der mitgelieferten Datei (11 Einträge)." in reply and "default" not in reply
    await staff.ask("/language en")
    assert "from the built-in file (11 entries)." in await staff.ask("/reload")


async def test_projects_are_paginated_with_buttons(config: Config) -> None:
    text, _ = generated_text(23)  # 11 default entries + 12 generated projects
    knowledge = config.knowledge.model_copy(update={"embeddings": False})  # no model needed
    async with App.open(config.model_copy(update={"knowledge": knowledge})) as app:
        async with app.sessions() as session, session.begin():
            await app.services.knowledge.import_text(session, source="test", text=text)
        chat = Chat(app.dispatcher)
        first = await chat.ask("/projects")
        assert first.startswith("Projekte 1 bis 5 von 13:")
        assert chat.buttons()[-1] == "Weiter »" and "« Zurück" not in chat.buttons()
        second = await chat.press("Weiter »")
        assert second.startswith("Projekte 6 bis 10 von 13:")
        assert chat.buttons()[-2:] == ["« Zurück", "Weiter »"]
        await chat.press("Weiter »")
        assert chat.buttons()[-1] == "« Zurück"
        project = chat.buttons()[0]
        assert project in await chat.press(project)


async def test_an_import_by_another_process_is_picked_up(config: Config) -> None:
    async with App.open(config) as first, App.open(config) as second:
        chat = Chat(first.dispatcher)
        assert "keine Informationen" in await chat.ask("Was ist das Projekt Glasfaser für alle?")
        async with second.sessions() as session, session.begin():
            await second.services.knowledge.import_text(
                session, source="update", text=default_text() + GLASFASER
            )
        assert "Testprojekt zum Glasfaserausbau" in await chat.ask(
            "Was ist das Projekt Glasfaser für alle?"
        )


GLASFASER = """
[[projects]]
id = "glasfaser"
name.de = "Glasfaser für alle"
name.en = "Fibre for everyone"
status.de = "in Arbeit"
status.en = "in progress"
summary.de = "Ein Testprojekt zum Glasfaserausbau."
summary.en = "A test project on fibre roll-out."
source = "article-2017-11-15"
date = 2017-11-15
"""


async def test_reload_rereads_the_file_and_keeps_the_old_base_when_broken(
    tmp_path: Path, config: Config
) -> None:
    content = tmp_path / "kb.toml"
    content.write_text(default_text(), encoding="utf-8")
    knowledge = config.knowledge.model_copy(update={"file": str(content)})
    async with App.open(config.model_copy(update={"knowledge": knowledge})) as app:
        staff = Chat(staff_dispatcher(app, app.config), user="console:staff")
        assert "Rombach" in await staff.ask("Wer ist der CDO?")
        content.write_text(default_text().replace("summary.en = ", "sumary.en = ", 1))
        reply = await staff.ask("/reload")
        assert "bisherige Wissensbasis bleibt aktiv" in reply and "sumary" in reply
        assert "Rombach" in await staff.ask("Wer ist der CDO?")
        content.write_text(default_text() + GLASFASER, encoding="utf-8")
        assert "Wissensbasis neu geladen" in await staff.ask("/reload")
        assert "Glasfaserausbau" in await staff.ask("/project glasfaser")


def test_kb_check_names_file_entry_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(
        default_text()
        .replace('title.en = "Lord Mayor of the City of Kaiserslautern"\n', "")
        .replace('contact = ""', 'contakt = ""', 1),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "check", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert f"{broken}: officers[weichel] title.en: missing" in done.stderr
    assert f"{broken}: officers[rombach] contakt: unknown field" in done.stderr
    assert "Traceback" not in done.stderr
