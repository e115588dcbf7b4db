"""When an announcement goes out, in people's words, the same in chat and in the shell.

A single time: "morgen 9 Uhr", "Freitag 14:30", "tomorrow 9am", "2026-12-05 10:00",
"05.12.2026 10:00" (dateparser, German and English, future dates preferred). A rule:
"jeden Montag 9 Uhr", "every weekday at 8", "werktags 8 Uhr", "täglich 7:30",
"monatlich am 1.", "monthly on the 1st" (the small grammar below; no library reads
German rules), or five cron fields for experts. A rule is kept as cron text, which the
scheduler turns into APScheduler's CronTrigger; :func:`describe` says either back in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_day_names
from babel.lists import format_list

from bot.core.i18n import Text
from bot.runtime.config import ConfigError
from bot.runtime.scheduler import WEEKDAYS, CronFields, cron_fields, trigger
from storage.models import Announcement

DEFAULT_TIME = time(9, 0)
"""The time of a day or a rule named without one ("Freitag", "monatlich am 1.")."""
LONGEST = 100
"""Longer text is no time anyone means."""

NOT_UNDERSTOOD = Text(
    "I did not understand “{text}” as a time. For example: “tomorrow 9am”, "
    "“Friday 14:30”, “{date} 10:00” or “every Monday at 9”."
)
BAD_RULE = Text(
    "I did not understand the rule “{text}”. For example: “every Monday at 9”, "
    "“every weekday at 8”, “every day at 7:30”, “monthly on the 1st” or cron "
    "fields like “0 9 * * mon”."
)
PASSED = Text("{when} has passed; please give a time in the future.")
NEVER = Text("The rule “{text}” never comes round.")
BAD_CRON = Text("“{text}” is not a valid cron expression; for example “0 9 * * mon”.")

AT = Text("{date} at {time}")
EVERY_DAY = Text("every day {times}")
EVERY_WEEKDAY = Text("every weekday (Monday to Friday) {times}")
EVERY_WEEK = Text("every {days} {times}")
DAYS_FROM_TO = Text("every day from {first} to {last} {times}")
EVERY_MONTH = Text("monthly on the {day} {times}")
AT_TIMES = Text("at {times}")
EVERY_MINUTE = Text("every minute from {first} to {last}")
EVERY_HOUR = Text("every hour from {first} to {last}")
EVERY_N_MINUTES = Text("every {count} minutes from {first} to {last}")
"""Only for two and more: the count never is one."""
EVERY_N_HOURS = Text("every {count} hours from {first} to {last}")
BY_CRON = Text("on the cron schedule “{cron}”")
NEXT = Text("{rule}, next on {date}")

DATE_PATTERNS = {"de": "EEE, dd.MM.yyyy", "en": "EEE d MMM yyyy"}
EXAMPLE_DATES = {"de": "%d.%m.%Y", "en": "%Y-%m-%d"}


@dataclass(frozen=True, slots=True)
class When:
    """A single time (``at``, time-zone aware) or a rule (``cron``, five fields)."""

    at: datetime | None = None
    cron: str | None = None


def of(announcement: Announcement) -> When | None:
    """An announcement's time or rule; ``None`` for one sent at once."""
    if announcement.send_at is None and announcement.cron is None:
        return None
    return When(at=announcement.send_at, cron=announcement.cron)


class NotUnderstood(ValueError):
    """Text that names no time to come; the message says why in one line."""


