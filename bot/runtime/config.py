"""klbot's configuration: one TOML file, secrets from the environment, validated once."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.core.events import Identity

CONFIG_ENV = "KLBOT_CONFIG"

# Environment variables that override a key: (section, key) -> variable.
ENV_OVERRIDES = {
    ("storage", "url"): "KLBOT_DATABASE_URL",
    ("telegram", "token"): "KLBOT_TELEGRAM_TOKEN",
    ("telegram", "webhook_secret"): "KLBOT_TELEGRAM_WEBHOOK_SECRET",
    ("matrix", "password"): "KLBOT_MATRIX_PASSWORD",
    ("matrix", "access_token"): "KLBOT_MATRIX_ACCESS_TOKEN",
    ("privacy", "pseudonym_secret"): "KLBOT_PSEUDONYM_SECRET",
}


class ConfigError(Exception):
    """A configuration problem, phrased as one line naming the file and key."""


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "klbot"


def _identity(value: str) -> str:
    Identity.parse(value)
    return value


IdentityStr = Annotated[str, AfterValidator(_identity)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BotSection(Section):
    name: str = "klbot"
    default_language: Literal["de", "en"] = "de"
    timezone: str = "Europe/Berlin"
    max_message_length: int = Field(default=4096, ge=100, le=100_000)


ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}
"""The schemes people write, and the asynchronous driver klbot uses for each."""


def async_url(url: str) -> str:
    """``url`` with the asynchronous driver of its database: ``sqlite:///klbot.db`` becomes
    ``sqlite+aiosqlite:///klbot.db``, ``postgresql://…`` ``postgresql+asyncpg://…``; a
    ``ValueError`` for a database klbot does not support."""
    scheme, separator, rest = url.partition("://")
    driver = ASYNC_DRIVERS.get(scheme.lower()) if separator else None
    if driver is None:
        raise ValueError(
            f"{scheme if separator else url!r} is not a database klbot supports "
            "(sqlite:///FILE or postgresql://USER@HOST/DATABASE)"
        )
    return f"{driver}://{rest}"


class StorageSection(Section):
    url: str = ""
    """A database URL as SQLAlchemy writes it; empty: a SQLite file in klbot's data folder."""

    @field_validator("url")
    @classmethod
    def _supported(cls, url: str) -> str:
        return async_url(url) if url else url

    def resolved_url(self) -> str:
        return self.url or f"sqlite+aiosqlite:///{default_data_dir() / 'klbot.sqlite3'}"


class TelegramSection(Section):
    enabled: bool = False
    token: str = ""
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_path: str = "/telegram"
    webhook_url: str = ""
    webhook_secret: str = ""
    rate_per_second: float = Field(default=30.0, gt=0, le=1000)
    rate_per_chat: float = Field(default=1.0, gt=0, le=100)
    max_in_flight: int = Field(default=100, ge=1, le=500)
    paid_broadcast: bool = False
    paid_rate: float = Field(default=1000.0, gt=0, le=1000)

    @model_validator(mode="after")
    def _needs_token(self) -> TelegramSection:
        if self.enabled and not self.token:
            raise ValueError("token: required when [telegram] is enabled")
        if self.enabled and self.mode == "webhook" and not self.webhook_url:
            raise ValueError("webhook_url: required when mode is 'webhook'")
        if self.enabled and self.mode == "webhook" and len(self.webhook_secret) < 16:
            raise ValueError("webhook_secret: at least 16 characters when mode is 'webhook'")
        return self


class MatrixSection(Section):
    enabled: bool = False
    homeserver: str = ""
    user_id: str = ""
    password: str = ""
    access_token: str = ""
    device_id: str = ""
    store_path: str = ""
    group_invites_from: list[str] = []
    rate_per_second: float = Field(default=10.0, gt=0, le=1000)
    rate_per_chat: float = Field(default=2.0, gt=0, le=100)
    max_in_flight: int = Field(default=100, ge=1, le=500)

    def resolved_store(self) -> Path:
        return Path(self.store_path) if self.store_path else default_data_dir() / "matrix-store"

    @model_validator(mode="after")
    def _needs_login(self) -> MatrixSection:
        if not self.enabled:
            return self
        if not self.homeserver:
            raise ValueError("homeserver: required when [matrix] is enabled")
        if not self.user_id:
            raise ValueError("user_id: required when [matrix] is enabled")
        if not (self.password or self.access_token):
            raise ValueError("password: password or access_token required when [matrix] is enabled")
        return self


class KnowledgeSection(Section):
    file: str = ""
    embeddings: bool = True
    """False: answer with the lexical search alone (as where the model cannot run)."""

    @model_validator(mode="after")
    def _readable(self) -> KnowledgeSection:
        if self.file and not Path(self.file).is_file():
            raise ValueError(f"file: no such file {self.file!r}")
        return self


class FeedbackSection(Section):
    max_per_hour: int = Field(default=5, ge=1, le=1000)
    max_length: int = Field(default=4000, ge=100, le=4000)
    digest: str = "0 8 * * mon"
    digest_recent: int = Field(default=3, ge=0, le=20)

    @model_validator(mode="after")
    def _crontab(self) -> FeedbackSection:
        if self.digest and len(self.digest.split()) != 5:
            raise ValueError("digest: a cron expression of five fields, e.g. '0 8 * * mon'")
        return self


