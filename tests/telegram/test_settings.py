from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings
from bot.telegram.redaction import QUIET_LOGGERS, REDACTED, configure_logging

TOKEN = "987654:secret-token-value"


def test_settings_are_read_from_dotenv_with_environment_taking_precedence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nADMIN_IDS=1, 22\nLOG_LEVEL=debug\nDATA_DIR=/var/bot\n"
    )
    monkeypatch.setenv("DATA_DIR", "/srv/bot")
    settings = load_settings()
    assert settings.token == TOKEN
    assert settings.admin_ids == frozenset({1, 22})
    assert settings.log_level == "DEBUG"
    assert settings.data_dir == Path("/srv/bot")
    assert settings.webhook_url is None


def test_secrets_never_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/hook")
    monkeypatch.setenv("WEBHOOK_SECRET", "hook-secret_123")
    settings = load_settings()
    assert TOKEN not in repr(settings)
    assert "hook-secret_123" not in repr(settings)
    assert "hook-secret_123" not in str(settings.model_dump())


def test_empty_token_in_dotenv_counts_as_missing(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=\n")
    assert load_settings().telegram_bot_token is None


def test_a_local_bot_api_server_gets_matching_file_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    assert load_settings().base_file_url == "http://127.0.0.1:8081/file/bot"


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (None, "WEBHOOK_SECRET is required"),
        ("has spaces and $ymbols", "WEBHOOK_SECRET is required"),
        ("x" * 257, "WEBHOOK_SECRET is required"),
    ],
)
def test_webhook_mode_requires_a_valid_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str | None, problem: str
) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/hook")
    if secret is not None:
        monkeypatch.setenv("WEBHOOK_SECRET", secret)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert problem in str(raised.value)
    if secret:
        assert secret not in str(raised.value)


def test_bad_values_are_reported_by_setting_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_PORT", "not-a-port")
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    names = [problem.split(":")[0] for problem in raised.value.problems]
    assert names == ["WEBHOOK_PORT", "LOG_LEVEL"]


def test_logs_never_show_the_token_even_in_urls_and_tracebacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    try:
        configure_logging("DEBUG", [TOKEN])
        log = logging.getLogger("bot.test")
        log.info("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        log.info("encoded %s", "987654%3Asecret-token-value")
        try:
            raise RuntimeError(f"failed calling /bot{TOKEN}/sendMessage")
        except RuntimeError:
            log.exception("request failed")
        logging.getLogger("httpx").info("HTTP Request: POST .../bot%s/getUpdates", TOKEN)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)
    err = capsys.readouterr().err
    assert "secret-token-value" not in err
    assert err.count(REDACTED) == 3
    assert "getUpdates" not in err, "httpx request lines are not logged"


def test_env_example_documents_every_setting() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    keys = [line.split("=")[0] for line in example.splitlines() if re.match(r"^[A-Z_]+=", line)]
    assert sorted(keys) == sorted(name.upper() for name in Settings.model_fields)
