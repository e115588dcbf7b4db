"""klbot's features, one package each: chat handlers (platform-neutral), the service
logic the scheduler and the shell share, and the feature's ``klbot`` commands."""

from __future__ import annotations

from bot.core.router import Router


def all_routers() -> list[Router]:
    """Every feature's routers, in the order ``/help`` lists their commands."""
    from handlers.announcements import compose, scheduled
    from handlers.catalogue import chat as catalogue
    from handlers.digest import chat as digest
    from handlers.feedback import chat as feedback
    from handlers.feedback import staff as feedback_staff
    from handlers.privacy import chat as privacy
    from handlers.privacy import data as privacy_data
    from handlers.questions import chat as questions
    from handlers.questions import gaps
    from handlers.roles import chat as roles
    from handlers.start import chat as start
    from handlers.start import fallback, smalltalk, status
    from handlers.subscriptions import chat as subscriptions
    from handlers.web import chat as web

    return [
        start.router,
        smalltalk.router,
        catalogue.router,
        feedback.router,
        subscriptions.router,
        privacy.router,
        privacy_data.router,
        questions.router,
        gaps.router,
        status.router,
        digest.router,
        feedback_staff.router,
        compose.router,
        scheduled.router,
        roles.router,
        web.router,
        fallback.router,
    ]
