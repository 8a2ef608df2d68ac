"""The report opens in a real browser: headless Chromium over the DevTools pipe.

One browser loads the seeded report at a phone's size and reports what it drew, what it
logged and a screenshot; a page with a planted script shows that a blocked script or a
console message would be caught. Needs Debian's ``chromium`` (CI installs it).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.curation.html import render_html
from tests.curation.test_html import SCRIPT, seeded_report

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT = 60.0
PHONE = {"width": 360, "height": 800, "deviceScaleFactor": 1, "mobile": True}
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
# What the page drew, measured in the browser after the load event.
PROBE = """JSON.stringify({
  charts: [...document.querySelectorAll('svg[role="img"]')].map(s => {
    const box = s.getBoundingClientRect();
    return {label: s.querySelector('title').textContent, width: box.width, height: box.height,
            marks: s.querySelectorAll('rect.bar, circle.dot').length};
  }),
  tables: document.querySelectorAll('table').length,
  scripts: document.scripts.length,
  pageWidth: document.documentElement.scrollWidth,
  viewWidth: window.innerWidth,
  text: document.body.innerText,
})"""

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip(
        f"{CHROMIUM} not found: install Debian's chromium to open the report in a browser",
        allow_module_level=True,
    )


@dataclass
class DevTools:
    """A minimal client of the DevTools protocol over Chromium's pipe (fd 3 in, fd 4 out)."""

    process: subprocess.Popen[bytes]
    to_browser: int
    from_browser: int
    deadline: float
    events: list[dict[str, Any]] = field(default_factory=list)
    buffer: bytes = b""
    last_id: int = 0

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and return its result, keeping the events that come first."""
        self.last_id += 1
        message: dict[str, Any] = {"id": self.last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive()
            if reply.get("id") == self.last_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                result: dict[str, Any] = reply["result"]
                return result
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        """Return the first event named ``method``, reading more until it comes."""
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self.receive())

    def receive(self) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            assert left > 0, "Chromium did not answer in time"
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if ready:
                chunk = os.read(self.from_browser, 1 << 16)
                assert chunk, "Chromium closed the DevTools pipe"
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed


def _above_nine(fd: int) -> int:
    """Move a pipe end above fd 9, so that it cannot be one of the fds 3 and 4 it goes to."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    child_in, to_browser = os.pipe()
    from_browser, child_out = os.pipe()
    child_in, child_out = _above_nine(child_in), _above_nine(child_out)
    # bash only moves the pipe ends to fds 3 and 4, where Chromium expects them.
    command = f'exec "$0" "$@" 3<&{child_in} 4>&{child_out} {child_in}<&- {child_out}>&-'
    process = subprocess.Popen(
        ["/bin/bash", "-c", command, str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}"],
        pass_fds=(child_in, child_out),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the browser and its helpers
    )
    os.close(child_in)
    os.close(child_out)
    tools = DevTools(process, to_browser, from_browser, time.monotonic() + TIMEOUT)
    try:
        yield tools
        tools.call("Browser.close")
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        os.close(to_browser)
        os.close(from_browser)


@dataclass(frozen=True)
class Visit:
    """What the browser made of one page: measurements, problems it logged, a screenshot."""

    probe: dict[str, Any]
    problems: list[str]
    screenshot: bytes


def open_page(tools: DevTools, page: Path) -> Visit:
    """Load ``page`` in a fresh phone-sized tab and report what happened."""
    target = tools.call("Target.createTarget", url="about:blank")["targetId"]
    session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    tools.events.clear()
    for domain in ("Page", "Runtime", "Log"):
        tools.call(f"{domain}.enable", session)
    tools.call("Emulation.setDeviceMetricsOverride", session, **PHONE)
    tools.call("Page.navigate", session, url=page.as_uri())
    tools.wait_for("Page.loadEventFired")
    probe = tools.call(
        "Runtime.evaluate", session, expression=PROBE, returnByValue=True, awaitPromise=False
    )["result"]["value"]
    shot = tools.call("Page.captureScreenshot", session, format="png")["data"]
    tools.call("Target.closeTarget", targetId=target)
    problems = [
        json.dumps(event["params"])[:300]
        for event in tools.events
        if event.get("sessionId") == session
        and (
            event["method"] in ("Runtime.exceptionThrown", "Runtime.consoleAPICalled")
            or (
                event["method"] == "Log.entryAdded"
                and event["params"]["entry"]["level"] != "verbose"
            )
        )
    ]
    return Visit(json.loads(probe), problems, base64.b64decode(shot))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_report_draws_its_charts_and_tables_on_a_phone_without_errors(
    browser: DevTools, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(seeded_report()), encoding="utf-8")
    visit = open_page(browser, page)
    charts = visit.probe["charts"]
    assert [c["label"] for c in charts] == ["Questions per day", "Fallback rate over time"]
    assert [c["marks"] for c in charts] == [13, 13]
    assert all(c["width"] > 250 and c["height"] > 100 for c in charts)
    assert visit.probe["tables"] == 4
    assert visit.probe["scripts"] == 0
    # Long words and wide tables stay inside the 360 px screen: no sideways scrolling.
    assert visit.probe["pageWidth"] <= visit.probe["viewWidth"] == 360
    assert SCRIPT in visit.probe["text"]  # shown as the patient typed it, not run
    assert visit.problems == []
    assert png_size(visit.screenshot) == (360, 800)
    assert len(visit.screenshot) > 10_000
    (tmp_path / "report.png").write_bytes(visit.screenshot)


@pytest.mark.parametrize(
    ("keep_policy", "logged"),
    [(True, "Content Security Policy"), (False, "planted")],
    ids=["blocked-by-policy", "console-error"],
)
def test_a_planted_script_would_be_caught(
    browser: DevTools, tmp_path: Path, keep_policy: bool, logged: str
) -> None:
    """The checks above can fail: a script the policy blocks, or one that logs, is reported."""
    html = render_html(seeded_report()).replace(
        "</main>", "<script>console.error('planted')</script></main>"
    )
    if not keep_policy:
        html = html.replace('<meta http-equiv="Content-Security-Policy"', "<meta name=x")
    page = tmp_path / "planted.html"
    page.write_text(html, encoding="utf-8")
    visit = open_page(browser, page)
    assert visit.probe["scripts"] == 1
    assert any(logged in problem for problem in visit.problems), visit.problems
