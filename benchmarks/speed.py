"""Time our responder and every baseline per question, at start-up and in memory, as the KB grows.

Run from the repository root: ``python benchmarks/speed.py`` (``--help`` for options).

Each method and knowledge-base size runs in a fresh child process pinned to one core, so
start-up (import + load + index) and peak memory are its own. The child loads the knowledge
base from YAML with the bot's loader (synthetic sizes are written to a temporary folder
first), indexes it, answers a few warm-up questions, then times every question of the
labelled set once ("first seen") and again for ``--rounds`` passes in all.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from baselines import BASELINES, Baseline, by_key, entry_texts
from report import markdown_table

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
DEFAULT_DATA = ROOT / "tests" / "data" / "labelled.yaml"
OURS = "ours"
OURS_LABEL = "ours: respond()"
# The matcher alone, without triage, small talk and scope rules: like for like with baselines.
OURS_MATCH = "ours-match"
OURS_MATCH_LABEL = "ours: match() only"
WARM_UP = ("warm up: does stretching help a sore back", "hello", "what is it")
# The targets for respond(), on one core: (size, what, limit). The shipped ones grew with
# context-aware triage (about 1,600 curated examples and 30 rules to load and compile).
TARGETS = (
    ("shipped", "p99_ms", 2.0),
    ("10000", "p99_ms", 10.0),
    ("shipped", "startup_s", 1.5),
)
# Keep BLAS, OpenMP and tokenizers to the one core the process is pinned to.
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}


def pin_to_one_core() -> str:
    """Pin this process (and its children) to one CPU; return which, or why not."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def percentile(values: Sequence[float], share: float) -> float:
    """Return the ``share`` quantile of ``values`` (inclusive method)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(share * 1000) - 1]


# -- child process: one method on one knowledge base ---------------------------------------


def peak_memory_mb() -> float:
    """Return this process's peak resident memory in MB.

    ``ru_maxrss`` would do, but Linux carries the parent's peak over into the child across
    ``exec``, so the high-water mark of the process's own memory map is read when possible.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(
    method: str, kb_dir: Path, queries: Sequence[str], rounds: int, *, lint: bool = True
) -> dict[str, Any]:
    """Start one method from nothing, time its answers and report its peak memory."""
    started = time.perf_counter()
    cls: type[Baseline] | None = None
    if method in (OURS, OURS_MATCH):
        from bot.core.loader import load_knowledge_base
        from bot.core.responder import Responder
    else:
        cls = by_key(method)
        cls.import_libraries()
        from bot.core.loader import load_knowledge_base
    imported = time.perf_counter()
    kb = load_knowledge_base(kb_dir)
    loaded = time.perf_counter()
    answer: Callable[[str], object]
    if cls is None:
        responder = Responder(kb, lint=lint)
        answer = responder.respond if method == OURS else responder.match
    else:
        baseline = cls()
        baseline.fit(entry_texts(kb))
        answer = baseline.rank
    indexed = time.perf_counter()

    for question in WARM_UP:
        answer(question)
    passes: list[list[float]] = []
    wall = 0.0
    for _ in range(rounds):
        timings = []
        for question in queries:
            before = time.perf_counter()
            answer(question)
            timings.append(time.perf_counter() - before)
        wall += sum(timings)
        passes.append(timings)
    every = [t for timings in passes for t in timings]
    return {
        "entries": len(kb.entries),
        "texts": sum(1 + len(e.questions) for e in kb.entries),
        "import_s": imported - started,
        "load_s": loaded - imported,
        "index_s": indexed - loaded,
        "startup_s": indexed - started,
        "peak_mb": peak_memory_mb(),
        "p50_ms": 1000 * percentile(every, 0.5),
        "p99_ms": 1000 * percentile(every, 0.99),
        "p99_first_ms": 1000 * percentile(passes[0], 0.99),
        "qps": len(every) / wall if wall else float("inf"),
    }


