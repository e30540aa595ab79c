"""Reference data: communes, their report categories and services, and canned replies."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from admin_api import schemas
from admin_api.deps import AdminDep, ReaderDep, RowId, StaffDep, UowDep, visible_commune
from admin_api.errors import DocumentedRoute
from core.communes import service as communes
from core.communes.models import Category, MunicipalService
from core.digests import service as digests
from core.moderation import service as moderation
from core.moderation.models import CannedReply, Moderator
from core.uow import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["reference data"], route_class=DocumentedRoute)



@router.get("/communes", response_model=list[schemas.CommunePublic])
def list_communes(uow: UowDep, moderator: ReaderDep,
                  all: bool = False) -> list[schemas.CommunePublic]:  # noqa: A002
    """Enabled communes (`all=true`: the 77)."""
    rows = communes.all_communes(uow=uow) if all else communes.enabled_communes(uow=uow)
    return [schemas.CommunePublic.model_validate(c, from_attributes=True)
            for c in sorted(rows, key=lambda c: c.name)]


@router.put("/communes/{commune_id}/enabled", response_model=schemas.CommunePublic)
def enable_commune(commune_id: str, body: schemas.FlagIn, uow: UowDep,
                   moderator: AdminDep) -> schemas.CommunePublic:
    """Open (or close) a commune to citizens; opening adds default categories and services."""
    before = communes.get_commune(uow=uow, commune_id=commune_id)
    if before is None:
        raise HTTPException(404, f"No commune {commune_id}.")
    was = before.enabled
    changed = communes.set_enabled(uow=uow, commune=commune_id, enabled=body.value)
    moderation.record(uow=uow, moderator=moderator, action="commune_enabled",
                      target_type="commune", target_id=commune_id, commune_id=commune_id,
                      before={"enabled": was}, after={"enabled": body.value})
    uow.commit()
    return schemas.CommunePublic.model_validate(changed, from_attributes=True)


def _listing(item: Category | MunicipalService) -> schemas.ListingPublic:
    return schemas.ListingPublic.model_validate(item, from_attributes=True)


@router.get("/communes/{commune_id}/categories", response_model=list[schemas.ListingPublic])
def list_categories(commune_id: str, uow: UowDep, moderator: ReaderDep,
                    inactive: bool = False) -> list[schemas.ListingPublic]:
    """The commune's report categories, in the order citizens see them."""
    commune = visible_commune(uow, moderator, enabled=False, commune_id=commune_id)
    rows = communes.categories_of(uow=uow, commune_id=commune, include_inactive=inactive)
    return [_listing(c) for c in rows]


@router.post("/communes/{commune_id}/categories", response_model=schemas.ListingPublic,
             status_code=201)
def add_category(commune_id: str, body: schemas.ListingIn, uow: UowDep,
                 moderator: StaffDep) -> schemas.ListingPublic:
    commune = visible_commune(uow, moderator, enabled=False, commune_id=commune_id)
    item = communes.add_category(uow=uow, commune_id=commune, code=body.code, names=body.names,
                                 position=body.position)
    _audit(uow, moderator, "category_added", item, {}, body.model_dump())
    uow.commit()
    return _listing(item)


@router.patch("/categories/{category_id}", response_model=schemas.ListingPublic)
def change_category(category_id: RowId, body: schemas.ListingChange, uow: UowDep,
                    moderator: StaffDep) -> schemas.ListingPublic:
    """Rename, reorder, or deactivate (`active: false`) a category."""
    return _change(uow, moderator, uow.session.get(Category, category_id), body, "category")


@router.get("/communes/{commune_id}/services", response_model=list[schemas.ListingPublic])
def list_services(commune_id: str, uow: UowDep, moderator: ReaderDep,
                  inactive: bool = False) -> list[schemas.ListingPublic]:
    """The commune's municipal services (for complaints and suggestions)."""
    commune = visible_commune(uow, moderator, enabled=False, commune_id=commune_id)
    rows = communes.services_of(uow=uow, commune_id=commune, include_inactive=inactive)
    return [_listing(s) for s in rows]


@router.post("/communes/{commune_id}/services", response_model=schemas.ListingPublic,
             status_code=201)
