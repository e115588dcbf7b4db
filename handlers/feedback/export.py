"""Feedback as CSV (safe to open in spreadsheet programs) or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from storage.models import Feedback

COLUMNS = [
    "reference",
    "created_at",
    "topic",
    "rating",
    "language",
    "may_contact",
    "status",
    "text",
    "answer",
    "answered_at",
    "person",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_records(rows: Iterable[Feedback], timezone: str) -> list[dict[str, object]]:
    """Plain dictionaries, times in ``timezone``; the person as klbot's pseudonym."""
    zone = ZoneInfo(timezone)
    return [
        {
            "reference": row.reference,
            "created_at": row.created_at.astimezone(zone).isoformat(timespec="seconds"),
            "topic": row.topic,
            "rating": row.rating,
            "language": row.language,
            "may_contact": row.may_contact,
            "status": row.status,
            "text": row.text,
            "answer": row.answer,
            "answered_at": (
                row.answered_at.astimezone(zone).isoformat(timespec="seconds")
                if row.answered_at
                else None
            ),
            "person": f"P{row.person_id}" if row.person_id is not None else None,
        }
        for row in rows
    ]


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
        writer.writerow([neutralise(record[column]) for column in COLUMNS])
    return out.getvalue()


def to_json(records: list[dict[str, object]]) -> str:
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
