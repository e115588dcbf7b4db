"""Citizens' feedback: filing, reading, answering, statistics and export."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Select, column, func, insert, literal_column, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnClause

from storage.models import AnswerLog, Feedback, FeedbackAnswer, PersonIdentity

STATUSES = ("new", "read", "answered", "closed")
UNKNOWN_AUTHOR = "(unknown)"
"""The author of answers given before klbot kept who answered (migration 0014)."""
Chosen = TypeVar("Chosen")
"""A ``select(…)`` of any columns."""
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


@dataclass(frozen=True, slots=True)
class TopicStats:
    topic: str
    count: int
    average_rating: float | None


def _reference() -> str:
    return "F-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


async def add_feedback(
    session: AsyncSession,
    *,
    person_id: int,
    platform: str,
    topic: str,
    rating: int | None,
    text: str,
    language: str,
    may_contact: bool,
    about_answer: int | None = None,
) -> Feedback:
    """File feedback under a fresh short reference (``F-7K3QX2``); ``about_answer``: the
    logged answer (``answers.id``) it says was missing something."""
    about_entry = (
        await session.scalar(select(AnswerLog.entry_id).where(AnswerLog.id == about_answer))
        if about_answer is not None
        else None
    )
    for _ in range(10):
        row = Feedback(
            reference=_reference(),
            person_id=person_id,
            platform=platform,
            topic=topic,
            rating=rating,
            text=text,
            language=language,
            may_contact=may_contact,
            status="new",
            about_entry=about_entry,
        )
        try:
            async with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:
            continue
    raise RuntimeError("could not find a free feedback reference")


async def count_since(session: AsyncSession, *, person_id: int, since: datetime) -> int:
    """How much feedback a person filed since ``since`` (for the per-person limit)."""
    query = select(func.count()).where(
        Feedback.person_id == person_id, Feedback.created_at >= since
    )
    return await session.scalar(query) or 0


async def find(session: AsyncSession, *, reference: str) -> Feedback | None:
    return await session.scalar(select(Feedback).where(Feedback.reference == reference.upper()))


async def search(
    session: AsyncSession,
    *,
    statuses: Sequence[str] = (),
    topic: str | None = None,
    rating: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    words: str = "",
    limit: int | None = 10,
    offset: int = 0,
) -> list[Feedback]:
    """Feedback matching the filters, newest first; ``words``: each of them begins a word
    of the text (see :func:`searched_words`); ``until``: filed before it."""
    filters = Filters(statuses, topic, rating, since, until, words)
    query = filters.apply(session, select(Feedback), walk=limit is not None)
    query = query.order_by(*NEWEST_FIRST)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(await session.scalars(query))


async def count(
    session: AsyncSession,
    *,
    statuses: Sequence[str] = (),
    topic: str | None = None,
    rating: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    words: str = "",
) -> int:
    """How much feedback :func:`search` finds with these filters and no limit."""
    filters = Filters(statuses, topic, rating, since, until, words)
    query = filters.apply(session, select(func.count()).select_from(Feedback))
    return await session.scalar(query) or 0


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the inbox."""

    total: int
    """How many match; with ``more``, how many of them can be paged through."""
    more: bool
    """More than ``total`` match: counting stopped there."""
    number: int
    """The page's number, from 1."""
    rows: list[Feedback]


SORTED_AT_MOST = 1_000
"""Up to this many matches are found and sorted; the pages among more are read newest
first along the inbox's index instead, stopping at the page."""