def understand(text: str, zone: ZoneInfo, lang: str, now: datetime | None = None) -> When:
    """The time or rule ``text`` names; :class:`NotUnderstood` (in ``lang``) if none."""
    words = " ".join(text.split())
    now = (now or datetime.now(zone)).astimezone(zone)
    if not words or len(words) > LONGEST or not words.isprintable():
        raise NotUnderstood(NOT_UNDERSTOOD(lang, text=words[:40], date=example_date(lang, now)))
    if _looks_like_cron(words):
        try:
            trigger(words, zone, "cron")
        except ConfigError:
            raise NotUnderstood(BAD_CRON(lang, text=words)) from None
        rule: str | None = words
    else:
        rule = _rule(words, lang)
    if rule is not None:
        if next_run(When(cron=rule), zone, now) is None:
            raise NotUnderstood(NEVER(lang, text=words))
        return When(cron=rule)
    at = _moment(words, zone, now)
    if at is None:
        raise NotUnderstood(NOT_UNDERSTOOD(lang, text=words, date=example_date(lang, now)))
    if at <= now:
        raise NotUnderstood(PASSED(lang, when=say_time(at, lang)))
    return When(at=at)


def example_date(lang: str, now: datetime) -> str:
    """A date a week from ``now``, as an example people can copy."""
    return (now + timedelta(days=7)).strftime(EXAMPLE_DATES.get(lang, EXAMPLE_DATES["en"]))


def next_run(when: When, zone: ZoneInfo, now: datetime | None = None) -> datetime | None:
    """When ``when`` goes out next (``None``: never again)."""
    now = (now or datetime.now(zone)).astimezone(zone)
    if when.cron is None:
        return when.at if when.at is not None and when.at > now else None
    upcoming: datetime | None = trigger(when.cron, zone, "cron").get_next_fire_time(None, now)
    return upcoming


def describe(when: When, zone: ZoneInfo, lang: str, now: datetime | None = None) -> str:
    """``when`` in words: "Fr., 04.12.2026 um 14:30", "jeden Montag um 09:00, nächster
    Termin Mo., 07.12.2026"."""
    if when.cron is None:
        return say_time(when.at, lang, zone) if when.at else ""
    rule = rule_in_words(when.cron, lang)
    upcoming = next_run(when, zone, now)
    if upcoming is None:
        return rule
    shown = say_day(upcoming, lang) if _once_a_day(when.cron) else say_time(upcoming, lang)
    return NEXT(lang, rule=rule, date=shown)


def say_day(moment: datetime, lang: str) -> str:
    return format_date(moment, DATE_PATTERNS.get(lang, DATE_PATTERNS["en"]), locale=lang)


def say_time(moment: datetime, lang: str, zone: ZoneInfo | None = None) -> str:
    local = moment.astimezone(zone) if zone else moment
    return AT(lang, date=say_day(local, lang), time=f"{local:%H:%M}")


def _read(cron: str) -> CronFields | None:
    try:
        return cron_fields(cron, "cron")
    except ConfigError:
        return None


def _times_of_day(fields: CronFields) -> list[int]:
    """The minutes after midnight at which a rule fires on the days it fires."""
    hours = fields.hours if fields.hours is not None else range(24)
    minutes = fields.minutes if fields.minutes is not None else range(60)
    return sorted(hour * 60 + minute for hour in hours for minute in minutes)


def _once_a_day(cron: str) -> bool:
    fields = _read(cron)
    return fields is not None and len(_times_of_day(fields)) == 1


def rule_in_words(cron: str, lang: str) -> str:
    """ "jeden Montag um 09:00", "werktags (Montag bis Freitag) alle 15 Minuten von 08:00
    bis 17:45", "every day from Sunday to Thursday at 09:00", … or, for a rule words do
    not say well (months, several days of the month), the cron text itself."""
    fields = _read(cron)
    times = _times_in_words(fields, lang) if fields else None
    if fields is None or times is None or fields.months is not None:
        return BY_CRON(lang, cron=cron)
    if fields.days is not None:
        if len(fields.days) > 1:
            return BY_CRON(lang, cron=cron)
        number = fields.days[0]
        day = f"{number}." if lang == "de" else _ordinal(number)
        return EVERY_MONTH(lang, day=day, times=times)
    weekdays = fields.weekdays
    if weekdays is None:
        return EVERY_DAY(lang, times=times)
    if weekdays == (0, 1, 2, 3, 4):
        return EVERY_WEEKDAY(lang, times=times)
    names = get_day_names("wide", locale=lang)
    run = _run_of_days(weekdays)
    if run is not None and len(weekdays) >= 3:
        return DAYS_FROM_TO(lang, first=names[run[0]], last=names[run[1]], times=times)
    named = format_list([names[day] for day in weekdays], locale=lang)
    return EVERY_WEEK(lang, days=named, times=times)


