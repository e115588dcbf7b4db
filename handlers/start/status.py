"""Tools for KL.digital staff."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Text
from bot.core.roles import Role
from bot.core.router import Router
from storage import db, people

router = Router("staff")

STATUS = Text(
    "klbot {version}\nDatabase: {backend}, schema {revision}\nKnown people: "
    "{persons}\nAnswers: {mode}"
)
MODES = {
    "hybrid": Text("lexical search and language model (multilingual-e5-small)"),
    "lexical": Text("lexical search only (language model unavailable or switched off)"),
}


def _version() -> str:
    try:
        return version("klbot")
    except PackageNotFoundError:
        return "(development)"


@router.command(
    "status",
    description=Text("klbot's state"),
    roles=[Role.STAFF],
)
async def status(ctx: Context) -> Reply:
    return ctx.reply(
        STATUS,
        version=_version(),
        backend=ctx.session.get_bind().dialect.name,
        revision=await db.session_revision(ctx.session),
        persons=await people.count_persons(ctx.session),
        mode=ctx.t(MODES[await ctx.services.knowledge.mode()]),
    )
