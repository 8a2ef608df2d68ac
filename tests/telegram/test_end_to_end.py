"""Run ``python -m bot run`` as a process against a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.core.responder import Responder
from bot.settings import Settings
from tests.telegram.fake_bot_api import TOKEN, BotApi, Call, FakeBotApiServer
from tests.telegram.updates import USER, callback_update, inline_update, text_update

ROOT = Path(__file__).resolve().parents[2]
SETTING_NAMES = {name.upper() for name in Settings.model_fields}
STARTUP_SECONDS = 15
QUESTION = "what is a muscle spasm"
WEBHOOK_URL = "https://bot.example.org/telegram/webhook"
WEBHOOK_SECRET = "s3cret_webhook-TOKEN"


def bot_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """Return a clean environment for the bot: only the given settings, debug logging."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="DEBUG",
        DATA_DIR=str(tmp_path / "data"),
    )
    env.update(settings)
    return env


def run_to_exit(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the bot in an empty folder (so no .env is read) until it exits by itself."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class BotProcess:
    """A running ``python -m bot run`` whose output is kept for the assertions."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def running_bot(tmp_path: Path, env: dict[str, str]) -> Iterator[BotProcess]:
    log = tmp_path / "bot.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    bot = BotProcess(process, log)
    try:
        yield bot
    except BaseException as error:
        _stop(process)
        error.add_note(f"--- bot output ---\n{bot.output}")
        raise
    _stop(process)
    assert process.returncode == 0, bot.output


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the bot as Ctrl+C would; kill it (by its PID) if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def sent_messages(api: BotApi, count: int) -> list[Call]:
    """Wait until the bot has sent ``count`` messages; return them in order."""
    return api.wait_for(lambda c: c.method == "sendMessage", count=count)[:count]


def converse(api: BotApi, deliver: Any, responder: Responder) -> None:
    """Play one patient's session (via ``deliver``) and check every reply."""
    disclaimer = responder.kb.messages.disclaimer.strip()
    deliver(text_update("/start"))
    [welcome] = sent_messages(api, 1)
    assert welcome.params["chat_id"] == str(USER["id"])
    assert disclaimer in welcome.text
    assert welcome.callback_data == [f"s:{i}" for i in range(len(responder.kb.sections))]

    deliver(text_update(QUESTION))
    answer = sent_messages(api, 2)[1]
    expected = responder.respond(QUESTION)
    assert answer.text.startswith(f"<b>{expected.title}</b>")
    assert disclaimer in answer.text
    topics = [d for d in answer.callback_data if d.startswith("e:")]
    assert topics == [f"e:{o.entry_id}" for o in expected.options]
    assert [d[-2:] for d in answer.callback_data[-2:]] == [":1", ":0"], "feedback buttons"

    press = callback_update(answer.callback_data[0])
    deliver(press)
    [answered] = api.wait_for(lambda c: c.method == "answerCallbackQuery")
    assert answered.params["callback_query_id"] == press["callback_query"]["id"]
    opened = sent_messages(api, 3)[2]
    related = responder.entry_reply(expected.options[0].entry_id)
    assert related is not None
    assert opened.text.startswith(f"<b>{related.title}</b>")

    deliver(inline_update("spasm"))
    [shared] = api.wait_for(lambda c: c.method == "answerInlineQuery")
    results = shared.params["results"]
    assert 1 <= len(results) <= 10
    assert all(disclaimer in r["input_message_content"]["message_text"] for r in results)

    assert api.problems == [], "the bot sent something Telegram would refuse"


def assert_private_logs(output: str) -> None:
    assert TOKEN not in output
    assert TOKEN.split(":")[1] not in output
    assert QUESTION not in output, "patients' words are never logged"
    assert "Traceback" not in output


def test_polling_bot_serves_a_patient_end_to_end(tmp_path: Path, responder: Responder) -> None:
    api = BotApi()
    with FakeBotApiServer(api) as server:
        env = bot_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=server.base_url)
        with running_bot(tmp_path, env) as bot:
            api.wait_for(lambda c: c.method == "getUpdates", timeout=STARTUP_SECONDS)
            [commands] = api.calls_to("setMyCommands")
            assert {c["command"] for c in commands.params["commands"]} >= {"start", "help"}
            converse(api, api.push_update, responder)
    assert_private_logs(bot.output)


