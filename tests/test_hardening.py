"""No input breaks klbot: arbitrary text in every conversation state of every handler.

Hypothesis sends arbitrary unicode (control characters and lone surrogates included),
huge texts and markup. Whatever comes in, no handler fails (the person would get the
"something went wrong" apology), and every reply, as the Telegram and Matrix adapters
would send it, is escaped and within the platform's limits.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.adapters.matrix_content import MAX_EVENT_BYTES, message_contents
from bot.adapters.telegram_text import message_parts, utf16_length
from bot.core.dispatcher import FAILED, Dispatcher
from bot.core.events import Identity, Incoming, Reply, Surface
from bot.runtime.app import App
from bot.runtime.config import Config
from handlers import all_routers
from storage import conversations, people
from tests.harness import dispatcher_for, with_roles

ADMIN, STAFF, BOARD, CITIZEN = "telegram:1", "telegram:2", "telegram:3", "telegram:4"
BUTTONS = Surface(buttons=True, username="klbot")
CONSOLE = Surface(buttons=False, push=False)
TELEGRAM_LIMIT = 4096
EXAMPLES = settings(
    max_examples=6,  # × 105 steps × 2 surfaces: 1,260 texts a run, different each run
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

MARKUP = [
    "<b>fett</b>",
    "<script>alert(1)</script>",
    "&amp; &lt; &#0;",
    "*fett* _kursiv_ `code` ~~weg~~",
    "[Link](javascript:alert(1))",
    "@room @everyone",
    '<a href="https://evil.example">hier</a>',
    "</p><br/>",
    "\u202eRTL\u202c",
    "Zalgo: Z\u0351\u0360\u0361A\u0357L\u0358G\u035bO",
]
characters = st.characters(codec=None, exclude_categories=())  # every code point
texts = st.one_of(
    st.text(characters, max_size=200),
    st.sampled_from(MARKUP),
    st.builds(
        lambda piece, times: piece * times,
        st.text(characters, min_size=1, max_size=4),
        st.integers(500, 4200),
    ),
    st.builds(lambda a, b: a + b, st.sampled_from(MARKUP), st.text(characters, max_size=50)),
    st.builds(lambda n: "🦄" * n, st.integers(2100, 4096)),
    st.sampled_from(["1", "0", "99", "-1", "/", "/cancel", "/start@otherbot", "1.5", "١"]),
    st.sampled_from(["99999999999999999999", "#99999999999999999999", "9223372036854775808"]),
)

COMMANDS = sorted(command.name for router in all_routers() for command in router.commands)
CALLBACKS = sorted(c.kind.prefix for router in all_routers() for c in router.callbacks)
Action = tuple[str, str]  # ("text", …) or ("data", button data)
ANNOUNCE = [("text", "/announce"), ("data", "ann:audience:all"), ("text", "Hallo Stadt")]
ANNOUNCE_CONFIRM = [*ANNOUNCE, ("data", "ann:english:none")]
FEEDBACK = [("text", "/feedback"), ("data", "fb:topic:general")]
EDIT = [
    *ANNOUNCE_CONFIRM,
    ("data", "ann:confirm:later"),
    ("text", "01.12.2099 09:00"),
    ("text", "/edit {latest}"),
]
# A way into every step of every conversation; "{latest}" is the newest announcement.
STATES: dict[tuple[str, str], list[Action]] = {
    ("feedback", "topic"): [("text", "/feedback")],
    ("feedback", "rating"): FEEDBACK,
    ("feedback", "text"): [*FEEDBACK, ("data", "fb:rating:3")],
    ("feedback", "contact"): [*FEEDBACK, ("data", "fb:rating:skip"), ("text", "Lob")],
    ("feedback", "confirm"): [
        *FEEDBACK,
        ("data", "fb:rating:skip"),
        ("text", "Lob"),
        ("data", "fb:contact:0"),
    ],
    ("feedback", "missing"): [("text", "Wer ist der CDO?"), ("data", "rate:1:0")],
    ("deleteme", "confirm"): [("text", "/deleteme")],
    ("announce", "audience"): [("text", "/announce")],
    ("announce", "german"): ANNOUNCE[:2],
    ("announce", "english"): ANNOUNCE,
    ("announce", "confirm"): ANNOUNCE_CONFIRM,
    ("announce", "when"): [*ANNOUNCE_CONFIRM, ("data", "ann:confirm:later")],
    ("announce", "rule"): [*ANNOUNCE_CONFIRM, ("data", "ann:confirm:repeat")],
    ("edit-announcement", "menu"): EDIT,
    ("edit-announcement", "german"): [*EDIT, ("data", "annedit:german:")],
    ("edit-announcement", "english"): [*EDIT, ("data", "annedit:english:")],
    ("edit-announcement", "when"): [*EDIT, ("data", "annedit:when:")],
    ("edit-announcement", "audience"): [*EDIT, ("data", "annedit:audience:")],
}


@dataclass
class Person:
    dispatcher: Dispatcher
    identity: str
    surface: Surface = BUTTONS
    latest: str = "1"

    async def act(self, kind: str, value: str) -> list[Reply]:
        who = Identity.parse(self.identity)
        text, data = (
            (value.replace("{latest}", self.latest), None) if kind == "text" else (None, value)
        )
        message = Incoming(chat=who, sender=who, text=text, callback=data)
        replies = await self.dispatcher.handle(message, self.surface)
        for reply in replies:
            found = re.search(r"Ankündigung #(\d+) ist geplant", reply.text)
            self.latest = found.group(1) if found else self.latest
        return replies

    async def step(self) -> tuple[str, str] | None:
        """The conversation step this person is at."""
        async with self.dispatcher.sessions() as session:
            person = await people.find_person(session, identity=self.identity)
            if person is None:  # erased with /deleteme
                return None
            current = await conversations.get_conversation(
                session, chat=self.identity, person_id=person.id
            )
        return (current.name, current.step) if current is not None else None


def check(replies: list[Reply]) -> None:
    """Nothing failed; every reply, as sent, is escaped and fits the platforms' limits."""
    for reply in replies:
        assert reply.text not in (FAILED("de"), FAILED("en")), "a handler raised"
        for part in message_parts(reply.text):
            assert "<" not in part and ">" not in part, "unescaped markup"
            assert utf16_length(html.unescape(part)) <= TELEGRAM_LIMIT
            assert len(part) > 0
        for content in message_contents(reply):
            size = len(json.dumps(content, ensure_ascii=False).encode("utf-8", "surrogatepass"))
            assert size <= MAX_EVENT_BYTES
            assert "<script" not in content["formatted_body"]
            assert html.unescape(content["formatted_body"].replace("<br>", "\n")) == content["body"]


