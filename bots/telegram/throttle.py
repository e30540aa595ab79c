"""Telegram's sending limits, kept per bot: about 30 messages a second overall, one a second
per chat, 20 a minute per group or channel; and after a 429, nothing at all until its
retry_after has passed (Telegram's flood control holds the whole bot, not one chat)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

IN_FLIGHT, ANSWERED = 1.0, 0.0  # a message's state in the bot's second
IN_FLIGHT_WAIT_S = 0.02  # the second is full of messages not answered yet: try again soon


class Throttle:
    """Says how long to wait before the next message to a chat, and books the slot when the
    answer is 0. Thread-safe; the clock is injectable for tests."""

    def __init__(self, *, per_second: int = 30, chat_interval: float = 1.0,
                 group_per_minute: int = 20,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.chat_interval = chat_interval
        self.group_per_minute = group_per_minute
        self.now = now
        # When each message of the last second went, and whether it is still in flight: a
        # list, so that its sender can move it to when its answer came (settle); in the order
        # they were reserved.
        self._overall: deque[list[float]] = deque()
        self._mine = threading.local()  # the message this thread reserved last
        self._chats: dict[str, float] = {}
        self._groups: dict[str, deque[float]] = defaultdict(deque)
        self._paused_until = float("-inf")
        self._lock = threading.Lock()

    def reserve(self, chat_id: str, *, chat: bool = True) -> float:
        """0 when a message may go now (and it is counted); else the seconds to wait. With
        `chat=False` (the next part of a message split in several) the chat's one a second
        is neither asked nor counted; a group's 20 a minute still is."""
        with self._lock:
            now = self.now()
            wait = max(self._paused_until - now, self._overall_wait(now))
            if chat:
                wait = max(wait, self._chat_wait(chat_id, now))
            if is_group(chat_id):
                wait = max(wait, self._group_wait(chat_id, now))
            if wait > 0:
                return wait
            entry = [now, IN_FLIGHT]
            self._overall.append(entry)
            self._mine.entry = entry
            if chat:
                self._chats[chat_id] = now
            if is_group(chat_id):
                self._groups[chat_id].append(now)
            self._forget(now)
            return 0.0

    def settle(self) -> None:
        """The message this thread reserved last was answered now: count it from now, as
        Telegram counts it from its arrival (counting from the reservation let network jitter
        put the 31st message of a second inside Telegram's window: bench/broadcast/ saw a 429
        a second). Per thread: messages to different chats are sent side by side."""
        entry = getattr(self._mine, "entry", None)
        if entry is None:
            return
        with self._lock:
            entry[0], entry[1] = max(entry[0], self.now()), ANSWERED
        self._mine.entry = None

    def pause(self, seconds: float) -> None:
        """Send nothing to any chat for `seconds` from now (a longer pause already set stays)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self.now() + seconds)

    def holding(self, chat_id: str, *, chat: bool = True) -> str:
        """What holds a message to this chat back now: "pause" (after a 429), "chat" (this
        chat's one a second unless `chat=False`, or its group's 20 a minute), "bot" (the 30 a
        second alone) or "" (nothing)."""
        with self._lock:
            now = self.now()
            if self._paused_until > now:
                return "pause"
            group = self._group_wait(chat_id, now) if is_group(chat_id) else 0.0
            if (chat and self._chat_wait(chat_id, now) > 0) or group > 0:
                return "chat"
            return "bot" if self._overall_wait(now) > 0 else ""

    def _overall_wait(self, now: float) -> float:
        """A message counts for a second from its answer; one still in flight counts until
        its answer, however long it takes (it may reach Telegram at its last moment)."""
        self._overall = deque(entry for entry in self._overall
                              if entry[1] == IN_FLIGHT or now - entry[0] < 1.0)
        if len(self._overall) < self.per_second:
            return 0.0
        leaving = [at + 1.0 - now for at, state in self._overall if state == ANSWERED]
        return max(min(leaving), 0.001) if leaving else IN_FLIGHT_WAIT_S

    def _chat_wait(self, chat_id: str, now: float) -> float:
        last = self._chats.get(chat_id)
        return 0.0 if last is None else max(0.0, self.chat_interval - (now - last))

    def _group_wait(self, chat_id: str, now: float) -> float:
        sent = self._groups[chat_id]
        while sent and now - sent[0] >= 60.0:
            sent.popleft()
        return 0.0 if len(sent) < self.group_per_minute else 60.0 - (now - sent[0])

    def _forget(self, now: float) -> None:
        """Drop chats not written to for a minute, so memory stays small."""
        if len(self._chats) > 10_000:
            for chat_id in [c for c, at in self._chats.items() if now - at > 60.0]:
                self._chats.pop(chat_id, None)
                self._groups.pop(chat_id, None)


def is_group(chat_id: str) -> bool:
    """Groups, supergroups and channels have negative ids, or a public @name."""
    return chat_id.startswith("-") or chat_id.startswith("@")
