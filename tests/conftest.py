from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.loader import DEFAULT_DIR
from bot.core.responder import Responder

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def responder() -> Responder:
    return Responder.from_directory(DEFAULT_DIR)


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge base, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, target)
    return target
