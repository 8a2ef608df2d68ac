"""Load the running bot with many patients at once, through a fake Telegram Bot API.

Run from the repository root: ``python benchmarks/load.py`` (``--help`` for options);
``--quick`` is a smoke run (50 patients x 4 messages and a burst of 200).

The bot runs as it does in production, ``python -m bot run`` polling for updates, but
against the fake Bot API of the tests (``tests/telegram/fake_bot_api.py``) on 127.0.0.1,
with a fresh data folder. It is started afresh for each phase and rate-limiter mode:

* conversations: ``--users`` private chats send ``--messages`` messages each, all chats at
  once, each patient writing again only when the answer to their last message arrived;
* burst: ``--burst`` patients send one message each, all within one second.

The messages are the patient questions of ``tests/data/patients.yaml`` (emergencies left
out) in a fixed order. Every message must get exactly one answer in its own chat, in order.
An answer is matched to the message it quotes when the bot quotes it, else to the chat's
oldest unanswered message that the bot had already been handed. Reported per run:

* answered once; lost (no answer, or never sent when a phase failed); duplicated (answered
  more than once; an answer that matches no message counts here too); out of order
  (answered after a later message of its chat);
* msgs/s: messages answered over the phase's wall time, from the first message to the last
  answer;
* p50, p99 and max ms: the latency the bot adds, from the moment getUpdates handed the
  update to the bot to the moment the fake received its answer;
* peak RSS MB: the bot process's peak resident memory (VmHWM, and VmRSS every 0.5 s).

``--rate-limit on`` runs the bot with RATE_LIMIT=true (python-telegram-bot's AIORateLimiter
keeps it under Telegram's ~30 messages a second overall, so 10,000 messages take at least
six minutes), ``off`` with RATE_LIMIT=false, ``both`` (the default) once each.

The exit status is 0 only if no message was lost, answered twice or answered out of order,
and every phase finished in its time.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from report import markdown_table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from tests.telegram.fake_bot_api import TOKEN, BotApi, Call, FakeBotApiServer  # noqa: E402
from tests.telegram.updates import text_update  # noqa: E402

PATIENTS = ROOT / "tests" / "data" / "patients.yaml"
SETTING_NAMES = {name.upper() for name in Settings.model_fields}
FIRST_USER = 10_000
FIRST_BURST_USER = 1_000_000
QUICK = {"users": 50, "messages": 4, "burst": 200}
STARTUP_SECONDS = 30.0
STOP_SECONDS = 15.0
SAMPLE_SECONDS = 0.5
BURST_SECONDS = 1.0
BURST_SLICES = 20
# After the last answer, wait this long for answers that should not come (duplicates).
SETTLE_SECONDS = 2.0
# A phase fails when no answer at all arrived for this long.
STALL_SECONDS = 60.0
# Time allowed per message on top of a fixed minute: Telegram's overall limit is ~30 a
# second, so the rate-limited bot needs 1/30 s per message; unthrottled, allow 1/25 s too,
# which is far slower than the bot should be.
BASE_SECONDS = 60.0
SECONDS_PER_MESSAGE = 1 / 25
HEADER = (
    "mode",
    "phase",
    "messages",
    "answered once",
    "lost",
    "duplicated",
    "out of order",
    "msgs/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "peak RSS MB",
)


class PhaseError(Exception):
    """A phase could not finish: the bot did not start, stalled, or ran out of time."""


def questions(path: Path = PATIENTS) -> list[str]:
    """Return the patient questions, emergencies left out, in file order."""
    examples = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [str(e["q"]) for e in examples if e.get("kind") != "urgent"]


def patient(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"Patient {user_id}"}


@dataclass
class Sent:
    """One patient message pushed to the bot, and the answers matched to it."""

    chat_id: int
    message_id: int
    update_id: int
    index: int  # its place among its chat's messages
    replies: list[Call] = field(default_factory=list)
    late: bool = False  # answered after a later message of its chat


@dataclass
class Result:
    """What one phase measured."""

    mode: str
    phase: str
    planned: int
    sent: list[Sent]
    seconds: float
    latencies_ms: list[float]
    peak_rss_mb: float
    strays: int
    quoted: int
    replies: int
    error: str | None = None

    @property
    def once(self) -> int:
        return sum(len(s.replies) == 1 for s in self.sent)

    @property
    def lost(self) -> int:
        return sum(not s.replies for s in self.sent) + self.planned - len(self.sent)

    @property
    def duplicated(self) -> int:
        return sum(len(s.replies) > 1 for s in self.sent) + self.strays

    @property
    def out_of_order(self) -> int:
        return sum(s.late for s in self.sent)

    @property
    def ok(self) -> bool:
        return self.error is None and self.lost == self.duplicated == self.out_of_order == 0

    def row(self) -> list[str]:
        answered = sum(bool(s.replies) for s in self.sent)
        rate = answered / self.seconds if self.seconds > 0 else 0.0
        return [
            self.mode,
            self.phase,
            f"{self.planned:,}",
            f"{self.once:,}",
            f"{self.lost:,}",
            f"{self.duplicated:,}",
            f"{self.out_of_order:,}",
            f"{rate:,.0f}",
            milliseconds(self.latencies_ms, 0.50),
            milliseconds(self.latencies_ms, 0.99),
            milliseconds(self.latencies_ms, 1.0),
            f"{self.peak_rss_mb:.0f}",
        ]


def percentile(values: Sequence[float], share: float) -> float:
    """Return the ``share`` quantile of ``values`` (inclusive method)."""
    if len(values) == 1 or share >= 1.0:
        return max(values)
    return statistics.quantiles(values, n=1000, method="inclusive")[round(share * 1000) - 1]


def milliseconds(values: Sequence[float], share: float) -> str:
    return f"{percentile(values, share):.1f}" if values else "-"


class Tracker:
    """Match the bot's messages to the patients' messages they answer."""

    def __init__(self, api: BotApi) -> None:
        self.api = api
        self.sent: list[Sent] = []
        self.by_chat: dict[int, list[Sent]] = {}
        self.by_id: dict[tuple[int, int], Sent] = {}
        self.newest_answered: dict[int, int] = {}
        self.answered = 0
        self.strays = 0
        self.quoted = 0
        self.replies = 0
        self._next_message_id: dict[int, int] = {}

    def push(self, user_id: int, text: str) -> Sent:
        """Send the bot one message from ``user_id`` in their private chat."""
        message_id = self._next_message_id.get(user_id, 1)
        self._next_message_id[user_id] = message_id + 1
        update = text_update(text, user=patient(user_id))
        update["message"]["message_id"] = message_id
        chat = self.by_chat.setdefault(user_id, [])
        sent = Sent(user_id, message_id, 0, len(chat))
        # Recorded before the bot can see it, so that its answer always finds it.
        chat.append(sent)
        self.by_id[user_id, message_id] = sent
        self.sent.append(sent)
        sent.update_id = self.api.push_update(update)
        return sent

    def answer(self, call: Call) -> Sent | None:
        """Match one sendMessage to its message; return it (None for a stray)."""
        self.replies += 1
        chat_id = int(call.chat_id or 0)
        chat = self.by_chat.get(chat_id, [])
        if call.reply_to is not None:
            self.quoted += 1
            target = self.by_id.get((chat_id, call.reply_to))
        else:
            target = self._oldest_unanswered(chat, call)
        if target is None:
            self.strays += 1
            return None
        target.replies.append(call)
        self.answered += len(target.replies) == 1
        newest = self.newest_answered.get(chat_id, -1)
        if target.index < newest:
            target.late = True
        self.newest_answered[chat_id] = max(newest, target.index)
        return target

    def _oldest_unanswered(self, chat: list[Sent], call: Call) -> Sent | None:
        """The chat's oldest unanswered message the bot had been handed before ``call``."""
        handed = [s for s in chat if self.api.handed_out.get(s.update_id, call.time) < call.time]
        for sent in handed:
            if not sent.replies:
                return sent
        # Everything it was handed is answered: a second answer to the newest.
        return handed[-1] if handed else None

    def unanswered(self) -> int:
        return len(self.sent) - self.answered

    def latencies_ms(self) -> list[float]:
        """What the bot added per answered message: handed out to answer received."""
        handed_out = self.api.handed_out
        return [
            1000 * (s.replies[0].time - handed_out[s.update_id])
            for s in self.sent
            if s.replies and s.update_id in handed_out
        ]


