"""Browsing the knowledge base: /about, /projects, /project, /officers, /officer."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Plural, Text, number
from bot.core.router import Args, Router
from bot.knowledge.fields import AnyEntry
from bot.knowledge.service import Loaded
from handlers.catalogue import entries

router = Router("catalogue")


@dataclass(frozen=True)
class ProjectPage(ButtonData, prefix="projects"):
    page: int


@dataclass(frozen=True)
class Officers(ButtonData, prefix="officers"):
    """The list of all contacts."""


PAGE_SIZE = 5

PROJECTS = Plural("{count} project in the catalogue:", "{count} projects in the catalogue:")
PROJECTS_PAGE = Text("Projects {first} to {last} of {count}:")
NO_PROJECTS = Text("There are no projects in the catalogue yet.")
OFFICERS = Text("Officers and contacts:")
PREVIOUS = Text("« Back")
NEXT = Text("Next »")
ALL_PROJECTS = Text("All projects")
ALL_OFFICERS = Text("All contacts")
NOT_FOUND = Text("I found {kind} matching “{query}”. {hint}")
NO_PROJECT = Text("no project")
NO_OFFICER = Text("no person")
PROJECTS_HINT = Text("/projects lists all projects.")
OFFICERS_HINT = Text("/officers lists everyone.")
GONE = Text("That entry no longer exists. /help shows what I can do.")


async def knowledge(ctx: Context) -> Loaded:
    return await ctx.services.knowledge.current(ctx.session)


def entry_reply(ctx: Context, entry: AnyEntry, loaded: Loaded) -> Reply:
    """A detail card with buttons to related entries."""
    buttons = [
        [(entries.title(r, ctx.lang), entries.Show(r.id).pack())]
        for r in entries.related(entry, loaded.kb)
    ]
    return ctx.reply(entries.detail(entry, loaded.kb, ctx.lang), buttons=buttons[:3])


@router.command("about", description=Text("about KL.digital"))
async def about(ctx: Context) -> Reply:
    loaded = await knowledge(ctx)
    card = entries.detail(loaded.kb.organisation, loaded.kb, ctx.lang)
    return ctx.reply(
        card, buttons=[[(ALL_PROJECTS, ProjectPage(0).pack()), (ALL_OFFICERS, Officers().pack())]]
    )


@router.command("projects", description=Text("all projects"))
async def projects(ctx: Context) -> Reply:
    return await _projects_page(ctx, 0)


@router.callback(ProjectPage)
async def projects_page(ctx: Context) -> Reply:
    return await _projects_page(ctx, ctx.pressed(ProjectPage).page)


async def _projects_page(ctx: Context, page: int) -> Reply:
    catalogue = (await knowledge(ctx)).kb.projects
    if not catalogue:
        return ctx.reply(NO_PROJECTS)
    pages = (len(catalogue) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = catalogue[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    heading = (
        ctx.t(PROJECTS, count=len(catalogue))
        if pages == 1
        else ctx.t(
            PROJECTS_PAGE,
            first=number(page * PAGE_SIZE + 1, ctx.lang),
            last=number(page * PAGE_SIZE + len(shown), ctx.lang),
            count=number(len(catalogue), ctx.lang),
        )
    )
    lines = [heading, *(f"• {p.name.get(ctx.lang)} – {p.status.get(ctx.lang)}" for p in shown)]
    buttons = [[(p.name.get(ctx.lang), entries.Show(p.id).pack())] for p in shown]
    navigation = []
    if page > 0:
        navigation.append((PREVIOUS, ProjectPage(page - 1).pack()))
    if page < pages - 1:
        navigation.append((NEXT, ProjectPage(page + 1).pack()))
    return ctx.reply("\n".join(lines), buttons=[*buttons, navigation] if navigation else buttons)


@router.command(
    "project",
    description=Text("one project in detail"),
    args=Args.REQUIRED,
    usage=Text("/project Digital City"),
)
async def project(ctx: Context) -> Reply:
    loaded = await knowledge(ctx)
    found = entries.find(loaded.kb.projects, ctx.args)
    if found is None:
        return ctx.reply(
            NOT_FOUND, query=ctx.args, kind=ctx.t(NO_PROJECT), hint=ctx.t(PROJECTS_HINT)
        )
    return entry_reply(ctx, found, loaded)


@router.command("officers", description=Text("all contacts"))
async def officers(ctx: Context) -> Reply:
    return await _officers(ctx)


@router.callback(Officers)
async def officers_button(ctx: Context) -> Reply:
    return await _officers(ctx)


async def _officers(ctx: Context) -> Reply:
    people = (await knowledge(ctx)).kb.officers
    lines = [ctx.t(OFFICERS), *(f"• {o.name} – {o.title.get(ctx.lang)}" for o in people)]
    return ctx.reply(
        "\n".join(lines), buttons=[[(o.name, entries.Show(o.id).pack())] for o in people]
    )


@router.command(
    "officer",
    description=Text("one person or role"),
    args=Args.REQUIRED,
    usage=Text("/officer Rombach"),
)
async def officer(ctx: Context) -> Reply:
    loaded = await knowledge(ctx)
    found = entries.find(loaded.kb.officers, ctx.args)
    if found is None:
        return ctx.reply(
            NOT_FOUND, query=ctx.args, kind=ctx.t(NO_OFFICER), hint=ctx.t(OFFICERS_HINT)
        )
    return entry_reply(ctx, found, loaded)


@router.callback(entries.Show)
async def show_entry(ctx: Context) -> Reply:
    loaded = await knowledge(ctx)
    entry = loaded.kb.entry(ctx.pressed(entries.Show).entry)
    return entry_reply(ctx, entry, loaded) if entry is not None else ctx.reply(GONE)
