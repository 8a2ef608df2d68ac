"""Aggregate reply counts for admins: per kind and per entry, never text or user ids."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.core.responder import Reply

logger = logging.getLogger(__name__)


class Stats:
    """Counts replies by kind and by answered entry, kept in a small JSON file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.since = datetime.now(UTC).isoformat(timespec="seconds")
        self.kinds: Counter[str] = Counter()
        self.entries: Counter[str] = Counter()
        if path is not None and path.is_file():
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.since = str(data["since"])
            self.kinds.update({str(k): int(v) for k, v in data["kinds"].items()})
            self.entries.update({str(k): int(v) for k, v in data["entries"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            # A damaged counts file must not keep the bot from starting; begin afresh.
            logger.warning("Ignoring unreadable stats file %s", path)

    def record(self, reply: Reply) -> None:
        """Count one reply sent to a user and save the totals."""
        self.kinds[reply.kind] += 1
        if reply.kind == "answer" and reply.entry_id:
            self.entries[reply.entry_id] += 1
        self.save()

    def save(self) -> None:
        """Write the totals atomically; log (not raise) if the data folder is not writable."""
        if self.path is None:
            return
        data = {
            "since": self.since,
            "kinds": dict(self.kinds),
            "entries": dict(self.entries),
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".tmp")
            partial.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError as error:
            logger.warning("Cannot save stats to %s: %s", self.path, error.strerror)

    def summary(self) -> str:
        """Return the plain-text report /stats shows to admins."""
        total = sum(self.kinds.values())
        lines = [f"Replies since {self.since}: {total}"]
        lines += [f"  {kind}: {count}" for kind, count in sorted(self.kinds.items())]
        if self.entries:
            lines.append("Answers per topic:")
            lines += [f"  {entry}: {count}" for entry, count in self.entries.most_common()]
        return "\n".join(lines)
