"""Free-text questions answered from the knowledge base, and honest declines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.dispatcher import Dispatcher
from bot.knowledge.schema import default_text, parse
from bot.knowledge.service import Loaded
from bot.runtime.app import App
from bot.runtime.config import Config
from handlers.questions.chat import DID_YOU_MEAN
from handlers.questions.gaps import gap_report
from storage import knowledge as store
from storage.knowledge import Gap
from tests.harness import Chat, dispatcher_for, with_roles


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wer ist der CDO?", "Prof. Dieter Rombach"),
        ("who runs the city's digital company?", "Rombach"),  # no managing director named
        ("Was macht Herr Steinebach?", "Hochschulentwicklungsplan"),
        ("wer ist der chief urban oficer", "Gerhard Steinebach"),  # typo, lower case
        ("Wer ist der Oberburgermeister?", "Klaus Weichel"),  # umlaut dropped
        ("Wer ist der Oberbuergermeister?", "Klaus Weichel"),  # umlaut as ue
        ("who is the mayor", "Klaus Weichel"),  # mayor ↔ Oberbürgermeister
        ("Wer ist der OB?", "Klaus Weichel"),
        ("Rombahc", "Chief Digital Officer"),
        ("Hat Kaiserslautern den Bitkom-Wettbewerb gewonnen?", "Darmstadt"),
        ("Was ist KL.digital?", "einhundertprozentige Tochtergesellschaft"),
        ("Who chairs the advisory board?", "Rombach"),
        ("Wer ist denn zur Zeit unser Oberbürgermeister?", "Klaus Weichel"),  # "zur Zeit": filler
    ],
)
async def test_questions_get_the_right_answer(chat: Chat, question: str, expected: str) -> None:
    """Answered at once, or offered as "did you mean" and answered with one tap."""
    reply = await chat.ask(question)
    if reply == DID_YOU_MEAN("en") or reply == DID_YOU_MEAN("de"):
        choices, pressed = chat.buttons(), []
        for label in choices:
            await chat.ask(question)
            pressed.append(await chat.press(label))
        reply = "\n".join(pressed)
    assert expected in reply


async def test_an_unsure_question_is_asked_back_and_one_tap_answers(chat: Chat) -> None:
    reply = await chat.ask("who runs the city's digital company?")
    assert reply == "I'm not sure what you mean. Did you mean one of these?"
    assert "Prof. Dieter Rombach" in chat.buttons()
    answer = await chat.press("Prof. Dieter Rombach")
    assert "Chief Digital Officer" in answer and "Source:" in answer
    assert "👍 Helpful" in chat.buttons()


async def test_answer_is_in_the_language_of_the_question_with_source_and_date(chat: Chat) -> None:
    english = await chat.ask("Who is the CDO?")
    assert "has been the City of Kaiserslautern's Chief Digital Officer" in english
    assert "Source: Kaiserslautern: Tochter für die Digitalisierung, 15 November 2017" in english
    german = await chat.ask("Wer ist der CDO?")
    assert "Quelle: Kaiserslautern: Tochter für die Digitalisierung, 15.11.2017" in german


async def test_answer_offers_rating_and_a_next_step(chat: Chat) -> None:
    await chat.ask("Hat KL.digital einen Beirat?")
    assert chat.buttons()[:2] == ["👍 Hilfreich", "👎 Nicht hilfreich"]
    assert "Mehr: Prof. Dieter Rombach" in chat.buttons()
    assert "Chief Digital Officer" in await chat.press("Mehr: Prof. Dieter Rombach")


@pytest.mark.parametrize(
    "question",
    [
        "Wer ist der CDO von Siemens?",
        "Who is the mayor of Munich?",
        "Wer ist Oberbürgermeister von Darmstadt?",
        "Wie wird das Wetter morgen?",
        "Wie viele Mitarbeiter hat KL.digital?",
        "What is the phone number of KL.digital?",
        # They name someone the base knows, but ask what it does not say of them.
        "How old is Dieter Rombach?",
        "Wo hat Gerhard Steinebach studiert?",
        "Ist Klaus Weichel verheiratet?",
        "Was verdient der Oberbürgermeister?",
        "Wer war vor Klaus Weichel Oberbürgermeister?",
        "Who chairs the supervisory board of KL.digital?",
        "Wann endet die Amtszeit von Rombach?",
    ],
)
async def test_out_of_scope_questions_are_declined(chat: Chat, question: str) -> None:
    """Declined with a way forward, or (where an entry is plausible) asked back: never
    answered."""
    answer = await chat.ask(question)
    if answer not in (DID_YOU_MEAN("de"), DID_YOU_MEAN("en")):
        assert "keine Informationen" in answer or "no information" in answer
        assert "/feedback" in answer
    assert len(chat.buttons()) <= 3
    assert "👍 Hilfreich" not in chat.buttons()


async def test_decline_suggests_close_topics(chat: Chat) -> None:
    await chat.ask("Wer ist Oberbürgermeister von Darmstadt?")
    assert "Hat Kaiserslautern den Bitkom-Wettbewerb gewonnen?" in chat.buttons() or (
        "Klaus Weichel" in chat.buttons()
    )


@pytest.mark.parametrize("question", ["👍🎉", "?!", "Hallo", "Guten Morgen!"])
async def test_content_free_messages_get_an_introduction(chat: Chat, question: str) -> None:
    assert "Wer ist der CDO?" in await chat.ask(question)


@pytest.mark.parametrize(
    "question",
    [
        "'; DROP TABLE persons; --",
        "<script>alert('CDO')</script>",
        "**Wer** ist der _CDO_? [link](http://x)",
        "Who ist der CDO von KL.digital, please?",
        "x" * 4000,
    ],
)
async def test_markup_sql_and_mixed_languages_are_just_text(chat: Chat, question: str) -> None:
    answer = await chat.ask(question)
    assert answer
    assert "schiefgegangen" not in answer
    assert "/help" in await chat.ask("/help")  # the database is intact


async def test_rating_is_stored_and_summarised_for_staff(app: App, config: Config) -> None:
    citizen = Chat(app.dispatcher)
    await citizen.ask("Wer ist der CDO?")
    assert "Danke" in await citizen.press("👍 Hilfreich")
    await citizen.ask("Who is the CUO?")
    await citizen.press("👎 Not helpful")
    staff = Chat(staff_dispatcher(app, config), user="console:staff")
    summary = await staff.ask("/ratings")
    assert "Prof. Dieter Rombach: 1 · 1 · 0" in summary
    assert "Prof. Gerhard Steinebach: 1 · 0 · 1" in summary


def staff_dispatcher(app: App, config: Config) -> Dispatcher:
    """The app's dispatcher, with console:staff as a staff member."""
    return dispatcher_for(app, with_roles(config, staff=["console:staff"]))


