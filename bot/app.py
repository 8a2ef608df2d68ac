"""Start the Telegram bot: load settings and the knowledge base, then poll or serve a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.core.loader import KnowledgeBaseError
from bot.core.responder import Responder
from bot.settings import MISSING_TOKEN, Settings, SettingsError, load_settings
from bot.storage import DATABASE, SQLiteStorage
from bot.telegram.application import allowed_updates, build_application, publish_commands
from bot.telegram.inbox import Inbox
from bot.telegram.redaction import RedactSecrets, configure_logging
from bot.telegram.serve import WebhookServer, poll, with_retries

logger = logging.getLogger(__name__)

EXIT_CONFIG = 2
# How often records past their retention are deleted.
PURGE_EVERY = 3600.0
# At shutdown, how long updates in hand may take to be answered.
DRAIN_SECONDS = 10.0

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
        _serve(settings, responder, kb or settings.knowledge_dir)
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


def _serve(settings: Settings, responder: Responder, knowledge: str | Path | None) -> None:
    asyncio.run(serve(settings, responder, knowledge))


async def serve(
    settings: Settings, responder: Responder, knowledge: str | Path | None = None
) -> None:
    """Start up, answer updates until SIGINT or SIGTERM, then finish what is in hand."""
    storage = SQLiteStorage(settings.data_dir / DATABASE)
    inbox = Inbox(storage)
    application = build_application(settings, responder, inbox=inbox, knowledge=knowledge)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    webhook: WebhookServer | None = None
    purging: asyncio.Task[None] | None = None
    try:
        await with_retries("Connecting to Telegram", application.initialize)
        inbox.application = application
        await publish_commands(application, responder)
        await application.start()
        await storage.purge(retention_days=settings.retention_days)
        purging = asyncio.create_task(_purge_daily(storage, settings.retention_days))
        resumed = await inbox.resume()
        if resumed:
            logger.info("Answering %d update(s) left from before the restart", resumed)
        bot = application.bot
        if settings.webhook_url is None:
            await with_retries("Removing an old webhook", bot.delete_webhook)
            logger.info("Starting in polling mode")
            await poll(bot, inbox, stop, allowed_updates())
        else:
            assert settings.webhook_secret is not None
            secret = settings.webhook_secret.get_secret_value()
            # The reverse proxy forwards WEBHOOK_URL's path unchanged to LISTEN:PORT.
            path = urlsplit(settings.webhook_url).path.strip("/")
            webhook = WebhookServer(inbox, path=path, secret=secret)
            webhook.listen(settings.webhook_port, settings.webhook_listen)
            url = settings.webhook_url

            async def set_webhook() -> bool:
                done = await bot.set_webhook(
                    url, secret_token=secret, allowed_updates=allowed_updates()
                )
                return bool(done)

            await with_retries("Setting the webhook", set_webhook)
            logger.info(
                "Starting in webhook mode on %s:%s/%s",
                settings.webhook_listen,
                settings.webhook_port,
                path,
            )
            await stop.wait()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_SECONDS):
                await inbox.drain()
    finally:
        if purging is not None:
            purging.cancel()
        if webhook is not None:
            await webhook.close()
        if application.running:
            await application.stop()
        await application.shutdown()
        await storage.close()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signal_number)


async def _purge_daily(storage: SQLiteStorage, retention_days: int) -> None:
    """Delete what is past its retention once an hour (the bot may run for months)."""
    while True:
        await asyncio.sleep(PURGE_EVERY)
        try:
            removed = await storage.purge(retention_days=retention_days)
        except Exception as error:
            logger.error("Could not delete old records: %s", type(error).__name__)
        else:
            if removed:
                logger.info("Deleted %d record(s) past their retention", removed)
