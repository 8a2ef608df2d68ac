"""Start the Telegram bot (filled in by the Telegram front-end work)."""

from __future__ import annotations

import sys


def run(kb: str | None = None) -> int:
    """Explain that the Telegram front end is not available yet."""
    print("The Telegram front end is not built yet; use `python -m bot chat`.", file=sys.stderr)
    return 2