def _times_in_words(fields: CronFields, lang: str) -> str | None:
    """ "um 09:00", "um 08:00 und 12:00", "alle 15 Minuten von 08:00 bis 17:45"; ``None``
    for times without a pattern words say shortly."""
    times = _times_of_day(fields)
    clocks = [f"{minutes // 60:02d}:{minutes % 60:02d}" for minutes in times]
    if len(times) <= 4:
        return AT_TIMES(lang, times=format_list(clocks, locale=lang))
    steps = {later - earlier for earlier, later in pairwise(times)}
    if len(steps) != 1:
        return None
    step, first, last = steps.pop(), clocks[0], clocks[-1]
    if step == 60:
        return EVERY_HOUR(lang, first=first, last=last)
    if step % 60 == 0:
        return EVERY_N_HOURS(lang, count=step // 60, first=first, last=last)
    if step == 1:
        return EVERY_MINUTE(lang, first=first, last=last)
    return EVERY_N_MINUTES(lang, count=step, first=first, last=last)


def _run_of_days(weekdays: tuple[int, ...]) -> tuple[int, int] | None:
    """First and last day of weekdays that follow each other, through Sunday if need be
    (Sunday to Thursday); ``None`` if there is a gap."""
    for first in weekdays:
        if (first - 1) % 7 in weekdays:
            continue
        length = len(weekdays)
        if {(first + offset) % 7 for offset in range(length)} == set(weekdays):
            return first, (first + length - 1) % 7
        return None
    return None


def _ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10)
    return f"{number}{suffix or 'th'}"


# The grammar of rules: tokens and the words people use, German and English.
TOKEN = re.compile(r"\d{1,2}[:.]\d{2}|\d+(?:st|nd|rd|th|\.)?|[^\W\d_]+\.?|[-–]")
CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})")
ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th|\.)")
DAY_NAMES = {
    **dict.fromkeys(("montag", "monday", "mo", "mon"), 0),
    **dict.fromkeys(("dienstag", "tuesday", "di", "tue", "tues"), 1),
    **dict.fromkeys(("mittwoch", "wednesday", "mi", "wed"), 2),
    **dict.fromkeys(("donnerstag", "thursday", "do", "thu", "thurs"), 3),
    **dict.fromkeys(("freitag", "friday", "fr", "fri"), 4),
    **dict.fromkeys(("samstag", "sonnabend", "saturday", "sa", "sat"), 5),
    **dict.fromkeys(("sonntag", "sunday", "so", "sun"), 6),
}
ON_DAYS = {
    **dict.fromkeys(("montags", "mondays"), 0),
    **dict.fromkeys(("dienstags", "tuesdays"), 1),
    **dict.fromkeys(("mittwochs", "wednesdays"), 2),
    **dict.fromkeys(("donnerstags", "thursdays"), 3),
    **dict.fromkeys(("freitags", "fridays"), 4),
    **dict.fromkeys(("samstags", "sonnabends", "saturdays"), 5),
    **dict.fromkeys(("sonntags", "sundays"), 6),
}
EVERY = {"jeden", "jede", "jeder", "jedes", "every", "each"}
DAILY = {"täglich", "daily"}
DAY = {"tag", "day"}
WORKDAYS = {"werktags", "werktag", "wochentags", "arbeitstags", "weekday", "weekdays"}
MONTHLY = {"monatlich", "monthly", "monat", "monats", "month"}
CLOCK_SUFFIXES = {"uhr", "h", "am", "pm", "o'clock", "oclock"}
FILLER = {"um", "at", "am", "on", "the", "of", "des", "und", "and", "von", "from"}
RANGE = {"bis", "to", "through", "-", "–"}
MARKERS = EVERY | DAILY | WORKDAYS | MONTHLY | set(ON_DAYS)
AND = {"und", "and"}
SHORT_DAYS = {"mo", "di", "mi", "do", "fr", "sa", "so"}
"""German two-letter days, which are words too ("und so"): a day only where written as
one ("So.", "Mo-Fr", "Mo Mi Fr", "Di und Do", "jeden So")."""


