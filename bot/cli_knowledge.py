"""``klbot kb``: check, import and inspect the knowledge base from the shell."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.config import Config

if TYPE_CHECKING:
    from bot.app import App


@click.group()
def kb() -> None:
    """Knowledge base: check a file, import it, list unanswered questions."""


def _summary(path: Path) -> str:
    from bot.knowledge.schema import KnowledgeError, load_file

    try:
        base = load_file(path)
    except KnowledgeError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo(f"{path}: {len(exc.problems)} problem(s); nothing was changed.", err=True)
        sys.exit(1)
    return (
        f"officers: {len(base.officers)}, projects: {len(base.projects)}, "
        f"FAQ entries: {len(base.faq)}, synonym groups: {len(base.synonyms)}"
    )


@kb.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Validate a content FILE; exit 1 with one line per problem."""
    click.echo(f"{file}: ok ({_summary(file)})")


@kb.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_(config: Config, file: Path) -> None:
    """Validate FILE and make it the knowledge base every klbot process answers from."""
    from bot.cli import with_app

    summary = _summary(file)
    text = file.read_text(encoding="utf-8")

    async def work(app: App) -> int:
        async with app.sessions() as session, session.begin():
            loaded = await app.services.knowledge.import_text(session, source=str(file), text=text)
            return loaded.version

    version = with_app(config, work)
    click.echo(f"{file}: imported as version {version} ({summary})")


@kb.command()
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3650))
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.pass_obj
def gaps(config: Config, days: int, limit: int) -> None:
    """The most frequent questions klbot could not answer."""
    from bot.cli import with_app
    from handlers.questions import GAPS_HOW, gap_report
    from storage import knowledge as store

    async def work(app: App) -> list[list[str]]:
        async with app.sessions() as session:
            since = datetime.now(UTC) - timedelta(days=days)
            found = await store.gaps(session, since=since, limit=limit)
            index = (await app.services.knowledge.current(session)).index
            reports = []
            for gap in found:
                first, *rest = gap_report(index, gap, "en")
                reports.append([f"{gap.last_asked:%Y-%m-%d}  {first}", *rest])
            return reports

    reports = with_app(config, work)
    if not reports:
        click.echo(f"no unanswered questions in the last {days} days")
        return
    click.echo("\n\n".join(["\n".join(report) for report in reports] + [GAPS_HOW("en")]))
