"""What every route needs: a unit of work, and the moderator behind the bearer token (with
failed authentications counted and slowed down)."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Hashable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Query, Request, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.communes import service as communes
from core.moderation.models import Moderator, Role
from core.moderation.service import authenticate, may_see
from core.submissions.inbox import InboxFilter
from core.submissions.models import Kind, Priority, Status
from core.uow import UnitOfWork

# Database ids fit in 32 bits; anything larger is refused before it reaches the database.
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
OptionalRowId = Annotated[int | None, Query(ge=1, le=2_147_483_647)]

logger = logging.getLogger(__name__)

FAILURES_ALLOWED = 5  # per source address, and per presented credential...
FAILURE_WINDOW_S = 60.0  # ...in this sliding window; past them a failure is throttled
FAILURE_DELAY_S = 1.0  # how long the answer to a throttled failure is held back
REMEMBERED = 10_000  # sources, and as many credentials: a few megabytes at most
SLOW_DOWN = "slow_down"  # the request state's key for what to await before answering


class _Failures:
    """The last few failure times of each key, for at most `capacity` keys (those that failed
    least recently are forgotten first)."""

    def __init__(self, *, allowed: int, window: float, capacity: int,
                 clock: Callable[[], float]) -> None:
        self._allowed, self._window, self._capacity, self._clock = (allowed, window, capacity,
                                                                    clock)
        self._seen: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def wait(self, key: Hashable) -> float:
        """Seconds until a failure of this key is within the allowance again (0: it is)."""
        seen = self._seen.get(key)
        if seen is None or len(seen) < self._allowed:
            return 0.0
        return max(0.0, self._window - (self._clock() - seen[0]))

    def add(self, key: Hashable) -> None:
        """Count a failure of this key, now."""
        now = self._clock()
        self._seen.setdefault(key, deque(maxlen=self._allowed)).append(now)
        self._seen.move_to_end(key)
        self._forget(now)

    def __len__(self) -> int:
        return len(self._seen)

    def _forget(self, now: float) -> None:
        """Drop the keys whose last failure left the window, then the oldest past capacity."""
        while self._seen:
            last = next(iter(self._seen.values()))[-1]
            if now - last <= self._window and len(self._seen) <= self._capacity:
                return
            self._seen.popitem(last=False)


class FailedAuthentications:
    """Failed credentials counted per source address and per credential: past a few in a
    window, a failure is answered 429 and held back; a valid credential is never refused."""

    def __init__(self, *, allowed: int = FAILURES_ALLOWED, window: float = FAILURE_WINDOW_S,
                 delay: float = FAILURE_DELAY_S, capacity: int = REMEMBERED,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.delay, self._sleep = delay, sleep
        self._sources = _Failures(allowed=allowed, window=window, capacity=capacity,
                                  clock=clock)
        self._credentials = _Failures(allowed=allowed, window=window, capacity=capacity,
                                      clock=clock)
        self._secret = secrets.token_bytes(16)  # fingerprints mean nothing outside the process
        self._lock = threading.Lock()  # routes run in a pool of threads

    def failed(self, *, source: str, credential: str) -> float:
        """Count one failure; the seconds to wait if it is past the allowance, else 0."""
        place, mark = source_of(source), self._fingerprint(credential)
        with self._lock:
            wait = max(self._sources.wait(place), self._credentials.wait(mark))
            self._sources.add(place)
            self._credentials.add(mark)
            now_throttled = self._sources.wait(place) or self._credentials.wait(mark)
        if now_throttled and not wait:
            logger.warning("failed authentications from %s or with credential %s reached the "
                           "allowance; further failures get 429", place, mark.hex()[:8])
        return wait

    async def hold_back(self) -> None:
        """Wait before answering a throttled failure."""
        await self._sleep(self.delay)

    def __len__(self) -> int:
        """How many sources and credentials are remembered."""
        return len(self._sources) + len(self._credentials)

    def _fingerprint(self, credential: str) -> bytes:
        return hashlib.blake2b(credential.encode("utf-8", "replace"), key=self._secret,
                               digest_size=16).digest()


def source_of(host: str) -> str:
    """The client address failures are counted against: an IPv6 address's /64 (one
    subscriber's network), IPv4 as it is, anything else cut short."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def failed_authentication(request: Request, credential: str) -> float:
    """Count a credential that failed against it and the client; past the allowance, the
    seconds to wait (and the answer is held back), else 0. No credential, no count."""
    if not credential:
        return 0.0
    failures: FailedAuthentications = request.app.state.failed_authentications
    wait = failures.failed(source=request.client.host if request.client else "unknown",
                           credential=credential)
    if wait:
        setattr(request.state, SLOW_DOWN, failures.hold_back)
    return wait


