"""The one factory that wires the handlers into a python-telegram-bot Application."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.core.models import COMMAND_NAMES
from bot.core.responder import Responder
from bot.settings import Settings
from bot.storage import DATABASE, SQLiteStorage, Storage
from bot.telegram.handlers import AddressedToBot, Handlers
from bot.telegram.inbox import Inbox
from bot.telegram.render import ENTRY_PREFIX, SECTION_PREFIX, TOPICS_DATA, VOTE_PREFIX
from bot.telegram.request import ResilientRequest, RetryPolicy
from bot.telegram.usage import UsageLog, pseudonym_key

# The command menu Telegram shows next to the text box; /stats is for admins and not listed.
logger = logging.getLogger(__name__)

COMMANDS: tuple[str, ...] = COMMAND_NAMES

# The rate limiter's own retries: 429s are handled in the request layer (request.py), so
# it never sees one.
RATE_LIMIT_RETRIES = 0
# Connections to Telegram kept open at once.
CONNECTIONS = 64

App = Application[Any, Any, Any, Any, Any, Any]


async def publish_commands(application: App, responder: Responder) -> None:
    """Set the command menu and the empty-chat descriptions at start-up.

    A server that refuses one of them must not stop the bot.
    """
    bot = application.bot
    messages = responder.kb.messages
    steps: tuple[tuple[str, Callable[[], Awaitable[bool]]], ...] = (
        ("the command menu", lambda: bot.set_my_commands(command_menu(responder))),
        ("the description", lambda: bot.set_my_description(messages.description.strip())),
        (
            "the short description",
            lambda: bot.set_my_short_description(messages.short_description.strip()),
        ),
    )
    for what, call in steps:
        try:
            await call()
        except TelegramError as error:
            logger.warning("Could not set %s: %s", what, error.message)


def command_menu(responder: Responder) -> list[BotCommand]:
    """Return the command menu: COMMANDS with their descriptions from messages.yaml."""
    descriptions = responder.kb.messages.commands
    return [BotCommand(name, descriptions[name]) for name in COMMANDS]


def build_application(
    settings: Settings,
    responder: Responder,
    *,
    request: BaseRequest | None = None,
    inbox: Inbox | None = None,
    storage: Storage | None = None,
    retry: RetryPolicy | None = None,
    knowledge: Path | str | None = None,
) -> App:
    """Build the Application: handlers, error handler, rate limiter, resilient requests.

    Updates come from the inbox (serve.py), not from python-telegram-bot's own updater.
    ``request`` replaces the HTTP layer (tests); it is wrapped in the retry rules either way.
    ``storage`` is the database (the inbox's, or one under DATA_DIR); ``knowledge`` the
    folder /reload reads again.
    """
    builder: Any = (
        Application.builder()
        .token(settings.token)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,
            )
        )
        .updater(None)
        .concurrent_updates(True)
    )
    if settings.rate_limit:
        # Telegram's 429s are waited out in the request layer; the limiter only paces.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
        if settings.base_file_url:
            builder = builder.base_file_url(settings.base_file_url)

    def http(connections: int) -> BaseRequest:
        timeout = settings.telegram_timeout
        return request or HTTPXRequest(
            connection_pool_size=connections,
            read_timeout=timeout,
            write_timeout=timeout,
            connect_timeout=timeout,
            pool_timeout=timeout,
        )

    builder = builder.request(
        ResilientRequest(
            http(CONNECTIONS),
            policy=retry,
            before_send=inbox.before_send if inbox else None,
            deliveries_at_once=settings.deliveries_at_once,
        )
    )
    # Long polling has its own connection (serve.py retries it); wrapped for quiet parsing.
    builder = builder.get_updates_request(ResilientRequest(http(1), policy=retry))
    application: App = builder.build()

    if storage is None:
        storage = (
            inbox.storage if inbox is not None else SQLiteStorage(settings.data_dir / DATABASE)
        )
    secret = settings.pseudonym_secret.get_secret_value() if settings.pseudonym_secret else None
    usage = UsageLog(
        storage,
        lambda: pseudonym_key(secret, settings.data_dir),
        store_text=settings.store_question_text,
    )
    folder = knowledge or settings.knowledge_dir
    handlers = Handlers(
        responder,
        usage,
        settings=settings,
        load=lambda: Responder.from_directory(folder),
    )
    new = filters.UpdateType.MESSAGE
    edited = filters.UpdateType.EDITED_MESSAGE
    addressed = AddressedToBot()
    commands = {
        "start": handlers.start,
        "help": handlers.help,
        "topics": handlers.topics,
        "about": handlers.about,
        "privacy": handlers.privacy,
        "forget": handlers.forget,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=new))
    if settings.admin_ids:
        # Counts are for the clinic's eyes only: never shown in a group.
        admins = filters.User(user_id=settings.admin_ids) & filters.ChatType.PRIVATE
        application.add_handler(
            CommandHandler("stats", handlers.stats_report, filters=new & admins)
        )
        application.add_handler(CommandHandler("reload", handlers.reload, filters=new & admins))
    application.add_handler(
        MessageHandler(new & filters.COMMAND & filters.ChatType.PRIVATE, handlers.unknown_command)
    )
    # A caption is always read (a photo captioned "my legs went weak and I can't walk").
    readable = (filters.TEXT & ~filters.COMMAND) | filters.CAPTION
    application.add_handler(MessageHandler(new & readable & addressed, handlers.text))
    # An edit is read again: it may be the one that describes an emergency.
    application.add_handler(MessageHandler(edited & readable & addressed, handlers.edited))
    application.add_handler(MessageHandler(new & filters.ATTACHMENT & addressed, handlers.non_text))
    application.add_handler(
        CallbackQueryHandler(handlers.open_entry, pattern=f"^{ENTRY_PREFIX}[a-z0-9-]+$")
    )
    application.add_handler(
        CallbackQueryHandler(handlers.vote, pattern=f"^{VOTE_PREFIX}[A-Za-z0-9_-]{{1,40}}:[01]$")
    )
    application.add_handler(
        CallbackQueryHandler(handlers.open_section, pattern=rf"^{SECTION_PREFIX}\d+$")
    )
    application.add_handler(
        CallbackQueryHandler(handlers.back_to_topics, pattern=f"^{TOPICS_DATA}$")
    )
    application.add_handler(CallbackQueryHandler(handlers.stale_button))
    application.add_handler(InlineQueryHandler(handlers.inline))
    application.add_error_handler(handlers.on_error)
    return application


def allowed_updates() -> list[str]:
    """Return the update types the handlers use, so Telegram sends nothing else."""
    return [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
