"""`review`: the curator's choices are written into the YAML, checked and scored."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from bot.core.loader import DEFAULT_DIR
from bot.core.responder import Responder
from bot.curation.model import QuestionGroup
from bot.curation.review import add_out_of_scope, add_question, review
from tests.conftest import DATA

NEW_WORDING = "is a jacuzzi good when my back locks"
OUT_OF_SCOPE = "should I get a memory foam mattress for my back"


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    return folder


def test_chosen_phrasings_and_refusals_land_in_the_yaml_and_then_work(knowledge: Path) -> None:
    responder = Responder.from_directory(knowledge)
    assert responder.respond(NEW_WORDING).entry_id != "heat-and-cold", "pick an unmatched one"
    said: list[str] = []
    replies = iter(["e", "heat-and-cold", "", "o", "memory foam mattress"])
    outcome = review(
        [QuestionGroup(3, (NEW_WORDING,), None), QuestionGroup(2, (OUT_OF_SCOPE,), None)],
        knowledge,
        eval_files=[DATA / "labelled.yaml"],
        ask=lambda _prompt="": next(replies),
        say=said.append,
        today=datetime.date(2026, 11, 25),
    )
    assert outcome.kept
    assert outcome.questions == [("heat-and-cold", NEW_WORDING)]
    assert outcome.refused == ["memory foam mattress"]
    text = (knowledge / "entries" / "03-relieving-spasms.yaml").read_text(encoding="utf-8")
    assert f'      - "{NEW_WORDING}"' in text
    assert "# Each entry has:" in text, "the file's comments are kept"
    changed = Responder.from_directory(knowledge)
    assert changed.respond(NEW_WORDING).entry_id == "heat-and-cold"
    refused = changed.respond(OUT_OF_SCOPE)
    assert refused.kind == "fallback"
    assert refused.reason != "clarify"
    assert "added in review 2026-11-25" in (knowledge / "out_of_scope.yaml").read_text()
    assert any("now answered" in line for line in said)


def test_a_change_that_breaks_the_check_is_undone(knowledge: Path) -> None:
    before = (knowledge / "entries" / "02-muscle-spasms.yaml").read_text(encoding="utf-8")
    said: list[str] = []
    # An example question that already belongs to another entry fails the check.
    replies = iter(["e", "what-is-a-muscle-spasm", "how do I stop a muscle spasm"])
    outcome = review(
        [QuestionGroup(1, ("spasm help",), None)],
        knowledge,
        eval_files=[],
        ask=lambda _prompt="": next(replies),
        say=said.append,
    )
    assert not outcome.kept
    assert any("undone" in line for line in said)
    assert (knowledge / "entries" / "02-muscle-spasms.yaml").read_text() == before


def test_a_change_that_makes_a_figure_worse_is_undone_unless_kept(knowledge: Path) -> None:
    before = (knowledge / "out_of_scope.yaml").read_text(encoding="utf-8")
    said: list[str] = []
    # Refusing "using" would turn in-scope questions into fallbacks.
    replies = iter(["o", "using", "n"])
    outcome = review(
        [QuestionGroup(1, ("stretch help",), None)],
        knowledge,
        eval_files=[DATA / "labelled.yaml"],
        ask=lambda _prompt="": next(replies),
        say=said.append,
    )
    assert not outcome.kept
    assert any("got worse" in line for line in said)
    assert (knowledge / "out_of_scope.yaml").read_text(encoding="utf-8") == before


def test_the_yaml_helpers_refuse_an_unknown_entry(knowledge: Path) -> None:
    with pytest.raises(KeyError):
        add_question(knowledge, "no-such-entry", "anything")
    path = add_out_of_scope(knowledge, "x ray", today=datetime.date(2026, 1, 1))
    assert "lists:" in path.read_text(encoding="utf-8")


def test_the_review_command_reads_the_database(tmp_path: Path, knowledge: Path) -> None:
    import asyncio

    from tests.curation.test_report import curator_command, seed

    data = tmp_path / "data"
    data.mkdir()
    asyncio.run(seed(data / "bot.sqlite3"))
    result = curator_command(
        "review",
        "--kb",
        str(knowledge),
        "--days",
        "3650",
        "--eval",
        cwd=tmp_path,
        data=data,
        stdin="s\ns\n",
    )
    assert result.returncode == 0, result.stderr
    assert "2 group(s) of unanswered questions" in result.stdout
    assert "thyroid" in result.stdout
    assert "Nothing changed." in result.stdout
