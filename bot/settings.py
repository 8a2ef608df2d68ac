"""Run-time settings: one frozen object read from the environment and ``.env``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Telegram's rule for setWebhook's secret_token.
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

MISSING_TOKEN = (
    "TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather on Telegram (send it /newbot).\n"
    "Then put TELEGRAM_BOT_TOKEN=<your token> in the .env file next to the README "
    "(see .env.example) or export it."
)

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class SettingsError(Exception):
    """The settings cannot be used; each line of ``problems`` names a setting and the fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Settings(BaseSettings):
    """Everything the Telegram bot reads from its environment, validated once at start-up."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str | None = None
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    log_level: LogLevel = "INFO"
    data_dir: Path = Path("data")
    knowledge_dir: Path | None = None
    # Telegram's limits (about 30 messages a second overall, 20 a minute per group) are
    # kept by python-telegram-bot's rate limiter; off only for load tests.
    rate_limit: bool = True
    # Seconds to wait for Telegram's answer to one request before treating it as lost.
    telegram_timeout: float = Field(default=10.0, gt=0, le=120)
    # Replies sent at the same time. 1 leaves at most one reply in doubt after a crash;
    # more only helps when Telegram is far away and many patients write at once.
    deliveries_at_once: int = Field(default=1, ge=1, le=30)
    # The curator's records (see README, "What is stored"): the key that turns chat ids
    # into pseudonyms, whether the words of unanswered questions are kept, and for how long.
    pseudonym_secret: SecretStr | None = None
    store_question_text: bool = True
    retention_days: int = Field(default=90, ge=1, le=3650)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("telegram_api_base_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url is None:
            return self
        if not self.webhook_url.startswith("https://"):
            raise ValueError("WEBHOOK_URL must be an https:// address (Telegram requires it)")
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not WEBHOOK_SECRET_PATTERN.match(secret):
            raise ValueError(
                "WEBHOOK_SECRET is required in webhook mode: 1-256 characters from "
                "A-Z, a-z, 0-9, _ and -"
            )
        return self

    @property
    def token(self) -> str:
        """Return the bot token; raise SettingsError with the @BotFather hint if it is unset."""
        if self.telegram_bot_token is None:
            raise SettingsError([MISSING_TOKEN])
        return self.telegram_bot_token.get_secret_value()

    @property
    def base_file_url(self) -> str | None:
        """Return the file download URL that goes with ``telegram_api_base_url``."""
        base = self.telegram_api_base_url
        if base is None or "/bot" not in base:
            return None
        head, _, tail = base.rpartition("/bot")
        return f"{head}/file/bot{tail}"

    def secrets(self) -> list[str]:
        """Return the secret values that must never reach a log line."""
        values = [self.telegram_bot_token, self.webhook_secret, self.pseudonym_secret]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]


def load_settings() -> Settings:
    """Read the settings; raise SettingsError naming each bad setting (never its value)."""
    try:
        return Settings()
    except ValidationError as error:
        problems = []
        for item in error.errors(include_input=False, include_url=False):
            name = ".".join(str(part) for part in item["loc"]).upper()
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {message}" if name else message)
        raise SettingsError(problems) from None
