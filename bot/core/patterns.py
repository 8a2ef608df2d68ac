"""Phrase patterns written by a curator in YAML, and how one is matched on a message's words.

A pattern is a phrase of words:

* ``numb*``: any word starting with "numb" ("numb", "numbness");
* ``{legs}``: any phrase of the word list named ``legs`` (lists live next to the rules);
* ``..``: up to three other words ("can't .. pee" also reads "can't really pee");
* ``#6+``: a number of at least six, in digits or words ("10", "ten", "a dozen");
* ``^`` and ``$``: the start and the end of a sentence ("^ can" is a question that opens
  with "can"; "can't go on $" ends there, unlike "can't go on long walks").

phrases.py finds patterns in messages (with typo tolerance); rules.py combines them into
rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.text import words

# What ``..`` stands for: up to this many other words...
GAP_WORDS = 3
# ...but never past a word that starts another thought: "I can't sleep and my pee is dark"
# is not "can't .. pee" (while "weird and heavy" is still one thought).
GAP_STOPS = frozenset({"but", "because", "cause", "coz", "cos"})
_JOINS = frozenset({"and", "or", "n"})
_SUBJECTS = frozenset({"i", "im", "my", "he", "she", "his", "her", "it", "its", "the", "they"})
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12, "dozens": 24,
}  # fmt: skip


class PatternError(ValueError):
    """A pattern a curator wrote cannot be read (unknown word list, misplaced ``..``)."""


@dataclass(frozen=True, slots=True)
class PatternWord:
    """One word of a pattern: its letters, whether it is a prefix, or a number bound."""

    text: str
    prefix: bool = False
    minimum: int | None = None


@dataclass(frozen=True, slots=True)
class Gap:
    """Up to ``size`` words of anything."""

    size: int


@dataclass(frozen=True, slots=True)
class Start:
    """The start of a sentence (matches no word)."""


@dataclass(frozen=True, slots=True)
class End:
    """The end of a sentence (matches no word)."""


@dataclass(frozen=True, slots=True)
class Choice:
    """Any one of several sub-patterns (a ``{list}``), indexed by their possible first words."""

    options: tuple[Pattern, ...]
    by_first: Mapping[PatternWord, tuple[Pattern, ...]] = field(
        default_factory=dict, compare=False, hash=False
    )
    single: frozenset[PatternWord] = field(default=frozenset(), compare=False, hash=False)

    @classmethod
    def of(cls, options: tuple[Pattern, ...]) -> Choice:
        """Build the choice and its first-word index (only options that can start here run).

        One-word options are kept apart: a message word matches them by a set lookup.
        """
        index: dict[PatternWord, list[Pattern]] = {}
        single = set()
        for option in options:
            if len(option) == 1 and isinstance(option[0], PatternWord):
                single.add(option[0])
                continue
            for first in first_words(option):
                index.setdefault(first, []).append(option)
        by_first = {w: tuple(o) for w, o in index.items()}
        return cls(options, by_first, frozenset(single))

    @property
    def first_words(self) -> frozenset[PatternWord]:
        """Return every word an option of this choice can start with."""
        return self.single | frozenset(self.by_first)


Element = PatternWord | Gap | Start | End | Choice
Pattern = tuple[Element, ...]


@dataclass(frozen=True, slots=True)
class Span:
    """Message words ``start`` up to (not including) ``end``; ``words`` are those matched.

    A ``..`` gap is inside the span but its words are not in ``words``: in "legs are not
    weak" the "not" is skipped by the gap of "{legs} .. {weak}", so it still negates.
    """

    start: int
    end: int
    words: frozenset[int] = frozenset()


_State = tuple[int, frozenset[int]]


@dataclass(frozen=True, slots=True)
class Tagged:
    """A message's words as a phrase set sees them: the pattern words each one matches."""

    tags: tuple[frozenset[PatternWord], ...]
    starts: frozenset[int] = frozenset({0})
    # Where a question or an exclamation ended: a phrase never runs on across one.
    breaks: frozenset[int] = frozenset()
    words: tuple[str, ...] = ()
    # Where each word list matched, by position: many patterns share a list.
    memo: dict[tuple[int, int], frozenset[_State]] = field(
        default_factory=dict, compare=False, hash=False
    )

    def __len__(self) -> int:
        return len(self.tags)


def number_value(word: str) -> int | None:
    """Return the number a word spells ("12", "twelve"), or None."""
    if word.isdigit() and len(word) <= 6:
        return int(word)
    return _NUMBER_WORDS.get(word)


