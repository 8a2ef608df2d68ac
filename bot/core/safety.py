"""Red-flag triage: spot emergency symptoms and self-harm before any topic matching."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.models import RedFlagRule, RedFlags
from bot.core.patterns import RuleSet
from bot.core.text import words

# Red flags read the whole message, but past this many words it is no longer one story.
MAX_WORDS = 3000


@dataclass(frozen=True, slots=True)
class RedFlag:
    """A fired rule: its name (for tests and counters, never logged with text) and reply kind."""

    rule: str
    reply: str  # "urgent" or "crisis"


class Triage:
    """Checks a message against every red-flag rule of the knowledge base."""

    def __init__(self, red_flags: RedFlags) -> None:
        self._rules = RuleSet(red_flags.rules, fuzzy=True)
        self._ignore = [f" {' '.join(words(p))} " for p in red_flags.ignore if words(p)]

    def check(self, text: str) -> RedFlag | None:
        """Return the first red flag the message raises (crisis before urgent), or None."""
        message = f" {' '.join(words(text)[:MAX_WORDS])} "
        for phrase in self._ignore:
            message = message.replace(phrase, " ")
        rules = self._rules.fired(message.split())
        fired = [rule for rule in rules if isinstance(rule, RedFlagRule)]
        if not fired:
            return None
        crisis = [rule for rule in fired if rule.reply == "crisis"]
        rule = (crisis or fired)[0]
        return RedFlag(rule.name, rule.reply)
