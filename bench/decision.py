"""How the thresholds of ``bot/knowledge/hybrid.py`` were chosen, reproducibly.

Usage: .venv/bin/python -m bench.decision
On the older question sets (bench/README.md) — the fictional contents with their
keywords and synonym groups removed, as staff first write a file; klbot's default content
as it is — it computes both searches' evidence for every question once, then searches a
grid of thresholds for the best mean of correct + declined − 3 × wrong + 0.2 × found,
leaving one whole content out at a time, and prints the held-out figures per set, their
mean and worst, and the thresholds fitted on all sets. The keyword-free blind sets are
not used: they measure the result.
"""

from __future__ import annotations

import itertools
import tomllib
from collections import defaultdict
from dataclasses import dataclass

from bench.answers import HERE, TUNED, Score, evaluate, load_questions
from bot.knowledge import embedding, hybrid
from bot.knowledge.dense import DenseIndex
from bot.knowledge.fields import AnyEntry
from bot.knowledge.hybrid import Outcome, decide
from bot.knowledge.index import SearchIndex, SearchResult
from bot.knowledge.passages import passages
from bot.knowledge.schema import KnowledgeBase, default_text, parse

GRID = {
    "NAMED_AT": [0.3, 0.5, 0.7],
    "ANSWER_AT": [0.87, 0.88, 0.89, 0.90],
    "MARGIN": [0.0, 0.02],
    "UNKNOWN_AT_MOST": [0.35, 0.5],
    "ASK_AT": [0.80, 0.82, 0.84],
}
WRONG_WEIGHT = 3


@dataclass
class Case:
    set_name: str
    content: str
    text: str
    expect: list[str]
    lexical: SearchResult
    ranked: list[tuple[int, float]]
    entries: list[AnyEntry]


def without_tuning(name: str) -> KnowledgeBase:
    """A content file as staff first write it: no keywords, no synonym groups."""
    data = tomllib.loads((HERE / name).read_text(encoding="utf-8"))
    data.pop("synonyms", None)
    for entry in [data["organisation"], *data.get("officers", []), *data.get("projects", [])]:
        entry.pop("keywords", None)
    for entry in data.get("faq", []):
        entry.pop("keywords", None)
    return KnowledgeBase.model_validate(data)


def cases() -> list[Case]:
    model = embedding.model()
    if model is None:
        raise SystemExit("the embedding model cannot run here")
    found = []
    for set_name, (questions_file, content) in TUNED.items():
        if "staff round" in set_name:  # the same questions as the set before it
            continue
        kb = parse(default_text(), "default") if content is None else without_tuning(content)
        index, entries = SearchIndex(kb), kb.entries()
        texts = passages(kb)
        dense = DenseIndex.build(texts, model.passages([p.text for p in texts]), len(entries), [])
        for text, expect in load_questions(HERE / questions_file):
            ranked = dense.rank(model.query(text))
            found.append(
                Case(
                    set_name,
                    content or "default",
                    text,
                    expect,
                    index.search(text),
                    ranked,
                    entries,
                )
            )
    return found


def score(group: list[Case]) -> Score:
    """The group's figures under the thresholds in use (as ``bench.answers`` counts them)."""
    by_text = {case.text: case for case in group}

    def answer(text: str) -> Outcome:
        case = by_text[text]
        return decide(case.lexical, case.entries, case.ranked)

    return evaluate(answer, [(case.text, case.expect) for case in group])


def use(thresholds: dict[str, float]) -> None:
    for name, value in thresholds.items():
        setattr(hybrid, name, value)


def fit(group: list[Case]) -> dict[str, float]:
    sets: dict[str, list[Case]] = defaultdict(list)
    for case in group:
        sets[case.set_name].append(case)

    def objective(thresholds: dict[str, float]) -> float:
        use(thresholds)
        scores = [score(cases) for cases in sets.values()]
        return sum(
            s.correct + s.declined - WRONG_WEIGHT * s.wrong + 0.2 * s.found for s in scores
        ) / len(scores)

    grid = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    return max(grid, key=objective)


def main() -> None:
    everything = cases()
    held_out = []
    for content in dict.fromkeys(case.content for case in everything):
        thresholds = fit([case for case in everything if case.content != content])
        use(thresholds)
        for set_name in dict.fromkeys(c.set_name for c in everything if c.content == content):
            figures = score([case for case in everything if case.set_name == set_name])
            held_out.append(figures)
            print(f"{set_name:40} {figures}   {thresholds}")
    columns = [[s.correct for s in held_out], [s.declined for s in held_out]]
    columns += [[s.wrong for s in held_out], [s.found for s in held_out]]
    mean = [sum(column) / len(column) for column in columns]
    worst = [min(columns[0]), min(columns[1]), max(columns[2]), min(columns[3])]
    for label, row in (("mean", mean), ("worst", worst)):
        print(f"held-out {label}: " + " / ".join(f"{value:.1f}" for value in row))
    print("fitted on all sets:", fit(everything))


if __name__ == "__main__":
    main()
