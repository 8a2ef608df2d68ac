"""Small talk: greetings, thanks, goodbyes and questions about the bot itself."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import SmallTalkIntent
from bot.core.patterns import compile_pattern
from bot.core.phrases import PhraseSet
from bot.core.text import words

# Small talk is short; a long message with a "thanks" in it is a question.
MAX_WORDS = 12


class SmallTalk:
    """Recognises a message that is only small talk (plus filler words)."""

    def __init__(self, intents: Sequence[SmallTalkIntent], filler: frozenset[str]) -> None:
        self.intents = tuple(intents)
        self._filler = filler
        owners = [(p, intent) for intent in self.intents for p in intent.patterns]
        self._owner = [intent for _, intent in owners]
        self._phrases = PhraseSet(compile_pattern(p) for p, _ in owners)

    def recognise(self, text: str) -> SmallTalkIntent | None:
        """Return the intent when the whole message is small talk, otherwise None."""
        message = words(text)
        if not message or len(message) > MAX_WORDS:
            return None
        hits = self._phrases.find(self._phrases.tag(message))
        if not hits:
            return None
        covered = [False] * len(message)
        best: tuple[int, int, SmallTalkIntent] | None = None
        for index, span in hits:
            for k in range(span.start, span.end):
                covered[k] = True
            rank = (span.end - span.start, -span.start)
            if best is None or rank > best[:2]:
                best = (rank[0], rank[1], self._owner[index])
        leftover = [w for w, hit in zip(message, covered, strict=True) if not hit]
        if any(w not in self._filler for w in leftover) or best is None:
            return None
        return best[2]
