"""Red-flag triage: spot emergency symptoms and self-harm before any topic matching."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.models import RedFlagRule, RedFlags
from bot.core.patterns import PhraseSet, compile_phrase
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
        self.rules: tuple[RedFlagRule, ...] = tuple(red_flags.rules)
        phrases = [p for rule in self.rules for p in rule.any]
        phrases += [p for rule in self.rules for group in rule.all for p in group]
        self._phrases = PhraseSet(phrases)
        self._compiled = [
            (
                rule,
                [compile_phrase(p) for p in rule.any],
                [[compile_phrase(p) for p in group] for group in rule.all],
            )
            for rule in self.rules
        ]

    def check(self, text: str) -> RedFlag | None:
        """Return the first red flag the message raises (crisis before urgent), or None."""
        tags = self._phrases.tag(words(text)[:MAX_WORDS])
        present = {phrase for _, phrase in self._phrases.find(tags)}
        fired: list[RedFlag] = []
        for rule, any_phrases, groups in self._compiled:
            if any(p in present for p in any_phrases) or (
                groups and all(any(p in present for p in group) for group in groups)
            ):
                fired.append(RedFlag(rule.name, rule.reply))
        if not fired:
            return None
        crisis = [flag for flag in fired if flag.reply == "crisis"]
        return (crisis or fired)[0]
