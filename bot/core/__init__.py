"""The bot's core: knowledge base, matching, triage and replies. Imports nothing from telegram."""

from __future__ import annotations

from bot.core.loader import KnowledgeBaseError, load_knowledge_base
from bot.core.responder import Option, Reply, Responder

__all__ = ["KnowledgeBaseError", "Option", "Reply", "Responder", "load_knowledge_base"]
