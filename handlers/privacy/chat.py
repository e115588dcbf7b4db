"""The privacy notice (/privacy), and the one line shown before a first feedback or
subscription."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, Template

from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Text
from bot.core.router import Router
from storage import privacy as store

router = Router("privacy")

FIRST_TIME = Text(
    "ℹ️ For this I store your platform identity and what you enter; /privacy "
    "explains more, /deleteme deletes it all."
)


@router.command("privacy", description=Text("what I store and why"))
async def privacy(ctx: Context) -> Reply:
    settings = ctx.config.privacy
    notice = notice_template(ctx.lang).render(
        controller=settings.controller,
        contact=settings.contact,
        dpo=settings.data_protection_officer,
        purposes=settings.purposes.get(ctx.lang),
        legal_basis=settings.legal_basis.get(ctx.lang),
        recipients=settings.recipients.get(ctx.lang),
        feedback_days=settings.feedback_anonymise_days,
        gap_days=settings.gap_log_days,
        delivery_days=settings.delivery_days,
    )
    return ctx.reply(notice.strip())


@cache
def notice_template(lang: str) -> Template:
    """The privacy notice in ``lang``: ``templates/notice.LANG.txt`` (Jinja2), a file a
    data protection officer can read and change without reading code."""
    environment = Environment(
        loader=PackageLoader("handlers.privacy"), autoescape=False, keep_trailing_newline=True
    )
    return environment.get_template(f"notice.{lang}.txt")


async def first_time_notice(ctx: Context) -> list[Reply]:
    """A line on what klbot stores, for a person who has neither filed feedback nor
    subscribed yet (its own reply, before the one it explains); otherwise none."""
    if await store.has_feedback_or_subscription(ctx.session, person_id=ctx.person_id):
        return []
    return [ctx.reply(FIRST_TIME)]
