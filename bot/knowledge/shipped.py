"""Vectors shipped with the packaged default content, so that a fresh installation (and
every test on a fresh database) answers its first question without embedding the
default's passages first (2.5 s on 2 cores).

They are used only if they were computed by the same model from exactly the passages
asked for; otherwise klbot computes them as for any imported file. After changing
``content/kl_digital.toml`` or the passages, run ``python -m bot.knowledge.shipped``
(a test says so when they are stale).
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from bot.knowledge import embedding
from bot.knowledge.embedding import DIM, MODEL
from bot.knowledge.passages import passages
from bot.knowledge.schema import default_text, parse

if TYPE_CHECKING:
    from bot.knowledge.embedding import Vectors

FILE = "kl_digital.vectors.npz"


def digest(texts: list[str]) -> str:
    """What the vectors were computed from: the model and every passage."""
    return hashlib.sha256("\0".join([MODEL, *texts]).encode()).hexdigest()


def stored_vectors(path: Path, texts: list[str]) -> Vectors | None:
    """The vectors stored at ``path``, if they are those of ``texts``."""
    import numpy as np

    if not path.is_file():
        return None
    with np.load(path) as data:
        if str(data["digest"]) != digest(texts):
            return None
        vectors: Vectors = data["vectors"].astype(np.float32).reshape(len(texts), DIM)
    return vectors


def store_vectors(path: Path, texts: list[str], vectors: Vectors) -> None:
    """Keep ``vectors`` of ``texts`` at ``path`` for :func:`stored_vectors`."""
    import numpy as np

    np.savez_compressed(path, vectors=vectors, digest=np.array(digest(texts)))


def shipped_vectors(texts: list[str]) -> Vectors | None:
    """The shipped vectors, if they are those of ``texts``."""
    with resources.as_file(resources.files("content") / FILE) as path:
        return stored_vectors(path, texts)


def main() -> None:
    model = embedding.model()
    if model is None:
        raise SystemExit("the embedding model cannot run here")
    texts = [p.text for p in passages(parse(default_text(), "default"))]
    target = Path(str(resources.files("content"))) / FILE
    store_vectors(target, texts, model.passages(texts))
    print(f"{target}: {len(texts)} passages")


if __name__ == "__main__":
    main()