class MemorySampler:
    """Sample a process's resident memory every SAMPLE_SECONDS in a background thread."""

    def __init__(self, pid: int) -> None:
        self.status = Path(f"/proc/{pid}/status")
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _field_kb(self, name: str) -> int:
        try:
            for line in self.status.read_text().splitlines():
                if line.startswith(f"{name}:"):
                    return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.peak_kb = max(self.peak_kb, self._field_kb("VmRSS"))

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def peak_mb(self) -> float:
        """The peak so far: VmHWM (the kernel's own high-water mark) or the highest sample."""
        return max(self.peak_kb, self._field_kb("VmHWM"), self._field_kb("VmRSS")) / 1024


def bot_env(data_dir: Path, base_url: str, rate_limit: bool) -> dict[str, str]:
    """Return the bot's environment: only the settings given here, none from outside."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=base_url,
        DATA_DIR=str(data_dir),
        LOG_LEVEL="WARNING",
        RATE_LIMIT="true" if rate_limit else "false",
    )
    return env


@contextmanager
def running_bot(api: BotApi, workdir: Path, rate_limit: bool) -> Iterator[subprocess.Popen[bytes]]:
    """Start the bot against a fake Bot API; stop it (by its PID) when done."""
    with FakeBotApiServer(api) as server:
        log = workdir / "bot.log"
        env = bot_env(workdir / "data", server.base_url, rate_limit)
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=workdir,  # no .env here
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_polling(api, process, log)
            yield process
        finally:
            stop(process)


def wait_until_polling(api: BotApi, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not api.calls_to("getUpdates"):
        if process.poll() is not None:
            raise PhaseError(f"the bot exited with {process.returncode}:\n{tail(log)}")
        if time.monotonic() > deadline:
            raise PhaseError(f"the bot did not poll within {STARTUP_SECONDS:g} s:\n{tail(log)}")
        api.new_calls(len(api.calls), timeout=0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the bot as Ctrl+C would; kill it (by its PID) if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def tail(log: Path, lines: int = 20) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def phase_seconds(messages: int) -> float:
    return BASE_SECONDS + messages * SECONDS_PER_MESSAGE


class Phase:
    """Drive one phase: push messages, read the answers as they come, time it all."""

    def __init__(self, api: BotApi, planned: int) -> None:
        self.api = api
        self.planned = planned
        self.tracker = Tracker(api)
        self.seen = 0
        self.started = time.monotonic()
        self.deadline = self.started + phase_seconds(planned)
        self.last_answer = self.started
        self.finished = self.started

    def read(self, timeout: float) -> list[Sent]:
        """Match the answers that arrived; return the messages answered for the first time."""
        calls = self.api.new_calls(self.seen, timeout=timeout)
        self.seen += len(calls)
        first = []
        for call in calls:
            if call.method != "sendMessage" or not call.accepted:
                continue
            self.last_answer = time.monotonic()
            sent = self.tracker.answer(call)
            if sent is not None and len(sent.replies) == 1:
                first.append(sent)
                self.finished = max(self.finished, call.time)
        return first

    def check_time(self) -> None:
        now = time.monotonic()
        if now > self.deadline:
            raise PhaseError(f"ran out of time ({phase_seconds(self.planned):.0f} s)")
        if now - self.last_answer > STALL_SECONDS:
            raise PhaseError(f"no answer for {STALL_SECONDS:.0f} s")

    def settle(self) -> None:
        """Wait a little for answers that should not come."""
        until = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < until:
            self.read(timeout=max(0.0, until - time.monotonic()))


def converse(phase: Phase, users: int, messages: int, texts: Sequence[str]) -> None:
    """Each patient sends their next message once the last one was answered."""
    user_ids = [FIRST_USER + i for i in range(users)]
    next_text = dict.fromkeys(user_ids, 0)

    def send(user_id: int) -> None:
        number = next_text[user_id]
        next_text[user_id] += 1
        position = (user_id - FIRST_USER) * messages + number
        phase.tracker.push(user_id, texts[position % len(texts)])

    for user_id in user_ids:
        send(user_id)
    while phase.tracker.unanswered() or len(phase.tracker.sent) < phase.planned:
        for sent in phase.read(timeout=0.5):
            newest = phase.tracker.by_chat[sent.chat_id][-1]
            if sent is newest and next_text[sent.chat_id] < messages:
                send(sent.chat_id)
        phase.check_time()
    phase.settle()


def burst(phase: Phase, count: int, texts: Sequence[str]) -> None:
    """``count`` patients send one message each, spread over one second."""
    for slice_number in range(BURST_SLICES):
        for i in range(slice_number, count, BURST_SLICES):
            phase.tracker.push(FIRST_BURST_USER + i, texts[i % len(texts)])
        phase.read(timeout=0)
        pause = phase.started + (slice_number + 1) * BURST_SECONDS / BURST_SLICES
        time.sleep(max(0.0, pause - time.monotonic()))
    while phase.tracker.unanswered():
        phase.read(timeout=0.5)
        phase.check_time()
    phase.settle()


def run(mode: str, name: str, planned: int, args: argparse.Namespace, texts: list[str]) -> Result:
    """Run one phase against a freshly started bot."""
    print(f"  rate limit {mode}: {name}, {planned:,} messages ...", file=sys.stderr, flush=True)
    api = BotApi()
    phase: Phase | None = None
    error = None
    peak = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        try:
            with (
                running_bot(api, Path(tmp), rate_limit=mode == "on") as process,
                MemorySampler(process.pid) as memory,
            ):
                phase = Phase(api, planned)
                try:
                    if name == "conversations":
                        converse(phase, args.users, args.messages, texts)
                    else:
                        burst(phase, args.burst, texts)
                finally:
                    # Whatever came in until now still counts.
                    phase.read(timeout=0)
                    peak = memory.peak_mb()
        except PhaseError as failure:
            error = str(failure)
            print(f"  rate limit {mode}: {name} failed: {error}", file=sys.stderr)
            print(f"  bot output:\n{tail(Path(tmp) / 'bot.log')}", file=sys.stderr, flush=True)
    tracker = phase.tracker if phase is not None else Tracker(api)
    return Result(
        mode=f"rate limit {mode}",
        phase=name,
        planned=planned,
        sent=tracker.sent,
        seconds=phase.finished - phase.started if phase is not None else 0.0,
        latencies_ms=tracker.latencies_ms(),
        peak_rss_mb=peak,
        strays=tracker.strays,
        quoted=tracker.quoted,
        replies=tracker.replies,
        error=error,
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500, help="patients in conversation")
    parser.add_argument("--messages", type=int, default=20, help="messages per patient")
    parser.add_argument("--burst", type=int, default=2000, help="patients in the burst")
    parser.add_argument(
        "--rate-limit",
        choices=("on", "off", "both"),
        default="both",
        help="run the bot with RATE_LIMIT=true, false, or once each",
    )
    parser.add_argument(
        "--quick",
        "--smoke",
        action="store_true",
        help="small fast run: 50 patients x 4 messages, a burst of 200",
    )
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    if min(args.users, args.messages, args.burst) < 1:
        parser.error("--users, --messages and --burst must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run every phase in every mode, print one table; return the exit status."""
    args = parse_args(argv)
    texts = questions()
    modes = ("on", "off") if args.rate_limit == "both" else (args.rate_limit,)
    phases = (("conversations", args.users * args.messages), ("burst", args.burst))
    print(
        f"Machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
        f"{args.users:,} patients x {args.messages} messages, then a burst of "
        f"{args.burst:,}; {len(texts)} questions from {PATIENTS.relative_to(ROOT)}."
    )
    results = [run(mode, name, planned, args, texts) for mode in modes for name, planned in phases]
    print()
    print(markdown_table(HEADER, [r.row() for r in results]))
    print()
    for result in results:
        how = (
            f"{result.quoted:,} of {result.replies:,} answers quoted their message"
            if result.quoted
            else f"no answer quoted its message: {result.replies:,} answers matched in order"
        )
        print(f"- {result.mode}, {result.phase}: {how}.")
        if result.error:
            print(f"- {result.mode}, {result.phase}: FAILED: {result.error}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
