"""The bot's core: knowledge base, matching, triage and replies. Imports nothing from telegram."""

from __future__ import annotations

from functools import lru_cache

from bot.core.loader import KnowledgeBaseError, load_knowledge_base
from bot.core.responder import Option, Reply, Responder

__all__ = [
    "KnowledgeBaseError",
    "Option",
    "Reply",
    "Responder",
    "default_responder",
    "load_knowledge_base",
    "respond",
]


@lru_cache(maxsize=1)
def default_responder() -> Responder:
    """Return the responder over the shipped knowledge base (loaded once)."""
    return Responder.from_directory()


def respond(text: str) -> Reply:
    """Reply to one message using the shipped knowledge base."""
    return default_responder().respond(text)
