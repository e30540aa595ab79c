"""The whole path of a message: store it, run its turn, deliver the replies."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor

from core.messages import delivery
from core.messages.intake import Intake, Post, Unpacker, unpack_waiting
from core.messages.neutral import InboundMessage
from core.messages.service import store_inbound
from core.messages.spool import Spool
from core.ports import Messenger
from core.uow import UnitOfWork
from dialogs.runner import Dialogs

logger = logging.getLogger(__name__)


class Pipeline:
    """What channel adapters call: `receive` stores (and acknowledges); the rest runs after."""

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], dialogs: Dialogs,
                 messengers: Mapping[str, Messenger], max_attempts: int = 8,
                 concurrency: int = 1, spool: Spool | None = None) -> None:
        self.uow_factory = uow_factory
        self.dialogs = dialogs
        self.messengers = dict(messengers)
        self.max_attempts = max_attempts
        # Sends to different addresses side by side: at a real round trip one at a time
        # cannot reach a provider's limit (the messengers pace themselves).
        self.sending = ThreadPoolExecutor(concurrency, thread_name_prefix="palabre-send") \
            if concurrency > 1 else None
        self.intake = Intake(uow_factory, spool=spool)
        self.unpackers: dict[str, Unpacker] = {}  # channel -> what its webhook bodies mean
        # A channel's own work after unpacking (a staff chat's recordings to fetch and keep)
        self.chores: list[Callable[[], object]] = []
        # …and before it, outside any transaction: what its unpacker will need from the
        # provider (a bot's own name), never asked while the unpacking holds its locks
        self.warmups: list[Callable[[], object]] = []

    def receive(self, message: InboundMessage) -> int | None:
        """Store a message first; None when the provider sent it before."""
        with self.uow_factory() as uow:
            inbound_id = store_inbound(uow=uow, message=message)
            uow.commit()
        return inbound_id

    def receive_post(self, post: Post) -> None:
        """A webhook's body, stored (with others arriving together) before it is answered;
        its channel's unpacker reads it in `process_pending`."""
        self.intake.store(post)

    async def receive_post_async(self, post: Post) -> None:
        """`receive_post` for an event loop: waits for the commit without holding a thread."""
        await self.intake.store_async(post)

    def process_pending(self) -> int:
        for warmup in self.warmups:
            try:
                warmup()
            except Exception:  # the unpacker does without it
                logger.exception("a channel's warm-up failed; it runs again next round")
        unpack_waiting(uow_factory=self.uow_factory, unpackers=self.unpackers)
        for chore in self.chores:
            try:
                chore()
            except Exception:  # a channel's chore never stops citizens' messages
                logger.exception("a channel's chore failed; it runs again next round")
        return self.dialogs.process_pending()

    def deliver(self, *, address: str | None = None,
                channels: Collection[str] | None = None) -> delivery.DeliveryReport:
        return delivery.deliver_pending(uow_factory=self.uow_factory, messengers=self.messengers,
                                        max_attempts=self.max_attempts, address=address,
                                        channels=channels, pool=self.sending)

    def run_once(self, *, address: str | None = None,
                 channels: Collection[str] | None = None) -> bool:
        """Handle everything stored, then send what is due (on these channels, to this
        address, when given); whether anything was sent (more may be due at once)."""
        self.process_pending()
        return self.deliver(address=address, channels=channels).sent > 0