class AnnouncementsSection(Section):
    misfire_grace: int = Field(default=300, ge=0, le=7 * 24 * 3600)
    four_eyes: bool = False
    sender: str = Field(default="📣 KL.digital", max_length=100)
    """The line above every announcement that names who sends it (empty: none)."""


class RolesSection(Section):
    admin: list[IdentityStr] = []
    staff: list[IdentityStr] = []
    board: list[IdentityStr] = []


class Bilingual(Section):
    """A text the privacy notice shows, in German and English."""

    de: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.de


class PrivacySection(Section):
    controller: str = "KL.digital GmbH, Kaiserslautern"
    contact: str = ""
    data_protection_officer: str = ""
    purposes: Bilingual = Bilingual(
        de="Fragen beantworten, Rückmeldungen bearbeiten und beantworten, abonnierte "
        "Neuigkeiten zustellen.",
        en="answering questions, handling and answering feedback, delivering news you "
        "subscribed to.",
    )
    legal_basis: Bilingual = Bilingual(
        de="Art. 6 Abs. 1 lit. e DSGVO (Aufgabe im öffentlichen Interesse); für Neuigkeiten und "
        "die Kontaktaufnahme deine Einwilligung, Art. 6 Abs. 1 lit. a DSGVO.",
        en="Art. 6(1)(e) GDPR (task in the public interest); for news and being contacted, "
        "your consent, Art. 6(1)(a) GDPR.",
    )
    recipients: Bilingual = Bilingual(
        de="Mitarbeitende der KL.digital GmbH; der Betreiber der Plattform, über die du "
        "schreibst (Telegram oder der Matrix-Server).",
        en="staff of KL.digital GmbH; the operator of the platform you write through "
        "(Telegram or the Matrix server).",
    )
    feedback_anonymise_days: int = Field(default=365, ge=1, le=3650)
    gap_log_days: int = Field(default=90, ge=1, le=3650)
    delivery_days: int = Field(default=30, ge=1, le=3650)
    processed_update_days: int = Field(default=7, ge=1, le=3650)
    feedback_on_deletion: Literal["delete", "anonymise"] = "delete"
    pseudonym_secret: str = ""


class LoggingSection(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class OperationsSection(Section):
    """``/healthz`` and Prometheus ``/metrics`` (port 0: off)."""

    listen: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)


class WebSection(Section):
    """The web console for staff and board (``bot/web``), served by ``klbot run``."""

    enabled: bool = False
    bind: str = "127.0.0.1:8080"
    """``HOST:PORT`` the console listens on; put a TLS reverse proxy in front of it."""
    base_url: str = ""
    """The public address used in login links; empty: ``http://`` and ``bind``."""

    @field_validator("bind")
    @classmethod
    def _host_and_port(cls, bind: str) -> str:
        host, _, port = bind.rpartition(":")
        if not host or not port.isdecimal() or not 0 < int(port) <= 65535:
            raise ValueError(f"{bind!r} is not HOST:PORT (e.g. 127.0.0.1:8080)")
        return bind

    @field_validator("base_url")
    @classmethod
    def _web_address(cls, url: str) -> str:
        if url and not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} does not start with https:// (or http://)")
        return url.rstrip("/")

    @property
    def host(self) -> str:
        return self.bind.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.bind.rpartition(":")[2])

    @property
    def public_url(self) -> str:
        """Where people reach the console, without a trailing slash."""
        return self.base_url or f"http://{self.bind}"


class Config(Section):
    """The whole configuration; every section has working defaults."""

    bot: BotSection = BotSection()
    storage: StorageSection = StorageSection()
    telegram: TelegramSection = TelegramSection()
    matrix: MatrixSection = MatrixSection()
    knowledge: KnowledgeSection = KnowledgeSection()
    feedback: FeedbackSection = FeedbackSection()
    announcements: AnnouncementsSection = AnnouncementsSection()
    roles: RolesSection = RolesSection()
    privacy: PrivacySection = PrivacySection()
    logging: LoggingSection = LoggingSection()
    operations: OperationsSection = OperationsSection()
    web: WebSection = WebSection()


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read ``path`` (or ``$KLBOT_CONFIG``; defaults when neither) and apply the environment.

    Raises :class:`ConfigError` with one line that names the file and the key.
    """
    env = dict(os.environ) if env is None else env
    chosen = path or env.get(CONFIG_ENV) or None
    where = str(chosen) if chosen else "defaults"
    raw: dict[str, Any] = {}
    if chosen:
        try:
            raw = tomllib.loads(Path(chosen).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{where}: file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where}: cannot read file ({exc.__class__.__name__})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    for (section, key), variable in ENV_OVERRIDES.items():
        if env.get(variable):
            target = raw.setdefault(section, {})
            if isinstance(target, dict):
                target[key] = env[variable]
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{where}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = list(error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "value_error" and len(location) == 1 and ": " in message:
        key, message = message.split(": ", 1)
        location.append(key)
    if error["type"] == "extra_forbidden":
        kind = "key" if len(location) > 1 else "section"
        message = f"unknown {kind} (config.example.toml lists every key)"
    elif error["type"] == "model_type":
        message = "must be a table of keys"
    section, *rest = location or ["?"]
    path = f"[{section}]" + "".join(f"[{p}]" if isinstance(p, int) else f" {p}" for p in rest)
    return f"{path}: {message}"
