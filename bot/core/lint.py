"""Checks that need the built components: rules against entries, and the curated examples."""

from __future__ import annotations

from bot.core.loader import Problem
from bot.core.matcher import Matcher
from bot.core.models import KnowledgeBase
from bot.core.safety import Triage
from bot.core.scope import ScopeGuard
from bot.core.text import Analyzer


def semantic_problems(
    kb: KnowledgeBase, analyzer: Analyzer, index: Matcher, triage: Triage, scope: ScopeGuard
) -> list[Problem]:
    """Refuse synonyms that match nothing and rules that would fire on our own questions."""
    problems = []
    for canonical in kb.synonyms:
        if any(not index.knows(s) for s in analyzer.stems(canonical)):
            problems.append(
                Problem(
                    "synonyms.yaml",
                    "this term appears in no entry's questions, so its variants match nothing",
                    field=canonical,
                )
            )
    for canonical, variants in kb.synonyms.items():
        for variant in variants:
            rule = scope.check(analyzer.corrected_words(variant, correct=False))
            if rule is not None:
                problems.append(
                    Problem(
                        "synonyms.yaml",
                        f"variant '{variant}' sets off out-of-scope rule '{rule}'",
                        field=canonical,
                    )
                )
    for entry in kb.entries:
        for index_, question in enumerate(entry.questions, start=1):
            flag = triage.check(question)
            if flag is not None:
                problems.append(
                    Problem(
                        "red_flags.yaml",
                        f"rule '{flag.rule}' fires on entry '{entry.id}' question "
                        f"{index_} ('{question}'); ordinary questions must not",
                    )
                )
            rule = scope.check(analyzer.corrected_words(question))
            if rule is not None:
                problems.append(
                    Problem(
                        "out_of_scope.yaml",
                        f"rule '{rule}' would refuse entry '{entry.id}' question "
                        f"{index_} ('{question}')",
                    )
                )
    problems.extend(_indistinct_questions(kb, analyzer))
    for name, reason in kb.out_of_scope.reasons.items():
        for topic in reason.topics:
            if kb.entry(topic) is None:
                problems.append(
                    Problem("out_of_scope.yaml", f"'{topic}' is not an entry id", name, "topics")
                )
    for rule_ in kb.out_of_scope.rules:
        if rule_.reason != "not-covered" and rule_.reason not in kb.out_of_scope.reasons:
            problems.append(
                Problem(
                    "out_of_scope.yaml",
                    f"reason '{rule_.reason}' is not listed under reasons",
                    rule_.name,
                )
            )
    return problems


def _indistinct_questions(kb: KnowledgeBase, analyzer: Analyzer) -> list[Problem]:
    """Refuse two entries' questions that read as the same words ("muscle spasm" twice)."""
    problems = []
    owner: dict[frozenset[str], tuple[str, str]] = {}
    for entry in kb.entries:
        for question in entry.questions:
            terms = frozenset(analyzer.stems(question))
            if not terms:
                continue
            first = owner.setdefault(terms, (entry.id, question))
            if first[0] != entry.id:
                problems.append(
                    Problem(
                        "entries",
                        f"'{question}' reads the same as '{first[1]}' of entry "
                        f"'{first[0]}': the bot cannot tell them apart; reword one",
                        entry.id,
                        "questions",
                    )
                )
    return problems


def example_problems(kb: KnowledgeBase, triage: Triage) -> list[Problem]:
    """Replay the curated emergencies and near-misses against the red-flag rules."""
    problems = []
    examples = kb.red_flag_examples
    for number, emergency in enumerate(examples.emergencies, start=1):
        flag = triage.check(emergency.text)
        wanted = "crisis" if emergency.category == "crisis" else None
        if flag is None or (wanted and flag.reply != wanted):
            what = "gets no urgent reply" if flag is None else f"gets the {flag.reply} reply"
            problems.append(
                Problem(
                    "red_flag_examples.yaml",
                    f"{what} ('{short(emergency.text)}')",
                    field=f"emergency #{number} [{emergency.category}]",
                )
            )
    for number, near_miss in enumerate(examples.near_misses, start=1):
        flag = triage.check(near_miss.text)
        if flag is not None:
            problems.append(
                Problem(
                    "red_flag_examples.yaml",
                    f"rule '{flag.rule}' fires on it ('{short(near_miss.text)}')",
                    field=f"near-miss #{number} [{near_miss.kind}]",
                )
            )
    return problems


def short(text: str, limit: int = 80) -> str:
    """Return text on one line, cut to ``limit`` characters (for problem reports)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