async def test_unanswered_questions_are_logged_without_identity(app: App, config: Config) -> None:
    for user in ("telegram:1", "telegram:2", "matrix:@ana:example.org"):
        await Chat(app.dispatcher, user=user).ask("Wann fährt der Bus?")
    await Chat(app.dispatcher).ask("Wie wird das Wetter?")
    staff = Chat(staff_dispatcher(app, config), user="console:staff")
    gaps = await staff.ask("/gaps")
    assert gaps.index("3× Wann fährt der Bus?") < gaps.index("1× Wie wird das Wetter?")
    assert "telegram:1" not in gaps and "@ana" not in gaps
    assert "nur Mitarbeitenden" in await Chat(app.dispatcher).ask("/gaps")


async def test_gaps_show_what_the_base_lacks_until_staff_add_it(app: App, config: Config) -> None:
    question = "Wer ist der Chef vom ganzen Digitalkram?"
    assert "Prof. Dieter Rombach" not in await Chat(app.dispatcher).ask(question)
    staff = Chat(staff_dispatcher(app, config), user="console:staff")
    gaps = await staff.ask("/gaps")
    assert "Wörter, die die Wissensbasis nicht kennt: Digitalkram" in gaps
    assert "am nächsten: " in gaps and "klbot kb check" in gaps

    taught = default_text().replace('keywords = ["Stabsstelle",', 'keywords = ["Digitalkram",', 1)
    async with app.sessions() as session, session.begin():
        await app.services.knowledge.import_text(session, source="taught", text=taught)
    assert "Prof. Dieter Rombach" in await Chat(app.dispatcher).ask(question)
    assert "inzwischen beantwortet mit: Prof. Dieter Rombach" in await staff.ask("/gaps")


async def test_staff_teach_a_gap_to_its_entry_with_two_taps(app: App, config: Config) -> None:
    question = "Wer kümmert sich um den ganzen Digitalkram?"
    citizen = Chat(app.dispatcher, user="telegram:7")
    assert "Source" not in await citizen.ask(question)
    staff = Chat(staff_dispatcher(app, config), user="console:staff")
    await staff.ask("/gaps")
    assert "Welcher Eintrag beantwortet" in await staff.press("1. zuordnen")
    entry = staff.buttons()[0]
    assert f"beantworte ich ab jetzt mit „{entry}“" in await staff.press(entry)
    answer = await citizen.ask(question)
    assert "Quelle:" in answer
    assert f"inzwischen beantwortet mit: {entry}" in await staff.ask("/gaps")


async def test_only_staff_can_teach(app: App) -> None:
    citizen = Chat(app.dispatcher, user="telegram:8")
    await citizen.ask("Wer kümmert sich um den ganzen Digitalkram?")
    forged = citizen._message(callback="taught:1:rombach")
    [reply] = await app.dispatcher.handle(forged, citizen.surface)
    assert "nicht mehr gespeichert" in reply.text
    async with app.sessions() as session:
        assert await store.taught(session) == []


def test_a_long_gap_is_shown_short() -> None:
    knowledge = Loaded(1, "default", parse(default_text(), "default"))
    words = " ".join(f"Wort{n:04}x" for n in range(900))
    outcome = knowledge.ask_now(words)
    first, unknown = gap_report(knowledge, Gap(words, 2, datetime.now(UTC)), outcome, "de")
    assert first.startswith("2× Wort0000x Wort0001x") and first.endswith("…")
    assert len(first) <= 203
    assert unknown.endswith("Wort0008x, Wort0009x, …")
