"""Long-lived services handlers may use, passed to them through the context."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.knowledge.service import Knowledge
from bot.runtime.metrics import Metrics
from bot.runtime.pseudonym import Pseudonyms


@dataclass(frozen=True, slots=True)
class Services:
    knowledge: Knowledge
    pseudonyms: Pseudonyms = field(default_factory=Pseudonyms)
    """Pseudonyms for people in logs."""
    metrics: Metrics = field(default_factory=Metrics)
    """What this process counts for Prometheus."""
