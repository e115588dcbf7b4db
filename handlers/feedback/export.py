"""Feedback as CSV (safe to open in spreadsheet programs) or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from storage.models import Feedback, FeedbackAnswer

COLUMNS = [
    "reference",
    "created_at",
    "topic",
    "rating",
    "language",
    "may_contact",
    "status",
    "text",
    "about_entry",
    "answers",
    "person",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_records(
    rows: Iterable[Feedback], answers: Mapping[int, list[FeedbackAnswer]], timezone: str
) -> list[dict[str, object]]:
    """Plain dictionaries, times in ``timezone``; the person as klbot's pseudonym; each
    record's ``answers`` (from :func:`storage.feedback.answers_to`) oldest first."""
    zone = ZoneInfo(timezone)

    def local(moment: datetime) -> str:
        return moment.astimezone(zone).isoformat(timespec="seconds")

    return [
        {
            "reference": row.reference,
            "created_at": local(row.created_at),
            "topic": row.topic,
            "rating": row.rating,
            "language": row.language,
            "may_contact": row.may_contact,
            "status": row.status,
            "text": row.text,
            "about_entry": row.about_entry,
            "answers": [
                {"created_at": local(a.created_at), "author": a.author, "text": a.text}
                for a in answers.get(row.id, [])
            ],
            "person": f"P{row.person_id}" if row.person_id is not None else None,
        }
        for row in rows
    ]


def answers_cell(answers: list[dict[str, str]]) -> str:
    """Every answer in one cell, one line each: ``time · author: text``."""
    return "\n".join(f"{a['created_at']} · {a['author']}: {a['text']}" for a in answers)


def neutralise(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (``=1+1`` becomes ``'=1+1``)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(records: list[dict[str, object]]) -> str:
    """CSV with a header; newlines, commas and quotes inside cells are quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in records:
        answers = record["answers"]
        cells = {**record, "answers": answers_cell(answers) if isinstance(answers, list) else ""}
        writer.writerow([neutralise(cells[column]) for column in COLUMNS])
    return out.getvalue()


def to_json(records: list[dict[str, object]]) -> str:
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