# -- parent process ------------------------------------------------------------------------


def run_child(
    method: str, kb_dir: Path, queries_file: Path, rounds: int, timeout: float, *, lint: bool
) -> dict[str, Any] | str:
    """Measure one method in a fresh interpreter; return its figures or an error line."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        method,
        "--kb",
        str(kb_dir),
        "--queries",
        str(queries_file),
        "--rounds",
        str(rounds),
        *([] if lint else ["--no-lint"]),
    ]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, **ONE_THREAD},
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s"
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        return f"failed: {lines[-1]}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def prepare(source: Path, size: str, workdir: Path, seed: int) -> Path:
    """Return the knowledge-base folder for ``size``: ``source`` itself or a synthetic copy."""
    if size == "shipped":
        return source
    from synthetic import synthetic_entries, write_knowledge_dir

    from bot.core.loader import load_knowledge_base

    kb = load_knowledge_base(source)
    extra = synthetic_entries(kb, max(0, int(size) - len(kb.entries)), seed=seed)
    return write_knowledge_dir(source, workdir / f"knowledge-{size}", extra)


def row(name: str, result: dict[str, Any] | str) -> list[str]:
    """Return one table row for a measured method (or its error)."""
    if isinstance(result, str):
        return [name, "failed", *([""] * (len(HEADER) - 2))]
    return [
        name,
        f"{result['startup_s']:.2f}",
        f"{result['import_s']:.2f}",
        f"{result['load_s']:.2f}",
        f"{result['index_s']:.2f}",
        f"{result['peak_mb']:.0f}",
        f"{result['p50_ms']:.3f}",
        f"{result['p99_ms']:.3f}",
        f"{result['p99_first_ms']:.3f}",
        f"{result['qps']:,.0f}",
    ]


HEADER = [
    "method",
    "start-up s",
    "import s",
    "load s",
    "index s",
    "peak MB",
    "p50 ms",
    "p99 ms",
    "p99 first-seen ms",
    "questions/s",
]


def questions(data: Path, limit: int | None) -> list[str]:
    """Return the in-scope and out-of-scope questions of the labelled set, in file order."""
    from bot.core.evaluation import load_examples

    found = [e.question for e in load_examples(data) if e.kind in ("answer", "fallback")]
    return found[:limit] if limit else found


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="shipped,1000,10000",
        help="comma-separated knowledge-base sizes in entries, or 'shipped'",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="labelled questions")
    parser.add_argument("--queries", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=None, help="use only this many questions")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the questions")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic entries")
    parser.add_argument(
        "--baselines",
        default=None,
        help="comma-separated baseline class names (default: all): "
        + ",".join(cls.__name__ for cls in BASELINES),
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="per child, in seconds")
    parser.add_argument(
        "--jobs", type=int, default=1, help="children run at once (>1 disables pinning)"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny fast run for the tests (timings meaningless)"
    )
    parser.add_argument("--child", metavar="METHOD", help=argparse.SUPPRESS)
    parser.add_argument("--no-lint", dest="lint", action="store_false", help=argparse.SUPPRESS)
    parser.add_argument("--kb", type=Path, default=KNOWLEDGE, help="knowledge base folder")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every method at every size and print one table per size; return the exit status."""
    args = parse_args(argv)
    if args.child:
        # The child inherits the parent's CPU affinity.
        queries = json.loads(args.queries.read_text(encoding="utf-8"))
        result = measure(args.child, args.kb, queries, args.rounds, lint=args.lint)
        print(json.dumps(result))
        return 0
    # Imported here: a child must not have imported the bot before it starts its clock.
    from bot.core.loader import KnowledgeBaseError

    jobs = min(2, os.cpu_count() or 1) if args.smoke else args.jobs
    # Children run one at a time on one core, unless a smoke run trades that for speed.
    pinned = pin_to_one_core() if jobs == 1 else f"{jobs} children at a time, not pinned"

    sizes = ["shipped", "50"] if args.smoke else args.sizes.split(",")
    limit, rounds = (20, 2) if args.smoke else (args.limit, args.rounds)
    classes: Sequence[type[Baseline]] = (
        BASELINES if args.baselines is None else [by_key(k) for k in args.baselines.split(",") if k]
    )
    runnable = [cls for cls in classes if cls.skip_line() is None]
    methods = [
        (OURS, OURS_LABEL),
        (OURS_MATCH, OURS_MATCH_LABEL),
        *((cls.__name__, cls.name) for cls in runnable),
    ]
    print(
        f"Machine: {os.cpu_count()} cores, {pinned}; Python {sys.version.split()[0]}; "
        f"{rounds} timed passes per method after {len(WARM_UP)} warm-up questions."
    )
    for cls in classes:
        line = cls.skip_line()
        if line is not None:
            print(line)

    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        workdir = Path(tmp)
        queries = questions(args.data, limit)
        queries_file = workdir / "queries.json"
        queries_file.write_text(json.dumps(queries), encoding="utf-8")
        folders = {}
        for size in sizes:
            print(f"preparing the {size} knowledge base ...", file=sys.stderr, flush=True)
            try:
                folders[size] = prepare(args.kb, size, workdir, args.seed)
            except KnowledgeBaseError as error:
                print(f"The knowledge base cannot be loaded:\n{error}", file=sys.stderr)
                return 1
        tasks = [(size, key) for size in sizes for key, _ in methods]

        def run(task: tuple[str, str]) -> dict[str, Any] | str:
            size, key = task
            print(f"  {size}: {key} ...", file=sys.stderr, flush=True)
            # Generated entries may trip the curator checks; see synthetic.py.
            lint = size == "shipped"
            return run_child(key, folders[size], queries_file, rounds, args.timeout, lint=lint)

        # Slow starters go first, so that in a parallel run they overlap each other.
        slow = {cls.__name__ for cls in runnable if cls.slow_start}
        ordered = sorted(tasks, key=lambda task: task[1] not in slow)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = dict(zip(ordered, pool.map(run, ordered), strict=True))

    for size in sizes:
        print()
        print(size_heading(size, [results[size, key] for key, _ in methods], len(queries)))
        print()
        print(markdown_table(HEADER, [row(name, results[size, key]) for key, name in methods]))
        for key, name in methods:
            if isinstance(results[size, key], str):
                print(f"{name} {results[size, key]}")
    print()
    print(targets({size: results[size, OURS] for size in sizes}))
    if jobs > 1:
        print("(children ran side by side without pinning: the figures are only indicative)")
    return 1 if any(isinstance(r, str) for r in results.values()) else 0


def size_heading(size: str, results: Sequence[dict[str, Any] | str], questions: int) -> str:
    """Return the Markdown heading of one size's table: what the knowledge base held."""
    measured = [r for r in results if not isinstance(r, str)]
    entries = measured[0]["entries"] if measured else 0
    texts = measured[0]["texts"] if measured else 0
    title = "shipped knowledge base" if size == "shipped" else "synthetic knowledge base"
    return (
        f"### {title}: {entries:,} entries, {texts:,} titles and questions, {questions} questions"
    )


def targets(ours: dict[str, dict[str, Any] | str]) -> str:
    """Return whether our matcher met the issue's targets, one line per target measured."""
    lines = ["Targets for our matcher on one core:"]
    for size, key, target in TARGETS:
        result = ours.get(size)
        if not isinstance(result, dict):
            continue
        value = result[key]
        unit = "ms" if key.endswith("_ms") else "s"
        verdict = "met" if value <= target else "MISSED"
        what = key.removesuffix("_ms").removesuffix("_s").replace("startup", "start-up")
        lines.append(f"- {what} <= {target:g} {unit} at {size}: {value:.3f} {unit} ({verdict})")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
