"""matrix-nio error responses become klbot's neutral outcomes."""

from __future__ import annotations

from nio import RoomSendError

from bot.adapters import PermanentError, RateLimited, RecipientGone, TransientError
from bot.adapters.matrix import translate_error


def error(code: str, retry_ms: int | None = None) -> RoomSendError:
    return RoomSendError("went wrong", code, retry_ms)


def test_limit_exceeded_is_rate_limited_for_the_given_time() -> None:
    outcome = translate_error(error("M_LIMIT_EXCEEDED", 2500))
    assert isinstance(outcome, RateLimited) and outcome.retry_after == 2.5


def test_forbidden_means_the_recipient_is_gone() -> None:
    assert isinstance(translate_error(error("M_FORBIDDEN")), RecipientGone)


def test_other_matrix_errors_are_permanent_and_unknown_ones_transient() -> None:
    assert isinstance(translate_error(error("M_TOO_LARGE")), PermanentError)
    assert isinstance(translate_error(error("M_UNKNOWN")), TransientError)
    assert isinstance(translate_error(RoomSendError("server exploded")), TransientError)
