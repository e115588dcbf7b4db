"""klbot's conversation logic, one router per feature, platform-neutral."""

from __future__ import annotations

from bot.router import Router


def all_routers() -> list[Router]:
    """Every feature's router, in the order ``/help`` lists their commands."""
    from handlers import fallback, privacy, staff, start

    return [start.router, privacy.router, staff.router, fallback.router]
