"""Grow the shipped knowledge base to any size, deterministically, for the speed benchmark.

Synthetic entries are written the way curators write real ones: each question is a real
example question (or title) with some of its content words swapped for other words of the
real questions (drawn by how often they occur), for made-up words of a Zipf-distributed
general vocabulary, and for the entry's own topic words. Term frequencies therefore follow
the real ones: everyday domain words ("spasm", "back") occur in a large share of all
questions, as they would in a big knowledge base about one condition. The real entries stay
in, so real questions still have a right answer.

The result passes the loader's checks. Swapped words may set off a red-flag or out-of-scope
rule, though, so a grown knowledge base is indexed with ``Responder(kb, lint=False)``, which
skips the curator checks that refuse such questions.
"""

from __future__ import annotations

import itertools
import random
import re
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import yaml

from bot.core.lexicon import english_frequency
from bot.core.models import Entry, KnowledgeBase
from bot.core.text import normalise_phrase, stem, words

SYNTHETIC_FILE = "zz-synthetic.yaml"
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
# What happens to each content word of a template question: kept, swapped for another
# real word (by frequency) or for a made-up word; the entry's topic word goes in as well.
KEEP, REAL = 0.4, 0.7
QUESTIONS_PER_ENTRY = (16, 24)
# Entries share their second topic word with this many neighbours, as related topics do.
CLUSTER = 10


class _Words:
    """Made-up words that are not English and not taken by any other word."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self._rng = rng
        self._taken = taken

    def make(self) -> str:
        """Return a new pronounceable word nobody else uses."""
        while True:
            syllables = self._rng.randint(2, 4)
            word = "".join(
                self._rng.choice(_CONSONANTS) + self._rng.choice(_VOWELS) for _ in range(syllables)
            )
            if word in self._taken or stem(word) in self._taken or english_frequency(word):
                continue
            self._taken.add(word)
            self._taken.add(stem(word))
            return word


def _templates(kb: KnowledgeBase) -> list[tuple[list[str], bool]]:
    return [
        (_TOKEN.findall(text), text.rstrip().endswith("?"))
        for entry in kb.entries
        for text in [entry.title, *entry.questions]
    ]


def _is_content(token: str, stopwords: frozenset[str], abbreviations: Sequence[str]) -> bool:
    folded = words(token)
    return (
        token not in abbreviations
        and len(folded) == 1
        and folded[0] not in stopwords
        and not folded[0].isdigit()
    )


def synthetic_entries(kb: KnowledgeBase, count: int, *, seed: int = 0) -> list[Entry]:
    """Return ``count`` synthetic entries in the style of ``kb``'s, the same for the same seed."""
    rng = random.Random(seed)
    stopwords = frozenset(w for s in kb.language.stopwords for w in words(s))
    abbreviations = list(kb.language.abbreviations)
    templates = _templates(kb)
    real = Counter(
        token.lower()
        for tokens, _ in templates
        for token in tokens
        if _is_content(token, stopwords, abbreviations)
    )
    real_words = list(real)
    real_weights = list(itertools.accumulate(real.values()))
    taken = set(stopwords) | set(real_words) | {stem(w) for w in real_words}

    maker = _Words(rng, taken)
    general = [maker.make() for _ in range(max(500, 3 * count))]
    general_weights = list(itertools.accumulate(1.0 / rank for rank in range(1, len(general) + 1)))
    seen = {normalise_phrase(text) for entry in kb.entries for text in entry.questions}
    sources = list(kb.entries)

    def compose(tokens: list[str], topics: list[str]) -> list[str]:
        out = list(tokens)
        content = [i for i, t in enumerate(out) if _is_content(t, stopwords, abbreviations)]
        for i in content:
            draw = rng.random()
            if draw >= REAL:
                out[i] = rng.choices(general, cum_weights=general_weights)[0]
            elif draw >= KEEP:
                out[i] = rng.choices(real_words, cum_weights=real_weights)[0]
        for topic in topics:
            if content:
                out[content.pop(rng.randrange(len(content)))] = topic
            else:
                out.append(topic)
        return out

    entries: list[Entry] = []
    second = ""
    for number in range(count):
        if number % CLUSTER == 0:
            second = maker.make()
        topic = maker.make()
        source = rng.choice(sources)
        tokens, _ = rng.choice(templates)
        title = " ".join(compose(tokens, [topic]))
        questions: list[str] = []
        wanted = rng.randint(*QUESTIONS_PER_ENTRY)
        for _ in range(wanted * 20):
            if len(questions) == wanted:
                break
            tokens, asks = rng.choice(templates)
            topics = [topic, second] if rng.random() < 0.5 else [topic]
            question = " ".join(compose(tokens, topics)) + ("?" if asks else "")
            key = normalise_phrase(question)
            if key and key not in seen:
                seen.add(key)
                questions.append(question)
        entries.append(
            Entry(
                id=f"synthetic-{number:05d}",
                section=source.section,
                title=(title[:1].upper() + title[1:])[:120],
                questions=questions,
                answer=source.answer,
            )
        )
    return entries


def synthetic_kb(kb: KnowledgeBase, size: int, *, seed: int = 0) -> KnowledgeBase:
    """Return ``kb`` grown to ``size`` entries: the real ones plus synthetic ones."""
    extra = synthetic_entries(kb, max(0, size - len(kb.entries)), seed=seed)
    return kb.model_copy(update={"entries": [*kb.entries, *extra]})


def write_knowledge_dir(source: Path, target: Path, entries: Sequence[Entry]) -> Path:
    """Copy the knowledge base in ``source`` to ``target`` and add ``entries`` in one file."""
    shutil.copytree(source, target)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    rows = [entry.model_dump(exclude_defaults=True) for entry in entries]
    with (target / "entries" / SYNTHETIC_FILE).open("w", encoding="utf-8") as handle:
        yaml.dump(
            {"entries": rows}, handle, Dumper=dumper, sort_keys=False, allow_unicode=True, width=200
        )
    return target
