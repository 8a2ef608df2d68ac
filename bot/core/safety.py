"""Red-flag triage: spot emergencies and self-harm before anything else, in context.

Each rule of ``red_flags.yaml`` names an emergency in patients' words. Where a rule fires,
the words around it are read (see context.py): a mention that is only negated, hypothetical,
in the past or a figure of speech does not raise the alarm but earns a safety-net line
under the answer. Everything else raises it: when in doubt, the reply is urgent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.core.context import ContextReader, Tokens, kinds_reaching, tokenize
from bot.core.lexicon import english_frequency, everyday_word
from bot.core.models import ContextKind, RedFlagRule, RedFlags
from bot.core.patterns import Span, compile_pattern
from bot.core.phrases import PhraseSet
from bot.core.rules import RuleHit, RuleSet


def respell(word: str) -> str:
    """Read a dropped final g back in ("feelin" -> "feeling") when that makes a real word."""
    if word.endswith("in") and len(word) > 4 and not everyday_word(word):
        fuller = word + "g"
        if everyday_word(fuller):
            return fuller
    return word


@dataclass(frozen=True, slots=True)
class RedFlag:
    """A fired rule: its name (for tests and counters, never logged with text) and reply kind."""

    rule: str
    reply: str  # "urgent" or "crisis"
    category: str


@dataclass(frozen=True, slots=True)
class Mention:
    """An alarm mentioned only in context: which category, and what kind of context."""

    rule: str
    category: str
    context: frozenset[ContextKind]


@dataclass(frozen=True, slots=True)
class Assessment:
    """The triage of one message: the red flag it raises, or the mentions that need a net."""

    flag: RedFlag | None = None
    mentions: tuple[Mention, ...] = ()

    @property
    def safety_net(self) -> tuple[str, ...]:
        """Return the categories whose safety-net line the answer should carry, in order."""
        return tuple(dict.fromkeys(m.category for m in self.mentions))


class Triage:
    """Checks a message against every red-flag rule of the knowledge base."""

    def __init__(
        self,
        red_flags: RedFlags,
        textspeak: Mapping[str, str] | None = None,
        *,
        use_context: bool = True,
        everyday: Callable[[str], bool] | None = everyday_word,
    ) -> None:
        lists = red_flags.lists
        self._textspeak = dict(textspeak or {})
        self._rules = RuleSet(
            red_flags.rules,
            lists=lists,
            fuzzy=True,
            everyday=everyday,
            frequency=english_frequency,
            window=red_flags.window,
        )
        self._ignore = PhraseSet((compile_pattern(p, lists) for p in red_flags.ignore), fuzzy=False)
        self._context = ContextReader(red_flags.context, lists) if use_context else None

    def tokens(self, text: str) -> Tokens:
        """Return the words triage reads (folded, text-speak spelled out)."""
        return tokenize(text, self._textspeak, respell)

    def hits(self, tokens: Tokens) -> tuple[list[RuleHit], list[Span]]:
        """Return the rules' hits outside everyday phrases, and those phrases' spans."""
        hits = self._rules.hits(
            tokens.words, tokens.starts, tokens.breaks, tokens.names, tokens.sentences
        )
        if not hits:
            return [], []
        ignored = [
            span
            for _, span in self._ignore.find(
                self._ignore.tag(tokens.words, tokens.starts, tokens.breaks)
            )
        ]
        kept = [
            hit
            for hit in hits
            if not any(_overlap(part, span) for part in hit.parts for span in ignored)
        ]
        return kept, ignored

    def assess(self, text: str) -> Assessment:
        """Return the red flag the message raises (crisis before urgent) or its mentions."""
        tokens = self.tokens(text)
        hits, ignored = self.hits(tokens)
        if not hits:
            return Assessment()
        scopes = []
        if self._context is not None:
            alarm_words = frozenset().union(*(hit.words for hit in hits))
            scopes = self._context.scopes(tokens, alarm_words, ignored)
        raised: list[RedFlagRule] = []
        mentions: list[Mention] = []
        for hit in hits:
            rule = hit.rule
            assert isinstance(rule, RedFlagRule)
            kinds: set[ContextKind] = set()
            for part in hit.parts:
                kinds |= kinds_reaching(part, scopes)
            kinds &= set(rule.context)
            if kinds:
                mentions.append(Mention(rule.name, rule.category, frozenset(kinds)))
            else:
                raised.append(rule)
        if raised:
            crisis = [rule for rule in raised if rule.reply == "crisis"]
            rule = (crisis or raised)[0]
            return Assessment(RedFlag(rule.name, rule.reply, rule.category))
        return Assessment(None, tuple(mentions))

    def check(self, text: str) -> RedFlag | None:
        """Return the red flag the message raises, or None."""
        return self.assess(text).flag


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end