def _short_day(tokens: list[str], dotted: set[int], index: int) -> bool:
    """Whether the two-letter day at ``index`` stands for a day, not for a word."""

    def at(offset: int) -> str:
        return tokens[index + offset] if 0 <= index + offset < len(tokens) else ""

    listed = at(-1) in SHORT_DAYS or at(1) in SHORT_DAYS  # "Mo Mi Fr"
    joined = (at(-1) in AND and at(-2) in SHORT_DAYS) or (at(1) in AND and at(2) in SHORT_DAYS)
    ranged = at(-1) in RANGE or at(1) in RANGE  # "Mo-Fr", "Mo bis Fr"
    return index in dotted or at(-1) in EVERY or listed or joined or ranged


def _rule(text: str, lang: str) -> str | None:
    """The cron text of a rule in words; ``None`` if ``text`` is no rule."""
    words = TOKEN.findall(text.casefold().replace("o'clock", "oclock"))
    dotted = {i for i, word in enumerate(words) if word[0].isalpha() and word.endswith(".")}
    tokens = [word.removesuffix(".") if word[0].isalpha() else word for word in words]
    ranged = any(
        a in DAY_NAMES and b in RANGE and c in DAY_NAMES
        for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)
    )
    if not ranged and not MARKERS.intersection(tokens):
        return None
    bad = NotUnderstood(BAD_RULE(lang, text=text))
    days: list[int] = []
    hour = minute = day_of_month = None
    every = daily = monthly = ranged_days = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        after = tokens[index + 1] if index + 1 < len(tokens) else ""
        before = tokens[index - 1] if index else ""
        if clock := CLOCK.fullmatch(token):
            hour, minute = _twelve_hour(int(clock[1]), after), int(clock[2])
            index += after in CLOCK_SUFFIXES
        elif token.isdecimal() and after in CLOCK_SUFFIXES:
            hour, minute = _twelve_hour(int(token), after), 0
            index += 1
        elif ordinal := ORDINAL.fullmatch(token):
            day_of_month = int(ordinal[1])
        elif token.isdecimal() and before in ("am", "on", "the") and hour is None and not days:
            day_of_month = int(token)
        elif token.isdecimal() and hour is None:
            hour, minute = int(token), 0
        elif token in ON_DAYS or (
            token in DAY_NAMES and (token not in SHORT_DAYS or _short_day(tokens, dotted, index))
        ):
            found = ON_DAYS.get(token, DAY_NAMES.get(token, 0))
            if days and before in RANGE:  # "Sonntag bis Donnerstag" goes through Monday
                days.extend(day % 7 for day in range(days[-1] + 1, found + 7 * (found < days[-1])))
                ranged_days = True
            days.append(found)
        elif token in WORKDAYS:
            days.extend(range(5))
        elif token in EVERY:
            every = True
        elif token in DAILY or (token in DAY and every):
            daily = True
        elif token in MONTHLY:
            monthly = True
        elif token not in FILLER and token not in RANGE:
            raise bad
        index += 1
    hour, minute = (DEFAULT_TIME.hour, DEFAULT_TIME.minute) if hour is None else (hour, minute)
    monthly = monthly or day_of_month is not None
    if not 0 <= hour <= 23 or not 0 <= (minute or 0) <= 59 or (monthly and days):
        raise bad
    if daily and days and not ranged_days and set(days) != set(range(5)):
        raise bad  # "ab Montag jeden Tag": a start day no rule keeps, not "every Monday"
    if monthly:
        if day_of_month is None or not 1 <= day_of_month <= 31:
            raise bad
        return f"{minute} {hour} {day_of_month} * *"
    if days:
        unique = sorted(set(days))
        weekdays = "mon-fri" if unique == list(range(5)) else ",".join(WEEKDAYS[d] for d in unique)
        return f"{minute} {hour} * * {weekdays}"
    if daily:
        return f"{minute} {hour} * * *"
    raise bad


