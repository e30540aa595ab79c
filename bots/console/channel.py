"""Console channel: lines from a terminal (or a script) in, numbered replies out."""

from __future__ import annotations

import logging
import mimetypes
import shlex
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from core.geo import Point
from core.messages.neutral import InboundMessage, IncomingFile, OutboundMessage
from core.ports import DeliveryError, SendReceipt
from dialogs.pipeline import Pipeline
from dialogs.render import numbered_text

logger = logging.getLogger(__name__)

CHANNEL = "console"
ACCOUNT = "console"
FILE_COMMANDS = {"/photo": "photo", "/voice": "voice", "/audio": "audio", "/video": "video",
                 "/document": "document"}
USAGE = ("Commands: /location LAT LON [label] · /photo FILE · /voice FILE · /audio FILE · "
         "/document FILE · /sticker · /quit")


class ConsoleMessenger:
    """Prints messages for console citizens; numbered choices, like any text-only channel."""

    channel = CHANNEL

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._lock = threading.Lock()

    def send(self, message: OutboundMessage) -> SendReceipt:
        rendered = numbered_text(message.text, message.choices).text
        if message.hints.get("voice"):  # a recorded prompt: a terminal cannot play it
            rendered = f"🔊 {message.hints['voice']}"
        try:
            with self._lock:
                self.out.write(f"[palabre → {message.address}]\n{rendered}\n\n")
                self.out.flush()
        except OSError as exc:
            raise DeliveryError(f"console closed: {exc}") from exc
        return SendReceipt(external_id=f"console-{message.outbox_id}")


@dataclass(frozen=True)
class ParseError:
    reason: str


def parse_line(line: str, *, address: str, account: str = ACCOUNT,
               ) -> InboundMessage | ParseError | None:
    """A typed line as a neutral message; None for /quit; ParseError for a bad /command."""
    stripped = line.rstrip("\n")
    head = stripped.strip().split(" ", 1)[0].lower()
    base = {"channel": CHANNEL, "address": address, "account": account,
            "external_id": uuid.uuid4().hex, "display_name": address}
    if head in ("/quit", "/exit"):
        return None
    if head == "/location":
        return _location(stripped, base)
    if head in FILE_COMMANDS:
        return _file(stripped, FILE_COMMANDS[head], base)
    if head == "/sticker":
        data = b"RIFF\x00\x00\x00\x00WEBPVP8 "
        return InboundMessage(**base, files=(IncomingFile("sticker", "image/webp", data),))
    return InboundMessage(**base, text=stripped)


def _location(line: str, base: dict[str, str]) -> InboundMessage | ParseError:
    parts = shlex.split(line)
    try:
        point = Point(float(parts[1]), float(parts[2]))
    except (IndexError, ValueError):
        return ParseError("usage: /location LATITUDE LONGITUDE [label], e.g. /location 6.37 2.39")
    label = " ".join(parts[3:]) or None
    return InboundMessage(**base, location=point, place_text=label)


def _file(line: str, kind: str, base: dict[str, str]) -> InboundMessage | ParseError:
    parts = shlex.split(line)
    if len(parts) < 2:
        return ParseError(f"usage: {parts[0]} PATH")
    path = Path(parts[1]).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ParseError(f"cannot read {path}: {exc.strerror}")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind == "voice" and path.suffix.lower() in (".ogg", ".oga", ".opus"):
        content_type = "audio/ogg; codecs=opus"
    caption = " ".join(parts[2:]) or None
    return InboundMessage(**base, text=caption,
                          files=(IncomingFile(kind, content_type, data, path.name),))


class ConsoleChat:
    """A citizen's conversation in a terminal, through the same pipeline as real channels."""

    def __init__(self, pipeline: Pipeline, *, address: str, inp: TextIO, out: TextIO,
                 echo: bool, poll_seconds: float = 1.0) -> None:
        self.pipeline = pipeline
        self.address = address
        self.inp = inp
        self.out = out
        self.echo = echo
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._turn_lock = threading.Lock()

    def run(self) -> None:
        """Deliver what waits for this citizen, then one turn per line until /quit or EOF."""
        self._deliver()
        poller = threading.Thread(target=self._poll, name="console-poll", daemon=True)
        if not self.echo:
            poller.start()
        try:
            for line in self.inp:
                if not self.handle_line(line):
                    break
        finally:
            self._stop.set()
        self._deliver()

    def handle_line(self, line: str) -> bool:
        if self.echo:
            self.out.write(f"[{self.address}] {line.rstrip()}\n")
        parsed = parse_line(line, address=self.address)
        if parsed is None:
            return False
        if isinstance(parsed, ParseError):
            self.out.write(f"{parsed.reason}\n{USAGE}\n")
            return True
        try:
            with self._turn_lock:
                self.pipeline.receive(parsed)
                self.pipeline.run_once(address=self.address)
        except Exception:  # the channel's edge: say so, keep the conversation going
            logger.exception("console message from %s failed", self.address)
            self.out.write("(Palabre could not handle that message; see the log.)\n")
        return True

    def _deliver(self) -> None:
        try:
            with self._turn_lock:
                self.pipeline.run_once(address=self.address)
        except Exception:  # the channel's edge: a failed round is retried at the next one
            logger.exception("console delivery to %s failed", self.address)

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self._deliver()
