"""Tell a follow-up ("how long should I do that?") from a message that starts anew.

A follow-up is short and leans on the last answer: it asks for the answer again ("tell me
more"), for the wider topic ("what else?"), points back with a pronoun ("is it safe?"), or
is elliptic ("and at night?", "heat too?"). The cue words live in language.yaml; this
module only reads them. What to answer is decided in steps.py.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

from bot.core.models import FollowUpCues
from bot.core.text import words

CueKind = Literal["again", "other", "pronoun", "elliptic"]


def _phrases(items: list[str]) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(words(item)) for item in items if words(item))


@dataclass(frozen=True, slots=True)
class Cue:
    """How a message leans on the last answer, and where its pronoun stands (if any)."""

    kind: CueKind
    pronoun: int | None = None
    # "explain that simpler, his english is not good": the cue opens a longer message.
    partial: bool = False


class FollowUps:
    """Reads follow-up cues in a message's words (already spelled out and folded)."""

    def __init__(self, cues: FollowUpCues, *, max_words: int) -> None:
        self.again = _phrases(cues.again)
        self.other = _phrases(cues.other)
        self.openers = _phrases(cues.openers)
        self.endings = _phrases(cues.endings)
        self.fillers = _phrases(cues.fillers)
        self.pronouns = frozenset(w for item in cues.pronouns for w in words(item))
        self.max_words = max_words
        # Word -> list position (0 first, -1 last) for "the second one", "the last step".
        self.ordinals = {w: i for i, group in enumerate(cues.ordinals) for w in group}
        self.ordinals.update({w: -1 for w in cues.last})
        self.items = frozenset(cues.items)
        self.pointers = _phrases(cues.pointers)
        self.without = _phrases(cues.without)

    def item(self, message_words: tuple[str, ...]) -> int | None:
        """Return the list position a short message points at ("the 2nd one" -> 1), or None.

        An ordinal counts next to a word for a list line ("one", "step", "point"), in
        either order ("the third one", "step 3"): "first thing in the morning" does not.
        """
        if len(message_words) > self.max_words:
            return None
        for word, following in itertools.pairwise(message_words):
            if word in self.ordinals and following in self.items:
                return self.ordinals[word]
            if word in self.items and following in self.ordinals and word != "one":
                return self.ordinals[following]
        return None

    def rules_out(self, message_words: tuple[str, ...]) -> bool:
        """Return True when a message rules out what it names ("no heat pad...", "besides water").

        A bare "no" counts only as the message's first word ("no heat pad, what else?").
        """
        core = self._trim(message_words)
        return any(
            core[: len(p)] == p if p == ("no",) else _contains(message_words, p)
            for p in self.without
        )

    def points(self, message_words: tuple[str, ...]) -> bool:
        """Return True when a short message points at something said before ("you mentioned")."""
        if len(message_words) > self.max_words:
            return False
        return any(_contains(message_words, phrase) for phrase in self.pointers)

    def cue(self, message_words: tuple[str, ...]) -> Cue | None:
        """Return the strongest follow-up cue in a short message, or None."""
        if not message_words or len(message_words) > self.max_words:
            return None
        core = self._trim(message_words)
        if message_words in self.again or (core and core in self.again):
            return Cue("again")
        if any(len(p) > 1 and core[: len(p)] == p for p in self.again) or any(
            len(p) > 2 and _contains(message_words, p) for p in self.again
        ):
            return Cue("again", partial=True)
        if any(_contains(message_words, phrase) for phrase in self.other):
            return Cue("other")
        for index, word in enumerate(message_words):
            if word in self.pronouns:
                return Cue("pronoun", index)
        starts = any(core[: len(p)] == p for p in (*self.openers, *self.again) if core)
        starts = starts or any(message_words[: len(p)] == p for p in self.openers)
        ends = any(core[-len(p) :] == p for p in self.endings if core and len(core) > len(p))
        if starts or ends:
            return Cue("elliptic")
        return None

    def _trim(self, message_words: tuple[str, ...]) -> tuple[str, ...]:
        """Drop fillers ("ok", "so", "please") from both ends of the message."""
        core = list(message_words)
        changed = True
        while core and changed:
            changed = False
            for filler in self.fillers:
                size = len(filler)
                if tuple(core[:size]) == filler and size < len(core):
                    del core[:size]
                    changed = True
                if len(core) > size and tuple(core[-size:]) == filler:
                    del core[-size:]
                    changed = True
        return tuple(core)


def _contains(message_words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(message_words[i : i + size] == phrase for i in range(len(message_words) - size + 1))


def expand(message_words: tuple[str, ...], cue: Cue, subject: str) -> str:
    """Return the message with the last topic's subject put where it leans on it.

    "how long should i do that" -> "how long should i do stretching and massage";
    "what about at night" -> "what about at night stretching and massage".
    """
    if cue.pronoun is not None:
        parts = [*message_words[: cue.pronoun], subject, *message_words[cue.pronoun + 1 :]]
    else:
        parts = [*message_words, subject]
    return " ".join(parts)