def compile_pattern(
    phrase: str,
    lists: Mapping[str, Sequence[str]] | None = None,
    _seen: tuple[str, ...] = (),
    *,
    shared: dict[str, Choice] | None = None,
) -> Pattern:
    """Turn ``"can't .. feel {legs}"`` into pattern elements; raise PatternError if unreadable.

    With ``shared``, each word list is compiled once and shared by every pattern using it.
    """
    elements: list[Element] = []
    for raw in phrase.split():
        if raw in {"..", "..."}:
            if not elements or isinstance(elements[-1], Gap | Start):
                raise PatternError(f"'{phrase}': '..' must come between words")
            elements.append(Gap(GAP_WORDS))
        elif raw == "^":
            if elements:
                raise PatternError(f"'{phrase}': '^' (start of a sentence) must come first")
            elements.append(Start())
        elif raw == "$":
            if not elements or isinstance(elements[-1], Gap | Start):
                raise PatternError(f"'{phrase}': '$' (end of a sentence) must follow a word")
            elements.append(End())
        elif raw.startswith("{") and raw.endswith("}"):
            name = raw[1:-1].strip()
            if lists is None or name not in lists:
                raise PatternError(f"'{phrase}': there is no word list called '{name}'")
            if name in _seen:
                raise PatternError(f"word list '{name}' refers to itself")
            if shared is not None and name in shared:
                elements.append(shared[name])
                continue
            options = tuple(
                p
                for p in (
                    compile_pattern(o, lists, (*_seen, name), shared=shared) for o in lists[name]
                )
                if p
            )
            if not options:
                raise PatternError(f"word list '{name}' is empty")
            choice = Choice.of(options)
            if shared is not None:
                shared[name] = choice
            elements.append(choice)
        elif re.fullmatch(r"#\d+\+", raw):
            elements.append(PatternWord("#", minimum=int(raw[1:-1])))
        else:
            prefix = raw.endswith("*")
            parts = words(raw)
            elements.extend(
                PatternWord(w, prefix and i == len(parts) - 1) for i, w in enumerate(parts)
            )
    if elements and isinstance(elements[-1], Gap | Start):
        raise PatternError(f"'{phrase}': needs a word after '..' or '^'")
    if any(isinstance(e, End) for e in elements[:-1]):
        raise PatternError(f"'{phrase}': '$' (end of a sentence) must come last")
    return tuple(elements)


def pattern_words(pattern: Pattern) -> Iterable[PatternWord]:
    for element in pattern:
        if isinstance(element, PatternWord):
            yield element
        elif isinstance(element, Choice):
            for option in element.options:
                yield from pattern_words(option)


def first_words(pattern: Pattern) -> set[PatternWord]:
    head = pattern[0]
    if isinstance(head, Start):
        return first_words(pattern[1:])
    if isinstance(head, PatternWord):
        return {head}
    if isinstance(head, Choice):
        return set(head.first_words)
    return set()


def requirements(pattern: Pattern) -> list[frozenset[PatternWord]]:
    """Return, per element, the words one of which a message must contain for a match."""
    needed = []
    for element in pattern:
        if isinstance(element, PatternWord):
            needed.append(frozenset({element}))
        elif isinstance(element, Choice):
            needed.append(element.first_words)
    return needed


def choice_ends(choice: Choice, position: int, tagged: Tagged) -> frozenset[_State]:
    """Return (end, matched words) for every option of a word list matching at a position."""
    key = (id(choice), position)
    found = tagged.memo.get(key)
    if found is None:
        words = tagged.tags[position]
        ends: set[_State] = set()
        if not choice.single.isdisjoint(words):
            ends.add((position + 1, frozenset({position})))
        tried: set[int] = set()
        for word in words:
            for option in choice.by_first.get(word, ()):
                if id(option) not in tried:
                    tried.add(id(option))
                    ends |= advance(option, {(position, frozenset())}, tagged)
        found = frozenset(ends)
        tagged.memo[key] = found
    return found


def _new_thought(message: Sequence[str], position: int) -> bool:
    """Return True when the word at ``position`` starts another clause."""
    if position >= len(message):
        return False
    word = message[position]
    if word in GAP_STOPS:
        return True
    following = message[position + 1] if position + 1 < len(message) else ""
    return word in _JOINS and following in _SUBJECTS


def advance(pattern: Pattern, states: set[_State], tagged: Tagged) -> set[_State]:
    """Return (position after the match, matched words) for every way ``pattern`` matches."""
    tags = tagged.tags
    for element in pattern:
        following: set[_State] = set()
        for position, matched in states:
            # A phrase never runs on past a question or an exclamation ("weaker?? my leg").
            crossing = bool(matched) and position in tagged.breaks
            if isinstance(element, PatternWord):
                if not crossing and position < len(tags) and element in tags[position]:
                    following.add((position + 1, matched | {position}))
            elif isinstance(element, Gap):
                last = min(position + element.size, len(tags))
                for skipped in range(position, last + 1):
                    if matched and skipped in tagged.breaks:
                        break
                    following.add((skipped, matched))
                    if _new_thought(tagged.words, skipped):
                        break
            elif isinstance(element, Start):
                if position in tagged.starts:
                    following.add((position, matched))
            elif isinstance(element, End):
                if position == len(tags) or position in tagged.starts:
                    following.add((position, matched))
            elif position < len(tags) and not crossing:
                ends = choice_ends(element, position, tagged)
                following.update((end, matched | words) for end, words in ends)
        states = following
        if not states:
            break
    return states
