"""The real bot process against a fault-injecting Bot API: exactly one answer, quiet logs.

One bot process serves the whole module (starting one costs about two seconds); each test
writes from its own chat, injects its faults for the next requests, and checks what that
chat saw: one answer, never a "something went wrong" after it, and one log line per
incident without a traceback or the patient's words.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.loader import DEFAULT_DIR, load_knowledge_base
from tests.telegram.fake_bot_api import TOKEN, BotApi, Call, FakeBotApiServer, Fault
from tests.telegram.test_end_to_end import STARTUP_SECONDS, bot_env, running_bot
from tests.telegram.updates import callback_update, message, text_update

QUESTION = "what is a muscle spasm"
URGENT = "I suddenly can't feel my legs and I can't pee"
MESSAGES = load_knowledge_base(DEFAULT_DIR).messages
ERROR_NOTICE = MESSAGES.error.strip().split(".")[0]
# The bot waits this long for Telegram's answer here, so a late answer is quick to test.
TIMEOUT = "1"

_users = itertools.count(70_000)


class Live:
    """A running bot and its fake Bot API."""

    def __init__(self, api: BotApi, process: subprocess.Popen[bytes], log: Path) -> None:
        self.api = api
        self.process = process
        self.log = log

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def patient(self) -> dict[str, Any]:
        number = next(_users)
        return {"id": number, "is_bot": False, "first_name": f"P{number}"}

    def ask(self, text: str, user: dict[str, Any]) -> None:
        self.api.push_update(text_update(text, user=user))

    def sent_to(self, user: dict[str, Any], count: int = 1, timeout: float = 30) -> list[Call]:
        """Wait until ``count`` messages reached the chat (and a moment more); return all."""
        chat = str(user["id"])
        self.api.wait_for(
            lambda c: c.method == "sendMessage" and c.accepted and c.chat_id == chat,
            count=count,
            timeout=timeout,
        )
        time.sleep(0.3)  # anything sent twice would follow at once
        return self.api.delivered("sendMessage", user["id"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("faults")
    api = BotApi()
    with FakeBotApiServer(api) as server:
        env = bot_env(
            folder,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=server.base_url,
            TELEGRAM_TIMEOUT=TIMEOUT,
            RATE_LIMIT="false",
            LOG_LEVEL="INFO",
        )
        with running_bot(folder, env) as bot:
            api.wait_for(lambda c: c.method == "getUpdates", timeout=STARTUP_SECONDS)
            yield Live(api, bot.process, bot.log)
    output = (folder / "bot.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in output, output[-3000:]
    assert TOKEN.split(":")[1] not in output


def only_the_answer(sent: list[Call]) -> None:
    assert len(sent) == 1, [c.text[:60] for c in sent]
    assert ERROR_NOTICE not in sent[0].text


@pytest.mark.parametrize(
    "faults",
    [
        [Fault.status(500)],
        [Fault.status(502), Fault.status(503)],
        [Fault.drop()],
        [Fault.broken(status=500, deliver=False)],
        [Fault.late(0.2, deliver=False)],
    ],
    ids=["500", "502 then 503", "dropped connection", "broken 500 body", "late 502"],
)
def test_a_send_that_never_arrived_is_retried_into_exactly_one_answer(
    live: Live, faults: list[Fault]
) -> None:
    user = live.patient()
    live.api.inject("sendMessage", *faults)
    live.ask(QUESTION, user)
    only_the_answer(live.sent_to(user))
    assert live.api.faults_left("sendMessage") == 0


@pytest.mark.parametrize(
    "fault",
    [Fault.late(1.6, deliver=True), Fault.broken(status=200, deliver=True)],
    ids=["answer came too late", "answer unreadable"],
)
def test_a_send_that_arrived_is_not_repeated_nor_followed_by_an_error(
    live: Live, fault: Fault
) -> None:
    user = live.patient()
    before = live.output.count("not sent again")
    live.api.inject("sendMessage", fault)
    live.ask(QUESTION, user)
    live.sent_to(user, timeout=30)
    deadline = time.monotonic() + 5
    while live.output.count("not sent again") == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live.output.count("not sent again") > before, "the bot saw the fault"
    time.sleep(0.5)  # a retry or an error notice would follow at once
    only_the_answer(live.api.delivered("sendMessage", user["id"]))


def test_an_urgent_reply_that_may_have_arrived_is_sent_again(live: Live) -> None:
    user = live.patient()
    live.api.inject("sendMessage", Fault.late(1.6, deliver=True))
    live.ask(URGENT, user)
    sent = live.sent_to(user, count=2, timeout=30)
    assert len(sent) == 2, "a second copy of the emergency reply, never none"
    assert all("emergency" in c.text.lower() for c in sent)


def test_retry_after_is_honoured_five_times_in_a_row(live: Live) -> None:
    user = live.patient()
    live.api.inject("sendMessage", *(Fault.retry_after(1) for _ in range(5)))
    live.ask(QUESTION, user)
    only_the_answer(live.sent_to(user, timeout=40))
    assert live.api.early_retries() == []
    assert live.output.count("sendMessage failed (too many requests)") >= 5


def test_a_stale_button_press_still_delivers_the_topic(live: Live) -> None:
    user = live.patient()
    live.api.inject(
        "answerCallbackQuery",
        Fault.status(400, "Bad Request: query is too old and response timeout expired"),
    )
    press = callback_update("e:hydration")
    press["callback_query"]["from"] = user
    press["callback_query"]["message"] = message("menu", user=user)
    press["callback_query"]["message"]["from"] = {"id": 1, "is_bot": True, "first_name": "Bot"}
    live.api.push_update(press)
    [topic] = live.sent_to(user)
    assert "Staying hydrated" in topic.text


def test_a_menu_that_cannot_be_edited_is_sent_anew(live: Live) -> None:
    user = live.patient()
    live.api.inject("editMessageText", Fault.status(400, "Bad Request: message to edit not found"))
    press = callback_update("s:0")
    press["callback_query"]["from"] = user
    press["callback_query"]["message"] = message("menu", user=user)
    live.api.push_update(press)
    [menu] = live.sent_to(user)
    assert menu.callback_data, "the section's topics come as a new message with buttons"


def test_a_failing_poll_is_one_line_and_polling_goes_on(live: Live) -> None:
    live.api.inject("getUpdates", Fault.status(502), Fault.drop(), Fault.broken(status=200))
    first = live.patient()
    live.ask(QUESTION, first)  # ends the poll in progress, so the next ones meet the faults
    only_the_answer(live.sent_to(first))
    deadline = time.monotonic() + 30
    while live.api.faults_left("getUpdates") and time.monotonic() < deadline:
        time.sleep(0.1)
    user = live.patient()
    live.ask(QUESTION, user)
    only_the_answer(live.sent_to(user))
    lines = [line for line in live.output.splitlines() if "getUpdates failed" in line]
    assert len(lines) >= 3
    assert all("retrying in" in line for line in lines)


def test_a_malformed_update_is_dropped_once_without_a_spin_or_its_text(live: Live) -> None:
    secret = "zz-private-words-zz"
    broken = message(secret)
    del broken["date"]
    polls_before = len(live.api.calls_to("getUpdates"))
    live.api.push_raw({"message": broken})
    user = live.patient()
    live.ask(QUESTION, user)
    only_the_answer(live.sent_to(user))
    time.sleep(1.0)
    polls = len(live.api.calls_to("getUpdates")) - polls_before
    assert polls < 10, f"{polls} polls: the bot must not fetch the broken update again and again"
    assert secret not in live.output
    assert live.output.count("dropped: it is not a valid update") >= 1


def test_start_up_retries_a_failing_telegram(tmp_path: Path) -> None:
    api = BotApi()
    api.inject("getMe", Fault.status(502))
    api.inject("deleteWebhook", Fault.status(500))
    with FakeBotApiServer(api) as server:
        env = bot_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=server.base_url)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            api.wait_for(lambda c: c.method == "getUpdates", timeout=STARTUP_SECONDS + 20)
        finally:
            process.terminate()
            output, _ = process.communicate(timeout=15)
    text = output.decode("utf-8", "replace")
    assert process.returncode == 0, text
    assert "Traceback" not in text
    assert "ERROR" not in text


def test_make_run_style_exit_codes(tmp_path: Path) -> None:
    """python -m bot run: 2 for a missing token, 1 for a rejected one (see README)."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(PYTHONPATH=str(Path(__file__).resolve().parents[2]), DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[0].startswith("TELEGRAM_BOT_TOKEN is not set")
