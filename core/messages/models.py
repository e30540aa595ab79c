"""Stored messages: what citizens sent (inbound), what we send (outbox), and files."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


class InboundStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


class ProviderPost(SQLModel, table=True):
    """A provider's webhook body as it arrived, stored before it is acknowledged; the worker
    turns it into a message (or a group reply, or nothing) afterwards. The unique provider id
    makes a provider's retry harmless."""

    __tablename__ = "provider_post"
    __table_args__ = (UniqueConstraint("channel", "external_id"),
                      Index("ix_provider_post_waiting", "status", "id"))

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    account: str = Field(default="", max_length=64)
    external_id: str = Field(max_length=128)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    status: str = Field(default=InboundStatus.RECEIVED, max_length=16)
    attempts: int = 0
    last_error: str | None = None


class OutboundStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    UNDELIVERED = "undelivered"  # the provider accepted it, the phone never got it
    HELD = "held"  # waits for the citizen's next message (WhatsApp, outside 24 hours)
    CANCELLED = "cancelled"  # its announcement was cancelled before it went


class InboundRecord(SQLModel, table=True):
    """One message as a citizen sent it; the unique provider id makes retries harmless."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_inbound_pending", "status", "id"),
        # A sender's first waiting message: what a worker may claim (messages.claim_next…)
        Index("ix_inbound_waiting_sender", "channel", "address", "id",
              postgresql_where=text("status = 'received'"),
              sqlite_where=text("status = 'received'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    account: str = Field(default="", max_length=64)
    external_id: str = Field(max_length=128)
    address: str | None = Field(default=None, max_length=64)  # who sent it, on the channel
    display_name: str | None = Field(default=None, max_length=120)
    identity_id: int | None = Field(default=None, foreign_key="channel_identity.id", index=True,
                                    ondelete="SET NULL")
    citizen_id: int | None = Field(default=None, foreign_key="citizen.id", index=True,
                                   ondelete="SET NULL")
    kind: str = Field(max_length=16)
    text: str | None = None
    choice: str | None = Field(default=None, max_length=64)
    latitude: float | None = None
    longitude: float | None = None
    place_text: str | None = Field(default=None, max_length=300)
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The flow run it was part of (dialogs/threads.py): what moderators read beside a submission
    thread: str | None = Field(default=None, max_length=32, index=True)
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    status: str = Field(default=InboundStatus.RECEIVED, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    processed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_error: str | None = None


class Attachment(SQLModel, table=True):
    """A stored file: photo, voice note, audio, video or document."""

    __table_args__ = (Index("ix_attachment_submission_kind", "submission_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    inbound_id: int | None = Field(default=None, foreign_key="inbound_message.id", index=True,
                                   ondelete="SET NULL")
    submission_id: int | None = Field(default=None, foreign_key="submission.id",
                                      ondelete="SET NULL")  # indexed with kind
    kind: str = Field(max_length=16)
    content_type: str = Field(max_length=120)
    size: int
    sha256: str = Field(max_length=64)
    # Relative to the media root; "" until fetched. Indexed: files are shared by content
    # hash, and one is deleted only when no attachment names it any more.
    path: str = Field(max_length=300, index=True)
    original_name: str | None = Field(default=None, max_length=200)
    # A file the channel fetches after acknowledging: its provider reference, and why it
    # could not be fetched (too large, gone…) when it could not.
    remote: str | None = Field(default=None, max_length=1000)
    fetch_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # When the retention job erased the recording (a voice note of a long-closed submission);
    # the row stays for its transcript.
    erased_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class OutboxRecord(SQLModel, table=True):
    """A message to send, rendered in the citizen's language, with its delivery state."""

    __tablename__ = "outbound_message"
    __table_args__ = (Index("ix_outbound_pending", "status", "channel", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int | None = Field(default=None, foreign_key="citizen.id", index=True,
                                   ondelete="SET NULL")
    identity_id: int | None = Field(default=None, foreign_key="channel_identity.id", index=True,
                                    ondelete="SET NULL")
    channel: str = Field(max_length=16)
    account: str = Field(default="", max_length=64)
    address: str = Field(max_length=64)
    purpose: str = Field(default="reply", max_length=32)  # reply, status_update, broadcast…
    text: str
    choices: list[dict[str, str]] = Field(default_factory=list,
                                          sa_column=Column(JSON, nullable=False))
    media_path: str | None = Field(default=None, max_length=300)
    hints: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    in_reply_to: int | None = Field(default=None, foreign_key="inbound_message.id",
                                    ondelete="SET NULL")
    thread: str | None = Field(default=None, max_length=32, index=True)  # as InboundRecord's
    status: str = Field(default=OutboundStatus.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_error: str | None = None
    error_code: str | None = Field(default=None, max_length=16)  # the provider's, if any
    external_id: str | None = Field(default=None, max_length=128, index=True)
    # Which sender process holds it while 'sending' (host:pid): a dead one's claim is freed.
    claimed_by: str | None = Field(default=None, max_length=80)
    # The announcement it belongs to (core/broadcasts), for its progress and quiet hours.
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id", index=True,
                                     ondelete="SET NULL")
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class WorkerProcess(SQLModel, table=True):
    """A process that claims work, alive while it beats: what it claimed and did not finish
    is taken over once it misses its heartbeat (core/messages/workers.py)."""

    __tablename__ = "worker_process"

    id: str = Field(primary_key=True, max_length=36)  # random: unique across machines
    host: str = Field(max_length=120)
    pid: int
    roles: str = Field(max_length=120)
    # PostgreSQL: an advisory lock the process holds on a connection of its own while it
    # lives; the database frees it the moment the process dies
    lock_key: int | None = Field(default=None, sa_column=Column(BigInteger))
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    seen_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class SendPace(SQLModel, table=True):
    """A provider's limit shared by every sending process (core/messages/pace.py): when the
    next message under this key may go, and until when the key is paused (after a 429).
    Seconds since the epoch."""

    __tablename__ = "send_pace"

    key: str = Field(primary_key=True, max_length=200)
    next_at: float = 0.0
    paused_until: float = 0.0
    pauses: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # 429s so far


class SendWindow(SQLModel, table=True):
    """A message counted in a provider's window (core/messages/pace.py): when its answer came,
    or, while it is in flight, when it stops counting if its sender never says."""

    __tablename__ = "send_window"
    __table_args__ = (Index("ix_send_window_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    at: float
    owner: str | None = Field(default=None, max_length=36)  # the process that booked it


class ProviderContent(SQLModel, table=True):
    """A message layout a provider keeps on its side and that Palabre reuses by reference
    (a Twilio Content resource: WhatsApp's buttons and lists), found again by a key of what it
    holds: its choices and language (core/messages/contents.py)."""

    __tablename__ = "provider_content"
    __table_args__ = (UniqueConstraint("channel", "account", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    account: str = Field(max_length=64)  # the provider account that owns it
    key: str = Field(max_length=64)  # sha256 of the layout, hex
    external_id: str = Field(max_length=64)  # e.g. HX…
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
