"""Short, stable pseudonyms for people in logs: ``telegram:3fa9c1d2`` instead of the real id.

A keyed hash (HMAC-SHA256): without the key nobody can go from a pseudonym back to a
platform id by trying ids. The key is ``[privacy] pseudonym_secret``, or random per
process when that is empty (then pseudonyms cannot be linked across restarts).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

DIGITS = 8


class Pseudonyms:
    """Turns identities (``platform:id``) into pseudonyms with one key."""

    def __init__(self, secret: str = "") -> None:
        self._key = secret.encode() if secret else secrets.token_bytes(32)

    def __call__(self, identity: object) -> str:
        """``platform:HASH``; the platform stays readable, the id does not."""
        text = str(identity)
        platform, sep, _ = text.partition(":")
        digest = hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()[:DIGITS]
        return f"{platform}:{digest}" if sep else digest