def test_a_conversation_with_follow_ups_and_a_crisis_end_to_end(
    tmp_path: Path, responder: Responder
) -> None:
    """Follow-ups are read in their chat's context; after a crisis, thanks stays careful."""
    messages = responder.kb.messages
    other = {"id": 5151, "is_bot": False, "first_name": "Sam"}
    api = BotApi()
    with FakeBotApiServer(api) as server:
        env = bot_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=server.base_url)
        with running_bot(tmp_path, env) as bot:
            api.wait_for(lambda c: c.method == "getUpdates", timeout=STARTUP_SECONDS)
            turns = [
                (USER, "does stretching help a spasm"),
                (USER, "how long should I do that?"),
                (other, "how long should I do that?"),
                (USER, "and a hot water bottle?"),
                (USER, "sometimes i dont want to be here anymore"),
                (USER, "ok thank u"),
            ]
            for number, (user, text) in enumerate(turns, start=1):
                api.push_update(text_update(text, user=user))
                sent_messages(api, number)  # one reply per turn, in order
            replies = sent_messages(api, len(turns))
    stretching = responder.entry("stretching-and-massage")
    heat = responder.entry("heat-and-cold")
    assert stretching is not None
    assert heat is not None
    assert replies[0].text.startswith(f"<b>{stretching.title}</b>")
    assert replies[1].text.startswith(f"<b>{stretching.title}</b>")
    assert replies[2].params["chat_id"] == str(other["id"])
    assert stretching.title not in replies[2].text, "another chat has no context to lean on"
    assert replies[3].text.startswith(f"<b>{heat.title}</b>")
    assert "988" in replies[4].text
    assert "Samaritans" in replies[4].text
    thanks = replies[5].text
    assert "glad" not in thanks.lower()
    assert messages.careful_small_talk.strip() in thanks
    assert "988" in thanks
    assert messages.disclaimer.strip() in thanks
    assert api.problems == []
    assert "dont want to be here" not in bot.output, "patients' words are never logged"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post_update(port: int, update: dict[str, Any], secret: str | None) -> int:
    """POST an update to the bot's webhook the way Telegram does; return the HTTP status."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram/webhook",
        data=json.dumps(update).encode(),
        headers=headers,
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def wait_for_port(port: int, bot: BotProcess) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert bot.process.poll() is None, bot.output
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"the webhook server did not start:\n{bot.output}")


def test_webhook_bot_serves_a_patient_and_refuses_requests_without_the_secret(
    tmp_path: Path, responder: Responder
) -> None:
    api = BotApi()
    port = free_port()
    update_ids = iter(range(1, 100))

    def deliver(update: dict[str, Any]) -> None:
        status = post_update(port, {"update_id": next(update_ids), **update}, WEBHOOK_SECRET)
        assert status == 200

    with FakeBotApiServer(api) as server:
        env = bot_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=server.base_url,
            WEBHOOK_URL=WEBHOOK_URL,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        with running_bot(tmp_path, env) as bot:
            [webhook] = api.wait_for(lambda c: c.method == "setWebhook", timeout=STARTUP_SECONDS)
            assert webhook.params["url"] == WEBHOOK_URL
            assert webhook.params["secret_token"] == WEBHOOK_SECRET
            wait_for_port(port, bot)

            forged = {"update_id": 500, **text_update("/start")}
            assert post_update(port, forged, secret=None) == 403
            assert post_update(port, forged, secret="wrong-secret") == 403
            converse(api, deliver, responder)
            # The forged /start was never answered: only the three genuine replies exist.
            assert len(api.calls_to("sendMessage")) == 3
    assert_private_logs(bot.output)
    assert WEBHOOK_SECRET not in bot.output


def test_missing_token_exits_2_with_how_to_get_one(tmp_path: Path) -> None:
    result = run_to_exit(tmp_path, bot_env(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "@BotFather" in lines[0]
    assert ".env" in lines[1]


def test_a_token_telegram_rejects_exits_with_a_clear_message(tmp_path: Path) -> None:
    api = BotApi(token="111:the-token-telegram-knows")
    with FakeBotApiServer(api) as server:
        env = bot_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=server.base_url)
        result = run_to_exit(tmp_path, env)
    assert result.returncode == 1
    assert "rejected TELEGRAM_BOT_TOKEN" in result.stderr
    assert "@BotFather" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert TOKEN not in result.stderr + result.stdout


def test_a_broken_knowledge_base_stops_the_bot_with_the_check_messages(
    tmp_path: Path, kb_copy: Path
) -> None:
    (kb_copy / "messages.yaml").unlink()
    env = bot_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, KNOWLEDGE_DIR=str(kb_copy))
    result = run_to_exit(tmp_path, env)
    check = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--kb", str(kb_copy)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "messages.yaml: file is missing" in result.stderr
    assert result.stderr == check.stderr


def test_a_webhook_port_in_use_exits_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken, FakeBotApiServer(BotApi()) as server:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = bot_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=server.base_url,
            WEBHOOK_URL=WEBHOOK_URL,
            WEBHOOK_PORT=str(taken.getsockname()[1]),
            WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        result = run_to_exit(tmp_path, env)
    assert result.returncode == 1
    assert "Address already in use" in result.stderr
    assert "Traceback" not in result.stderr
