"""Command line: ask, chat, check, kb, eval and run (``python -m bot COMMAND``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bot.core.conversation import ChatContext, ContextStore
from bot.core.evaluation import (
    evaluate,
    evaluate_conversations,
    evaluate_red_flags,
    format_miss,
    load_conversations,
    load_examples,
    load_red_flag_examples,
    responder_alarm,
    responder_chat,
)
from bot.core.loader import KnowledgeBaseError
from bot.core.responder import Reply, Responder
from bot.curation.html import render_html
from bot.curation.model import UsageReport
from bot.curation.report import text_summary, usage_report
from bot.curation.review import review
from bot.settings import SettingsError, load_settings
from bot.storage import DATABASE, SQLiteStorage


def _load(kb: str | Path | None) -> Responder:
    try:
        return Responder.from_directory(kb)
    except KnowledgeBaseError as error:
        _print_problems(error)
        raise SystemExit(1) from None


def _print_problems(error: KnowledgeBaseError) -> None:
    print(f"The knowledge base has {len(error.problems)} problem(s):", file=sys.stderr)
    for problem in error.problems:
        print(f"  - {problem}", file=sys.stderr)


def reply_json(question: str, reply: Reply) -> dict[str, Any]:
    """Return the JSON object ``ask --json`` prints for one question."""
    return {
        "question": question,
        "kind": reply.kind,
        "entry_id": reply.entry_id if reply.kind == "answer" else None,
        "score": round(reply.score, 4),
        "suggestions": list(reply.suggestions),
        "related": list(reply.related),
        "text": reply.text,
    }


def _print_reply(reply: Reply, out: TextIO) -> None:
    print(reply.text, file=out)
    if reply.options and reply.kind == "answer":
        print(f"\n{reply.options_label}", file=out)
        for number, option in enumerate(reply.options, start=1):
            print(f"  {number}. {option.title}", file=out)


def session_line(line: str) -> tuple[str, str] | None:
    """Read a JSON line {"session": "...", "text": "..."}; None for a plain question."""
    if not line.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    return str(data.get("session", "")), data["text"]


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer questions; JSON lines with a session id are answered as one chat per session."""
    responder = _load(args.kb)
    if args.question == ["-"]:
        questions: Sequence[str] = [line.rstrip("\r\n") for line in sys.stdin]
    else:
        questions = [" ".join(args.question)]
    tuning = responder.tuning
    sessions = ContextStore(ttl=tuning.context_ttl)
    for index, line in enumerate(questions):
        found = session_line(line)
        if found is None:
            question, session = line, None
            reply = responder.respond(question)
        else:
            session, question = found
            reply, context = responder.converse(question, sessions.get(session), time.monotonic())
            sessions.put(session, context)
        if args.json:
            data = reply_json(question, reply)
            if session is not None:
                data = {"session": session, **data}
            print(json.dumps(data, ensure_ascii=False), flush=True)
        else:
            if index:
                print("\n---\n")
            _print_reply(reply, sys.stdout)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    responder = _load(args.kb)
    print(responder.kb.messages.welcome.strip())
    print("\n(Type a question, a number to open a topic, or 'quit' to leave.)")
    options: tuple[str, ...] = ()
    context = ChatContext()
    while True:
        try:
            line = input("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line.lower() in {"quit", "exit", "q"}:
            return 0
        now = time.monotonic()
        if line.isdigit() and 1 <= int(line) <= len(options):
            reply, context = responder.open(options[int(line) - 1], context, now)
        else:
            reply, context = responder.converse(line, context, now)
        assert reply is not None
        print()
        print(reply.text)
        options = tuple(o.entry_id for o in reply.options)
        if reply.options:
            print(f"\n{reply.options_label}")
            for number, option in enumerate(reply.options, start=1):
                print(f"  {number}. {option.title}")


def cmd_check(args: argparse.Namespace) -> int:
    try:
        responder = Responder.from_directory(args.kb)
        problems = responder.example_problems()
        if problems:
            raise KnowledgeBaseError(problems)
    except KnowledgeBaseError as error:
        _print_problems(error)
        return 1
    kb = responder.kb
    examples = kb.red_flag_examples
    questions = sum(len(e.questions) for e in kb.entries)
    print(
        f"Knowledge base OK: {len(kb.entries)} entries in {len(kb.sections)} sections, "
        f"{questions} example questions, {len(kb.synonyms)} synonym groups, "
        f"{len(kb.red_flags.rules)} red-flag rules, {len(kb.smalltalk)} small-talk intents."
    )
    print(
        f"Red-flag examples OK: {len(examples.emergencies)} emergencies get the urgent reply, "
        f"{len(examples.near_misses)} near-misses do not."
    )
    notes = responder.closeness_warnings()
    if notes:
        print(f"\n{len(notes)} warning(s) (the bot still runs; see README, 'Curating'):")
        for note in notes:
            print(f"  - {note}")
    return 0


def cmd_kb(args: argparse.Namespace) -> int:
    kb = _load(args.kb).kb
    data = kb.model_dump(mode="json")
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    for section in kb.sections:
        print(section.heading)
        for entry in kb.entries_in(section.heading):
            print(f"  {entry.id:<36} {entry.title}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    responder = _load(args.kb)
    if args.threshold is not None:
        responder = responder.with_threshold(args.threshold)
    red_flags = load_red_flag_examples(args.file)
    if red_flags is not None:
        emergencies, near_misses = len(red_flags.emergencies), len(red_flags.near_misses)
        print(f"{args.file}: {emergencies} emergencies, {near_misses} near-misses")

        def rule(text: str) -> str:
            flag = responder.triage.check(text)
            return flag.rule if flag else "?"

        alarms = evaluate_red_flags(responder_alarm(responder), red_flags, rule)
        print(alarms.summary(quiet=args.quiet))
        return 0
    conversations = load_conversations(args.file)
    if conversations is not None:
        turns = sum(len(c.steps) for c in conversations)
        print(f"{args.file}: {len(conversations)} conversations, {turns} turns")
        played = evaluate_conversations(responder_chat(responder), conversations)
        print(played.summary())
        if played.misses and not args.quiet:
            print(f"\nMisses ({len(played.misses)}):")
            for name, number, miss in played.misses:
                print(f"  [{name} #{number}] {format_miss(miss)}")
        return 0
    examples = load_examples(args.file)
    report = evaluate(responder, examples)
    print(f"{args.file}: {len(examples)} labelled messages, threshold {responder.threshold}")
    print(report.summary())
    if report.confusion and not args.quiet:
        print(f"\nPer entry:\n{report.confusions()}")
    if report.misses and not args.quiet:
        print(f"\nMisses ({len(report.misses)}):")
        for miss in report.misses:
            print("  " + format_miss(miss))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import run

    return run(kb=args.kb)


def _usage(args: argparse.Namespace) -> tuple[UsageReport, bool, Path | None] | None:
    """Load the settings, the knowledge base and the report the curator commands read."""
    try:
        settings = load_settings()
    except SettingsError as error:
        print("The settings have problems (see .env.example):", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return None
    path = settings.data_dir / DATABASE
    if not path.is_file():
        print(f"No database at {path}: the bot has not run with DATA_DIR={settings.data_dir}.")
        return None
    responder = _load(args.kb or settings.knowledge_dir)

    async def read() -> UsageReport:
        storage = SQLiteStorage(path)
        try:
            return await usage_report(
                storage, responder, days=args.days, texts_stored=settings.store_question_text
            )
        finally:
            await storage.close()

    folder = args.kb or settings.knowledge_dir
    return asyncio.run(read()), settings.store_question_text, Path(folder) if folder else None


def cmd_stats(args: argparse.Namespace) -> int:
    found = _usage(args)
    if found is None:
        return 1
    report, _stored, _folder = found
    print(text_summary(report, groups=args.groups))
    if args.html is not None:
        args.html.write_text(render_html(report), encoding="utf-8")
        print(f"\nWrote {args.html}")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    found = _usage(args)
    if found is None:
        return 1
    report, stored, folder = found
    if not stored:
        print("Question text is not stored (STORE_QUESTION_TEXT=false): nothing to review.")
        return 0
    if not report.unanswered:
        print(f"No unanswered questions in the last {args.days} days.")
        return 0
    eval_files = [path for path in args.eval if path.is_file()]
    print(
        f"{len(report.unanswered)} group(s) of unanswered questions, most frequent first. "
        f"Checked afterwards against: {', '.join(map(str, eval_files)) or 'no labelled files'}."
    )
    try:
        review(report.unanswered, folder, eval_files=eval_files)
    except (EOFError, KeyboardInterrupt):
        print("\nStopped; nothing more was changed.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Patient-education bot on ankylosing spondylitis and muscle spasms.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_kb(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--kb", metavar="DIR", help="knowledge base folder (default: knowledge/)")
        return p

    ask = with_kb(sub.add_parser("ask", help="answer questions ('-' reads one per stdin line)"))
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("question", nargs="+", metavar="QUESTION")
    ask.set_defaults(func=cmd_ask)

    chat = with_kb(sub.add_parser("chat", help="talk to the bot in the terminal"))
    chat.set_defaults(func=cmd_chat)

    check = with_kb(sub.add_parser("check", help="validate the knowledge base"))
    check.set_defaults(func=cmd_check)

    kb = with_kb(sub.add_parser("kb", help="show the loaded knowledge base"))
    kb.add_argument("--json", action="store_true", help="dump everything as JSON")
    kb.set_defaults(func=cmd_kb)

    ev = with_kb(
        sub.add_parser(
            "eval", help="score a labelled file (questions, or emergencies and near-misses)"
        )
    )
    ev.add_argument("file", type=Path, metavar="FILE")
    ev.add_argument("--threshold", type=float, help="override the confidence threshold")
    ev.add_argument("--quiet", action="store_true", help="print the figures only")
    ev.set_defaults(func=cmd_eval)

    run = with_kb(sub.add_parser("run", help="start the Telegram bot"))
    run.set_defaults(func=cmd_run)

    stats = with_kb(sub.add_parser("stats", help="usage report for the curator (DATA_DIR)"))
    stats.add_argument("--days", type=int, default=30, help="period in days (default 30)")
    stats.add_argument("--html", type=Path, metavar="FILE", help="also write an HTML report")
    stats.add_argument("--groups", type=int, default=20, help="unanswered groups to list")
    stats.set_defaults(func=cmd_stats)

    rev = with_kb(sub.add_parser("review", help="turn unanswered questions into phrasings"))
    rev.add_argument("--days", type=int, default=30, help="period in days (default 30)")
    rev.add_argument(
        "--eval",
        type=Path,
        nargs="*",
        default=[Path("tests/data/labelled.yaml"), Path("tests/data/holdout.yaml")],
        metavar="FILE",
        help="labelled files scored before and after (default: the test sets)",
    )
    rev.set_defaults(func=cmd_review)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as other command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code
