"""Logging set-up that keeps secrets and patients' words out of every log line."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from urllib.parse import quote

from telegram.error import InvalidToken, NetworkError

REDACTED = "[REDACTED]"

# httpx logs every request URL, and Bot API URLs contain the token.
# PTB's own DEBUG lines print whole updates (message text) and request parameters
# (the webhook secret), and tornado logs every webhook request.
QUIET_LOGGERS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "tornado.access": logging.WARNING,
}
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactSecrets(logging.Filter):
    """Replace secrets (raw or URL-encoded) in a record's message, arguments and traceback."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        variants = {v for s in secrets if s for v in (s, quote(s, safe=""))}
        # Longest first, so a secret containing another one is removed whole.
        self.secrets = sorted(variants, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Return ``text`` with every secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class ShortStartupErrors(logging.Filter):
    """Drop the traceback PTB attaches to a rejected token or an unreachable Bot API.

    Those are configuration problems; ``bot.app`` prints one clear line for them instead.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, InvalidToken | NetworkError) and record.name.startswith("telegram"):
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr at ``level``, with secrets redacted and noisy libraries quietened."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(ShortStartupErrors())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(quiet, logging.getLevelName(level)))
