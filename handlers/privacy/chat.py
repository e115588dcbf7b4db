"""The privacy notice (/privacy), and the one line shown before a first feedback or
subscription."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Text
from bot.core.router import Router
from storage import privacy as store

router = Router("privacy")

NOTICE = Text(
    de="Datenschutz bei klbot\n\n"
    "Verantwortlich: {controller}{contact}{dpo}\n\n"
    "Was ich speichere: deine Kennung auf der Plattform (z. B. Telegram- oder Matrix-ID), "
    "die Sprache, die du gewählt hast, und den Stand eines laufenden Gesprächs, damit es nach "
    "einem Neustart weitergehen kann; deine Rückmeldungen (mit deiner Angabe, ob wir dich "
    "kontaktieren dürfen), deine Abonnements und die Nachrichten, die ich dir zustelle. "
    "Fragen, die ich nicht beantworten kann, speichere ich ohne Bezug zu dir.\n\n"
    "Zwecke: {purposes}\n"
    "Rechtsgrundlage: {legal_basis}\n"
    "Empfänger: {recipients}\n\n"
    "Speicherdauer: Rückmeldungen werden nach {feedback_days} Tagen anonymisiert, "
    "unbeantwortete Fragen nach {gap_days} Tagen und zugestellte Nachrichten nach "
    "{delivery_days} Tagen gelöscht. Ein abgebrochenes Gespräch (/cancel) lösche ich sofort; "
    "alles Übrige, bis du es mit /deleteme löschst.\n\n"
    "Deine Rechte: Auskunft (/mydata), Berichtigung, Löschung (/deleteme), Einschränkung, "
    "Widerspruch, Datenübertragbarkeit, Widerruf einer Einwilligung (/unsubscribe) und "
    "Beschwerde bei einer Datenschutz-Aufsichtsbehörde.",
    en="Privacy at klbot\n\n"
    "Controller: {controller}{contact}{dpo}\n\n"
    "What I store: your identity on the platform (e.g. your Telegram or Matrix ID), the "
    "language you chose, and where you are in a running conversation so it can continue after "
    "a restart; your feedback (with whether we may contact you), your subscriptions and the "
    "messages I deliver to you. Questions I cannot answer are kept without any link to you.\n\n"
    "Purposes: {purposes}\n"
    "Legal basis: {legal_basis}\n"
    "Recipients: {recipients}\n\n"
    "Retention: feedback is anonymised after {feedback_days} days, unanswered questions are "
    "deleted after {gap_days} days and delivered messages after {delivery_days} days. "
    "A cancelled conversation (/cancel) is deleted at once; everything else stays until you "
    "delete it with /deleteme.\n\n"
    "Your rights: access (/mydata), rectification, erasure (/deleteme), restriction, "
    "objection, data portability, withdrawing consent (/unsubscribe) and lodging a complaint "
    "with a data protection supervisory authority.",
)
CONTACT = Text(de="\nKontakt: {value}", en="\nContact: {value}")
DPO = Text(de="\nDatenschutzbeauftragte(r): {value}", en="\nData protection officer: {value}")
FIRST_TIME = Text(
    de="ℹ️ Ich speichere dazu deine Plattform-Kennung und was du angibst; /privacy erklärt "
    "mehr, /deleteme löscht alles.",
    en="ℹ️ For this I store your platform identity and what you enter; /privacy explains "
    "more, /deleteme deletes it all.",
)


@router.command(
    "privacy", description=Text(de="was ich speichere und warum", en="what I store and why")
)
async def privacy(ctx: Context) -> Reply:
    settings = ctx.config.privacy
    contact = ctx.t(CONTACT, value=settings.contact) if settings.contact else ""
    dpo = (
        ctx.t(DPO, value=settings.data_protection_officer)
        if settings.data_protection_officer
        else ""
    )
    return ctx.reply(
        NOTICE,
        controller=settings.controller,
        contact=contact,
        dpo=dpo,
        purposes=settings.purposes.get(ctx.lang),
        legal_basis=settings.legal_basis.get(ctx.lang),
        recipients=settings.recipients.get(ctx.lang),
        feedback_days=settings.feedback_anonymise_days,
        gap_days=settings.gap_log_days,
        delivery_days=settings.delivery_days,
    )


async def first_time_line(ctx: Context) -> str:
    """One line on what klbot stores, for a person who has neither filed feedback nor
    subscribed yet (with a blank line after it); otherwise empty."""
    if await store.has_feedback_or_subscription(ctx.session, person_id=ctx.person_id):
        return ""
    return ctx.t(FIRST_TIME) + "\n\n"
