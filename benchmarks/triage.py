"""Compare red-flag triage methods on curated emergencies and near-misses.

Run from the repository root: ``python benchmarks/triage.py`` (``--help`` for options).

Methods:

* keyword rules (before): the rules as they shipped before triage read context
  (``benchmarks/data/red_flags_keywords.yaml``): phrases anywhere in the message, typo
  tolerance on every word, no context.
* our rules, keywords only: today's rules (``knowledge/red_flags.yaml``) with the context
  reader switched off, so every mention raises the alarm.
* ours: what ``respond()`` does: today's rules read in context.
* ours + n-gram model (not shipped): ours, or a logistic regression over word and
  character n-grams (scikit-learn, in the ``bench`` extra) trained on the curated
  emergencies against the curated near-misses and the labelled ordinary questions. It is
  measured to decide whether a statistical second stage earns its place; its figures on the
  curated examples are on its own training data.

Recall counts an emergency as caught when it gets the urgent reply (a ``crisis`` example
needs the crisis reply); a false alarm is a near-miss that gets the urgent reply.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from report import markdown_table, percent

from bot.core.evaluation import (
    Alarm,
    RedFlagReport,
    evaluate_red_flags,
    load_examples,
    load_red_flag_examples,
    responder_alarm,
)
from bot.core.models import RedFlagExamples, RedFlags
from bot.core.responder import Responder
from bot.core.safety import Triage

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = ROOT / "benchmarks" / "data" / "red_flags_keywords.yaml"
DEFAULT_DATA = (
    ROOT / "knowledge" / "red_flag_examples.yaml",
    ROOT / "tests" / "data" / "red_flags_heldback.yaml",
)
SMOKE_EXAMPLES = 12
# Probability above which the n-gram model raises the alarm on its own.
MODEL_THRESHOLD = 0.8
ORDINARY = ("labelled.yaml", "holdout.yaml", "blind.yaml", "consumer.yaml", "patients.yaml")


def keyword_triage(path: Path = KEYWORDS) -> Triage:
    """Build the old keyword rules: every phrase anywhere, typos everywhere, no context."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    for rule in data["rules"]:
        rule["category"] = "keywords"
    data["safety_net"] = {"keywords": "-"}
    data["window"] = 400
    return Triage(RedFlags.model_validate(data), use_context=False, everyday=None)


def triage_alarm(triage: Triage) -> Alarm:
    """Return the alarm a bare triage raises (None, "urgent" or "crisis")."""

    def alarm(text: str) -> str | None:
        flag = triage.check(text)
        return flag.reply if flag else None

    return alarm


def ngram_alarm(responder: Responder, ours: Alarm) -> Alarm | None:
    """Return ours plus an n-gram logistic regression, or None without scikit-learn."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union
    except ImportError:
        print("ours + n-gram model: skipped: pip install -e '.[bench]'", file=sys.stderr)
        return None
    examples = responder.kb.red_flag_examples
    negatives = [n.text for n in examples.near_misses]
    for name in ORDINARY:
        path = ROOT / "tests" / "data" / name
        if path.exists():
            negatives += [e.question for e in load_examples(path) if e.kind != "urgent"]
    positives = [e.text for e in examples.emergencies]
    model = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True),
        ),
        LogisticRegression(C=10, max_iter=3000, class_weight="balanced"),
    )
    model.fit(positives + negatives, [1] * len(positives) + [0] * len(negatives))

    def alarm(text: str) -> str | None:
        raised = ours(text)
        if raised is None and model.predict_proba([text])[0][1] >= MODEL_THRESHOLD:
            return "urgent"
        return raised

    return alarm


def methods(responder: Responder, *, model: bool = True) -> dict[str, Alarm]:
    """Return the methods to compare, by name."""
    kb = responder.kb
    no_context = Triage(kb.red_flags, kb.language.textspeak, use_context=False)
    ours = responder_alarm(responder)
    compared = {
        "keyword rules (before)": triage_alarm(keyword_triage()),
        "our rules, keywords only": triage_alarm(no_context),
        "ours: rules + context": ours,
    }
    combined = ngram_alarm(responder, ours) if model else None
    if combined is not None:
        compared["ours + n-gram model (not shipped)"] = combined
    return compared


def sample(examples: RedFlagExamples, size: int) -> RedFlagExamples:
    """Return a few examples of every category and kind (for --smoke)."""
    seen: dict[str, int] = {}
    emergencies = []
    for emergency in examples.emergencies:
        if seen.get(emergency.category, 0) < 1:
            seen[emergency.category] = seen.get(emergency.category, 0) + 1
            emergencies.append(emergency)
    near_misses = examples.near_misses[:size]
    return RedFlagExamples(emergencies=emergencies[:size], near_misses=near_misses)


def table(reports: dict[str, RedFlagReport]) -> str:
    """Return recall per category, overall recall and false alarms, one column per method."""
    names = list(reports)
    categories = sorted({c for report in reports.values() for c in report.total})
    rows = []
    for category in categories:
        cells = [category]
        for name in names:
            report = reports[name]
            cells.append(f"{report.caught[category]}/{report.total[category]}")
        rows.append(cells)
    rows.append(
        ["all emergencies"]
        + [f"{percent(reports[n].recall)} ({sum(reports[n].caught.values())})" for n in names]
    )
    rows.append(
        ["false alarms"]
        + [f"{len(reports[n].false_alarms)}/{reports[n].near_misses}" for n in names]
    )
    return markdown_table(["category", *names], rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, nargs="+", default=list(DEFAULT_DATA), help="red-flag example files"
    )
    parser.add_argument("--smoke", action="store_true", help="a few examples only (for tests)")
    args = parser.parse_args(argv)
    responder = Responder.from_directory(ROOT / "knowledge")
    compared = methods(responder, model=not args.smoke)
    for path in args.data:
        examples = load_red_flag_examples(path)
        if examples is None:
            print(f"{path}: not a red-flag example file", file=sys.stderr)
            return 2
        if args.smoke:
            examples = sample(examples, SMOKE_EXAMPLES)
        print(
            f"\n{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
            f"{len(examples.emergencies)} emergencies, {len(examples.near_misses)} near-misses\n"
        )
        reports = {name: evaluate_red_flags(alarm, examples) for name, alarm in compared.items()}
        print(table(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