def add_service(commune_id: str, body: schemas.ListingIn, uow: UowDep,
                moderator: StaffDep) -> schemas.ListingPublic:
    commune = visible_commune(uow, moderator, enabled=False, commune_id=commune_id)
    item = communes.add_service(uow=uow, commune_id=commune, code=body.code, names=body.names,
                                position=body.position)
    _audit(uow, moderator, "service_added", item, {}, body.model_dump())
    uow.commit()
    return _listing(item)


@router.patch("/services/{service_id}", response_model=schemas.ListingPublic)
def change_service(service_id: RowId, body: schemas.ListingChange, uow: UowDep,
                   moderator: StaffDep) -> schemas.ListingPublic:
    return _change(uow, moderator, uow.session.get(MunicipalService, service_id), body,
                   "service")


def _change(uow: UnitOfWork, moderator: Moderator, item: Category | MunicipalService | None,
            body: schemas.ListingChange, kind: str) -> schemas.ListingPublic:
    if item is None or not moderation.may_see(moderator, item.commune_id):
        raise HTTPException(404, f"No such {kind}.")
    before = {"names": dict(item.names), "position": item.position, "active": item.active}
    communes.update_listing(uow=uow, item=item, names=body.names, position=body.position,
                            active=body.active)
    _audit(uow, moderator, f"{kind}_changed", item, before, body.model_dump(exclude_none=True))
    uow.commit()
    return _listing(item)


def _audit(uow: UnitOfWork, moderator: Moderator, action: str,
           item: Category | MunicipalService, before: dict[str, object],
           after: dict[str, object]) -> None:
    moderation.record(uow=uow, moderator=moderator, action=action,
                      target_type=type(item).__name__.lower(), target_id=str(item.id),
                      commune_id=item.commune_id, before=before, after=after)


@router.get("/communes/{commune_id}/canned-replies",
            response_model=list[schemas.CannedReplyPublic])
def list_canned_replies(commune_id: str, uow: UowDep,
                        moderator: StaffDep) -> list[schemas.CannedReplyPublic]:
    commune = visible_commune(uow, moderator, enabled=False, commune_id=commune_id)
    return [schemas.CannedReplyPublic.model_validate(r, from_attributes=True)
            for r in moderation.canned_replies(uow=uow, commune_id=commune)]


@router.post("/communes/{commune_id}/canned-replies", response_model=schemas.CannedReplyPublic,
             status_code=201)
def add_canned_reply(commune_id: str, body: schemas.CannedReplyIn, uow: UowDep,
                     moderator: StaffDep) -> schemas.CannedReplyPublic:
    """A reply to reuse, per language (`texts.fr` required)."""
    commune = visible_commune(uow, moderator, enabled=False, commune_id=commune_id)
    reply = moderation.add_canned_reply(uow=uow, commune_id=commune, title=body.title,
                                        texts=body.texts)
    moderation.record(uow=uow, moderator=moderator, action="canned_reply_added",
                      target_type="canned_reply", target_id=str(reply.id),
                      commune_id=commune, after=body.model_dump())
    uow.commit()
    return schemas.CannedReplyPublic.model_validate(reply, from_attributes=True)


@router.delete("/canned-replies/{reply_id}", status_code=204)
def delete_canned_reply(reply_id: RowId, uow: UowDep, moderator: StaffDep) -> None:
    reply = uow.session.get(CannedReply, reply_id)
    if reply is None or not moderation.may_see(moderator, reply.commune_id):
        raise HTTPException(404, f"No canned reply {reply_id}.")
    moderation.record(uow=uow, moderator=moderator, action="canned_reply_deleted",
                      target_type="canned_reply", target_id=str(reply_id),
                      commune_id=reply.commune_id, before={"title": reply.title})
    uow.session.delete(reply)
    uow.commit()




@router.get("/communes/{commune_id}/digests", response_model=list[schemas.DigestPublic])
def list_digests(commune_id: str, uow: UowDep,
                 moderator: ReaderDep) -> list[schemas.DigestPublic]:
    """The commune's weekly digests (made on Mondays), the latest first: what came in, what
    was resolved, the next council sitting, how to reach the bot."""
    commune = visible_commune(uow, moderator, enabled=False, commune_id=commune_id)
    return [schemas.DigestPublic.model_validate(d, from_attributes=True)
            for d in digests.latest(uow=uow, commune_id=commune)]
