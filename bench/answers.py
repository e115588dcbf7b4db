"""How well and how fast klbot answers free-text questions.

Usage: .venv/bin/python -m bench.answers [--verbose]

For each question set and the knowledge base it asks about (bench/README.md says how each
set was written and used) it prints: answered correctly (%) and out-of-scope correctly declined (%),
beside a plain "site search" baseline (best fuzzy match over each entry's text) measured in
the same run; then p50/p99 answer latency on a generated 1,000-entry knowledge base.
Targets: ≥ 95 % correct, ≥ 90 % declined, p99 ≤ 5 ms.
"""

from __future__ import annotations

import statistics
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import fuzz, process

from bench.generated_kb import generated_text
from bot.knowledge.fields import entry_fields
from bot.knowledge.index import SearchIndex
from bot.knowledge.schema import default_text, parse

HERE = Path(__file__).parent
DEFAULT = None
SETS: dict[str, tuple[Path, Path | None]] = {
    "development set": (HERE / "questions.toml", DEFAULT),
    "held-out set": (HERE / "questions_heldout.toml", DEFAULT),
    "final blind set": (HERE / "questions_final.toml", DEFAULT),
    "fresh blind set": (HERE / "questions_fresh.toml", DEFAULT),
    "second fresh blind set": (HERE / "questions_fresh2.toml", DEFAULT),
    "third fresh blind set": (HERE / "questions_fresh3.toml", DEFAULT),
    "fourth fresh blind set": (HERE / "questions_fresh4.toml", DEFAULT),
    "other content (fictional Musterstadt)": (
        HERE / "musterstadt_questions.toml",
        HERE / "musterstadt_content.toml",
    ),
    "other content (fictional Beispielkreis)": (
        HERE / "beispielkreis_questions.toml",
        HERE / "beispielkreis_content.toml",
    ),
    "other content (fictional Stadtwerke Fiktivhausen)": (
        HERE / "stadtwerke_questions.toml",
        HERE / "stadtwerke_content.toml",
    ),
    "other content (fictional Hafenstadt Erfundenhafen)": (
        HERE / "hafenstadt_questions.toml",
        HERE / "hafenstadt_content.toml",
    ),
    "Hafenstadt, second set": (
        HERE / "hafenstadt_questions2.toml",
        HERE / "hafenstadt_content.toml",
    ),
    "Hafenstadt, second set, after staff closed the first set's gaps": (
        HERE / "hafenstadt_questions2.toml",
        HERE / "hafenstadt_content_staff.toml",
    ),
    "other content (fictional Gemeinde Waldbrunnen-Süd)": (
        HERE / "gemeinde_questions.toml",
        HERE / "gemeinde_content.toml",
    ),
    "other content (fictional Schul-IT Fabelfeld)": (
        HERE / "schulamt_questions.toml",
        HERE / "schulamt_content.toml",
    ),
}
"""Each question set with the knowledge base it asks about (``None``: klbot's default)."""
Answerer = Callable[[str], str | None]


def load_questions(path: Path) -> list[tuple[str, list[str]]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [(q["text"], q["expect"]) for q in data["question"]]


def site_search(index: SearchIndex) -> Answerer:
    """The baseline: the entry whose text matches the question best, if it matches well."""
    texts = [" ".join(field.text for field in entry_fields(e)) for e in index.entries]

    def answer(question: str) -> str | None:
        found = process.extractOne(question, texts, scorer=fuzz.token_set_ratio, score_cutoff=60)
        return index.entries[found[2]].id if found else None

    return answer


def klbot(index: SearchIndex) -> Answerer:
    def answer(question: str) -> str | None:
        result = index.search(question)
        return result.answer.entry.id if result.answer else None

    return answer


def offered(index: SearchIndex, questions: list[tuple[str, list[str]]]) -> float:
    """Share of in-scope questions whose right entry is the answer or a suggested topic."""
    hits = in_scope = 0
    for text, expect in questions:
        if expect:
            in_scope += 1
            result = index.search(text)
            shown = [result.answer] if result.answer else list(result.suggestions)
            hits += any(match.entry.id in expect for match in shown)
    return 100 * hits / in_scope


def evaluate(
    answer: Answerer, questions: list[tuple[str, list[str]]], verbose: bool
) -> tuple[float, float]:
    right = declined = in_scope = out_of_scope = 0
    for text, expect in questions:
        got = answer(text)
        if expect:
            in_scope += 1
            right += got in expect
        else:
            out_of_scope += 1
            declined += got is None
        if verbose and (got not in expect if expect else got is not None):
            print(f"  MISS {text!r}: got {got}, expected {expect or 'decline'}")
    return 100 * right / in_scope, 100 * declined / out_of_scope


def latencies(index: SearchIndex, questions: list[str]) -> list[float]:
    for question in questions[:20]:  # warm-up
        index.search(question)
    times = []
    for question in questions:
        start = time.perf_counter()
        index.search(question)
        times.append((time.perf_counter() - start) * 1000)
    return times


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share) - 1]


def main() -> None:
    verbose = "--verbose" in sys.argv
    default = SearchIndex(parse(default_text(), "default"))
    everything: list[tuple[str, list[str]]] = []
    for set_name, (path, content) in SETS.items():
        questions = load_questions(path)
        if content is None:
            index = default
            everything += questions
        else:
            index = SearchIndex(parse(content.read_text(encoding="utf-8"), content.name))
        in_scope = sum(1 for _, expect in questions if expect)
        print(f"{set_name}: {in_scope} in scope, {len(questions) - in_scope} out of scope")
        answerers = (("klbot", klbot(index)), ("site search baseline", site_search(index)))
        for name, answerer in answerers:
            correct, declined = evaluate(answerer, questions, verbose and name == "klbot")
            print(
                f"  {name:22} answered correctly {correct:5.1f} %   "
                f"declined out of scope {declined:5.1f} %"
            )
        share = offered(index, questions)
        print(f"  klbot, right entry answered or among the suggestions: {share:5.1f} %")
    questions = everything

    text, generated = generated_text(1000)
    start = time.perf_counter()
    big = SearchIndex(parse(text, "generated"))
    built = time.perf_counter() - start
    print(f"generated base: {len(big.entries)} entries, index built in {built * 1000:.0f} ms")
    gen_right = sum(klbot(big)(q) == pid for q, _, pid in generated)
    print(
        f"generated project questions answered correctly: {100 * gen_right / len(generated):.1f} %"
    )
    correct, declined = evaluate(klbot(big), questions, False)
    print(f"question set on the big base: correct {correct:.1f} %, declined {declined:.1f} %")
    sample = [q for q, _ in questions] + [q for q, _, _ in generated[:300]]
    times = latencies(big, sample * 3)
    print(
        f"latency per question on {len(big.entries)} entries: "
        f"p50 {percentile(times, 50):.2f} ms, p99 {percentile(times, 99):.2f} ms "
        "(target p99 ≤ 5 ms)"
    )


if __name__ == "__main__":
    main()
