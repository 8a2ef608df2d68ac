"""Compare our matcher's answers with BM25, TF-IDF, fuzzy matching and sentence embeddings.

Run from the repository root: ``python benchmarks/quality.py`` (``--help`` for options).

Only in-scope questions (labelled with the entry that answers them) and out-of-scope ones
(labelled ``fallback``) take part; urgent messages and small talk never reach the matcher.
Every method gets the same threshold-tuning budget: the labelled set is split in two halves,
stratified by label and seeded; the threshold that maximises in-scope accuracy plus
out-of-scope rejection on one half is reported on the other. Figures are means over
``--splits`` such splits, with their standard deviation.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from baselines import BASELINES, Baseline, Ranking, by_key, entry_texts
from report import markdown_table, percent

from bot.core.evaluation import Example, load_examples
from bot.core.loader import KnowledgeBaseError
from bot.core.responder import Responder

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / "tests" / "data" / "labelled.yaml"
OURS_MATCHER = "ours: matcher alone"
OURS_RESPONDER = "ours: matcher + scope rules"
# "Accuracy at 95% rejection": in-scope accuracy once 95% of out-of-scope questions are refused.
REJECTION_TARGET = 0.95


@dataclass(frozen=True, slots=True)
class Scored:
    """One labelled question as one method ranked it."""

    expected: str | None  # the right entry id; None for an out-of-scope question
    top: str | None
    score: float


@dataclass(frozen=True, slots=True)
class Figures:
    """What one method achieved on one test half."""

    top1: float
    accuracy: float
    rejection: float
    at_rejection: float
    wrong: float
    threshold: float


def matching_examples(examples: Sequence[Example]) -> list[Example]:
    """Keep the examples the matcher decides: in-scope answers and out-of-scope questions."""
    return [e for e in examples if e.kind in ("answer", "fallback")]


def label(example: Example) -> str:
    """Return the stratum of an example: its entry id, or "fallback"."""
    return example.entry_id if example.kind == "answer" and example.entry_id else "fallback"


def split(examples: Sequence[Example], seed: int) -> tuple[list[int], list[int]]:
    """Split example indexes into tune and test halves, stratified by label."""
    rng = random.Random(seed)
    groups: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        groups[label(example)].append(index)
    tune: list[int] = []
    test: list[int] = []
    for name in sorted(groups):
        members = groups[name]
        rng.shuffle(members)
        # Odd groups give their extra member to whichever half is smaller so far.
        half = len(members) // 2 + (len(members) % 2 if len(tune) <= len(test) else 0)
        tune.extend(members[:half])
        test.extend(members[half:])
    return sorted(tune), sorted(test)


def rates(items: Sequence[Scored], threshold: float) -> tuple[float, float, float]:
    """Return in-scope accuracy, out-of-scope rejection and the wrong-answer share."""
    inside = [s for s in items if s.expected is not None]
    outside = [s for s in items if s.expected is None]
    right = sum(1 for s in inside if s.top == s.expected and s.score >= threshold)
    rejected = sum(1 for s in outside if s.top is None or s.score < threshold)
    wrong = sum(
        1 for s in items if s.top is not None and s.score >= threshold and s.top != s.expected
    )
    return (
        right / len(inside) if inside else 1.0,
        rejected / len(outside) if outside else 1.0,
        wrong / len(items) if items else 0.0,
    )


def choose_threshold(items: Sequence[Scored]) -> float:
    """Return the threshold maximising in-scope accuracy + out-of-scope rejection.

    Candidates lie midway between consecutive observed scores; among equally good ones the
    middle candidate is taken, so the threshold sits inside the plateau, not on its edge.
    """
    scores = sorted({s.score for s in items})
    if not scores:
        return 0.0
    candidates = [scores[0] - 1.0, *((a + b) / 2 for a, b in itertools.pairwise(scores))]
    candidates.append(scores[-1] + 1.0)
    objective = [sum(rates(items, t)[:2]) for t in candidates]
    best = max(objective)
    tied = [t for t, value in zip(candidates, objective, strict=True) if value >= best - 1e-12]
    return tied[len(tied) // 2]


def accuracy_at_rejection(items: Sequence[Scored], target: float = REJECTION_TARGET) -> float:
    """Return in-scope accuracy at the lowest threshold refusing ``target`` of out-of-scope."""
    outside = sorted(s.score for s in items if s.expected is None and s.top is not None)
    total_outside = sum(1 for s in items if s.expected is None)
    must_refuse = math.ceil(target * total_outside - 1e-9)
    already = total_outside - len(outside)  # out-of-scope questions nothing matched at all
    still = must_refuse - already
    # Refusing means scoring below the threshold, so it must lie just above that score.
    bar = outside[still - 1] if still > 0 else -math.inf
    inside = [s for s in items if s.expected is not None]
    right = sum(1 for s in inside if s.top == s.expected and s.score > bar)
    return right / len(inside) if inside else 1.0


def figures(tune: Sequence[Scored], test: Sequence[Scored]) -> Figures:
    """Tune a threshold on ``tune`` and report every figure on ``test``."""
    threshold = choose_threshold(tune)
    accuracy, rejection, wrong = rates(test, threshold)
    inside = [s for s in test if s.expected is not None]
    top1 = sum(1 for s in inside if s.top == s.expected) / len(inside) if inside else 1.0
    return Figures(top1, accuracy, rejection, accuracy_at_rejection(test), wrong, threshold)


def score_all(rank: Callable[[str], Ranking], examples: Sequence[Example]) -> list[Scored]:
    """Run every example through one method and keep its top entry and score."""
    scored = []
    for example in examples:
        ranking = rank(example.question)
        top, score = ranking[0] if ranking else (None, -math.inf)
        expected = example.entry_id if example.kind == "answer" else None
        scored.append(Scored(expected, top, score))
    return scored


def mean_sd(values: Sequence[float], *, as_percent: bool = True) -> str:
    """Format a mean and standard deviation, e.g. ``"81.2% ±3.4"``."""
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    if as_percent:
        return f"{percent(mean)} ±{100 * sd:.1f}"
    return f"{mean:.3g} ±{sd:.2f}"


def summarise(
    name: str, scored: Sequence[Scored], splits: Sequence[tuple[list[int], list[int]]]
) -> list[str]:
    """Return one table row: the mean figures of a method over all splits."""
    results = [
        figures([scored[i] for i in tune], [scored[i] for i in test]) for tune, test in splits
    ]
    return [
        name,
        mean_sd([r.top1 for r in results]),
        mean_sd([r.accuracy for r in results]),
        mean_sd([r.rejection for r in results]),
        mean_sd([r.at_rejection for r in results]),
        mean_sd([r.wrong for r in results]),
        mean_sd([r.threshold for r in results], as_percent=False),
    ]


def deployed(responder: Responder, examples: Sequence[Example]) -> tuple[float, float, int]:
    """Return in-scope accuracy and rejection of ``respond()`` as shipped, and wrong answers."""
    inside = outside = right = rejected = wrong = 0
    for example in examples:
        reply = responder.respond(example.question)
        if example.kind == "answer":
            inside += 1
            right += reply.kind == "answer" and reply.entry_id == example.entry_id
        else:
            outside += 1
            rejected += reply.kind == "fallback"
        wrong += reply.kind == "answer" and reply.entry_id != example.entry_id
    return right / max(inside, 1), rejected / max(outside, 1), wrong


def smoke_sample(examples: Sequence[Example], per_label: int = 2) -> list[Example]:
    """Return a few examples of every label, for a fast run that still exercises everything."""
    counts: dict[str, int] = defaultdict(int)
    chosen = []
    for example in examples:
        limit = 4 * per_label if label(example) == "fallback" else per_label
        if counts[label(example)] < limit:
            counts[label(example)] += 1
            chosen.append(example)
    return chosen


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="labelled YAML/JSONL")
    parser.add_argument("--kb", type=Path, default=None, help="knowledge base folder")
    parser.add_argument("--splits", type=int, default=20, help="number of tune/test splits")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first split")
    parser.add_argument(
        "--baselines",
        default=None,
        help="comma-separated baseline class names (default: all): "
        + ",".join(cls.__name__ for cls in BASELINES),
    )
    parser.add_argument("--smoke", action="store_true", help="tiny fast run (for the tests)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison and print the table; return the exit status."""
    args = parse_args(argv)
    try:
        responder = Responder.from_directory(args.kb)
    except KnowledgeBaseError as error:
        print(f"The knowledge base cannot be loaded:\n{error}", file=sys.stderr)
        return 1
    examples = matching_examples(load_examples(args.data))
    splits_count = args.splits
    if args.smoke:
        examples = smoke_sample(examples)
        splits_count = min(splits_count, 3)
    inside = sum(1 for e in examples if e.kind == "answer")
    if not inside or inside == len(examples):
        print("The labelled file needs both answer and fallback examples.", file=sys.stderr)
        return 1
    splits = [split(examples, args.seed + n) for n in range(splits_count)]
    classes: Sequence[type[Baseline]] = (
        BASELINES if args.baselines is None else [by_key(k) for k in args.baselines.split(",") if k]
    )

    print(
        f"Data: {display(args.data)}: {inside} in-scope and {len(examples) - inside} "
        f"out-of-scope questions; knowledge base: {len(responder.kb.entries)} entries, "
        f"{len(entry_texts(responder.kb))} titles and questions."
    )
    print(
        f"Protocol: {splits_count} seeded 50/50 splits stratified by label; per method the "
        "threshold maximising in-scope accuracy + out-of-scope rejection on the tune half is "
        "reported on the test half (mean ±sd over splits)."
    )
    rows = [
        summarise(OURS_MATCHER, score_all(functools.partial(_ours, responder), examples), splits),
        summarise(
            OURS_RESPONDER,
            score_all(functools.partial(_ours_respond, responder), examples),
            splits,
        ),
    ]
    skipped = []
    for cls in classes:
        reason = cls.skip_line()
        if reason is not None:
            skipped.append(reason)
            continue
        started = time.perf_counter()
        print(f"fitting {cls.name} ...", file=sys.stderr, flush=True)
        baseline = cls()
        baseline.fit(entry_texts(responder.kb))
        scored = score_all(functools.partial(baseline.rank, limit=1), examples)
        rows.append(summarise(cls.name, scored, splits))
        print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)

    print()
    print(
        markdown_table(
            [
                "method",
                "top-1 (no threshold)",
                "in-scope accuracy",
                "out-of-scope rejection",
                "accuracy at 95% rejection",
                "wrong answers",
                "tuned threshold",
            ],
            rows,
        )
    )
    for line in skipped:
        print(line)

    accuracy, rejection, wrong = deployed(responder, examples)
    test_figures = [deployed(responder, [examples[i] for i in test]) for _, test in splits]
    print()
    print(
        f"Ours as deployed (respond() with its shipped threshold {responder.threshold}, no "
        f"tuning here): in-scope accuracy {percent(accuracy)}, out-of-scope rejection "
        f"{percent(rejection)}, {wrong} wrong answer(s) of {len(examples)}; on the test "
        f"halves above: {mean_sd([f[0] for f in test_figures])} and "
        f"{mean_sd([f[1] for f in test_figures])}."
    )
    return 0


def _ours(responder: Responder, question: str) -> Ranking:
    return [(m.entry_id, m.score) for m in responder.match(question, limit=1)]


def _ours_respond(responder: Responder, question: str) -> Ranking:
    # respond() scores a question its scope rules refuse 0; its threshold is ignored here,
    # since every method gets its threshold tuned the same way.
    reply = responder.respond(question)
    if reply.kind == "answer" and reply.entry_id is not None:
        return [(reply.entry_id, reply.score)]
    if reply.kind == "fallback":
        return [(m.entry_id, reply.score) for m in responder.match(question, limit=1)]
    return []  # taken as urgent or small talk: no entry offered


def display(path: Path) -> str:
    """Show ``path`` relative to the repository when it lies inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    raise SystemExit(main())
