"""The core stays free of Telegram, so the console commands and the tests run without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["bot.core", "bot.cli"])
def test_the_core_and_the_console_never_load_telegram(module: str) -> None:
    code = f"import sys, {module}; print('telegram' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "False"
