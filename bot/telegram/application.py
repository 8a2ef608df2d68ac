"""The one factory that wires the handlers into a python-telegram-bot Application."""

from __future__ import annotations

import logging
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
from telegram.request import BaseRequest

from bot.core.models import COMMAND_NAMES
from bot.core.responder import Responder
from bot.settings import Settings
from bot.telegram.handlers import AddressedToBot, Handlers
from bot.telegram.render import ENTRY_PREFIX, SECTION_PREFIX, TOPICS_DATA
from bot.telegram.stats import Stats

# The command menu Telegram shows next to the text box; /stats is for admins and not listed.
logger = logging.getLogger(__name__)

COMMANDS: tuple[str, ...] = COMMAND_NAMES

# Retry a request Telegram answered with "retry after" this many times before giving up.
RATE_LIMIT_RETRIES = 3

App = Application[Any, Any, Any, Any, Any, Any]


async def publish_commands(application: App, responder: Responder) -> None:
    """Set the command menu at start-up; a server that refuses it must not stop the bot."""
    try:
        await application.bot.set_my_commands(command_menu(responder))
    except TelegramError as error:
        logger.warning("Could not set the command menu: %s", error.message)


def command_menu(responder: Responder) -> list[BotCommand]:
    """Return the command menu: COMMANDS with their descriptions from messages.yaml."""
    descriptions = responder.kb.messages.commands
    return [BotCommand(name, descriptions[name]) for name in COMMANDS]


def build_application(
    settings: Settings, responder: Responder, *, request: BaseRequest | None = None
) -> App:
    """Build the Application: handlers, error handler, rate limiter and start-up commands."""
    builder = (
        Application.builder()
        .token(settings.token)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .concurrent_updates(True)
        .post_init(lambda app: publish_commands(app, responder))
    )
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
        if settings.base_file_url:
            builder = builder.base_file_url(settings.base_file_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()

    handlers = Handlers(responder, Stats(settings.data_dir / "stats.json"))
    # Edited messages are left alone: the first version was already answered.
    new = filters.UpdateType.MESSAGE
    addressed = AddressedToBot()
    commands = {
        "start": handlers.start,
        "help": handlers.help,
        "topics": handlers.topics,
        "about": handlers.about,
        "privacy": handlers.privacy,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=new))
    if settings.admin_ids:
        # Counts are for the clinic's eyes only: never shown in a group.
        admins = filters.User(user_id=settings.admin_ids) & filters.ChatType.PRIVATE
        application.add_handler(
            CommandHandler("stats", handlers.stats_report, filters=new & admins)
        )
    application.add_handler(
        MessageHandler(new & filters.COMMAND & filters.ChatType.PRIVATE, handlers.unknown_command)
    )
    application.add_handler(
        MessageHandler(new & filters.TEXT & ~filters.COMMAND & addressed, handlers.text)
    )
    application.add_handler(MessageHandler(new & filters.ATTACHMENT & addressed, handlers.non_text))
    application.add_handler(
        CallbackQueryHandler(handlers.open_entry, pattern=f"^{ENTRY_PREFIX}[a-z0-9-]+$")
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
    return [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
