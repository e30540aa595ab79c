"""Drive a conversation through the whole pipeline, as a citizen on the console channel."""

from __future__ import annotations

import uuid

from core.geo import Point
from core.messages.neutral import InboundMessage, IncomingFile, OutboundMessage
from dialogs.render import numbered_text
from palabre.bootstrap import App
from tests.fakes import RecordingMessenger


class Talker:
    """One citizen: `send` stores a message, runs the turn, delivers, and returns the replies."""

    def __init__(self, app: App, messenger: RecordingMessenger, address: str = "ama",
                 channel: str = "console", account: str = "console") -> None:
        self.app = app
        self.messenger = messenger
        self.address = address
        self.channel = channel
        self.account = account
        self._seen = 0

    def send(self, text: str | None = None, *, location: Point | None = None,
             place_text: str | None = None, files: tuple[IncomingFile, ...] = (),
             choice: str | None = None, external_id: str | None = None) -> str:
        message = InboundMessage(channel=self.channel, address=self.address, account=self.account,
                                 external_id=external_id or uuid.uuid4().hex, text=text,
                                 location=location, place_text=place_text, files=files,
                                 choice=choice)
        self.app.pipeline.receive(message)
        self.app.pipeline.run_once()
        return self.replies()

    def send_pending(self) -> str:
        """Handle what waits without a new message (a worker's transcript); the replies."""
        self.app.pipeline.run_once()
        return self.replies()

    def replies(self) -> str:
        """Everything delivered to this citizen since the last look, as a text channel shows it."""
        self.app.pipeline.deliver()
        mine = [m for m in self.messenger.sent if m.address == self.address]
        fresh, self._seen = mine[self._seen:], len(mine)
        return "\n---\n".join(_shown(m) for m in fresh)

    def last_message(self) -> OutboundMessage:
        return self.messenger.last(self.address)

    def onboard(self, *, language: str = "1", commune: str = "Cotonou") -> str:
        """Language, commune, consent, skip the inclusion questions; ends at the menu."""
        self.send("Bonjour")
        self.send(language)
        self.send(commune)
        self.send("1")  # consent
        return self.send("5" if True else "")  # "skip these questions" on the gender step


def _shown(message: OutboundMessage) -> str:
    return numbered_text(message.text, message.choices).text