async def page(
    session: AsyncSession,
    *,
    statuses: Sequence[str] = (),
    topic: str | None = None,
    rating: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    words: str = "",
    size: int = 25,
    number: int = 1,
    most: int | None = None,
) -> Page:
    """One page of :func:`search`'s results (``size`` per page, ``number`` from 1, moved
    to the last page if beyond it); ``most``: count no further than this many, of which
    only the first can be paged through (a search for a common word matches a good part
    of all feedback: counting and paging through every match reads all of them)."""
    filters = Filters(statuses, topic, rating, since, until, words)
    if most is None:
        counted = filters.apply(session, select(func.count()).select_from(Feedback))
    else:
        found = filters.apply(session, select(Feedback.id)).limit(most + 1).subquery()
        counted = select(func.count()).select_from(found)
    total = await session.scalar(counted) or 0
    more = most is not None and total > most
    total = min(total, most) if most is not None else total
    number = max(1, min(number, -(-total // size)))
    walk = not words or more or total > SORTED_AT_MOST
    query = filters.apply(session, select(Feedback.id), walk=walk).order_by(*NEWEST_FIRST)
    start = (number - 1) * size
    ids = list(await session.scalars(query.limit(min(size, total - start)).offset(start)))
    rows = await session.scalars(
        select(Feedback).where(Feedback.id.in_(ids)).order_by(*NEWEST_FIRST)
    )
    return Page(total, more, number, list(rows))


NEWEST_FIRST = (Feedback.created_at.desc(), Feedback.id.desc())

GERMAN: tuple[tuple[str, str], ...] = (
    ("ä", "ae"),
    ("Ä", "Ae"),
    ("ö", "oe"),
    ("Ö", "Oe"),
    ("ü", "ue"),
    ("Ü", "Ue"),
    ("ß", "ss"),
    ("ẞ", "SS"),
)
"""Umlauts and ß as people write them without (Müll: Muell, Straße: Strasse)."""
ACCENTED = (
    "ÀÁÂÃÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÙÚÛÝàáâãåçèéêëìíîïñòóôõùúûýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥ"
    "ĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſ"
)
PLAIN = (
    "AAAAACEEEEIIIINOOOOUUUYaaaaaceeeeiiiinoooouuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHh"
    "IiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzs"
)
"""Other letters with accents and the letters without (SQLite's tokenizer drops accents
itself; PostgreSQL's index translates these)."""
_PLAIN = str.maketrans(ACCENTED, PLAIN)


SEARCH_TABLE = "feedback_search"
"""SQLite: the full-text index of the feedback's text (FTS5, contentless, kept by
triggers; migration 0019)."""
_WORDS: ColumnClause[Any] = literal_column("feedback.search_words")
"""PostgreSQL: the words of a feedback's text, a generated column (``to_tsvector`` of the
text folded as :func:`searched_words` folds a search; migration 0019) with the GIN index
``ix_feedback_search``; stored, so that checking a row is cheap whichever way the
planner reads the rows."""
_SIMPLE: ColumnClause[Any] = literal_column("'simple'::regconfig")
_INDEX = table(SEARCH_TABLE, column("rowid"), column(SEARCH_TABLE))


def searched_words(words: str) -> list[list[str]]:
    """The parts of each search word the index knows: letters and digits, umlauts as
    ``ae``, ``oe``, ``ue``, ß as ``ss``, no accents (``E-Mail`` is ``e`` and ``mail``); a
    word with neither letters nor digits has no parts."""
    found = []
    for word in words.split():
        for letter, written in GERMAN:
            word = word.replace(letter, written)
        found.append(re.findall(r"[^\W_]+", word.translate(_PLAIN)))
    return found


@dataclass(frozen=True, slots=True)
class Filters:
    """What the inbox filters by: statuses (empty: every one), a topic, a rating, a span of
    time (``until`` excluded) and words."""

    statuses: Sequence[str] = ()
    topic: str | None = None
    rating: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    words: str = ""

    def apply(self, session: AsyncSession, chosen: Chosen, *, walk: bool = False) -> Chosen:
        """``chosen`` (a ``select`` from feedback) restricted to what matches; a word
        matches where a word of the text begins with each of its parts (the database's
        full-text index), a word without letters or digits where the text contains it.
        ``walk``: a page of many matches is wanted, newest first: SQLite is to read the
        inbox's index in that order and stop at the page, rather than find every match
        through the status's, topic's or search's index and sort them all (without
        statistics it would; 100 ms for 50,000)."""
        query = cast(Select[Any], chosen)
        sqlite = session.get_bind().dialect.name == "sqlite"
        walking = walk and sqlite

        def likely(condition: ColumnElement[bool]) -> ColumnElement[bool]:
            return func.likely(condition) if walking else condition

        if self.statuses:
            query = query.where(likely(Feedback.status.in_(self.statuses)))
        if self.topic:
            query = query.where(likely(Feedback.topic == self.topic))
        if self.rating is not None:
            query = query.where(Feedback.rating == self.rating)
        if self.since is not None:
            query = query.where(Feedback.created_at >= self.since)
        if self.until is not None:
            query = query.where(Feedback.created_at < self.until)
        parts = []
        for word, found in zip(self.words.split(), searched_words(self.words), strict=True):
            if found:
                parts += found
            else:  # only punctuation: a substring
                escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                query = query.where(Feedback.text.ilike(f"%{escaped}%", escape="\\"))
        if parts and not sqlite:
            wanted = " & ".join(f"'{part}':*" for part in parts)
            query = query.where(_WORDS.op("@@")(func.to_tsquery(_SIMPLE, wanted)))
        elif parts:
            wanted = " AND ".join(f'"{part}"*' for part in parts)
            # the matches' ids, found once (a join would let SQLite search the index
            # again for every row of a topic); walking, with + 0: not looked up by id
            # one by one, but each row of the inbox's index looked for among them
            matches = select(_INDEX.c.rowid).where(_INDEX.c[SEARCH_TABLE].op("MATCH")(wanted))
            query = query.where((Feedback.id + 0 if walking else Feedback.id).in_(matches))
        return cast(Chosen, query)


async def forget_deleted_words(session: AsyncSession) -> None:
    """Rewrite SQLite's full-text index without the words of deleted feedback: deleting
    only marks them deleted until its parts are merged some day (PostgreSQL's index
    loses them with the rows, at the next vacuum)."""
    if session.get_bind().dialect.name == "sqlite":
        optimise = insert(_INDEX).values({SEARCH_TABLE: "optimize"})
        await session.execute(optimise)


def set_status(feedback: Feedback, status: str) -> None:
    """Move feedback on (new → read → answered → closed); never backwards."""
    if STATUSES.index(status) > STATUSES.index(feedback.status):
        feedback.status = status


async def reopen(session: AsyncSession, feedback: Feedback) -> None:
    """Take closed feedback back: answered if it has an answer, read otherwise."""
    answered = await session.scalar(
        select(func.count()).where(FeedbackAnswer.feedback_id == feedback.id)
    )
    feedback.status = "answered" if answered else "read"


async def add_answer(
    session: AsyncSession, feedback: Feedback, *, text: str, author: str
) -> FeedbackAnswer:
    """Keep one more answer in the feedback's history and mark it answered."""
    row = FeedbackAnswer(feedback_id=feedback.id, text=text, author=author)
    session.add(row)
    await session.flush()
    set_status(feedback, "answered")
    return row


async def answers_to(
    session: AsyncSession, feedback_ids: Sequence[int]
) -> dict[int, list[FeedbackAnswer]]:
    """The answers to each of ``feedback_ids``, oldest first (an empty list if none)."""
    found: dict[int, list[FeedbackAnswer]] = {feedback_id: [] for feedback_id in feedback_ids}
    for start in range(0, len(feedback_ids), 500):  # within every database's parameter limit
        query = (
            select(FeedbackAnswer)
            .where(FeedbackAnswer.feedback_id.in_(feedback_ids[start : start + 500]))
            .order_by(FeedbackAnswer.created_at, FeedbackAnswer.id)
        )
        for row in await session.scalars(query):
            found[row.feedback_id].append(row)
    return found


async def set_contact(
    session: AsyncSession, *, reference: str, person_id: int, allowed: bool
) -> Feedback | None:
    """Record whether the person who filed ``reference`` may be contacted about it;
    ``None`` if it is not (or no longer) theirs."""
    row = await find(session, reference=reference)
    if row is None or row.person_id != person_id:
        return None
    row.may_contact = allowed
    return row


async def identities_of(session: AsyncSession, *, person_id: int) -> list[str]:
    """The platform identities of a person (to deliver an answer to them)."""
    query = select(PersonIdentity.identity).where(PersonIdentity.person_id == person_id)
    return list(await session.scalars(query))


async def stats(session: AsyncSession, *, since: datetime) -> list[TopicStats]:
    """Count and average rating per topic since ``since``, most feedback first."""
    rows = await session.execute(
        select(Feedback.topic, func.count(), func.avg(Feedback.rating))
        .where(Feedback.created_at >= since)
        .group_by(Feedback.topic)
        .order_by(func.count().desc(), Feedback.topic)
    )
    return [
        TopicStats(topic, count, float(avg) if avg is not None else None)
        for topic, count, avg in rows
    ]
