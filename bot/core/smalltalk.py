"""Small talk: greetings, thanks, goodbyes, feelings and questions about the bot itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.lexicon import everyday_word
from bot.core.models import SmallTalkIntent
from bot.core.patterns import compile_pattern
from bot.core.phrases import PhraseSet
from bot.core.text import words

# Small talk is short; a long message with a "thanks" in it is a question.
MAX_WORDS = 12
# A message sharing a feeling may be a few sentences long; longer than this it is a story
# that the matcher should read.
MAX_FEELING_WORDS = 150
# Words around small talk that are neither filler nor anything the bot knows ("gotta go,
# baby's up") may stay, up to this many.
MAX_STRAY_WORDS = 2
# "Thanks, I'll ring my GP tomorrow": a thanks or goodbye that opens or closes a statement
# this long or shorter is small talk.
MAX_CLOSING_WORDS = 150


class SmallTalk:
    """Recognises a message that is only small talk, or shares a feeling and asks nothing."""

    def __init__(
        self,
        intents: Sequence[SmallTalkIntent],
        filler: frozenset[str],
        known: Callable[[str], bool] = lambda _word: True,
        openers: frozenset[str] = frozenset(),
    ) -> None:
        """``known`` says whether a word means something to the matcher (then it never strays).

        ``openers`` are question words: a message opening with one outside the small-talk
        phrase ("what about at night?") is a question, not small talk.
        """
        self.intents = tuple(intents)
        self._filler = filler
        self._openers = openers
        self._known = known
        owners = [(p, intent) for intent in self.intents for p in intent.patterns]
        self._owner = [intent for _, intent in owners]
        # A typed everyday word is never a typo of a phrase word: "tried" is not "cried".
        self._phrases = PhraseSet((compile_pattern(p) for p, _ in owners), everyday=everyday_word)
        # " it worked " for each intent's `reports`, split once.
        self._reports = {
            i.name: tuple(f" {' '.join(words(r))} " for r in i.reports) for i in self.intents
        }

    def reports(self, intent: SmallTalkIntent, message: Sequence[str]) -> bool:
        """Return True when the message says something worked, in the intent's words."""
        said = " " + " ".join(message) + " "
        return any(phrase in said for phrase in self._reports.get(intent.name, ()))

    def recognise(self, message: Sequence[str], *, asks: bool = False) -> SmallTalkIntent | None:
        """Return the intent when the message is small talk, otherwise None.

        ``asks`` says whether the message asks a question; a feeling shared with a question
        ("so fed up, what can I do?") is a question for the matcher.
        """
        found = self.recognise_with_strays(message, asks=asks)
        return found[0] if found else None

    def recognise_with_strays(
        self, message: Sequence[str], *, asks: bool = False
    ) -> tuple[SmallTalkIntent, bool] | None:
        """Return the intent and whether words the bot does not know stood around it."""
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
        strays = [w for w in leftover if w not in self._filler]
        if not covered[0] and message[0] in self._openers:
            return None
        said = [w for w, hit in zip(message, covered, strict=True) if hit]
        if asks and not self._openers & set(said) and self._openers & set(leftover):
            return None  # "ok, what can I do when it next happens?" asks something
        if (
            len(message) <= MAX_WORDS
            and len(strays) <= (MAX_STRAY_WORDS if not asks else 0)
            and not any(self._known(w) for w in strays)
        ):
            return best[2], bool(strays)
        if asks:
            return None
        feelings = [self._owner[i] for i, _ in hits if not self._owner[i].alone]
        if feelings:
            return feelings[0], True
        quiet = [hit or w in self._filler for w, hit in zip(message, covered, strict=True)]
        closing = [
            self._owner[i]
            for i, span in hits
            if self._owner[i].closes and (all(quiet[: span.start]) or all(quiet[span.end :]))
        ]
        if closing and len(message) <= MAX_CLOSING_WORDS:
            return closing[0], True
        return None
