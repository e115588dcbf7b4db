"""The privacy notice."""

from __future__ import annotations

from bot.context import Context
from bot.events import Reply
from bot.i18n import Text
from bot.router import Router

router = Router("privacy")

NOTICE = Text(
    de="Datenschutz bei klbot\n\n"
    "Verantwortlich: {controller}{contact}{dpo}\n\n"
    "Was ich speichere: deine Kennung auf der Plattform (z. B. Telegram- oder Matrix-ID), "
    "die Sprache, die du gewählt hast, und den Stand eines laufenden Gesprächs, damit es nach "
    "einem Neustart weitergehen kann. Den Text deiner Fragen speichere ich dafür nicht.\n\n"
    "Zweck und Rechtsgrundlage: die Beantwortung deiner Anfragen (Art. 6 Abs. 1 lit. e DSGVO).\n"
    "Ein abgebrochenes Gespräch (/cancel) lösche ich sofort.\n\n"
    "Du hast das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung und Widerspruch "
    "sowie auf Beschwerde bei einer Datenschutz-Aufsichtsbehörde.",
    en="Privacy at klbot\n\n"
    "Controller: {controller}{contact}{dpo}\n\n"
    "What I store: your identity on the platform (e.g. your Telegram or Matrix ID), the language "
    "you chose, and where you are in a running conversation so it can continue after a restart. "
    "I do not store the text of your questions for this.\n\n"
    "Purpose and legal basis: answering your requests (Art. 6(1)(e) GDPR).\n"
    "A cancelled conversation (/cancel) is deleted at once.\n\n"
    "You have the right of access, rectification, erasure, restriction and objection, "
    "and the right to lodge a complaint with a data protection supervisory authority.",
)
CONTACT = Text(de="\nKontakt: {value}", en="\nContact: {value}")
DPO = Text(de="\nDatenschutzbeauftragte(r): {value}", en="\nData protection officer: {value}")


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
    return ctx.reply(NOTICE, controller=settings.controller, contact=contact, dpo=dpo)
