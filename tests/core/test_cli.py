from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main


def run_bot(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_ask_json_reads_one_question_per_stdin_line() -> None:
    stdin = "what is a muscle spasm\nis ankylosing spondylitis genetic\n\nhello\n"
    result = run_bot("ask", "--json", "-", stdin=stdin)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["question"] for row in rows] == stdin.splitlines()
    assert {"question", "kind", "entry_id", "score", "suggestions", "text"} <= set(rows[0])
    assert rows[0]["kind"] == "answer"
    assert rows[0]["entry_id"] == "what-is-a-muscle-spasm"
    assert rows[1]["kind"] == "fallback"
    assert rows[1]["entry_id"] is None
    assert len(rows[1]["suggestions"]) <= 3
    assert rows[2]["kind"] == "fallback"
    assert rows[3]["kind"] == "smalltalk"
    assert all("doctor" in row["text"].lower() for row in rows)


def test_ask_prints_answer_with_section_and_related(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "does", "a", "warm", "bath", "help", "a", "spasm"]) == 0
    out = capsys.readouterr().out
    assert "How Do You Alleviate Muscle Spasms?" in out
    assert "not medical advice" in out.lower()
    assert "1. " in out


def test_kb_json_dumps_entries_with_their_fields() -> None:
    result = run_bot("kb", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    entry = next(e for e in data["entries"] if e["id"] == "hydration")
    assert {"id", "section", "title", "questions", "answer", "related"} <= set(entry)
    assert entry["section"] == "Could You Prevent Muscle Spasms?"


def test_ask_json_lines_with_a_session_are_one_chat_per_session() -> None:
    lines = [
        {"session": "a", "text": "does stretching help a spasm"},
        {"session": "b", "text": "what is a muscle spasm"},
        {"session": "a", "text": "how long should I do that?"},
        {"session": "b", "text": "where do they usually happen?"},
        {"session": "c", "text": "how long should I do that?"},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\nhow long should I do that?\n"
    result = run_bot("ask", "--json", "-", stdin=stdin)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row.get("session") for row in rows] == ["a", "b", "a", "b", "c", None]
    assert [row["question"] for row in rows[:5]] == [line["text"] for line in lines]
    got = [(row["kind"], row["entry_id"]) for row in rows]
    assert got[2] == ("answer", "stretching-and-massage")
    assert got[3] == ("answer", "spasms-in-as")
    assert got[4][0] == "fallback", "a new session has nothing to lean on"
    assert got[5][0] == "fallback", "a plain line is a question on its own"


def test_chat_reads_follow_ups_in_context(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = iter(["does stretching help a spasm", "how long should I do that?", "quit"])
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(lines))
    assert main(["chat"]) == 0
    out = capsys.readouterr().out
    assert out.count("From the article section: How Do You Alleviate") == 2


def test_eval_scores_a_conversation_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conversations = tmp_path / "conversations.yaml"
    conversations.write_text(
        """
- name: stretching then a follow-up
  turns:
    - {q: "does stretching help a spasm", kind: answer, id: stretching-and-massage}
    - {q: "how long should I do that?", kind: answer, id: stretching-and-massage, follow_up: true}
- name: a crisis, then thanks
  turns:
    - {q: "sometimes i dont want to be here anymore", kind: urgent}
    - {q: "ok thank u", kind: smalltalk, careful: true}
""",
        encoding="utf-8",
    )
    assert main(["eval", str(conversations)]) == 0
    out = capsys.readouterr().out
    assert "2 conversations, 4 turns" in out
    assert "follow-up turns right" in out
    assert "(1/1)" in out
    assert "careful mode kept after urgent" in out
    assert "red-flag recall                    100.0%  (1/1)" in out


def test_chat_numbers_follow_ups_and_opens_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = iter(["what is a muscle spasm", "1", "quit"])
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(lines))
    assert main(["chat"]) == 0
    out = capsys.readouterr().out
    assert "  1. " in out
    assert out.count("not medical advice") >= 2


def test_eval_prints_figures_per_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "tests/data/labelled.yaml", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "in-scope accuracy" in out
    assert "out-of-scope rejection" in out
    assert "red-flag recall" in out


def test_ask_stops_quietly_when_the_reader_goes_away() -> None:
    questions = "what is a muscle spasm\n" * 2000
    result = subprocess.run(
        f"{sys.executable} -m bot ask --json - | head -c 10",
        shell=True,
        input=questions,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert "Traceback" not in result.stderr


def test_eval_prints_red_flag_recall_per_category_and_each_false_alarm(tmp_path: Path) -> None:
    examples = tmp_path / "examples.yaml"
    examples.write_text(
        "emergencies:\n"
        '  - {text: "I think I am having a heart attack", category: chest-pain}\n'
        '  - {text: "my chest is a bit stiff after yoga", category: chest-pain}\n'
        '  - {text: "i want to kill myself", category: crisis, style: direct}\n'
        "near_misses:\n"
        '  - {text: "what is a muscle spasm", kind: everyday}\n'
        '  - {text: "i cant breathe", kind: lookalike}\n',
        encoding="utf-8",
    )
    result = run_bot("eval", str(examples))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "3 emergencies, 2 near-misses" in out
    assert "chest-pain" in out
    assert "1/2" in out
    assert "crisis" in out
    assert "1/1" in out
    assert "[lookalike] rule 'trouble breathing': i cant breathe" in out
    assert "[chest-pain/direct] my chest is a bit stiff after yoga" in out
    quiet = run_bot("eval", str(examples), "--quiet").stdout
    assert "i cant breathe" in quiet, "false alarms are always listed"
    assert "my chest is a bit stiff" not in quiet
