"""Telegram as a fake Bot API on 127.0.0.1 that enforces a rate: 429 beyond it.

The tests' fake (tests/fakes/telegram_api.py) with a sliding window: a sendMessage that would
make more than `rate` accepted messages within the last second is answered 429 "retry after
1", as Telegram does for one bot; every accepted message is recorded with its chat and time.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tests.fakes.telegram_api import ApiError, FakeTelegramApi

WINDOW_S = 1.0


@dataclass(frozen=True, slots=True)
class Accepted:
    """One message the fake Bot API accepted: to whom, what, when (this process's monotonic)."""

    chat_id: str
    text: str
    at: float


class RateLimitedTelegram(FakeTelegramApi):
    """The tests' fake Bot API, answering 429 to any sendMessage that would make more than
    `rate` accepted in the last second, as Telegram does for one bot."""

    def __init__(self, tokens: Sequence[str], *, rate: int) -> None:
        super().__init__(tokens)
        self.rate = rate
        self.accepted: list[Accepted] = []
        self.refused_at: list[float] = []
        self.on_accept: Callable[[], None] | None = None  # called once, before the answer
        self._window: deque[float] = deque()

    def _send_message(self, request: Any) -> dict[str, Any]:
        now = time.monotonic()  # the fake answers under its lock: one message at a time
        while self._window and now - self._window[0] >= WINDOW_S:
            self._window.popleft()
        if len(self._window) >= self.rate:
            self.refused_at.append(now)
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        message = super()._send_message(request)
        self._window.append(now)
        self.accepted.append(Accepted(str(request.params["chat_id"]),
                                      str(request.params["text"]), now))
        hook, self.on_accept = self.on_accept, None
        if hook is not None:
            hook()
        return message

    def __enter__(self) -> RateLimitedTelegram:
        super().__enter__()
        return self

    def received(self) -> list[Accepted]:
        """Every accepted message so far, in order."""
        with self._cond:
            return list(self.accepted)

    def count(self) -> int:
        with self._cond:
            return len(self.accepted)

    def refused(self) -> list[float]:
        """When the fake answered 429."""
        with self._cond:
            return list(self.refused_at)
