"""Scope guard: questions about topics the article does not cover get an honest reply."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import OutOfScope, ScopeRule
from bot.core.rules import RuleSet

# Enough words to see what a message is about without scanning a wall of text.
MAX_WORDS = 400


class ScopeGuard:
    """Spots questions the article cannot answer (genetics, diet, doses, other diseases...).

    Rules match the message's words after typo correction, exactly or by prefix, never
    fuzzily: "heat" must not be read as "heart".
    """

    def __init__(self, out_of_scope: OutOfScope) -> None:
        lists = out_of_scope.lists
        self._rules = RuleSet(out_of_scope.rules, lists=lists, fuzzy=False)
        reasons = out_of_scope.reasons
        anywhere = [
            r
            for r in out_of_scope.rules
            if (
                r.anywhere
                if r.anywhere is not None
                else r.reason in reasons and reasons[r.reason].anywhere
            )
        ]
        self._anywhere = RuleSet(anywhere, lists=lists, fuzzy=False) if anywhere else None

    def rule(
        self, corrected_words: Sequence[str], whole: Sequence[str] | None = None
    ) -> ScopeRule | None:
        """Return the first out-of-scope rule the words set off, or None.

        ``corrected_words`` is what the message asks (its question sentences); rules whose
        reason says ``anywhere`` also read the ``whole`` message.
        """
        fired = self._rules.fired(corrected_words[:MAX_WORDS])
        if not fired and whole is not None and self._anywhere is not None:
            fired = self._anywhere.fired(whole[:MAX_WORDS])
        rule = fired[0] if fired else None
        assert rule is None or isinstance(rule, ScopeRule)
        return rule

    def check(self, corrected_words: Sequence[str]) -> str | None:
        """Return the name of the first out-of-scope rule the words set off, or None."""
        rule = self.rule(corrected_words)
        return rule.name if rule else None
