"""Load the YAML knowledge base and check it, reporting every problem a curator must fix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.core.models import (
    Entry,
    KnowledgeBase,
    Language,
    Messages,
    OutOfScope,
    PhraseRule,
    RedFlagExamples,
    RedFlags,
    Section,
    SmallTalkIntent,
)
from bot.core.patterns import Choice, PatternError, compile_pattern
from bot.core.text import normalise_phrase

# Telegram refuses messages longer than this many characters.
TELEGRAM_LIMIT = 4096

M = TypeVar("M", bound=BaseModel)

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "knowledge"
# libyaml's safe loader when PyYAML was built with it: the same result, several times faster.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the knowledge base, located as precisely as possible."""

    file: str
    message: str
    entry: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.entry:
            where += f": entry '{self.entry}'"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"


class KnowledgeBaseError(Exception):
    """The knowledge base cannot be used; ``problems`` says why, one line each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> Any:
    name = _display(path, root)
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_SAFE_LOADER)
    except FileNotFoundError:
        problems.append(Problem(name, "file is missing"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        reason = getattr(error, "problem", None) or str(error)
        problems.append(Problem(name, f"{line}not valid YAML ({reason})"))
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(name, f"cannot be read ({error})"))
    return None


def _display(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def _field_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _validation_problems(
    error: ValidationError, file: str, entry: str | None = None
) -> list[Problem]:
    problems = []
    for item in error.errors():
        message = item["msg"]
        if item["type"] == "missing":
            message = "is missing"
        elif item["type"] == "extra_forbidden":
            message = "is not a known field (check the spelling)"
        elif item["type"] in {"too_short", "string_too_short"} and isinstance(
            item.get("input"), str | None
        ):
            message = "must not be empty"
        problems.append(Problem(file, message, entry, _field_path(tuple(item["loc"])) or None))
    return problems


def _parse(
    model: type[M], data: Any, file: str, problems: list[Problem], entry: str | None = None
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems.extend(_validation_problems(error, file, entry))
        return None


def _section_of(data: Any, key: str, file: str, problems: list[Problem]) -> Any:
    if not isinstance(data, dict) or key not in data:
        problems.append(Problem(file, f"must be a mapping with a top-level `{key}:` key"))
        return None
    return data[key]


def load_knowledge_base(directory: Path | str | None = None) -> KnowledgeBase:
    """Load and validate every file under ``directory``; raise KnowledgeBaseError if unusable."""
    root = Path(directory) if directory is not None else DEFAULT_DIR
    problems: list[Problem] = []
    try:
        found = root.is_dir()
        if found:
            next(root.iterdir(), None)  # an unreadable folder fails here, with a reason
    except OSError as error:
        raise KnowledgeBaseError(
            [Problem(str(root), f"knowledge base folder cannot be read ({error.strerror})")]
        ) from None
    if not found:
        raise KnowledgeBaseError([Problem(str(root), "knowledge base folder not found")])

    def read(name: str, key: str) -> Any:
        path = root / name
        return _section_of(_read_yaml(path, root, problems), key, _display(path, root), problems)

    def whole(model: type[M], name: str) -> M | None:
        return _parse(model, _read_yaml(root / name, root, problems), name, problems)

    sections = _parse_list(Section, read("sections.yaml", "sections"), "sections.yaml", problems)
    messages = _parse(Messages, read("messages.yaml", "messages"), "messages.yaml", problems)
    red_flags_raw = _read_yaml(root / "red_flags.yaml", root, problems)
    if isinstance(red_flags_raw, dict):
        # The context cues live in a file of their own, so the rules file stays readable.
        red_flags_raw = {
            **red_flags_raw,
            "context": _read_yaml(root / "red_flag_context.yaml", root, problems) or {},
        }
    red_flags = _parse(RedFlags, red_flags_raw, "red_flags.yaml", problems)
    examples = whole(RedFlagExamples, "red_flag_examples.yaml")
    out_of_scope = whole(OutOfScope, "out_of_scope.yaml")
    smalltalk = _parse_list(
        SmallTalkIntent, read("smalltalk.yaml", "intents"), "smalltalk.yaml", problems
    )
    language = whole(Language, "language.yaml")
    synonyms_raw = read("synonyms.yaml", "synonyms")
    synonyms: dict[str, list[str]] = {}
    if isinstance(synonyms_raw, dict):
        for canonical, variants in synonyms_raw.items():
            if not isinstance(canonical, str) or not canonical.strip():
                problems.append(Problem("synonyms.yaml", "a canonical term is empty"))
            elif (
                not isinstance(variants, list)
                or not variants
                or not all(isinstance(v, str) and v.strip() for v in variants)
            ):
                problems.append(
                    Problem(
                        "synonyms.yaml", "needs a list of non-empty variants", field=str(canonical)
                    )
                )
            else:
                synonyms[canonical] = variants
    elif synonyms_raw is not None:
        problems.append(Problem("synonyms.yaml", "`synonyms:` must map a term to its variants"))

    entries: list[tuple[str, Entry]] = []
    entry_dir = root / "entries"
    try:
        files = sorted(entry_dir.glob("*.yaml")) if entry_dir.is_dir() else []
    except OSError as error:
        problems.append(Problem(_display(entry_dir, root), f"cannot be read ({error.strerror})"))
        files = []
    if not files:
        problems.append(Problem(_display(entry_dir, root), "no entry files (*.yaml) found"))
    for path in files:
        name = _display(path, root)
        raw_entries = _section_of(_read_yaml(path, root, problems), "entries", name, problems)
        if raw_entries is None:
            continue
        if not isinstance(raw_entries, list):
            problems.append(Problem(name, "`entries:` must be a list"))
            continue
        for position, raw in enumerate(raw_entries):
            label = raw.get("id") if isinstance(raw, dict) else None
            entry = _parse(Entry, raw, name, problems, str(label or f"#{position + 1}"))
            if entry is not None:
                entries.append((name, entry))

    if (
        problems
        or sections is None
        or messages is None
        or red_flags is None
        or out_of_scope is None
        or examples is None
    ):
        raise KnowledgeBaseError(problems)
    assert smalltalk is not None
    assert language is not None
    problems.extend(_cross_check(entries, sections, synonyms, smalltalk, messages, language))
    problems.extend(_red_flag_problems(red_flags, examples))
    problems.extend(_unreadable("out_of_scope.yaml", out_of_scope.rules, out_of_scope.lists))
    if problems:
        raise KnowledgeBaseError(problems)
    return KnowledgeBase(
        sections=sections,
        entries=[entry for _, entry in entries],
        synonyms=synonyms,
        red_flags=red_flags,
        out_of_scope=out_of_scope,
        smalltalk=smalltalk,
        messages=messages,
        language=language,
        red_flag_examples=examples,
    )


def _parse_list(model: type[M], data: Any, file: str, problems: list[Problem]) -> list[M] | None:
    if data is None:
        return None
    if not isinstance(data, list) or not data:
        problems.append(Problem(file, "must hold a non-empty list"))
        return None
    parsed = [_parse(model, item, file, problems, _label(item, i)) for i, item in enumerate(data)]
    return [item for item in parsed if item is not None]


def _label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ("id", "name", "heading"):
            if isinstance(item.get(key), str):
                return str(item[key])
    return f"#{index + 1}"


def answer_length(entry: Entry, messages: Messages) -> int:
    """Return the length of the longest message an answer can become (answer + extras)."""
    parts = [
        entry.title,
        entry.answer,
        f"{messages.source_label}: {entry.section}",
        messages.disclaimer,
    ]
    return sum(len(p) for p in parts) + 2 * (len(parts) - 1)


def _cross_check(
    entries: list[tuple[str, Entry]],
    sections: list[Section],
    synonyms: dict[str, list[str]],
    smalltalk: list[SmallTalkIntent],
    messages: Messages,
    language: Language,
) -> list[Problem]:
    problems: list[Problem] = []
    headings = [s.heading for s in sections]
    if len(set(headings)) != len(headings):
        problems.append(Problem("sections.yaml", "a section heading is listed twice"))
    ids: dict[str, str] = {}
    for file, entry in entries:
        if entry.id in ids:
            problems.append(Problem(file, f"id is also used in {ids[entry.id]}", entry.id, "id"))
        ids.setdefault(entry.id, file)
    used_sections = set()
    phrasings: dict[str, str] = {}
    for file, entry in entries:
        if entry.section not in headings:
            problems.append(
                Problem(file, "is not one of the headings in sections.yaml", entry.id, "section")
            )
        used_sections.add(entry.section)
        pointers = {"related": entry.related, "parts": entry.parts}
        pointers["broader"] = [entry.broader] if entry.broader else []
        for name, targets in pointers.items():
            for target in targets:
                why = "an entry cannot point to itself" if target == entry.id else None
                why = why or (None if target in ids else f"'{target}' is not an entry id")
                if why:
                    problems.append(Problem(file, why, entry.id, name))
        lines = sum(1 for line in entry.answer.splitlines() if line.startswith("- "))
        if entry.parts and len(entry.parts) != lines:
            why = f"has {len(entry.parts)} parts for {lines} list lines"
            problems.append(Problem(file, why, entry.id, "parts"))
        for i, question in enumerate([*entry.questions]):
            key = normalise_phrase(question)
            if not key:
                problems.append(Problem(file, "has no words", entry.id, f"questions[{i}]"))
                continue
            owner = phrasings.get(key)
            if owner is not None:
                where = "earlier in this entry" if owner == entry.id else f"entry '{owner}'"
                problems.append(
                    Problem(
                        file,
                        f"'{question}' is also listed under {where}",
                        entry.id,
                        f"questions[{i}]",
                    )
                )
            phrasings.setdefault(key, entry.id)
        length = answer_length(entry, messages)
        if length > TELEGRAM_LIMIT:
            problems.append(
                Problem(
                    file,
                    f"with title, section and disclaimer it is {length} "
                    f"characters; Telegram allows {TELEGRAM_LIMIT}",
                    entry.id,
                    "answer",
                )
            )
    for heading in headings:
        if heading not in used_sections:
            problems.append(Problem("sections.yaml", "no entry cites this section", heading))

    variant_owner: dict[str, str] = {}
    for canonical, variants in synonyms.items():
        for variant in variants:
            key = normalise_phrase(variant)
            if key in variant_owner and variant_owner[key] != canonical:
                problems.append(
                    Problem(
                        "synonyms.yaml",
                        f"'{variant}' is also a variant of '{variant_owner[key]}'",
                        field=canonical,
                    )
                )
            variant_owner.setdefault(key, canonical)

    pattern_owner: dict[str, str] = {}
    for intent in smalltalk:
        for pattern in intent.patterns:
            key = normalise_phrase(pattern)
            if key in pattern_owner and pattern_owner[key] != intent.name:
                problems.append(
                    Problem(
                        "smalltalk.yaml",
                        f"'{pattern}' is also a pattern of '{pattern_owner[key]}'",
                        intent.name,
                        "patterns",
                    )
                )
            pattern_owner.setdefault(key, intent.name)

    return problems


def _unreadable(
    file: str, rules: Sequence[PhraseRule], lists: Mapping[str, list[str]]
) -> list[Problem]:
    """Return a problem for every phrase of the rules the pattern language cannot read."""
    problems: list[Problem] = []
    shared: dict[str, Choice] = {}  # each word list is read once, as the rule sets do
    for rule in rules:
        for phrase in [*rule.any, *(p for group in rule.all for p in group), *rule.unless]:
            try:
                compile_pattern(phrase, lists, shared=shared)
            except PatternError as error:
                problems.append(Problem(file, str(error), rule.name))
    return problems


def _red_flag_problems(red_flags: RedFlags, examples: RedFlagExamples) -> list[Problem]:
    """Check that every category has its safety-net line and every pattern can be read."""
    problems: list[Problem] = []
    categories = {rule.category for rule in red_flags.rules}
    for category in sorted(categories - red_flags.safety_net.keys()):
        problems.append(
            Problem("red_flags.yaml", f"category '{category}' has no line", field="safety_net")
        )
    for category in sorted(red_flags.safety_net.keys() - categories):
        problems.append(
            Problem("red_flags.yaml", f"no rule has category '{category}'", field="safety_net")
        )
    problems.extend(_unreadable("red_flags.yaml", red_flags.rules, red_flags.lists))
    for position, emergency in enumerate(examples.emergencies, start=1):
        if emergency.category not in categories:
            problems.append(
                Problem(
                    "red_flag_examples.yaml",
                    f"category '{emergency.category}' is not a category of red_flags.yaml",
                    f"emergency #{position}",
                )
            )
    return problems
