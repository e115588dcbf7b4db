"""A generated knowledge base of any size in klbot's content format, for speed measurements."""

from __future__ import annotations

import random

from bot.knowledge.schema import default_text

SYLLABLES = [
    "ka",
    "lo",
    "ri",
    "ta",
    "mun",
    "sel",
    "dor",
    "fen",
    "gra",
    "hil",
    "bar",
    "ven",
    "tor",
    "lis",
    "nap",
    "quo",
    "wer",
    "zen",
    "pal",
    "mir",
]
TOPICS = [
    ("Mobilität", "mobility"),
    ("Bildung", "education"),
    ("Energie", "energy"),
    ("Verwaltung", "administration"),
    ("Gesundheit", "health"),
    ("Umwelt", "environment"),
    ("Kultur", "culture"),
    ("Sicherheit", "safety"),
    ("Wirtschaft", "economy"),
    ("Wohnen", "housing"),
    ("Tourismus", "tourism"),
    ("Sport", "sport"),
]
KINDS = [
    ("Plattform", "platform"),
    ("Sensornetz", "sensor network"),
    ("App", "app"),
    ("Portal", "portal"),
    ("Datenraum", "data space"),
    ("Assistent", "assistant"),
]


def project_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


def generated_text(entries: int, seed: int = 7) -> tuple[str, list[tuple[str, str, str]]]:
    """The default content plus generated projects, ``entries`` in all.

    Returns the TOML text and (question, language, expected id) for each generated project.
    """
    rng = random.Random(seed)
    base = default_text()
    parts, questions, names = [base], [], set()
    existing = base.count("\nid = ") - 1  # the [[sources]] id is not an entry
    for number in range(entries - existing):
        name = project_name(rng)
        while name in names:
            name = project_name(rng)
        names.add(name)
        topic, kind = rng.choice(TOPICS), rng.choice(KINDS)
        pid = f"gen-{number}"
        parts.append(
            f"""
[[projects]]
id = "{pid}"
name.de = "{name}"
name.en = "{name}"
aliases = ["{name}-{kind[0]}"]
keywords = ["{topic[0]}", "{topic[1]}", "{kind[0]}", "{kind[1]}"]
status.de = "in Arbeit"
status.en = "in progress"
topics = ["{topic[0]}"]
summary.de = "{name} ist eine {kind[0]} für {topic[0]} in Kaiserslautern."
summary.en = "{name} is a {kind[1]} for {topic[1]} in Kaiserslautern."
source = "article-2017-11-15"
date = 2017-11-15
"""
        )
        if rng.random() < 0.5:
            questions.append((f"Was ist {name}?", "de", pid))
        else:
            questions.append((f"what does the {name} {kind[1]} do", "en", pid))
    return "".join(parts), questions