@pytest.fixture
def dispatcher(app: App, config: Config) -> Dispatcher:
    return dispatcher_for(app, with_roles(config, admin=[ADMIN], staff=[STAFF], board=[BOARD]))


def test_every_conversation_step_is_covered(dispatcher: Dispatcher) -> None:
    assert set(dispatcher.steps) | dispatcher.choice_steps == set(STATES)


@pytest.mark.parametrize("state", list(STATES), ids=lambda s: "/".join(s))
@pytest.mark.parametrize("surface", [BUTTONS, CONSOLE], ids=["buttons", "numbers"])
@EXAMPLES
@given(text=texts)
@example(text="🦄" * 4000)  # two UTF-16 code units each, as Telegram counts
@example(text="&<>" * 1365)  # grows fivefold when escaped
@example(text="\x00\x1b[31m\u200b\ud800")  # control characters, a lone surrogate
async def test_any_text_in_any_conversation_state(
    dispatcher: Dispatcher, state: tuple[str, str], surface: Surface, text: str
) -> None:
    staff = Person(dispatcher, STAFF, surface)
    await staff.act("text", "/cancel")
    for kind, value in STATES[state]:
        check(await staff.act(kind, value))
    assert await staff.step() == state
    check(await staff.act("text", text))


said = st.one_of(
    st.text(st.characters(categories=("L", "N", "P", "Zs", "So")), min_size=1, max_size=120),
    st.sampled_from(["ja", "nein", "1", "0", "99", "hallo", "Wer ist der CDO?", "abbrechen"]),
).filter(lambda text: text.strip() != "" and not text.strip().startswith("/"))


@pytest.mark.parametrize("state", list(STATES), ids=lambda s: "/".join(s))
@pytest.mark.parametrize("surface", [BUTTONS, CONSOLE], ids=["buttons", "numbers"])
@EXAMPLES
@given(text=said)
async def test_no_dead_end_any_text_leads_on_or_out_within_three_messages(
    dispatcher: Dispatcher, state: tuple[str, str], surface: Surface, text: str
) -> None:
    """From every step of every flow, the same text (no command) sent again and again
    moves the flow on or ends it by the third time."""
    staff = Person(dispatcher, STAFF, surface)
    await staff.act("text", "/cancel")
    for kind, value in STATES[state]:
        await staff.act(kind, value)
    assert await staff.step() == state
    for _ in range(3):
        check(await staff.act("text", text))
        if await staff.step() != state:
            return
    pytest.fail(f"still at {state} after {text!r} three times")


@EXAMPLES
@given(
    identity=st.sampled_from([ADMIN, STAFF, BOARD, CITIZEN]),
    command=st.sampled_from(COMMANDS),
    args=texts,
)
@example(identity=STAFF, command="approve", args="99999999999999999999")
@example(identity=STAFF, command="edit", args="99999999999999999999")
@example(identity=STAFF, command="unschedule", args="#9223372036854775808")
async def test_any_arguments_to_any_command(
    dispatcher: Dispatcher, identity: str, command: str, args: str
) -> None:
    person = Person(dispatcher, identity)
    check(await person.act("text", f"/{command} {args}"))
    check(await person.act("text", "/cancel"))


@EXAMPLES
@given(
    identity=st.sampled_from([STAFF, CITIZEN]),
    prefix=st.sampled_from(CALLBACKS),
    data=texts,
)
async def test_any_button_data(
    dispatcher: Dispatcher, identity: str, prefix: str, data: str
) -> None:
    person = Person(dispatcher, identity)
    check(await person.act("data", f"{prefix}:{data}"))
    check(await person.act("text", "/cancel"))
