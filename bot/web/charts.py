"""The start page's charts: counts from ``storage.dashboard`` drawn as SVG by pygal, each
with the same numbers as a table (for screen readers and for copying)."""

from __future__ import annotations

import base64
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pygal
from pygal.style import Style

from bot.core.i18n import Text
from bot.web import texts as T
from storage import Session, dashboard
from storage import knowledge as knowledge_store

WEEKS = 8
DAYS = 14
GAPS_SHOWN = 8
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#4a4a4a",
    font_family="system-ui, sans-serif",
    colors=("#0b5394", "#b45f06", "#38761d", "#741b47", "#3d85c6", "#990000", "#7f6000"),
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    title_font_size=15,
)


@dataclass
class Series:
    name: str
    values: Sequence[float | None]
    secondary: bool = False


@dataclass
class Chart:
    """One chart: its title, the labels along its axis and its series."""

    title: str
    labels: list[str]
    series: list[Series] = field(default_factory=list)
    kind: str = "bar"
    """``bar``, ``stacked``, ``line`` or ``horizontal``."""

    @property
    def empty(self) -> bool:
        return not any(v for s in self.series for v in s.values)

    def rows(self) -> list[tuple[str, list[str]]]:
        """The table under the chart: a label and one cell per series."""
        return [
            (label, ["–" if s.values[i] is None else f"{s.values[i]:g}" for s in self.series])
            for i, label in enumerate(self.labels)
        ]

    def _stacked_top(self) -> float:
        columns = zip(*(s.values for s in self.series if not s.secondary), strict=True)
        return max((sum(v or 0 for v in column) for column in columns), default=0)

    def svg(self) -> str:
        """The chart as an SVG document in a ``data:`` address (an image: no script runs)."""
        kinds = {
            "bar": pygal.Bar,
            "stacked": pygal.StackedBar,
            "line": pygal.Line,
            "horizontal": pygal.HorizontalBar,
        }
        chart = kinds[self.kind](
            style=STYLE,
            js=[],
            width=640,
            height=360,
            legend_at_bottom=True,
            legend_at_bottom_columns=3,
            x_label_rotation=0 if self.kind == "horizontal" else 30,
            truncate_label=48,
            truncate_legend=40,
            print_values=False,
            show_y_guides=True,
            dots_size=3,
        )
        chart.x_labels = self.labels
        counts = [v for s in self.series if not s.secondary for v in s.values if v is not None]
        if counts and all(float(v).is_integer() for v in counts):  # no "1.2 pieces of feedback"
            top = int(max(counts)) if self.kind != "stacked" else int(self._stacked_top())
            step = max(1, math.ceil(top / 5))
            chart.y_labels = list(range(0, top + step, step))
        for series in self.series:
            chart.add(series.name, series.values, secondary=series.secondary)
        encoded = base64.b64encode(chart.render()).decode()
        return f"data:image/svg+xml;base64,{encoded}"


async def start_charts(
    session: Session,
    *,
    lang: str,
    topics: dict[str, str],
    zone: ZoneInfo,
    now: datetime | None = None,
) -> list[Chart]:
    """Every chart of the start page, in ``lang``, counted by days in ``zone``."""
    now = now or datetime.now(UTC)
    today = now.astimezone(zone).date()
    return [
        await _feedback_weeks(session, lang, topics, today, zone),
        await _ratings(session, lang, today, zone),
        await _questions(session, lang, today, zone),
        await _gaps(session, lang, now),
        await _broadcasts(session, lang),
    ]


def _title(text: Text, lang: str, span: str) -> str:
    return f"{text(lang)} ({span})"


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """When ``day`` begins in ``zone``."""
    return datetime.combine(day, datetime.min.time(), zone)


async def _feedback_weeks(
    session: Session, lang: str, topics: dict[str, str], today: date, zone: ZoneInfo
) -> Chart:
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=n) for n in reversed(range(WEEKS))]
    since = _midnight(weeks[0], zone)
    counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for day, topic, count in await dashboard.feedback_per_day(session, since=since, zone=zone):
        counts[topic][day - timedelta(days=day.weekday())] += count
    labels = [week.strftime("%d.%m.") for week in weeks]
    series = [
        Series(topics.get(topic, topic), [float(per_week.get(w, 0)) for w in weeks])
        for topic, per_week in sorted(counts.items(), key=lambda item: -sum(item[1].values()))
    ]
    title = _title(T.CHART_FEEDBACK_WEEKS, lang, T.LAST_WEEKS(lang, weeks=WEEKS))
    return Chart(title, labels, series, kind="stacked")


async def _ratings(session: Session, lang: str, today: date, zone: ZoneInfo) -> Chart:
    since = _midnight(today - timedelta(weeks=WEEKS), zone)
    found = await dashboard.ratings(session, since=since)
    labels = [f"★{stars}" for stars in range(1, 6)] + [T.NO_RATING(lang)]
    values = [float(found.get(stars, 0)) for stars in range(1, 6)] + [float(found.get(None, 0))]
    title = _title(T.CHART_RATINGS, lang, T.LAST_WEEKS(lang, weeks=WEEKS))
    return Chart(title, labels, [Series(T.SERIES_COUNT(lang), values)])


async def _questions(session: Session, lang: str, today: date, zone: ZoneInfo) -> Chart:
    days = [today - timedelta(days=n) for n in reversed(range(DAYS))]
    since = _midnight(days[0], zone)
    found = {d.day: d for d in await dashboard.questions_per_day(session, since=since, zone=zone)}
    blank = dashboard.QuestionDay(today)
    per_day = [found.get(day, blank) for day in days]

    def share(part: int, whole: int) -> float | None:
        return round(100 * part / whole) if whole else None

    series = [
        Series(T.SERIES_ANSWERED(lang), [float(d.answered) for d in per_day]),
        Series(T.SERIES_UNANSWERED(lang), [float(d.unanswered) for d in per_day]),
        Series(
            T.SERIES_SHARE_ANSWERED(lang),
            [share(d.answered, d.answered + d.unanswered) for d in per_day],
            secondary=True,
        ),
        Series(T.SERIES_THUMBS_UP(lang), [share(d.helpful, d.rated) for d in per_day], True),
    ]
    labels = [day.strftime("%d.%m.") for day in days]
    title = _title(T.CHART_QUESTIONS, lang, T.LAST_DAYS(lang, days=DAYS))
    return Chart(title, labels, series, kind="line")


async def _gaps(session: Session, lang: str, now: datetime) -> Chart:
    found = await knowledge_store.gaps(session, since=now - timedelta(days=30), limit=GAPS_SHOWN)
    labels = [" ".join(gap.question.split())[:80] for gap in found]
    series = [Series(T.SERIES_COUNT(lang), [float(gap.count) for gap in found])]
    title = _title(T.CHART_GAPS, lang, T.LAST_DAYS(lang, days=30))
    return Chart(title, labels, series, kind="horizontal")


async def _broadcasts(session: Session, lang: str) -> Chart:
    found = await dashboard.recent_broadcasts(session)
    labels = [
        f"#{b.id} {b.started_at:%d.%m.} " + " ".join(b.text.split())[:30] if b.started_at else ""
        for b in reversed(found)
    ]
    rates = [
        float(round(100 * b.sent / b.recipients)) if b.recipients else None for b in reversed(found)
    ]
    return Chart(
        T.CHART_BROADCASTS(lang), labels, [Series(T.SERIES_DELIVERED(lang), rates)], "horizontal"
    )
