"""How well and how fast klbot answers free-text questions.

Usage: .venv/bin/python -m bench.answers [--verbose] [--only NAME]
       .venv/bin/python -m bench.answers --store-vectors CONTENT  (sets/CONTENT.toml)

For each question set and the knowledge base it asks about (bench/README.md says how each
set was written) it prints, for klbot (lexical search and embedding model together) and,
beside it, the lexical search alone and a plain "site search" baseline, all measured in
the same run:

- correct: in-scope questions answered from a right entry;
- declined: out-of-scope questions not answered (declined, or asked back);
- wrong: in-scope questions answered from a wrong entry plus out-of-scope questions
  answered, as a share of the in-scope questions;
- found: in-scope questions whose right entry is the answer or among the buttons offered;
- the model's ranking alone: in-scope questions whose right entry it ranks first, and
  among the first three: the ceiling of any decision over it (an answer can only be
  right where the entry it names is).

Then, on a generated 1,000-entry knowledge base: the time to import it with its vectors,
and p50/p99 answer latency per question (embedding included), over all questions and over
those the lexical search does not settle alone (a question naming its entry needs no model).
Targets: keyword-free sets ≥ 90 % correct, ≥ 90 % declined, wrong ≤ 3 %, found ≥ 98 %;
p50 ≤ 30 ms, p99 ≤ 60 ms; import ≤ 120 s.
"""

from __future__ import annotations

import statistics
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from bench.generated_kb import generated_text
from bot.knowledge import embedding
from bot.knowledge.dense import DenseIndex
from bot.knowledge.embedding import E5
from bot.knowledge.fields import entry_fields
from bot.knowledge.hybrid import Outcome
from bot.knowledge.passages import passages
from bot.knowledge.schema import KnowledgeBase, default_text, parse
from bot.knowledge.service import Loaded
from bot.knowledge.shipped import store_vectors, stored_vectors

HERE = Path(__file__).parent / "sets"
"""The question sets and the contents they ask about (bench/README.md)."""
DEFAULT = None
KEYWORD_FREE = {
    "Lindenfurt digital GmbH": ("plain_lindenfurt_questions.toml", "plain_lindenfurt.toml"),
    "Landkreis Auental": ("plain_auental_questions.toml", "plain_auental.toml"),
    "Stadtwerke Brunnstadt": ("plain_brunnstadt_questions.toml", "plain_brunnstadt.toml"),
}
"""Blind sets on content written as staff first write it: no keywords, no synonyms."""
TUNED = {
    "default: development": ("default_dev.toml", DEFAULT),
    "default: held-out": ("default_heldout.toml", DEFAULT),
    "default: styles": ("default_styles.toml", DEFAULT),
    "default: paraphrases": ("default_paraphrases.toml", DEFAULT),
    "default: personas": ("default_personas.toml", DEFAULT),
    "default: short": ("default_short.toml", DEFAULT),
    "default: bilingual": ("default_bilingual.toml", DEFAULT),
    "Musterstadt": ("fiction_musterstadt_questions.toml", "fiction_musterstadt.toml"),
    "Beispielkreis": ("fiction_beispielkreis_questions.toml", "fiction_beispielkreis.toml"),
    "Stadtwerke Fiktivhausen": ("fiction_stadtwerke_questions.toml", "fiction_stadtwerke.toml"),
    "Hafenstadt Erfundenhafen": ("fiction_hafenstadt_questions.toml", "fiction_hafenstadt.toml"),
    "Hafenstadt, unseen questions": (
        "fiction_hafenstadt_questions_unseen.toml",
        "fiction_hafenstadt.toml",
    ),
    "Hafenstadt, unseen questions, after the staff round": (
        "fiction_hafenstadt_questions_unseen.toml",
        "fiction_hafenstadt_after_staff.toml",
    ),
    "Gemeinde Waldbrunnen-Süd": ("fiction_gemeinde_questions.toml", "fiction_gemeinde.toml"),
    "Schul-IT Fabelfeld": ("fiction_schulamt_questions.toml", "fiction_schulamt.toml"),
}
"""Sets on klbot's default content and on fictional contents written with keywords."""
Questions = list[tuple[str, list[str]]]
Answerer = Callable[[str], Outcome]


@dataclass(frozen=True)
class Score:
    correct: float
    declined: float
    wrong: float
    found: float

    def __str__(self) -> str:
        return (
            f"correct {self.correct:5.1f} %  declined {self.declined:5.1f} %  "
            f"wrong {self.wrong:4.1f} %  found {self.found:5.1f} %"
        )


def load_questions(path: Path) -> Questions:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [(q["text"], q["expect"]) for q in data["question"]]


def load_content(name: str | None) -> KnowledgeBase:
    if name is None:
        return parse(default_text(), "default")
    return parse((HERE / name).read_text(encoding="utf-8"), name)


def loaded(kb: KnowledgeBase, model: E5 | None, stored: Path | None = None) -> Loaded:
    """A knowledge base as klbot holds it after an import (vectors computed, if a model);
    ``stored``: vectors kept from an earlier run, used if they are this content's."""
    result = Loaded(0, "bench", kb, model)
    if model is not None:
        texts = [p.text for p in passages(kb)]
        vectors = stored_vectors(stored, texts) if stored is not None else None
        if vectors is None:
            vectors = model.passages(texts)
        result.dense = DenseIndex.build(passages(kb), vectors, len(kb.entries()), [])
    return result


