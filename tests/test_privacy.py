"""Privacy by design: the notice, what a person can see about themselves, and erasure."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.dispatcher import Dispatcher
from bot.core.events import Identity, Incoming, Surface
from bot.runtime.app import App
from bot.runtime.config import Config, ConfigError, PrivacySection, load_config
from handlers.privacy.retention import apply_retention
from handlers.web.service import LINK_VALID
from storage import roles, web
from storage.models import (
    AuditEntry,
    Conversation,
    Feedback,
    FeedbackAnswer,
    Invite,
    OutboxMessage,
    Person,
    PersonIdentity,
    RoleGrant,
    Subscription,
)
from storage.models_web import WebLogin, WebSession
from tests.harness import Chat, dispatcher_for, with_roles

STAFF = "telegram:500"
ANA = "telegram:1001"


def configured(config: Config, **privacy: object) -> Config:
    settings = PrivacySection.model_validate(
        {
            "controller": "KL.digital GmbH, Kaiserslautern",
            "contact": "datenschutz@kl.digital",
            "data_protection_officer": "Dr. Erika Muster, dsb@kl.digital",
            **privacy,
        }
    )
    return with_roles(config, staff=[STAFF]).model_copy(update={"privacy": settings})


@pytest.fixture
def dispatcher(app: App, config: Config) -> Dispatcher:
    return dispatcher_for(app, configured(config))


async def count(app: App, model: type, *where: object) -> int:
    async with app.sessions() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return await session.scalar(query) or 0


async def test_the_notice_names_everything_the_gdpr_asks_for_in_both_languages(
    dispatcher: Dispatcher,
) -> None:
    ana = Chat(dispatcher, user=ANA)
    assert "/privacy" in await ana.ask("/start")
    german = await ana.ask("/privacy")
    for expected in (
        "Verantwortlich: KL.digital GmbH",
        "Kontakt: datenschutz@kl.digital",
        "Datenschutzbeauftragte(r): Dr. Erika Muster",
        "Zwecke: Fragen beantworten",
        "Rechtsgrundlage: Art. 6 Abs. 1 lit. e DSGVO",
        "Empfänger: Mitarbeitende der KL.digital GmbH",
        "nach 365 Tagen anonymisiert",
        "nach 90 Tagen",
        "/mydata",
        "/deleteme",
        "Beschwerde",
    ):
        assert expected in german
    await ana.ask("/language en")
    english = await ana.ask("/privacy")
    for expected in (
        "Controller: KL.digital GmbH",
        "Data protection officer: Dr. Erika Muster",
        "Purposes: answering questions",
        "Legal basis: Art. 6(1)(e) GDPR",
        "Recipients: staff of KL.digital GmbH",
        "anonymised after 365 days",
        "complaint",
    ):
        assert expected in english


async def test_the_notice_follows_the_configuration(app: App, config: Config) -> None:
    custom = configured(
        config,
        purposes={"de": "Bürgerdialog", "en": "citizen dialogue"},
        feedback_anonymise_days=30,
    )
    ana = Chat(dispatcher_for(app, custom), user=ANA)
    notice = await ana.ask("/privacy")
    assert "Zwecke: Bürgerdialog" in notice and "nach 30 Tagen anonymisiert" in notice


async def test_a_first_feedback_or_subscription_is_preceded_by_one_line_on_what_is_stored(
    dispatcher: Dispatcher,
) -> None:
    ana, ben = Chat(dispatcher, user=ANA), Chat(dispatcher, user="matrix:@ben:x.org")
    first = await ana.ask("/feedback")
    assert first.startswith("ℹ️ Ich speichere") and "/privacy" in first
    await ana.press("Dieser Bot")
    await ana.press("Überspringen")
    await ana.ask("Gute Idee")
    await ana.press("Nein")
    await ana.press("Absenden")
    assert "ℹ️" not in await ana.ask("/feedback")
    assert "ℹ️" not in await ana.ask("/subscribe alle")
    assert (await ben.ask("/subscribe")).startswith("ℹ️")
    assert (await ben.ask("/subscribe alle")).startswith("ℹ️")
    assert "ℹ️" not in await ben.ask("/feedback Danke")


async def test_mydata_shows_everything_stored_as_text_and_as_a_json_file(
    app: App, dispatcher: Dispatcher
) -> None:
    ana, ben = Chat(dispatcher, user=ANA), Chat(dispatcher, user="telegram:2002")
    await ana.ask("/language en")
    await ana.ask("/feedback The bus stop app is great")
    await ana.ask("/subscribe all")
    await ana.ask("/feedback")  # a conversation in progress
    await ben.ask("/feedback Ben's secret")
    replies = await ana.send("/mydata")
    (reply,) = replies
    assert "telegram:1001" in reply.text and "The bus stop app is great" in reply.text
    assert "Subscriptions: 1" in reply.text and "Running conversations: 1" in reply.text
    assert "Ben" not in reply.text
    assert "Language: English · first contact on " in reply.text
    assert "  • All news · in telegram:1001 · in English · since " in reply.text
    assert "/feedback in telegram:1001, not finished yet" in reply.text
    assert "· KL.digital in general · rating: – · contact allowed: No · status: new ·" in reply.text
    assert reply.attachment is not None and reply.attachment.name.endswith(".json")
    data = json.loads(reply.attachment.data)
    assert data["person"]["language"] == "en"
    assert [i["identity"] for i in data["identities"]] == [ANA]
    assert [f["text"] for f in data["feedback"]] == ["The bus stop app is great"]
    assert data["subscriptions"][0]["topic"] == "all"
    assert data["conversations"][0]["name"] == "feedback"
    assert data["feedback"][0]["created_at"].endswith("+01:00")  # Europe/Berlin in November


async def test_mydata_names_topics_statuses_and_languages_in_words(dispatcher: Dispatcher) -> None:
    ana = Chat(dispatcher, user=ANA)
    await ana.ask("/feedback Die Haltestellen-App ist prima")
    await ana.ask("/subscribe Smart City")
    text = await ana.ask("/mydata")
    assert "Sprache: automatisch: Deutsch, die Sprache deiner letzten Nachricht · erster" in text
    assert "  • # Smart City · in telegram:1001 · auf Deutsch · seit " in text
    assert (
        "· KL.digital allgemein · Bewertung: – · Kontakt erlaubt: Nein · Status: neu · "
        "„Die Haltestellen-App ist prima“"
    ) in text
    assert "zugestellt: „Abonniert: # Smart City." in text
    for internal in ("general", "tag:", "· new", "· de ·"):
        assert internal not in text


async def test_on_telegram_and_matrix_the_json_file_waits_in_the_outbox(
    app: App, dispatcher: Dispatcher
) -> None:
    who = Identity.parse(ANA)
    message = Incoming(chat=who, sender=who, text="/mydata")
    await dispatcher.handle(message, Surface(buttons=True), update_key="u1")
    async with app.sessions() as session:
        [text, row] = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert "klbot-mydata.json" in text.text and text.attachment is None
    assert row.text == "" and (row.attachment_name, row.attachment_type) == (
        "klbot-mydata.json",
        "application/json",
    )
    assert row.attachment is not None
    assert json.loads(row.attachment)["identities"][0]["identity"] == ANA


async def grant_staff(app: App, identity: str) -> None:
    async with app.sessions() as session, session.begin():
        code = await roles.create_invite(
            session, role="board", by="cli:test", expires_at=datetime.now(UTC) + timedelta(days=1)
        )
    async with app.sessions() as session, session.begin():
        assert await roles.redeem(session, code=code, identity=identity) == "board"


async def test_deleteme_asks_first_then_erases_everything(app: App, dispatcher: Dispatcher) -> None:
    ana, ben = Chat(dispatcher, user=ANA), Chat(dispatcher, user="telegram:2002")
    await grant_staff(app, ANA)
    await ana.ask("/feedback Bitte mehr Radwege")
    await ana.ask("/subscribe alle")
    await ben.ask("/feedback Ich bleibe")
    staff = Chat(dispatcher, user=STAFF)
    reference = re.findall(r"F-\w{6}", await ana.ask("/feedback Zweite Rückmeldung"))[0]
    await ana.press("Ja")
    await staff.ask(f"/answer {reference} Danke!")  # a delivery row for Ana
    async with app.sessions() as session, session.begin():  # Ana, staff, in the web console
        await web.create_login(session, identity=ANA, valid_for=LINK_VALID)
        await web.open_session(session, identity=ANA)
    (shown,) = await ana.send("/mydata")
    assert "Sitzungen in der Webkonsole: 1\n  • telegram:1001 · angemeldet am " in shown.text
    assert " · zuletzt aktiv am " in shown.text
    assert shown.attachment is not None
    assert [w["identity"] for w in json.loads(shown.attachment.data)["web_sessions"]] == [ANA]
    assert await count(app, FeedbackAnswer) == 1
    assert "nicht rückgängig" in await ana.ask("/deleteme")
    assert "nichts wurde gelöscht" in await ana.press("Nein, nichts löschen")
    assert await count(app, Feedback, Feedback.person_id.is_not(None)) == 3
    await ana.ask("/deleteme")
    assert "nicht verstanden" in await ana.ask("vielleicht")  # typing is not confirming
    question = ana.last
    done = await ana.press("Ja, alles löschen")
    assert "Ich habe 1 Kennung, 1 Abonnement, 1 Rolle," in done
    assert "; 2 Rückmeldungen gelöscht." in done
    assert await count(app, PersonIdentity, PersonIdentity.identity == ANA) == 0
    assert await count(app, Subscription) == 0
    assert await count(app, RoleGrant) == 0
    assert await count(app, Conversation) == 0
    assert await count(app, WebSession) == await count(app, WebLogin) == 0
    async with app.sessions() as session:  # only the confirmation waits to be sent
        waiting = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.chat == ANA))
        )
    assert [row.text for row in waiting] == [done]
    assert await count(app, Feedback) == 1  # Ben's
    assert await count(app, FeedbackAnswer) == 0  # the answer to her went with it
    async with app.sessions() as session:  # the audit log keeps what, not who
        audit = [(e.actor, e.detail) for e in await session.scalars(select(AuditEntry))]
        used_by = list(await session.scalars(select(Invite.used_by)))
    assert audit and not any(ANA in f"{actor} {detail}" for actor, detail in audit)
    assert ANA not in used_by
    ana.last = question  # the same button pressed again
    assert "gilt nicht mehr" in await ana.press("Ja, alles löschen")
    assert "Rückmeldungen: keine" in await ana.ask("/mydata")


async def test_deleteme_can_anonymise_feedback_instead(app: App, config: Config) -> None:
    dispatcher = dispatcher_for(app, configured(config, feedback_on_deletion="anonymise"))
    ana, staff = Chat(dispatcher, user=ANA), Chat(dispatcher, user=STAFF)
    await ana.ask("/feedback")
    await ana.press("Dieser Bot")
    await ana.press("4")
    await ana.ask("Ruft mich gern an")
    await ana.press("Ja")
    reference = (await ana.press("Absenden")).split()[-1].rstrip(".")
    assert ANA in await staff.ask(f"/show {reference}")  # she agreed to be contacted
    assert "geschickt" in await staff.ask(f"/answer {reference} Gern, wann passt es?")
    assert "werden anonymisiert" in await ana.ask("/deleteme")
    assert "; 1 Rückmeldung anonymisiert." in await ana.press("Ja, alles löschen")
    shown = await staff.ask(f"/show {reference}")
    assert "Ruft mich gern an" in shown and ANA not in shown and "anonym" in shown
    async with app.sessions() as session:
        row = await session.scalar(select(Feedback))
        assert row is not None and row.person_id is None and not row.may_contact
        assert await session.scalar(select(func.count()).select_from(FeedbackAnswer)) == 0
        assert await session.scalar(select(func.count()).select_from(Person)) == 1  # staff


async def test_staff_never_see_the_platform_id_without_consent(dispatcher: Dispatcher) -> None:
    ana, staff = Chat(dispatcher, user=ANA), Chat(dispatcher, user=STAFF)
    reference = re.findall(r"F-\w{6}", await ana.ask("/feedback Ohne Kontakt"))[0]
    for command in ("/inbox", f"/show {reference}", "/inbox all", "/fbstats"):
        assert "1001" not in await staff.ask(command)


@pytest.mark.postgres
async def test_mydata_deleteme_and_retention_on_postgresql(
    config: Config,
    postgres_url: str,
) -> None:
    storage = config.storage.model_copy(update={"url": postgres_url})
    on_postgres = configured(config.model_copy(update={"storage": storage}))
    async with App.open(on_postgres) as app:
        ana = Chat(dispatcher_for(app, on_postgres), user=ANA)
        await ana.ask("/feedback Auf PostgreSQL")
        await ana.ask("/subscribe alle")
        (reply,) = await ana.send("/mydata")
        assert reply.attachment is not None
        assert json.loads(reply.attachment.data)["feedback"][0]["text"] == "Auf PostgreSQL"
        await ana.ask("/deleteme")
        assert "1 Abonnement, 0 Rollen" in await ana.press("Ja, alles löschen")
        assert await count(app, PersonIdentity, PersonIdentity.identity == ANA) == 0
        assert await count(app, Feedback) == 0
        await ana.ask("Wie hoch ist der Mond über dem Pfaffenberg?")  # an unanswered question
        later = datetime.now(UTC) + timedelta(days=400)
        forgotten = await apply_retention(app.sessions, app.config, later)
        assert forgotten.gap_questions_deleted == 1


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('feedback_on_deletion = "keep"', "[privacy] feedback_on_deletion"),
        ('purposes = { de = "Nur Deutsch" }', "[privacy] purposes en"),
        ("gap_log_days = 0", "[privacy] gap_log_days"),
    ],
)
def test_a_bad_privacy_key_is_named(tmp_path: Path, toml: str, named: str) -> None:
    path = tmp_path / "klbot.toml"
    path.write_text(f"[privacy]\n{toml}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_config(path, env={})


async def test_mydata_and_deleteme_only_in_a_direct_chat(app: App, dispatcher: Dispatcher) -> None:
    who, room = Identity.parse(ANA), Identity.parse("telegram:-100777")
    for command in ("/mydata", "/deleteme"):
        message = Incoming(chat=room, sender=who, text=command, is_direct=False)
        [reply] = await dispatcher.handle(message, Surface(buttons=True, username="klbot"))
        assert "nur im direkten Chat" in reply.text and reply.attachment is None
    assert await count(app, PersonIdentity, PersonIdentity.identity == ANA) == 1


async def test_deleteme_on_matrix_erases_what_waits_in_the_direct_room(
    app: App, dispatcher: Dispatcher
) -> None:
    """On Matrix a person's chat is their direct room, not their user id."""
    who, room = Identity.parse("matrix:@ana:kl.digital"), Identity.parse("matrix:!dm:kl.digital")
    surface = Surface(buttons=False)

    async def say(text: str) -> str:
        message = Incoming(chat=room, sender=who, text=text)
        replies = await dispatcher.handle(message, surface)
        return "\n".join(reply.text for reply in replies)

    await say("/mydata")  # its JSON file now waits in the outbox for the direct room
    assert await count(app, OutboxMessage, OutboxMessage.chat == str(room)) == 2
    await say("/deleteme")
    assert "0 Rollen, 3 Nachrichten und" in await say("1")  # the summary, the file and the question
    assert await count(app, OutboxMessage, OutboxMessage.attachment.is_not(None)) == 0
    assert await count(app, PersonIdentity) == 0


@pytest.mark.parametrize(
    ("lang", "loose", "refusal", "no", "kept"),
    [
        ("de", "alles", "nicht verstanden", "nein", "nichts wurde gelöscht"),
        ("en", "everything", "did not get that", "no", "nothing was deleted"),
    ],
)
async def test_deleting_everything_takes_a_clear_yes(
    app: App, dispatcher: Dispatcher, lang: str, loose: str, refusal: str, no: str, kept: str
) -> None:
    ana = Chat(dispatcher, user=ANA, language=lang, surface=Surface(buttons=False, push=False))
    await ana.ask("/subscribe alle")
    await ana.ask("/deleteme")
    assert refusal in await ana.ask(loose)  # one word of the label is not a yes
    assert kept in await ana.ask(no)
    assert await count(app, PersonIdentity, PersonIdentity.identity == ANA) == 1
