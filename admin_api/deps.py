"""What every route needs: a unit of work, and the moderator behind the bearer token."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Query, Request, status

from core.communes import service as communes
from core.moderation.models import Moderator, Role
from core.moderation.service import authenticate, may_see
from core.submissions.inbox import InboxFilter
from core.submissions.models import Kind, Priority, Status
from core.uow import UnitOfWork

# Database ids fit in 32 bits; anything larger is refused before it reaches the database.
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
OptionalRowId = Annotated[int | None, Query(ge=1, le=2_147_483_647)]

FAILURES_ALLOWED = 5
FAILURE_WINDOW_S = 60.0


class FailedAuthentications:
    """Counts failed tokens per client address; past a few a minute, the client must wait."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def wait_for(self, client: str) -> float:
        """Seconds the client must wait before trying again (0 when it may try now)."""
        recent = self._recent(client)
        if len(recent) < FAILURES_ALLOWED:
            return 0.0
        return max(1.0, FAILURE_WINDOW_S - (time.monotonic() - recent[0]))

    def failed(self, client: str) -> None:
        self._recent(client).append(time.monotonic())
        if len(self._seen) > 10_000:  # forget addresses that went quiet
            for quiet in [c for c, seen in self._seen.items() if not self._recent(c)]:
                del self._seen[quiet]

    def _recent(self, client: str) -> deque[float]:
        recent = self._seen[client]
        while recent and time.monotonic() - recent[0] > FAILURE_WINDOW_S:
            recent.popleft()
        return recent


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    with request.app.state.uow_factory() as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def current_moderator(request: Request, uow: UowDep,
                      authorization: Annotated[str | None, Header()] = None) -> Moderator:
    """The account of the bearer token; 401 without a valid one, 429 after many failures."""
    failures: FailedAuthentications = request.app.state.failed_authentications
    client = request.client.host if request.client else "unknown"
    wait = failures.wait_for(client)
    if wait:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            "Too many failed authentications; try again later.",
                            headers={"Retry-After": str(int(wait) + 1)})
    scheme, _, token = (authorization or "").partition(" ")
    moderator = authenticate(uow=uow, token=token.strip()) if scheme.lower() == "bearer" else None
    if moderator is None:
        failures.failed(client)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            "A valid token is needed: 'Authorization: Bearer <token>'.",
                            headers={"WWW-Authenticate": "Bearer"})
    uow.commit()  # last use of the token
    return moderator


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