def vectors_file(content: str) -> Path:
    """Where the vectors of ``sets/CONTENT.toml`` are kept (the suite's model test reads
    them instead of embedding 66 passages for 15 s)."""
    return HERE / f"{Path(content).stem}.vectors.npz"


def store(content: str) -> None:
    """Compute and keep the vectors of ``sets/CONTENT.toml`` (after changing it)."""
    model = embedding.model()
    if model is None:
        sys.exit("the embedding model cannot run here")
    texts = [p.text for p in passages(load_content(f"{Path(content).stem}.toml"))]
    store_vectors(vectors_file(content), texts, model.passages(texts))
    print(f"{vectors_file(content)}: {len(texts)} passages")


def klbot(knowledge: Loaded) -> Answerer:
    return knowledge.ask_now


def site_search(knowledge: Loaded) -> Answerer:
    """The baseline: the entry whose text matches the question best, if it matches well."""
    entries = knowledge.kb.entries()
    texts = [" ".join(field.text for field in entry_fields(e)) for e in entries]

    def answer(question: str) -> Outcome:
        found = process.extractOne(question, texts, scorer=fuzz.token_set_ratio, score_cutoff=60)
        return Outcome(entries[found[2]]) if found else Outcome()

    return answer


def evaluate(answer: Answerer, questions: Questions, verbose: bool = False) -> Score:
    right = declined = wrong = found = in_scope = 0
    for text, expect in questions:
        outcome = answer(text)
        got = outcome.answer.id if outcome.answer else None
        offered = [got] if got else [entry.id for entry in outcome.choices]
        if expect:
            in_scope += 1
            right += got in expect
            wrong += got is not None and got not in expect
            found += any(entry_id in expect for entry_id in offered)
        else:
            declined += got is None
            wrong += got is not None
        if verbose and (got not in expect if expect else got is not None):
            print(f"  MISS {text!r}: got {got or offered}, expected {expect or 'decline'}")
    out_of_scope = len(questions) - in_scope
    return Score(
        100 * right / in_scope,
        100 * declined / max(out_of_scope, 1),
        100 * wrong / in_scope,
        100 * found / in_scope,
    )


def ranking(knowledge: Loaded, model: E5, questions: Questions) -> str:
    """How often the model alone ranks a right entry first and among the first three."""
    assert knowledge.dense is not None
    entries, first = knowledge.index.entries, 0
    three, in_scope = 0, [(text, expect) for text, expect in questions if expect]
    for text, expect in in_scope:
        ranked = [entries[i].id for i, _ in knowledge.dense.rank(model.query(text))]
        first += ranked[0] in expect
        three += any(entry_id in expect for entry_id in ranked[:3])
    return (
        f"right entry first {100 * first / len(in_scope):5.1f} %, "
        f"among the first three {100 * three / len(in_scope):5.1f} %"
    )


def percentile(values: list[float], share: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1]


def main() -> None:
    if "--store-vectors" in sys.argv:
        store(sys.argv[sys.argv.index("--store-vectors") + 1])
        return
    verbose = "--verbose" in sys.argv
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
    model = embedding.model()
    if model is None:
        sys.exit("the embedding model cannot run here")
    everything: Questions = []
    for title, sets in (("keyword-free content", KEYWORD_FREE), ("tuned content", TUNED)):
        print(f"== {title}")
        for set_name, (questions_file, content) in sets.items():
            if only and only.lower() not in set_name.lower():
                continue
            questions = load_questions(HERE / questions_file)
            kb = load_content(content)
            if content is None:
                everything += questions
            in_scope = sum(1 for _, expect in questions if expect)
            print(f"{set_name}: {in_scope} in scope, {len(questions) - in_scope} out of scope")
            hybrid, lexical = loaded(kb, model), loaded(kb, None)
            for name, answerer in (
                ("klbot", klbot(hybrid)),
                ("lexical search alone", klbot(lexical)),
                ("site search baseline", site_search(lexical)),
            ):
                score = evaluate(answerer, questions, verbose and name == "klbot")
                print(f"  {name:21} {score}")
            print(f"  {'model ranking alone':21} {ranking(hybrid, model, questions)}")
    if only:
        return
    text, generated = generated_text(1000)
    start = time.perf_counter()
    big = loaded(parse(text, "generated"), model)
    big.index.search("warm-up")
    built = time.perf_counter() - start
    print(
        f"generated base: {len(big.kb.entries())} entries, imported with vectors in {built:.1f} s"
    )
    answer = klbot(big)
    given = [(answer(q).answer, pid) for q, _, pid in generated[:200]]
    right = sum(entry is not None and entry.id == pid for entry, pid in given)
    print(f"generated project questions answered correctly: {100 * right / len(given):.1f} %")
    sample = [q for q, _ in everything] + [q for q, _, _ in generated[:300]]
    for question in sample[:20]:  # warm-up
        answer(question)
    times, with_model = [], []
    for question in sample:
        begin = time.perf_counter()
        answer(question)
        times.append((time.perf_counter() - begin) * 1000)
        if big.needs_model(big.index.search(question)):
            with_model.append(times[-1])
    print(
        f"latency per question on {len(big.kb.entries())} entries: "
        f"p50 {percentile(times, 50):.1f} ms, p99 {percentile(times, 99):.1f} ms "
        "(targets p50 ≤ 30 ms, p99 ≤ 60 ms); "
        f"{100 * len(with_model) / len(times):.0f} % of the questions needed the model: "
        f"p50 {percentile(with_model, 50):.1f} ms, p99 {percentile(with_model, 99):.1f} ms"
    )


if __name__ == "__main__":
    main()
