"""The real application wired to an in-process fake Bot API, for handler tests."""

from __future__ import annotations

import json
import re
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.telegram.application import App
from tests.telegram.fake_bot_api import BotApi, Call, decode_params


class InProcessRequest(BaseRequest):
    """An HTTP layer answered in this process: nothing to open or close."""

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


class RecordingRequest(InProcessRequest):
    """The bot's HTTP layer replaced by an in-process BotApi that checks and records calls."""

    def __init__(self, api: BotApi) -> None:
        self.api = api

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        match = re.search(r"/bot([^/]+)/(\w+)$", url)
        assert match is not None, url
        params = decode_params(request_data.json_parameters if request_data else {})
        status, payload = self.api.handle(match.group(1), match.group(2), params)
        return status, json.dumps(payload).encode()


class BotHarness:
    """The real application over a fake Bot API: feed updates, read what the bot sent."""

    def __init__(self, app: App, api: BotApi) -> None:
        self.app = app
        self.api = api

    async def send(self, update: dict[str, Any]) -> list[Call]:
        """Process one update and return the Bot API calls it caused."""
        before = len(self.api.calls)
        payload = {"update_id": 10_000 + before, **update}
        await self.app.process_update(Update.de_json(payload, self.app.bot))
        return self.api.calls[before:]

    async def messages(self, update: dict[str, Any]) -> list[Call]:
        """Process one update and return the messages the bot sent because of it."""
        return [c for c in await self.send(update) if c.method == "sendMessage"]
