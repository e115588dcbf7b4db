"""/subscribe, /unsubscribe, /subscriptions: news by opt-in, per chat."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Text
from bot.core.router import Args, Router
from handlers.privacy.chat import first_time_notice
from handlers.subscriptions.topics import tags, topic_key
from storage import subscriptions as store

router = Router("subscriptions")


@dataclass(frozen=True)
class Subscribe(ButtonData, prefix="sub"):
    topic: str


@dataclass(frozen=True)
class Unsubscribe(ButtonData, prefix="unsub"):
    topic: str
    """A topic, or :data:`EVERYTHING`."""


EVERYTHING = "*"


ALL_NEWS = Text("All news")
CHOOSE = Text("What would you like news about? You can leave at any time with /unsubscribe.")
SUBSCRIBED = Text("Subscribed: {topic}. You will get news about it here in this chat.")
ALREADY = Text("You are already subscribed: {topic}.")
UNKNOWN_TOPIC = Text("I don't know a topic “{query}”. /subscribe shows all topics.")
UNSUBSCRIBED = Text("Unsubscribed: {topic}.")
UNSUBSCRIBED_ALL = Text("You are unsubscribed from all news.")
NOT_SUBSCRIBED = Text("You were not subscribed to that. /subscriptions shows your subscriptions.")
LIST = Text("Your subscriptions in this chat:")
NONE = Text("You have no subscriptions here. /subscribe signs you up.")
WHICH = Text("Which news would you like to stop?")
EVERY_TOPIC = Text("All of them")


async def topics(ctx: Context) -> list[tuple[str, str]]:
    """(topic, label): all news, every project, then every topic tag of the projects."""
    loaded = await ctx.services.knowledge.current(ctx.session)
    projects = [(f"project:{p.id}", p.name.get(ctx.lang)) for p in loaded.kb.projects]
    labelled_tags = ((f"tag:{tag}", f"# {tag}") for tag in tags(loaded.kb))
    return [(store.ALL, ctx.t(ALL_NEWS)), *projects, *labelled_tags]


async def label(ctx: Context, topic: str) -> str:
    return dict(await topics(ctx)).get(topic, topic)


async def resolve(ctx: Context, query: str) -> str | None:
    """The topic a person names: ``all``/``alle``, a project by name, alias or typo, or a
    topic tag."""
    loaded = await ctx.services.knowledge.current(ctx.session)
    return topic_key(loaded.kb, query)


@router.command(
    "subscribe",
    description=Text("subscribe to news"),
    args=Args.OPTIONAL,
    usage=Text("/subscribe all"),
)
async def subscribe(ctx: Context) -> Reply | list[Reply]:
    notice = await first_time_notice(ctx)
    if not ctx.args:
        choices = await topics(ctx)
        buttons = [[(name, Subscribe(topic).pack())] for topic, name in choices]
        return [*notice, ctx.reply(CHOOSE, buttons=buttons)]
    topic = await resolve(ctx, ctx.args)
    if topic is None:
        return ctx.reply(UNKNOWN_TOPIC, query=ctx.args)
    done = await _subscribe(ctx, topic)
    return [*notice, done]


@router.callback(Subscribe)
async def subscribe_button(ctx: Context) -> Reply:
    return await _subscribe(ctx, ctx.pressed(Subscribe).topic)


async def _subscribe(ctx: Context, topic: str) -> Reply:
    new = await store.subscribe(
        ctx.session, chat=ctx.chat, person_id=ctx.person_id, topic=topic, language=ctx.lang
    )
    return ctx.reply(SUBSCRIBED if new else ALREADY, topic=await label(ctx, topic))


@router.command(
    "unsubscribe",
    description=Text("unsubscribe from news"),
    args=Args.OPTIONAL,
    usage=Text("/unsubscribe all"),
)
async def unsubscribe(ctx: Context) -> Reply:
    if ctx.args:
        topic = await resolve(ctx, ctx.args)
        return await _unsubscribe(ctx, topic) if topic else ctx.reply(NOT_SUBSCRIBED)
    mine = await store.topics_of(ctx.session, chat=ctx.chat)
    if not mine:
        return ctx.reply(NONE)
    names = dict(await topics(ctx))
    buttons: list[list[tuple[Text | str, str]]] = [
        [(names.get(topic, topic), Unsubscribe(topic).pack())] for topic in mine
    ]
    if len(mine) > 1:
        buttons.append([(EVERY_TOPIC, Unsubscribe(EVERYTHING).pack())])
    return ctx.reply(WHICH, buttons=buttons)


@router.callback(Unsubscribe)
async def unsubscribe_button(ctx: Context) -> Reply:
    return await _unsubscribe(ctx, ctx.pressed(Unsubscribe).topic)


async def _unsubscribe(ctx: Context, topic: str) -> Reply:
    if topic == EVERYTHING:
        await store.unsubscribe(ctx.session, chat=ctx.chat)
        return ctx.reply(UNSUBSCRIBED_ALL)
    if not await store.unsubscribe(ctx.session, chat=ctx.chat, topic=topic):
        return ctx.reply(NOT_SUBSCRIBED)
    return ctx.reply(UNSUBSCRIBED, topic=await label(ctx, topic))


@router.command(
    "subscriptions",
    description=Text("my subscriptions"),
)
async def subscriptions(ctx: Context) -> Reply:
    mine = await store.topics_of(ctx.session, chat=ctx.chat)
    if not mine:
        return ctx.reply(NONE)
    names = dict(await topics(ctx))
    return ctx.reply("\n".join([ctx.t(LIST), *(f"• {names.get(t, t)}" for t in mine)]))
