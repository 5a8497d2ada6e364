"""Grid posts API: a compound's public posting (公示), the posts and who held them (staff),
handing a post to its next holder, linking a holder's account, and the district's publicity
choices."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.auth import CurrentUser, OptionalUser, ScopedIdempotencyKey
from api.deps import ConnDep, RowId, SessionDep, json_response
from api.schemas.grid import (
    PersonAccount,
    PersonCadre,
    PostHistory,
    Posting,
    PostOut,
    Publicity,
)
from geo.district import grid_posts, posting
from geo.models.grid import PUBLICITY

router = APIRouter(prefix="/api", tags=["grid"])


class PersonIn(BaseModel):
    """A new holder: the private phone stays with the district; the work contact is posted."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=32)
    phone: str = Field(min_length=5, max_length=20, description="private, never published")
    work_contact: str = Field(
        min_length=3, max_length=32, description="the work phone or hotline extension published"
    )


class HandoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_from: date = Field(description="the first day the new holder holds the post")
    person_id: RowId | None = Field(None, description="a person already known to the grid")
    person: PersonIn | None = None

    @model_validator(mode="after")
    def one_person(self) -> "HandoverIn":
        if (self.person_id is None) == (self.person is None):
            raise ValueError("give either person_id or person")
        return self


class PersonAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: RowId | None = Field(
        description="a grid account whose area holds the post; null: none"
    )


class PersonCadreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cadre_id: RowId | None = Field(
        description="the cadre sent down who holds this post off hours; null: none"
    )


class PublicityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shows: str = Field(description=f"one of {', '.join(PUBLICITY)}")


@router.get("/compounds/{compound_id}/posting", response_model=Posting)
def compound_posting(compound_id: RowId, conn: ConnDep) -> JSONResponse:
    """The compound's public posting: grid levels (names and work contacts as the district
    publishes them), its council hall and next session, the five-to-one pair, the property."""
    return json_response(posting.compound_posting(conn, compound_id))


@router.get("/grid-posts", response_model=list[PostOut])
def list_posts(
    db: SessionDep,
    user: OptionalUser,
    compound_id: Annotated[RowId | None, Query()] = None,
    community_id: Annotated[RowId | None, Query()] = None,
    building_id: Annotated[RowId | None, Query()] = None,
    role: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JSONResponse:
    """Staff: posts with their current holders' names and work contacts."""
    return json_response(
        grid_posts.list_posts(db, user, compound=compound_id, community=community_id,
                              building=building_id, role=role, limit=limit, offset=offset)
    )  # fmt: skip


@router.get("/grid-posts/{post_id}/holders", response_model=PostHistory)
def post_holders(post_id: RowId, db: SessionDep, user: OptionalUser) -> JSONResponse:
    """Staff: who held the post when, newest first, and how many issues named each."""
    return json_response(grid_posts.post_history(db, user, post_id))


@router.post("/grid-posts/{post_id}/holders", status_code=201, response_model=PostHistory)
def hand_over(
    post_id: RowId,
    body: HandoverIn,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> JSONResponse:
    """The community's cadres (or an admin): the post's next holder from a day. The same
    handover sent again changes nothing (200, Idempotent-Replayed)."""
    history, changed = grid_posts.hand_over(
        db, user, post_id, held_from=body.held_from, person_id=body.person_id,
        person=body.person.model_dump() if body.person else None,
    )  # fmt: skip
    db.commit()
    if not changed:
        return json_response(history, status_code=200, headers={"Idempotent-Replayed": "true"})
    return json_response(history, status_code=201)


@router.put("/grid-persons/{person_id}/account", response_model=PersonAccount)
def link_person_account(
    person_id: RowId, body: PersonAccountIn, db: SessionDep, user: CurrentUser
) -> JSONResponse:
    """Whoever may hand the holder's post over: the grid account the holder signs in with (role
    grid, its area holding the post's place), or null. The same link again changes nothing."""
    result = grid_posts.link_account(db, user, person_id, body.account_id)
    db.commit()
    return json_response(result)


@router.put("/grid-persons/{person_id}/cadre", response_model=PersonCadre)
def link_person_cadre(
    person_id: RowId, body: PersonCadreIn, db: SessionDep, user: CurrentUser
) -> JSONResponse:
    """Whoever may hand the holder's post over: the holder is a cadre sent down, holding a
    building or unit leader post off hours in the compound where they live (null: not)."""
    result = grid_posts.link_cadre(db, user, person_id, body.cadre_id)
    db.commit()
    return json_response(result)


@router.get("/publicity", response_model=Publicity)
def publicity(db: SessionDep) -> JSONResponse:
    """What the public postings show of each role: none, name, or name_contact."""
    return json_response(grid_posts.publicity(db))


@router.put("/publicity/{role}", response_model=Publicity)
def set_publicity(role: str, body: PublicityIn, db: SessionDep, user: CurrentUser) -> JSONResponse:
    """Admins: the district's choice for one role."""
    rules = grid_posts.set_publicity(db, user, role, body.shows)
    db.commit()
    return json_response(rules)
