"""Small talk: greetings, thanks, goodbyes, feelings and questions about the bot itself."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import SmallTalkIntent
from bot.core.patterns import compile_pattern
from bot.core.phrases import PhraseSet

# Small talk is short; a long message with a "thanks" in it is a question.
MAX_WORDS = 12
# A message sharing a feeling may be a few sentences long; longer than this it is a story
# that the matcher should read.
MAX_FEELING_WORDS = 80


class SmallTalk:
    """Recognises a message that is only small talk, or shares a feeling and asks nothing."""

    def __init__(self, intents: Sequence[SmallTalkIntent], filler: frozenset[str]) -> None:
        self.intents = tuple(intents)
        self._filler = filler
        owners = [(p, intent) for intent in self.intents for p in intent.patterns]
        self._owner = [intent for _, intent in owners]
        self._phrases = PhraseSet(compile_pattern(p) for p, _ in owners)

    def recognise(self, message: Sequence[str], *, asks: bool = False) -> SmallTalkIntent | None:
        """Return the intent when the message is small talk, otherwise None.

        ``asks`` says whether the message asks a question; a feeling shared with a question
        ("so fed up, what can I do?") is a question for the matcher.
        """
        if not message or len(message) > MAX_FEELING_WORDS:
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
        assert best is not None
        leftover = [w for w, hit in zip(message, covered, strict=True) if not hit]
        if len(message) <= MAX_WORDS and all(w in self._filler for w in leftover):
            return best[2]
        feelings = [self._owner[i] for i, _ in hits if not self._owner[i].alone]
        if feelings and not asks:
            return feelings[0]
        return None
