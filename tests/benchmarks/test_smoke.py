"""The benchmark scripts still run end to end (tiny sizes, no timing assertions)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
BASELINE_NAMES = (
    "BM25 (rank-bm25)",
    "BM25 (bm25s)",
    "TF-IDF words (sklearn)",
    "TF-IDF chars (sklearn)",
    "fuzzy WRatio (rapidfuzz)",
    "MiniLM-L6 embeddings",
)


def run_script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / name), "--smoke", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
    )


def table_rows(output: str, name: str) -> list[list[str]]:
    """Return the cells of every Markdown table row whose first cell is ``name``."""
    rows = []
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == name:
            rows.append(cells)
    return rows


def assert_every_baseline_reported(output: str, tables: int) -> None:
    for name in BASELINE_NAMES:
        rows = table_rows(output, name)
        skipped = [line for line in output.splitlines() if line.startswith(f"{name}: skipped: ")]
        assert len(rows) == tables or (skipped and not rows), f"{name} missing:\n{output}"
        if skipped:
            assert "pip install -e '.[bench]'" in skipped[0]


def test_quality_smoke_prints_a_row_per_method() -> None:
    result = run_script("quality.py")
    assert result.returncode == 0, result.stderr
    (ours,) = table_rows(result.stdout, "ours: matcher alone")
    accuracy = float(ours[2].split("%")[0])
    assert 0.0 <= accuracy <= 100.0
    assert_every_baseline_reported(result.stdout, tables=1)
    assert "Ours as deployed" in result.stdout


def test_speed_smoke_prints_a_table_per_size() -> None:
    result = run_script("speed.py")
    assert result.returncode == 0, result.stderr
    assert "### shipped knowledge base" in result.stdout
    assert "### synthetic knowledge base: 50 entries" in result.stdout
    ours = table_rows(result.stdout, "ours: respond()") + table_rows(
        result.stdout, "ours: match() only"
    )
    assert len(ours) == 4
    assert all(float(row[7]) > 0 for row in ours)  # p99 ms column: measured, not blank
    assert_every_baseline_reported(result.stdout, tables=2)
    assert "Targets for our matcher on one core:" in result.stdout


def test_triage_smoke_compares_the_keyword_baseline_with_ours() -> None:
    # Only the tuned examples: the held-back set is not read in the normal test run.
    result = run_script("triage.py", "--data", str(ROOT / "knowledge" / "red_flag_examples.yaml"))
    assert result.returncode == 0, result.stderr
    header = table_rows(result.stdout, "category")
    assert header == [
        ["category", "keyword rules (before)", "our rules, keywords only", "ours: rules + context"]
    ]
    (recall,) = table_rows(result.stdout, "all emergencies")
    (alarms,) = table_rows(result.stdout, "false alarms")
    assert recall[3].startswith("100.0%"), "the tuned examples are all caught"
    assert alarms[3].startswith("0/"), "and no near-miss raises the alarm"


@pytest.fixture
def quality(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("quality")


def test_accuracy_at_rejection_uses_the_lowest_threshold_refusing_enough(
    quality: ModuleType,
) -> None:
    scored = quality.Scored
    items = [scored(None, "a", s / 20) for s in range(20)]  # out-of-scope scores 0.00-0.95
    items += [scored("a", "a", 0.90), scored("a", "a", 0.96), scored("b", "a", 0.99)]
    # Refusing 19 of 20 out-of-scope questions means refusing every score up to 0.90, so
    # only the right answer at 0.96 counts.
    assert quality.accuracy_at_rejection(items) == pytest.approx(1 / 3)


def test_splits_are_stratified_and_reproducible(quality: ModuleType) -> None:
    from bot.core.evaluation import Example

    examples = [Example(f"q{i}", "answer", "a" if i % 2 else "b") for i in range(10)]
    examples += [Example(f"o{i}", "fallback") for i in range(6)]
    tune, test = quality.split(examples, seed=3)
    assert (tune, test) == quality.split(examples, seed=3)
    assert sorted(tune + test) == list(range(16))
    assert sum(examples[i].kind == "fallback" for i in test) == 3
    assert sum(examples[i].entry_id == "a" for i in test) in (2, 3)
