"""``python -m bot review``: turn the questions the bot could not answer into knowledge.

The curator walks through the unanswered questions, grouped and most frequent first. For
each group they either add a phrasing to the entry that answers it (written into that
entry's ``questions:`` in its YAML file), mark it as a topic the article does not cover (a
new rule in out_of_scope.yaml), or skip it. Then the knowledge base is checked and the
labelled question sets are scored again: a change that breaks the check is undone, and one
that makes any figure worse is undone unless the curator keeps it knowingly.

The YAML files are edited as text, line by line, so every comment in them stays.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.evaluation import Report, evaluate, load_examples
from bot.core.loader import DEFAULT_DIR, KnowledgeBaseError
from bot.core.responder import Responder
from bot.curation.model import QuestionGroup

Ask = Callable[[str], str]
Say = Callable[[str], None]


def entry_file(knowledge: Path, entry_id: str) -> Path:
    """Return the entries file that holds ``entry_id``."""
    pattern = re.compile(rf"^  - id: {re.escape(entry_id)}\s*$", re.MULTILINE)
    for path in sorted((knowledge / "entries").glob("*.yaml")):
        if pattern.search(path.read_text(encoding="utf-8")):
            return path
    raise KeyError(entry_id)


def add_question(knowledge: Path, entry_id: str, phrasing: str) -> Path:
    """Append a phrasing to an entry's ``questions:`` (before its ``answer:``)."""
    path = entry_file(knowledge, entry_id)
    lines = path.read_text(encoding="utf-8").split("\n")
    inside = False
    for number, line in enumerate(lines):
        if re.match(r"^  - id: ", line):
            inside = line.split(":", 1)[1].strip() == entry_id
        elif inside and line.startswith("    answer:"):
            lines.insert(number, "      - " + json.dumps(phrasing, ensure_ascii=False))
            path.write_text("\n".join(lines), encoding="utf-8")
            return path
    raise KeyError(entry_id)


def add_out_of_scope(knowledge: Path, phrase: str, *, today: datetime.date) -> Path:
    """Add a rule refusing ``phrase`` to out_of_scope.yaml (before its word lists)."""
    path = knowledge / "out_of_scope.yaml"
    text = path.read_text(encoding="utf-8")
    rule = (
        f"  - name: {json.dumps(f'added in review {today}: {phrase}', ensure_ascii=False)}\n"
        f"    any: [{json.dumps(phrase, ensure_ascii=False)}]\n\n"
    )
    marker = re.search(r"^(# [^\n]*\n)?lists:", text, re.MULTILINE)
    at = marker.start() if marker else len(text)
    path.write_text(text[:at] + rule + text[at:], encoding="utf-8")
    return path


@dataclass(slots=True)
class Outcome:
    """What a review session changed."""

    questions: list[tuple[str, str]] = field(default_factory=list)  # (entry id, phrasing)
    refused: list[str] = field(default_factory=list)  # out-of-scope phrases
    kept: bool = False


def _figures(report: Report) -> dict[str, float]:
    return {
        "in-scope accuracy": report.accuracy("answer"),
        "out-of-scope rejection": report.accuracy("fallback"),
        "red-flag recall": report.accuracy("urgent"),
        "small talk": report.accuracy("smalltalk"),
        "wrong confident answers": -float(report.wrong_confident_answers),
        "false red flags": -float(report.false_red_flags),
    }


def score(responder: Responder, files: Sequence[Path]) -> dict[str, dict[str, float]]:
    """Score the responder on each labelled file (higher is better for every figure)."""
    return {str(path): _figures(evaluate(responder, load_examples(path))) for path in files}


def worse(before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]) -> list[str]:
    """Return one line per figure that got worse."""
    lines = []
    for name, figures in before.items():
        for figure, value in figures.items():
            new = after.get(name, {}).get(figure, value)
            if new < value - 1e-9:
                shown = f"{-value:.0f} -> {-new:.0f}" if value <= 0 else f"{value:.1%} -> {new:.1%}"
                lines.append(f"{name}: {figure} {shown}")
    return lines


def review(
    groups: Sequence[QuestionGroup],
    knowledge: Path | None,
    *,
    eval_files: Sequence[Path],
    ask: Ask = input,
    say: Say = print,
    today: datetime.date | None = None,
) -> Outcome:
    """Walk the curator through ``groups``; write, check and score what they choose."""
    folder = Path(knowledge or DEFAULT_DIR)
    responder = Responder.from_directory(folder)
    titles = {entry.id: entry.title for entry in responder.kb.entries}
    outcome = Outcome()
    backups = {p: p.read_text(encoding="utf-8") for p in folder.rglob("*.yaml")}
    before = score(responder, eval_files)
    for number, group in enumerate(groups, start=1):
        say(f"\n[{number}/{len(groups)}] asked {group.count} time(s):")
        for example in group.examples:
            say(f"    {example}")
        ranked = [m.entry_id for m in responder.match(group.examples[0], limit=3)]
        for index, candidate in enumerate(ranked, start=1):
            say(f"  {index}. add it to: {titles.get(candidate, candidate)}")
        say("  e. add it to another entry (type its id)")
        say("  o. the article does not cover this (add an out-of-scope phrase)")
        say("  s. skip    q. stop here")
        choice = ask("> ").strip().lower()
        if choice == "q":
            break
        entry_id: str | None = None
        if choice.isdigit() and 1 <= int(choice) <= len(ranked):
            entry_id = ranked[int(choice) - 1]
        elif choice == "e":
            entry_id = ask("entry id> ").strip()
            if entry_id not in titles:
                say(f"  No entry '{entry_id}'; skipped.")
                continue
        if entry_id is not None:
            typed = ask(f"phrasing [{group.examples[0]}]> ").strip()
            phrasing = typed or group.examples[0]
            add_question(folder, entry_id, phrasing)
            outcome.questions.append((entry_id, phrasing))
            say(f"  Added to {titles[entry_id]}.")
        elif choice == "o":
            phrase = ask("words that mark it as not covered (e.g. blood pressure)> ").strip()
            if phrase:
                add_out_of_scope(folder, phrase.lower(), today=today or datetime.date.today())
                outcome.refused.append(phrase.lower())
                say("  Added an out-of-scope rule.")
    if not outcome.questions and not outcome.refused:
        say("\nNothing changed.")
        return outcome
    say("\nChecking the knowledge base and scoring the labelled questions again...")
    try:
        changed = Responder.from_directory(folder)
        problems = changed.example_problems()
        if problems:
            raise KnowledgeBaseError(problems)
    except KnowledgeBaseError as error:
        _restore(backups)
        say("The changes broke the check, so they were undone:")
        for problem in error.problems:
            say(f"  - {problem}")
        return outcome
    for entry_id, phrasing in outcome.questions:
        got = changed.respond(phrasing)
        status = "now answered" if got.entry_id == entry_id else f"still gets {got.kind}"
        say(f"  '{phrasing}': {status}")
    lost = worse(before, score(changed, eval_files))
    if lost:
        say("These figures got worse:")
        for line in lost:
            say(f"  - {line}")
        if ask("Keep the changes anyway? [y/N]> ").strip().lower() != "y":
            _restore(backups)
            say("Undone.")
            return outcome
    outcome.kept = True
    say("Saved. Run the bot's /reload (or restart it) to put the changes live.")
    return outcome


def _restore(backups: dict[Path, str]) -> None:
    for path, text in backups.items():
        path.write_text(text, encoding="utf-8")
