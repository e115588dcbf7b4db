"""Long-lived services handlers may use, passed to them through the context."""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.service import Knowledge


@dataclass(frozen=True, slots=True)
class Services:
    knowledge: Knowledge