def _twelve_hour(hour: int, suffix: str) -> int:
    if suffix == "pm" and hour < 12:
        return hour + 12
    if suffix == "am" and hour == 12:
        return 0
    return hour


def _looks_like_cron(text: str) -> bool:
    return (
        len(text.split()) == 5
        and bool(re.fullmatch(r"[\d*/,\-\sa-zA-Z]+", text))
        and any(c in text for c in "*/,")
    )


# Single times: dateparser, after German clock times are written as it reads them.
GERMAN_CLOCK = re.compile(
    r"\b(?:um\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*uhr\b|\b(?:um|at)\s+(\d{1,2})(?:[:.](\d{2}))?\b(?![.:]?\d)",
    re.IGNORECASE,
)
GERMAN_ON = re.compile(r"(?<![\d\s])\s*\bam\b|^am\b", re.IGNORECASE)
HAS_CLOCK = re.compile(r"\d:\d\d|\d\s*(?:am|pm)\b|\b(?:noon|midnight|mittag|mitternacht)\b", re.I)
RELATIVE = re.compile(r"\b(?:in|nach)\s+\d+|minute|stunde|hour", re.IGNORECASE)
WORD = re.compile(r"[^\W\d_]+")
WEEKDAY_HOUR = re.compile(
    r"\b(" + "|".join(sorted(DAY_NAMES, key=len, reverse=True)) + r")\b\.?,?\s+"
    r"(?:(?:um|at)\s+)?(\d{1,2})\b(?![.:/]?\d|\.|\s*[^\W\d_])",
    re.IGNORECASE,
)
"""A weekday and a bare number ("Freitag 9", "Fr 14"): the number is the hour."""


def _moment(text: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The single time ``text`` names (a day without a time: at :data:`DEFAULT_TIME`)."""
    import dateparser

    if text.isdecimal():
        return None  # a lone number is a choice, not a date

    def clock(match: re.Match[str]) -> str:
        hour, minute = match[1] or match[3], match[2] or match[4] or "00"
        return f" {int(hour):02d}:{minute} "

    plain = GERMAN_ON.sub(" ", GERMAN_CLOCK.sub(clock, text)).strip()
    plain = re.sub(r"\bum\b", " ", plain, flags=re.IGNORECASE)
    plain = WEEKDAY_HOUR.sub(lambda found: f"{found[1]} {int(found[2]):02d}:00", plain)
    # Naive, on the wall clock: the zone (and so the offset in force on that day, summer
    # or winter time) is attached afterwards, never the offset of "now".
    settings: Any = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "DATE_ORDER": "DMY",
    }
    found: datetime | None
    try:
        found = dateparser.parse(plain, languages=["de", "en"], settings=settings)
    except (ValueError, OverflowError, TypeError):
        return None
    if found is None:
        return None
    found = found.replace(second=0, microsecond=0)
    if not HAS_CLOCK.search(plain) and not RELATIVE.search(plain):
        found = found.replace(hour=DEFAULT_TIME.hour, minute=DEFAULT_TIME.minute)
    if found.tzinfo is None:  # a clock time in a change-over's gap becomes a real one
        found = found.replace(tzinfo=zone).astimezone(UTC)
    found = found.astimezone(zone)
    named = {DAY_NAMES[word] for word in WORD.findall(text.casefold()) if word in DAY_NAMES}
    if named and found.weekday() not in named:
        return None  # "Freitag 9" read as the 9th of the month, or another day named
    return found