def retry_after(wait: float) -> str:
    """The Retry-After header's whole seconds (at least 1)."""
    return str(max(1, math.ceil(wait)))


class HoldBackThrottled:
    """Middleware that waits, on the event loop rather than in a route's worker thread, before
    starting the answer to a failure that `failed_authentication` throttled."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def held_back(message: Message) -> None:
            slow_down = scope.get("state", {}).get(SLOW_DOWN)
            if message["type"] == "http.response.start" and slow_down is not None:
                await slow_down()
            await send(message)

        await self.app(scope, receive, held_back if scope["type"] == "http" else send)


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    with request.app.state.uow_factory() as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def current_moderator(request: Request, uow: UowDep,
                      authorization: Annotated[str | None, Header()] = None) -> Moderator:
    """The account of the bearer token; 401 without a valid one, 429 for a failure past the
    allowance of its address or its token."""
    token = _bearer(authorization)
    moderator = authenticate(uow=uow, token=token) if token else None
    if moderator is None:
        wait = failed_authentication(request, token)
        if wait:
            raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                                "This token is not valid, and too many failed authentications "
                                "came from this address or with this token; try again later.",
                                headers={"Retry-After": retry_after(wait)})
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            "A valid token is needed: 'Authorization: Bearer <token>'.",
                            headers={"WWW-Authenticate": "Bearer"})
    uow.commit()  # last use of the token
    return moderator


def _bearer(authorization: str | None) -> str:
    """The token of an 'Authorization: Bearer <token>' header, or ''."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


ModeratorDep = Annotated[Moderator, Depends(current_moderator)]


def staff(moderator: ModeratorDep) -> Moderator:
    """Admins and moderators: those who work the inbox."""
    if moderator.role not in (Role.ADMIN, Role.MODERATOR):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "This account cannot work the inbox.")
    return moderator


def admin(moderator: ModeratorDep) -> Moderator:
    if moderator.role != Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only administrators may do this.")
    return moderator


def readers(moderator: ModeratorDep) -> Moderator:
    """Anyone but an integration: staff and analysts (statistics, exports, audit)."""
    if moderator.role == Role.INTEGRATION:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Integration keys are for Open311 only.")
    return moderator


def visible_commune(uow: UnitOfWork, moderator: Moderator, commune_id: str, *,
                    enabled: bool = True) -> str:
    """The id of a commune the moderator may act on (enabled unless told otherwise); 404
    otherwise, saying nothing of whether it exists."""
    found = communes.get_commune(uow=uow, commune_id=commune_id)
    if found is None or (enabled and not found.enabled) or not may_see(moderator, found.id):
        raise HTTPException(404, f"No commune {commune_id}.")
    return found.id


StaffDep = Annotated[Moderator, Depends(staff)]
AdminDep = Annotated[Moderator, Depends(admin)]
ReaderDep = Annotated[Moderator, Depends(readers)]


def inbox_filter(
    kind: Annotated[list[Kind] | None, Query()] = None,
    status: Annotated[list[Status] | None, Query()] = None,
    commune: Annotated[str | None, Query(max_length=16)] = None,
    category_id: OptionalRowId = None,
    arrondissement: Annotated[str | None, Query(max_length=20)] = None,
    assignee_id: OptionalRowId = None,
    unassigned: bool = False, priority: Priority | None = None,
    label: Annotated[str | None, Query(max_length=40)] = None,
    has_voice: bool | None = None, has_photo: bool | None = None,
    created_from: datetime | None = None, created_to: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200, description=(
        "words that must all appear in the title, description, reference or the transcript "
        "of a voice note, in any case, "
        "with or without accents; a reference alone finds that submission"))] = None,
    include_hidden: bool = False,
) -> InboxFilter:
    """The inbox's filters from the query string (the communes are the caller's business)."""
    return InboxFilter(
        commune_id=commune, kinds=kind or (), statuses=status or (), category_id=category_id,
        arrondissement_id=arrondissement, assignee_id=assignee_id, unassigned=unassigned,
        priority=priority, label=label, has_voice=has_voice, has_photo=has_photo,
        created_from=aware(created_from), created_to=aware(created_to), text=q,
        include_hidden=include_hidden)


InboxFilterDep = Annotated[InboxFilter, Depends(inbox_filter)]


def aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
