"""All configuration, from the environment or a .env file; every variable is in .env.example."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core import languages
from core.communes.seed import PILOT_COMMUNES


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PALABRE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///palabre.db",
        validation_alias=AliasChoices("DATABASE_URL", "PALABRE_DATABASE_URL"))
    media_dir: Path = Path("media")
    # files: photos and voice notes in media_dir; database: in PostgreSQL, shared by every
    # machine (media_dir is then each machine's cache)
    media_store: Literal["files", "database"] = "files"
    # Webhook bodies wait here, on this machine's disk, while the database does not answer
    spool_dir: Path = Path("spool")
    enabled_communes: str = ",".join(PILOT_COMMUNES)
    console_commune: str = ""
    conversation_timeout_minutes: int = Field(default=30, ge=1)
    outbox_max_attempts: int = Field(default=8, ge=1)
    worker_interval_seconds: float = Field(default=0.5, gt=0)
    # Sends in flight at once per delivering process (to different citizens; each provider's
    # pace still holds)
    delivery_concurrency: int = Field(default=8, ge=1, le=64)
    # Run the scheduler in `palabre serve` (one per deployment: false on extra web processes)
    scheduler: bool = True
    # Submissions still "new" after this many hours are escalated (label, high priority)
    escalation_hours: int = Field(default=48, ge=1, le=24 * 60)
    # Drafts abandoned this many days are forgotten (the citizen starts from the menu)
    conversation_expiry_days: int = Field(default=7, ge=1, le=365)
    # "Was it really fixed?" is asked this many days after a submission is resolved (0: never)
    followup_days: int = Field(default=14, ge=0, le=365)
    # Personal data of closed submissions and inactive citizens is kept this many months,
    # then stripped (contacts, voice audio) by the retention job (0: never)
    retention_months: int = Field(default=24, ge=0, le=1200)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or
    # networks, comma separated, e.g. 127.0.0.1,10.0.0.0/8); empty: none
    trusted_proxies: str = ""
    auto_migrate: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Where the log goes while a console chat holds the terminal (`palabre serve`, `palabre
    # chat`); warnings and errors reach the terminal too. Without a console: the terminal.
    log_file: Path = Path("palabre.log")
    log_format: Literal["text", "json"] = "text"
    # GET /metrics asks for this bearer token when it is set
    metrics_token: SecretStr = SecretStr("")
    # The map tiles of the console's map ({z}/{x}/{y} template); empty: pins on a blank map
    map_tiles: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    # The address the providers reach this server at (webhook registration), e.g.
    # https://palabre.mairie-cotonou.bj
    public_url: str = ""
    # Telegram: one bot in these variables, more in telegram_bots (JSON)
    telegram_token: SecretStr = SecretStr("")
    telegram_commune: str = ""
    telegram_webhook_secret: SecretStr = SecretStr("")
    telegram_bots: SecretStr = SecretStr("")
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    telegram_api_url: str = "https://api.telegram.org"
    telegram_max_file_mb: int = Field(default=20, ge=1, le=2000)
    telegram_commune_chats: str = ""
    telegram_staff_chats: str = ""
    # WhatsApp through Twilio
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_api_url: str = "https://api.twilio.com"
    twilio_content_url: str = "https://content.twilio.com"
    whatsapp_senders: str = ""
    whatsapp_messages_per_second: float = Field(default=10.0, gt=0)
    whatsapp_templates: str = ""
    whatsapp_buttons: bool = True
    whatsapp_max_media_mb: int = Field(default=16, ge=1, le=100)
    # Voice notes: which backend and model hear which language ("LANG=BACKEND:MODEL", "*" for
    # every other language, with detection); empty: voice notes are kept without transcripts
    transcription_routes: str = "*=faster-whisper:bundled-base"
    transcription_workers: int = Field(default=1, ge=0, le=16)
    transcription_max_seconds: int = Field(default=300, ge=5, le=3600)
    transcription_min_confidence: float = Field(default=0.4, ge=0, le=1)
    transcription_model_dir: Path = Path("models")
    transcription_threads: int = Field(default=0, ge=0, le=64)
    # The languages citizens are offered to speak, in this order (ISO 639: 639-1 where it
    # exists); a catalog's language missing here is offered after them
    spoken_languages: str = "fr,en,fon,yo,guw,ajg,gej,bba,ddn,tbz"

    @field_validator("transcription_routes")
    @classmethod
    def _routes(cls, value: str) -> str:
        """A route that cannot work is said at start, in one line, not at the first note."""
        if value.strip():
            from transcription.routes import parse_routes

            parse_routes(value)
        return value

    @field_validator("spoken_languages")
    @classmethod
    def _spoken(cls, value: str) -> str:
        """Language codes only: fr, yo, fon…"""
        bad = [code for code in spoken_codes(value) if not languages.is_code(code)]
        if bad:
            raise ValueError(f"not ISO 639 language codes: {', '.join(bad)} "
                             "(write them like fr,en,fon,yo)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("DATABASE_URL is empty")
        return value.strip()

    @property
    def communes_to_enable(self) -> list[str]:
        return [c.strip() for c in self.enabled_communes.split(",") if c.strip()]

    @property
    def conversation_timeout(self) -> timedelta:
        return timedelta(minutes=self.conversation_timeout_minutes)


def spoken_codes(value: str) -> list[str]:
    """PALABRE_SPOKEN_LANGUAGES as a list of codes, in order, once each."""
    codes = [code.strip().lower() for code in value.split(",") if code.strip()]
    return list(dict.fromkeys(codes))
