"""Intake API schemas: a matter staff file for a resident, and what the desk gets back."""

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.issues import IssueCreated, Located
from geo.core.vocabulary import CHANNELS

Channel = Literal[CHANNELS]  # type: ignore[valid-type]


class IntakeCreate(Located):
    """A phoned-in or walk-in matter: where (a map tap as lon/lat, or the address the
    resident gave), what, and the resident's name and phone (private, as a reporter's)."""

    channel: Channel = Field(examples=["12345"])
    category: str = Field(min_length=1, max_length=32, examples=["ebike_charging"])
    description: str = Field(min_length=1, max_length=2000)
    severity: int = Field(2, ge=1, le=3, strict=True, description="1 minor .. 3 urgent")
    address: str | None = Field(
        None, max_length=200, description="used when no point is sent", examples=["秀水怡园3号楼"]
    )
    reporter_name: str | None = Field(None, max_length=64, description="private")
    reporter_phone: str | None = Field(
        None, max_length=32, pattern=r"^[0-9+\- ]{3,32}$", description="private"
    )


class IntakeFiled(IssueCreated):
    token: str = Field(description="the resident's token (as an anonymous filer's)")  # type: ignore[assignment]
    track_url: str = Field(description="where the resident follows and rates the matter")
    sms: str = Field(description="the text message to copy into an SMS to the resident")


class FoundPlace(BaseModel):
    kind: str = Field(description="courtyard, building, compound or road")
    id: int
    label: str
    lon: float
    lat: float


class AddressAnswer(BaseModel):
    place: FoundPlace | None
    reason: str
    candidates: list[str] = Field(description="the places an ambiguous address could be")


class IntakeOptions(BaseModel):
    channels: dict[str, str] = Field(description="channel code -> label")
    may_file: bool = Field(description="access: file_on_behalf")
    may_import: bool = Field(description="access: import_hotline")


class HotlineRow(BaseModel):
    row: int = Field(description="the row in the file (1 is the header)")
    ticket_no: str
    status: Literal["would_add", "added", "unchanged", "problem"]
    issue: int | None = Field(None, description="added or unchanged: the ticket's issue")
    category: str | None = None
    place: dict[str, str] | None = Field(None, description="kind and label of the place found")
    reported_at: str | None = None
    duplicate_of: list[int] = Field([], description="open issues of the category within 30 m")
    duplicate_rows: list[int] = Field([], description="earlier rows at the same place and category")
    field: str | None = Field(None, description="problem: the column at fault")
    reason: str | None = None


class HotlineReport(BaseModel):
    file: str
    dry_run: bool
    rows: int
    counts: dict[str, int]
    flagged: int = Field(description="rows with possible duplicates")
    results: list[HotlineRow]
