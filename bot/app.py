"""Start the Telegram bot: load settings and the knowledge base, then poll or serve a webhook."""

from __future__ import annotations

import logging
import sys
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.core.loader import KnowledgeBaseError
from bot.core.responder import Responder
from bot.settings import MISSING_TOKEN, Settings, SettingsError, load_settings
from bot.telegram.application import allowed_updates, build_application
from bot.telegram.redaction import RedactSecrets, configure_logging

logger = logging.getLogger(__name__)

EXIT_CONFIG = 2

INVALID_TOKEN = (
    "Telegram rejected TELEGRAM_BOT_TOKEN. Check it against the token @BotFather gave you "
    "(send /mybots to see it again) and update .env."
)


def _problems(title: str, problems: list[str]) -> None:
    print(title, file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)


def run(kb: str | None = None) -> int:
    """Run the bot until it is stopped; return the process exit code."""
    try:
        settings = load_settings()
    except SettingsError as error:
        _problems("The settings have problems (see .env.example):", error.problems)
        return EXIT_CONFIG
    if settings.telegram_bot_token is None:
        print(MISSING_TOKEN, file=sys.stderr)
        return EXIT_CONFIG
    try:
        responder = Responder.from_directory(kb or settings.knowledge_dir)
    except KnowledgeBaseError as error:
        _problems(
            f"The knowledge base has {len(error.problems)} problem(s):",
            [str(p) for p in error.problems],
        )
        return 1

    configure_logging(settings.log_level, settings.secrets())
    try:
        _serve(settings, responder)
    except InvalidToken:
        problem = INVALID_TOKEN
    except NetworkError as error:
        where = settings.telegram_api_base_url or "api.telegram.org"
        problem = f"Cannot reach the Telegram Bot API at {where}: {error.message}"
    except TelegramError as error:
        problem = f"Telegram refused to start the bot: {error.message}"
    except OSError as error:
        # Typically the webhook port is taken or not ours to bind.
        problem = f"Cannot start the bot: {error}"
    else:
        return 0
    print(RedactSecrets(settings.secrets()).redact(problem), file=sys.stderr)
    return 1


def _serve(settings: Settings, responder: Responder) -> None:
    application = build_application(settings, responder)
    if settings.webhook_url is None:
        logger.info("Starting in polling mode")
        application.run_polling(allowed_updates=allowed_updates(), drop_pending_updates=False)
        return
    assert settings.webhook_secret is not None
    # The reverse proxy forwards WEBHOOK_URL's path unchanged to WEBHOOK_LISTEN:WEBHOOK_PORT.
    path = urlsplit(settings.webhook_url).path.strip("/")
    logger.info(
        "Starting in webhook mode on %s:%s/%s",
        settings.webhook_listen,
        settings.webhook_port,
        path,
    )
    application.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=path,
        webhook_url=settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=allowed_updates(),
        drop_pending_updates=False,
    )
