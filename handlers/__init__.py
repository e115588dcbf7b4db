"""klbot's conversation logic, one router per feature, platform-neutral."""

from __future__ import annotations

from bot.router import Router


def all_routers() -> list[Router]:
    """Every feature's router, in the order ``/help`` lists their commands."""
    from handlers import (
        announcements,
        catalogue,
        fallback,
        feedback,
        feedback_staff,
        gaps,
        privacy,
        privacy_data,
        questions,
        roles,
        scheduled,
        staff,
        start,
        subscriptions,
    )

    return [
        start.router,
        catalogue.router,
        feedback.router,
        subscriptions.router,
        privacy.router,
        privacy_data.router,
        questions.router,
        gaps.router,
        staff.router,
        feedback_staff.router,
        announcements.router,
        scheduled.router,
        roles.router,
        fallback.router,
    ]
