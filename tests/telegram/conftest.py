from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.responder import Responder
from bot.settings import Settings
from bot.telegram.application import build_application
from tests.telegram.fake_bot_api import TOKEN, BotApi
from tests.telegram.harness import BotHarness, RecordingRequest
from tests.telegram.updates import ADMIN

SETTING_NAMES = sorted(name.upper() for name in Settings.model_fields)


@pytest.fixture(autouse=True)
def no_settings_from_outside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Ignore the developer's exported settings and .env: each test says what it sets."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def bot_api() -> BotApi:
    return BotApi()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        admin_ids=frozenset({ADMIN["id"]}),
        data_dir=tmp_path / "data",
    )


@pytest.fixture
async def bot(
    settings: Settings, responder: Responder, bot_api: BotApi
) -> AsyncIterator[BotHarness]:
    app = build_application(settings, responder, request=RecordingRequest(bot_api))
    async with app:
        yield BotHarness(app, bot_api)
    assert bot_api.problems == [], "the bot sent something Telegram would refuse"
