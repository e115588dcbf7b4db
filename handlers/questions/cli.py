"""``klbot kb``: check, import and inspect the knowledge base from the shell."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from bot.cli.support import counted, with_app
from bot.knowledge.schema import KnowledgeError, load_file
from bot.runtime.app import App
from bot.runtime.config import Config
from handlers.questions.gaps import GAPS_HOW, gap_report
from storage import knowledge as store

MAX_TAUGHT = 1000
"""Longest question that can be taught, in characters."""


@click.group()
def kb() -> None:
    """Knowledge base: check a file, import it, list unanswered questions."""


def _summary(path: Path) -> str:

    try:
        base = load_file(path)
    except KnowledgeError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo(
            f"{path}: {counted(len(exc.problems), 'problem')}; nothing was changed.", err=True
        )
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

    async def work(app: App) -> list[list[str]]:
        async with app.sessions() as session, session.begin():
            since = datetime.now(UTC) - timedelta(days=days)
            found = await store.gaps(session, since=since, limit=limit)
            loaded = await app.services.knowledge.current(session)
            reports = []
            for gap in found:
                outcome = await loaded.ask(gap.question)
                first, *rest = gap_report(loaded, gap, outcome, "en")
                reports.append([f"{gap.last_asked:%Y-%m-%d}  {first}", *rest])
            return reports

    reports = with_app(config, work)
    if not reports:
        click.echo(f"no unanswered questions in the last {days} days")
        return
    click.echo("\n\n".join(["\n".join(report) for report in reports] + [GAPS_HOW("en")]))


@kb.command()
@click.argument("question")
@click.argument("entry_id")
@click.pass_obj
def teach(config: Config, question: str, entry_id: str) -> None:
    """Answer QUESTION (and the same in other words) with the entry ENTRY_ID."""
    if not question.strip() or len(question) > MAX_TAUGHT:
        click.echo(f"the question must have 1 to {MAX_TAUGHT} characters", err=True)
        sys.exit(1)

    async def work(app: App) -> int | None:
        async with app.sessions() as session, session.begin():
            knowledge = app.services.knowledge
            return await knowledge.teach(session, question=question.strip(), entry_id=entry_id)

    taught_id = with_app(config, work)
    if taught_id is None:
        click.echo(f"no entry {entry_id!r} in the knowledge base in use", err=True)
        sys.exit(1)
    click.echo(f"taught #{taught_id}: {question.strip()!r} → {entry_id}")


@kb.command()
@click.pass_obj
def taught(config: Config) -> None:
    """The questions staff taught, with their entries."""

    async def work(app: App) -> list[store.Taught]:
        async with app.sessions() as session:
            return await store.taught(session)

    found = with_app(config, work)
    if not found:
        click.echo("no taught questions")
    for t in found:
        click.echo(f"#{t.id}  {t.created_at:%Y-%m-%d}  {t.question!r} → {t.entry_id}")


@kb.command()
@click.argument("taught_id", type=click.IntRange(1, 2**31 - 1))
@click.pass_obj
def forget(config: Config, taught_id: int) -> None:
    """Remove the taught question TAUGHT_ID (see ``klbot kb taught``)."""

    async def work(app: App) -> bool:
        async with app.sessions() as session, session.begin():
            return await store.forget(session, taught_id=taught_id)

    if not with_app(config, work):
        click.echo(f"no taught question #{taught_id}", err=True)
        sys.exit(1)
    click.echo(f"forgot #{taught_id}")
