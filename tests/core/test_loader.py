from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.loader import KnowledgeBaseError, load_knowledge_base
from bot.core.responder import Responder

REQUIRED_IDS = {
    "what-is-ankylosing-spondylitis",
    "as-and-muscle-pain",
    "what-is-a-muscle-spasm",
    "spasms-in-as",
    "relieving-spasms",
    "stretching-and-massage",
    "heat-and-cold",
    "complementary-therapies",
    "relaxation-techniques",
    "medication",
    "preventing-spasms",
    "hydration",
    "exercise-program",
    "pelvic-tilts-and-resistance-bands",
    "when-to-see-a-doctor",
}


def edit_entries(kb: Path, change: Callable[[list[dict[str, Any]]], None]) -> str:
    """Apply ``change`` to the entries of the first entry file; return that file's name."""
    path = sorted((kb / "entries").glob("*.yaml"))[0]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["entries"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path.name


def problems_of(kb: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        Responder.from_directory(kb)
    return [str(p) for p in caught.value.problems]


def test_shipped_knowledge_base_has_every_required_entry() -> None:
    kb = load_knowledge_base()
    ids = {entry.id for entry in kb.entries}
    assert ids >= REQUIRED_IDS
    headings = {section.heading for section in kb.sections}
    for entry in kb.entries:
        assert len(entry.questions) >= 8, entry.id
        assert entry.section in headings
        assert set(entry.related) <= ids


def test_shipped_answers_say_no_dose() -> None:
    kb = load_knowledge_base()
    for entry in kb.entries:
        assert not any(unit in entry.answer.lower().split() for unit in ("mg", "milligrams"))


def test_duplicate_id_is_reported_with_file_and_field(kb_copy: Path) -> None:
    def duplicate(entries: list[dict[str, Any]]) -> None:
        entries[1]["id"] = entries[0]["id"]

    name = edit_entries(kb_copy, duplicate)
    problems = problems_of(kb_copy)
    assert any(name in p and "id is also used" in p for p in problems), problems


def test_unknown_related_id_is_reported(kb_copy: Path) -> None:
    def break_related(entries: list[dict[str, Any]]) -> None:
        entries[0]["related"] = ["no-such-topic"]

    edit_entries(kb_copy, break_related)
    assert any("'no-such-topic' is not an entry id" in p for p in problems_of(kb_copy))


def test_parts_must_be_entries_and_match_the_listed_lines(kb_copy: Path) -> None:
    def break_parts(entries: list[dict[str, Any]]) -> None:
        plain = next(e for e in entries if "\n- " not in e["answer"])
        plain["parts"] = ["no-such-part"]
        listed = next(e for e in entries if e["answer"].count("\n- ") == 3)
        listed["parts"] = [plain["id"]]

    edit_entries(kb_copy, break_parts)
    problems = problems_of(kb_copy)
    assert any("'no-such-part' is not an entry id" in p for p in problems), problems
    assert any("has 1 parts for 0 list lines" in p for p in problems), problems
    assert any("has 1 parts for 3 list lines" in p for p in problems), problems


def test_empty_answer_is_reported(kb_copy: Path) -> None:
    def empty(entries: list[dict[str, Any]]) -> None:
        entries[0]["answer"] = "   "

    edit_entries(kb_copy, empty)
    problems = problems_of(kb_copy)
    assert any("answer: must not be empty" in p for p in problems), problems


def test_missing_field_is_reported(kb_copy: Path) -> None:
    def drop_title(entries: list[dict[str, Any]]) -> None:
        del entries[0]["title"]

    edit_entries(kb_copy, drop_title)
    assert any("title: is missing" in p for p in problems_of(kb_copy))


def test_phrasing_under_two_entries_is_reported(kb_copy: Path) -> None:
    def share(entries: list[dict[str, Any]]) -> None:
        entries[1]["questions"].append(entries[0]["questions"][0].upper() + "?!")

    edit_entries(kb_copy, share)
    assert any("is also listed under entry" in p for p in problems_of(kb_copy))


def test_answer_too_long_for_telegram_is_reported(kb_copy: Path) -> None:
    def lengthen(entries: list[dict[str, Any]]) -> None:
        entries[0]["answer"] = "word " * 900

    edit_entries(kb_copy, lengthen)
    assert any("Telegram allows 4096" in p for p in problems_of(kb_copy))


def test_invalid_yaml_names_the_line(kb_copy: Path) -> None:
    (kb_copy / "smalltalk.yaml").write_text("intents:\n  - name: [unclosed\n", encoding="utf-8")
    problems = problems_of(kb_copy)
    assert any(p.startswith("knowledge/smalltalk.yaml: line") for p in problems), problems


def test_synonym_target_unknown_to_entries_is_reported(kb_copy: Path) -> None:
    path = kb_copy / "synonyms.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["synonyms"]["zebra"] = ["horse with stripes"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert any("synonyms.yaml: zebra" in p for p in problems_of(kb_copy))


def test_check_command_exits_1_with_clear_messages_and_no_traceback(kb_copy: Path) -> None:
    def break_related(entries: list[dict[str, Any]]) -> None:
        entries[0]["related"] = ["nowhere"]

    edit_entries(kb_copy, break_related)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--kb", str(kb_copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "'nowhere' is not an entry id" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_command_passes_on_shipped_knowledge_base() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Knowledge base OK" in result.stdout


def test_an_unreadable_out_of_scope_phrase_is_a_problem_not_a_crash(kb_copy: Path) -> None:
    path = kb_copy / "out_of_scope.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["rules"][0]["any"].append("{no_such_list} drink")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = problems_of(kb_copy)
    assert any("no word list called 'no_such_list'" in p for p in problems), problems
