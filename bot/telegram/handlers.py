"""Thin handlers: turn Telegram updates into calls of the core and send the rendered reply."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes, filters

from bot.core.conversation import ContextStore
from bot.core.loader import KnowledgeBaseError
from bot.core.responder import Reply, Responder
from bot.curation.report import text_summary, usage_report
from bot.settings import Settings
from bot.telegram.render import (
    ENTRY_PREFIX,
    SECTION_PREFIX,
    Rendered,
    answer_html,
    escape,
    label,
    mark_vote,
    paragraphs,
    render_reply,
    render_section,
    render_topics,
    render_unknown_topic,
)
from bot.telegram.request import MaybeDelivered, urgent_reply
from bot.telegram.split import split_html
from bot.telegram.usage import UsageLog

logger = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

# Telegram shows up to 50 inline results; ten keeps the list easy to scan.
INLINE_RESULTS = 10
INLINE_DESCRIPTION = 100
# The deep-link parameter of the inline "ask the bot directly" button: opens the welcome.
ASK_PARAMETER = "ask"
# The period /stats summarises for admins.
STATS_DAYS = 30


def _mentions_bot(message: Message, username: str) -> bool:
    wanted = f"@{username}".lower()
    found = message.parse_entities([MessageEntity.MENTION])
    found.update(message.parse_caption_entities([MessageEntity.MENTION]))
    return any(text.lower() == wanted for text in found.values())


class AddressedToBot(filters.MessageFilter):
    """Private messages, and group messages that mention the bot or reply to it."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        bot = message.get_bot()
        replied = message.reply_to_message
        author = replied.from_user if replied is not None else None
        if author is not None and author.id == bot.id:
            return True
        return bool(bot.username) and _mentions_bot(message, bot.username)


def without_mention(text: str, username: str | None) -> str:
    """Remove ``@username`` from a group message before it is matched."""
    if not username:
        return text
    return re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE).strip()


def _callback_data(update: Update) -> str:
    data = update.callback_query.data if update.callback_query else None
    assert data is not None
    return data


async def _answer_query(update: Update) -> None:
    """Answer the button press so the user's spinner stops.

    A press Telegram no longer accepts an answer for ("query is too old", after the bot was
    down) or a failing call must never keep the patient from the topic they pressed.
    """
    assert update.callback_query is not None
    try:
        await update.callback_query.answer()
    except TelegramError as error:
        logger.info(
            "Could not answer a button press (%s); sending the topic anyway", _first_line(error)
        )


def _first_line(error: BaseException) -> str:
    """Return an error's first line, short (no URLs, so no token)."""
    text = getattr(error, "message", None) or str(error) or type(error).__name__
    return text.splitlines()[0][:120]


