"""What klbot counts for Prometheus: one registry per running app (no global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    """The counters and the send-latency histogram of one klbot process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "klbot_updates_handled",
            "Messages and button presses handled",
            ["platform"],
            registry=self.registry,
        )
        self.answers = Counter(
            "klbot_questions",
            "Free-text questions, answered or declined",
            ["outcome"],
            registry=self.registry,
        )
        self.feedback = Counter("klbot_feedback", "Feedback received", registry=self.registry)
        self.deliveries = Counter(
            "klbot_deliveries",
            "Outbox messages by outcome (sent, retry, gone, refused)",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.send_seconds = Histogram(
            "klbot_send_seconds",
            "Time a platform took to accept a message",
            ["platform"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)
