"""The bot process killed (SIGKILL) mid-batch and started again: nothing lost, nothing twice."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.telegram.fake_bot_api import TOKEN, BotApi, FakeBotApiServer
from tests.telegram.test_end_to_end import STARTUP_SECONDS, bot_env
from tests.telegram.updates import text_update

PATIENTS = 120
KILL_AFTER = 25
QUESTIONS = [
    "what is a muscle spasm",
    "how do I ease a back spasm",
    "does heat help a spasm",
    "hello",
    "is AS genetic",
    "thanks",
]


def start(tmp_path: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def replies_per_chat(api: BotApi) -> Counter[int]:
    return Counter(int(c.params["chat_id"]) for c in api.calls_to("sendMessage"))


def test_a_killed_bot_answers_every_message_exactly_once_after_a_restart(tmp_path: Path) -> None:
    api = BotApi()
    chats = [50_000 + n for n in range(PATIENTS)]
    for number, chat in enumerate(chats):
        user = {"id": chat, "is_bot": False, "first_name": f"P{number}"}
        api.push_update(text_update(QUESTIONS[number % len(QUESTIONS)], user=user))
    log = tmp_path / "bot.log"
    with FakeBotApiServer(api) as server:
        # Without the rate limiter the batch goes fast; deliveries are one at a time either way.
        env = bot_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=server.base_url,
            RATE_LIMIT="false",
        )
        first = start(tmp_path, env, log)
        try:
            api.wait_for(lambda c: c.method == "sendMessage", count=KILL_AFTER, timeout=60)
            first.kill()  # SIGKILL: no clean-up at all
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
        answered_before = sum(replies_per_chat(api).values())
        assert KILL_AFTER <= answered_before < PATIENTS, "killed mid-batch"

        second = start(tmp_path, env, log)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS + 60
            while len(replies_per_chat(api)) < PATIENTS and time.monotonic() < deadline:
                time.sleep(0.2)
            # A second answer would come from the restart's catch-up, right away.
            time.sleep(0.5)
        finally:
            second.terminate()
            second.wait(timeout=15)
    per_chat = replies_per_chat(api)
    lost = [chat for chat in chats if per_chat[chat] == 0]
    twice = [chat for chat in chats if per_chat[chat] > 1]
    output = log.read_text(encoding="utf-8", errors="replace")
    assert lost == [], output[-3000:]
    assert twice == [], output[-3000:]
    assert second.returncode == 0, output[-3000:]
    assert "Traceback" not in output
