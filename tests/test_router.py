"""Router and dispatcher: commands, @botname, arguments, buttons, conversations."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.dispatcher import Dispatcher
from bot.core.events import Button, Identity, Incoming, Reply, Surface
from bot.core.i18n import Text
from bot.core.roles import Role
from bot.core.router import Args, Router, parse_command
from bot.runtime.app import App
from bot.runtime.config import Config
from handlers import all_routers
from storage.models import OutboxMessage
from tests.harness import Chat, with_roles

# A small feature used only here: a two-step order conversation with buttons.
orders = Router("orders")


@dataclass(frozen=True)
class Size(ButtonData, prefix="size"):
    size: str


orders.choices("order", "size")


@orders.command("order", description=Text("order"))
async def order(ctx: Context) -> Reply:
    await ctx.start_conversation("order", "size")
    return ctx.reply("Which size?", buttons=[[("Small", Size("S").pack()), ("Large", "size:L")]])


@orders.callback(Size, conversation="order", step="size", stale=Text("Over."))
async def size(ctx: Context) -> Reply:
    await ctx.goto("name", size=ctx.pressed(Size).size)
    return ctx.reply("Your name?")


@orders.step("order", "name")
async def name(ctx: Context) -> Reply:
    assert ctx.conversation is not None
    size = ctx.conversation.data["size"]
    await ctx.end_conversation()
    return ctx.reply(f"Order: size {size} for {ctx.message.text}.")


@orders.command(
    "echo",
    description=Text("repeat"),
    args=Args.REQUIRED,
    usage=Text("/echo hello"),
)
async def echo(ctx: Context) -> Reply:
    return ctx.reply(f"echo: {ctx.args}")


@dataclass(frozen=True)
class Refund(ButtonData, prefix="refund"):
    order: int
    note: str


@orders.command("refunds", description=Text("refunds"))
async def refunds(ctx: Context) -> Reply:
    await ctx.start_conversation("refund", "reason")
    return ctx.reply("Refund order 7?", buttons=[[("Refund", Refund(7, "late: 2 days").pack())]])


@orders.callback(Refund, roles=[Role.STAFF])
async def refund(ctx: Context) -> Reply:
    pressed = ctx.pressed(Refund)
    return ctx.reply(f"Refunded #{pressed.order} ({pressed.note}).")


@orders.step("refund", "reason", roles=[Role.STAFF])
async def reason(ctx: Context) -> Reply:
    return ctx.reply(f"Reason noted: {ctx.message.text}")


@orders.command("explode", description=Text("broken"))
async def explode(ctx: Context) -> Reply:
    await ctx.start_conversation("order", "size")
    raise RuntimeError("boom")


def dispatcher(app: App, config: Config) -> Dispatcher:
    return Dispatcher([orders, *all_routers()], app.sessions, config, app.services)


@pytest.mark.parametrize(
    ("text", "name", "args", "addressee"),
    [
        ("/help", "help", "", None),
        ("/help@klbot", "help", "", "klbot"),
        ("/HELP@KLBot  language ", "help", "language", "KLBot"),
        ("/echo multi\nline", "echo", "multi\nline", None),
    ],
)
def test_parse_command(text: str, name: str, args: str, addressee: str | None) -> None:
    parsed = parse_command(text)
    assert parsed is not None
    assert (parsed.name, parsed.args, parsed.addressee) == (name, args, addressee)


@pytest.mark.parametrize("text", ["hello", "/", "/ help", "//help", "/hä"])
def test_parse_command_rejects_non_commands(text: str) -> None:
    assert parse_command(text) is None


async def test_command_addressed_to_this_bot_is_answered(chat: Chat) -> None:
    assert "/start" in await chat.ask("/help@klbot")
    assert "/start" in await chat.ask("/help@KLBOT")


async def test_command_addressed_to_another_bot_is_ignored(chat: Chat) -> None:
    assert await chat.send("/help@otherbot") == []


async def test_required_argument_missing_shows_an_example(app: App, config: Config) -> None:
    chat = Chat(dispatcher(app, config))
    assert "/echo hello" in await chat.ask("/echo")
    assert await chat.ask("/echo  hi there") == "echo: hi there"


async def test_stray_arguments_get_a_clear_reply(chat: Chat) -> None:
    answer = await chat.ask("/cancel now please")
    assert "/cancel braucht keine weiteren Angaben" in answer


async def test_stale_button_is_explained(chat: Chat) -> None:
    chat.last = [Reply("old", ((Button("Old", "gone:1"),),))]
    assert "gilt nicht mehr" in await chat.press("Old")


async def test_conversation_continues_after_a_restart(config: Config) -> None:
    async with App.open(config) as app:
        chat = Chat(dispatcher(app, config))
        assert await chat.ask("/order") == "Which size?"
        assert await chat.press("Large") == "Your name?"
    async with App.open(config) as app:  # a new process on the same database
        chat = Chat(dispatcher(app, config))
        assert await chat.ask("Ana") == "Order: size L for Ana."
        assert "keine Informationen" in await chat.ask("Ana")  # the conversation is over


async def test_cancel_leaves_the_conversation(app: App, config: Config) -> None:
    chat = Chat(dispatcher(app, config))
    await chat.ask("/order")
    await chat.press("Small")
    assert "Abgebrochen" in await chat.ask("/cancel")
    assert "keine Informationen" in await chat.ask("Ana")


async def test_conversations_are_per_person(app: App, config: Config) -> None:
    d = dispatcher(app, config)
    ana, ben = Chat(d, user="telegram:1"), Chat(d, user="telegram:2")
    await ana.ask("/order")
    await ana.press("Small")
    assert "keine Informationen" in await ben.ask("Ben")
    assert await ana.ask("Ana") == "Order: size S for Ana."


async def test_failing_handler_apologises_and_stores_nothing(app: App, config: Config) -> None:
    chat = Chat(dispatcher(app, config))
    answer = await chat.ask("/explode")
    assert "schiefgegangen" in answer and "nichts" in answer
    # the conversation it started was rolled back: free text is not taken as a step
    assert "keine Informationen" in await chat.ask("Ana")


async def test_numbered_choices_on_a_platform_without_buttons(app: App, config: Config) -> None:
    chat = Chat(dispatcher(app, config), user="console:ana", surface=Surface(buttons=False))
    await chat.ask("/order")
    assert "1 bis 2" in await chat.ask("3")
    assert await chat.ask("2") == "Your name?"
    assert await chat.ask("Ana") == "Order: size L for Ana."


def test_a_command_registered_twice_is_refused(app: App, config: Config) -> None:
    twice = Router("twice")

    @twice.command("help", description=Text("x"))
    async def other_help(ctx: Context) -> None:
        return None

    with pytest.raises(ValueError, match="/help registered twice"):
        Dispatcher([*all_routers(), twice], app.sessions, config, app.services)


async def test_a_button_counts_only_at_its_step(app: App, config: Config) -> None:
    chat = Chat(dispatcher(app, config))
    await chat.ask("/order")
    sizes = chat.last
    await chat.press("Large")
    chat.last = sizes  # the size buttons again, now that the order asks for a name
    assert await chat.press("Small") == "Over."  # a test router: no catalogue entry
    assert await chat.ask("Ana") == "Order: size L for Ana."


async def test_role_filters_on_buttons_and_steps(app: App, config: Config) -> None:
    staffed = with_roles(config, staff=["telegram:2"])
    citizen = Chat(dispatcher(app, staffed), user="telegram:1")
    staff = Chat(dispatcher(app, staffed), user="telegram:2")
    await citizen.ask("/refunds")
    assert "gilt nicht mehr" in await citizen.press("Refund")  # no staff: nothing refunded
    assert "fehlt dir die nötige Rolle" in await citizen.ask("too late")
    await staff.ask("/refunds")
    assert await staff.press("Refund") == "Refunded #7 (late: 2 days)."
    demoted = Chat(dispatcher(app, config), user="telegram:2")  # staff no more
    assert "fehlt dir die nötige Rolle" in await demoted.ask("too late")
    assert "keine Informationen" in await demoted.ask("too late")  # the conversation ended


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("refund:7:late: 2 days", Refund(7, "late: 2 days")),  # the last field keeps ":"
        ("refund:7:", Refund(7, "")),
        ("refund:x:late", None),  # not a number
        ("refund:7", None),  # a field missing
        ("size:7:late", None),  # another kind
        ("refund:99999999999999999999:x", None),  # no number that long
    ],
)
def test_button_data_round_trip_and_malformed_data(data: str, expected: Refund | None) -> None:
    assert Refund.unpack(data) == expected
    if expected is not None:
        assert expected.pack() == data


async def test_every_reply_reaches_the_outbox_on_a_platform_that_pushes(
    app: App, config: Config
) -> None:
    """Replies to bad input and apologies take the same way as answers."""
    d, who = dispatcher(app, config), Identity.parse("telegram:5")
    for number, text in enumerate(["x" * 5000, "   ", "/explode", "/order"]):
        message = Incoming(chat=who, sender=who, text=text)
        await d.handle(message, Surface(buttons=True), update_key=f"update:{number}")
    async with app.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [row.chat for row in rows] == ["telegram:5"] * 4
    assert "5000 Zeichen zu lang" in rows[0].text
    assert "leer" in rows[1].text
    assert "schiefgegangen" in rows[2].text
    assert rows[3].text == "Which size?" and rows[3].buttons == [
        [["Small", "size:S"], ["Large", "size:L"]]
    ]