def chat_key(update: Update) -> tuple[int, int] | None:
    """Return whose context a message belongs to: the chat, and in a group the sender too."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return None
    return chat.id, user.id if user is not None else 0


class Handlers:
    """The bot's handlers, sharing one responder, the chats' context and the usage log."""

    def __init__(
        self,
        responder: Responder,
        usage: UsageLog,
        *,
        settings: Settings,
        chats: ContextStore | None = None,
        load: Callable[[], Responder] | None = None,
    ) -> None:
        self.usage = usage
        self.settings = settings
        # What each chat remembers between messages (topic ids and times, never text).
        self.chats = chats or ContextStore(ttl=responder.tuning.context_ttl)
        # Reads the knowledge base again for /reload.
        self._load = load
        self._use(responder)

    def _use(self, responder: Responder) -> None:
        self.responder = responder
        self.kb = responder.kb
        self.messages = responder.kb.messages

    async def _reply(self, update: Update, reply: Reply, text: str | None = None) -> Rendered:
        """Record the reply (the curator's counts) and render it, with feedback buttons."""
        chat = update.effective_chat
        ref = None
        if chat is not None:
            ref = await self.usage.reply(chat.id, reply, text=text, update_id=update.update_id)
        return render_reply(reply, self.kb, feedback=ref)

    async def _entry(self, update: Update, entry_id: str) -> Rendered:
        key = chat_key(update)
        reply, context = self.responder.open(entry_id, self.chats.get(key), self.chats.clock())
        if reply is None:
            return render_unknown_topic(self.kb)
        self.chats.put(key, context)
        return await self._reply(update, reply)

    def _converse(self, update: Update, text: str) -> Reply:
        """Answer a message in its chat's context and remember the new context."""
        key = chat_key(update)
        reply, context = self.responder.converse(text, self.chats.get(key), self.chats.clock())
        self.chats.put(key, context)
        return reply

    async def _send(self, update: Update, context: Context, rendered: Rendered) -> None:
        """Send a rendered reply, split if it is too long, the keyboard under the last part."""
        chat = update.effective_chat
        if chat is None:
            return
        # Answer the patient's own message (new or edited), never the bot's menu it pressed.
        message = update.message or update.edited_message
        token = urgent_reply.set(rendered.urgent)
        try:
            chunks = split_html(rendered.text)
            for number, chunk in enumerate(chunks, start=1):
                keyboard = rendered.keyboard if number == len(chunks) else None
                if message is not None:
                    # An answer to an edit quotes it, so the patient sees which it is for.
                    quote = True if update.edited_message else None
                    await message.reply_html(chunk, reply_markup=keyboard, do_quote=quote)
                else:
                    await context.bot.send_message(chat.id, chunk, reply_markup=keyboard)
        finally:
            urgent_reply.reset(token)

    async def start(self, update: Update, context: Context) -> None:
        """Welcome the user with the topic menu, or open the entry a deep link names."""
        if context.args and context.args[0] != ASK_PARAMETER:
            await self._send(update, context, await self._entry(update, context.args[0]))
            return
        welcome = render_topics(self.kb, self.messages.welcome, self.messages.disclaimer)
        await self._send(update, context, welcome)

    async def help(self, update: Update, context: Context) -> None:
        """Explain how to use the bot."""
        await self._send(update, context, Rendered(paragraphs(self.messages.help)))

    async def topics(self, update: Update, context: Context) -> None:
        """Show the article sections as buttons."""
        await self._send(update, context, render_topics(self.kb))

    async def about(self, update: Update, context: Context) -> None:
        """Say where the answers come from, how they are chosen, and the disclaimer."""
        text = paragraphs(self.messages.about, self.messages.disclaimer)
        await self._send(update, context, Rendered(text))

    async def privacy(self, update: Update, context: Context) -> None:
        """Say exactly what is stored, why and for how long (from the settings)."""
        messages = self.messages
        stored = self.settings.store_question_text
        words = messages.privacy_text_stored if stored else messages.privacy_text_not_stored
        text = messages.privacy.replace("{question_text}", words.strip()).replace(
            "{retention_days}", str(self.settings.retention_days)
        )
        await self._send(update, context, Rendered(paragraphs(text)))

    async def forget(self, update: Update, context: Context) -> None:
        """Delete everything stored for this chat, in the database and in memory."""
        chat = update.effective_chat
        if chat is None:
            return
        gone = await self.usage.forget(chat.id)
        self.chats.forget_matching(lambda key: isinstance(key, tuple) and key[0] == chat.id)
        logger.info("A chat asked to be forgotten: %d row(s) deleted", gone)
        await self._send(update, context, Rendered(paragraphs(self.messages.forget_done)))

    async def stats_report(self, update: Update, context: Context) -> None:
        """Show admins the usage summary (the handler is only registered for admin ids)."""
        report = await usage_report(
            self.usage.storage,
            self.responder,
            days=STATS_DAYS,
            texts_stored=self.settings.store_question_text,
        )
        text = f"<pre>{escape(text_summary(report, groups=5))}</pre>"
        await self._send(update, context, Rendered(text))

    async def reload(self, update: Update, context: Context) -> None:
        """Read the knowledge base again; keep the old one live if the new one has problems."""
        if self._load is None:
            return
        try:
            responder = await asyncio.to_thread(self._load)
        except KnowledgeBaseError as error:
            problems = [str(p) for p in error.problems[:20]]
            text = "\n".join([self.messages.reload_failed.strip(), *(f"- {p}" for p in problems)])
            logger.warning("Reload refused: %d problem(s)", len(error.problems))
            await self._send(update, context, Rendered(escape(text)))
            return
        self._use(responder)
        logger.info("Knowledge base reloaded")
        await self._send(update, context, Rendered(paragraphs(self.messages.reload_done)))

    async def vote(self, update: Update, context: Context) -> None:
        """Record a "helpful" / "not helpful" press, acknowledge it and mark the choice."""
        query = update.callback_query
        chat = update.effective_chat
        assert query is not None
        _prefix, ref, value = _callback_data(update).split(":")
        helpful = value == "1"
        known = chat is not None and await self.usage.vote(chat.id, ref, helpful)
        note = self.messages.feedback_thanks if known else self.messages.feedback_gone
        try:
            await query.answer(note.strip())
        except TelegramError as error:
            logger.info("Could not acknowledge a vote (%s)", _first_line(error))
        markup = query.message.reply_markup if isinstance(query.message, Message) else None
        if known and markup is not None:
            marked = mark_vote(markup, ref, helpful, self.messages)
            with contextlib.suppress(TelegramError):
                await query.edit_message_reply_markup(marked)

    async def text(self, update: Update, context: Context) -> None:
        """Answer a message's text, or a photo's, video's or file's caption."""
        message = update.effective_message
        text = (message.text or message.caption) if message else None
        assert text is not None
        question = without_mention(text, context.bot.username)
        reply = self._converse(update, question)
        await self._send(update, context, await self._reply(update, reply, question))

    async def edited(self, update: Update, context: Context) -> None:
        """Read an edited message again, but answer it only if it now describes an emergency.

        The first version was already answered; a second answer to every typo fix is noise,
        but an edit that adds "and now I can't feel my legs" must not go unheard.
        """
        message = update.effective_message
        text = (message.text or message.caption) if message else None
        assert text is not None
        question = without_mention(text, context.bot.username)
        key = chat_key(update)
        reply, after = self.responder.converse(question, self.chats.get(key), self.chats.clock())
        if reply.kind == "urgent":
            self.chats.put(key, after)
            await self._send(update, context, await self._reply(update, reply))

    async def non_text(self, update: Update, context: Context) -> None:
        """Say that only text can be read (voice, photos, stickers, files...)."""
        await self._send(update, context, Rendered(paragraphs(self.messages.non_text)))

    async def unknown_command(self, update: Update, context: Context) -> None:
        """Answer a command the bot does not have with the help text."""
        await self.help(update, context)

    async def open_entry(self, update: Update, context: Context) -> None:
        """Answer a button press that opens an entry: stop the spinner, send the entry."""
        await _answer_query(update)
        entry_id = _callback_data(update).removeprefix(ENTRY_PREFIX)
        await self._send(update, context, await self._entry(update, entry_id))

    async def open_section(self, update: Update, context: Context) -> None:
        """Show one section's entries by editing the menu message in place."""
        index = int(_callback_data(update).removeprefix(SECTION_PREFIX))
        rendered = render_section(self.kb, index)
        await self._edit(update, context, rendered or render_topics(self.kb))

    async def back_to_topics(self, update: Update, context: Context) -> None:
        """Go back from a section to the list of sections, in place."""
        await self._edit(update, context, render_topics(self.kb))

    async def stale_button(self, update: Update, context: Context) -> None:
        """Answer a button this version does not know (e.g. from an old message)."""
        await _answer_query(update)
        await self._send(update, context, render_unknown_topic(self.kb))

    async def _edit(self, update: Update, context: Context, rendered: Rendered) -> None:
        await _answer_query(update)
        assert update.callback_query is not None
        try:
            await update.callback_query.edit_message_text(
                rendered.text, reply_markup=rendered.keyboard
            )
        except MaybeDelivered:
            return  # the edit may well have happened; a second copy would only confuse
        except BadRequest as error:
            # Pressing the same button twice asks for an edit that changes nothing; a menu
            # that was deleted or is too old to edit is sent again as a new message.
            if "not modified" not in error.message.lower():
                await self._send(update, context, rendered)
        except TelegramError as error:
            logger.info("Could not edit the menu (%s); sending it anew", _first_line(error))
            await self._send(update, context, rendered)

    async def inline(self, update: Update, context: Context) -> None:
        """Offer matching entries to share in any chat (the first entries for an empty query)."""
        query = update.inline_query
        assert query is not None
        if query.query.strip():
            replies = self.responder.search(query.query, limit=INLINE_RESULTS)
        else:
            first = (self.responder.entry_reply(e.id) for e in self.kb.entries[:INLINE_RESULTS])
            replies = [r for r in first if r is not None]
        if replies and replies[0].kind == "urgent":
            # An emergency typed in any chat gets the urgent card, and nothing to browse.
            await query.answer([self._urgent_article(replies[0])], cache_time=0, is_personal=True)
            return
        button = None
        if not replies:
            button = InlineQueryResultsButton(
                text=self.messages.inline_no_results, start_parameter=ASK_PARAMETER
            )
        await query.answer([self._article(r) for r in replies], cache_time=60, button=button)

    def _urgent_article(self, reply: Reply) -> InlineQueryResultArticle:
        messages = self.messages
        title = messages.inline_crisis_title if reply.crisis else messages.inline_urgent_title
        return InlineQueryResultArticle(
            id="crisis" if reply.crisis else "urgent",
            title=label(title),
            description=label(reply.body, INLINE_DESCRIPTION),
            input_message_content=InputTextMessageContent(escape(reply.body)),
        )

    def _article(self, reply: Reply) -> InlineQueryResultArticle:
        assert reply.entry_id is not None
        return InlineQueryResultArticle(
            id=reply.entry_id,
            title=label(reply.title or reply.entry_id),
            description=label(reply.body, INLINE_DESCRIPTION),
            input_message_content=InputTextMessageContent(answer_html(reply, self.messages)),
        )

    async def on_error(self, update: object, context: Context) -> None:
        """Log the failure with the update id (never the text) and tell the user."""
        update_id = update.update_id if isinstance(update, Update) else None
        error = context.error
        if isinstance(error, MaybeDelivered):
            return  # the request layer said so on its one line; the reply may have arrived
        if isinstance(error, NetworkError):
            # Already retried (request.py); the reply may even have arrived. Say nothing more.
            logger.warning("Update %s: no reply sent (%s)", update_id, _first_line(error))
            return
        if isinstance(error, Forbidden):
            logger.warning("Update %s: the chat blocked the bot", update_id)
            return
        if isinstance(error, TelegramError):
            logger.error("Update %s: Telegram refused a call (%s)", update_id, _first_line(error))
        else:
            logger.error("Error while handling update %s", update_id, exc_info=error)
        if not isinstance(update, Update):
            return
        if update.callback_query is not None:
            # Stop the button's spinner; it fails harmlessly if the handler already did.
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        if update.effective_chat is None:
            return
        try:
            text = paragraphs(self.messages.error)
            await context.bot.send_message(update.effective_chat.id, text)
        except TelegramError as error:
            logger.warning("Could not tell update %s's chat about the error: %s", update_id, error)
