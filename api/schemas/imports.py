"""The report POST /api/imports answers (and `yishiting import` prints): what the file holds,
what PostGIS found wrong with it, and what it changed (or, dry run, would change).

The parts whose members depend on the layer (its measures, parents, findings) are objects
described here in words; tests/test_openapi.py checks a real report against the model.
"""

from datetime import datetime
from typing import Any

from pydantic import Field

from api.schemas.answers import Public


class Dimensions(Public):
    z: int = Field(description="3D features stored flat")
    m: int = Field(description="measured features stored flat")


class CrsUsed(Public):
    used: str
    from_: str = Field(alias="from", description="given, file or assumed")


class FieldMapping(Public):
    fields: dict[str, str] = Field(description="file field -> column")
    unmapped: list[str]
    source_id: str = Field(description="where each feature's id comes from")


class BadValue(Public):
    row: int
    column: str
    field: str
    value: str
    reason: str


class Duplicates(Public):
    ids: list[dict[str, Any]]
    names: list[dict[str, Any]]


class Changes(Public):
    added: int
    changed: int
    unchanged: int
    missing: int = Field(description="features of this source no longer in the file")
    changed_features: list[dict[str, Any]]
    missing_features: list[dict[str, Any]]
    removed: int | None = Field(None, description="stored imports: missing features removed")


class ImportReport(Public):
    """The import report; `stored` says whether anything was written."""

    layer: str
    file: str
    format: str
    file_layer: str | None
    sha256: str
    source: str
    dry_run: bool
    features: int
    encoding: str | None
    dimensions_dropped: Dimensions
    crs: CrsUsed
    mapping: FieldMapping
    bad_values: list[BadValue] = Field(description="the first few values that do not fit")
    bad_value_count: int
    geometry: dict[str, Any] = Field(description="invalid and repaired geometries")
    measures: dict[str, Any] = Field(description="areas or lengths on the spheroid")
    outside_district: dict[str, Any]
    parents: dict[str, dict[str, Any]] = Field(
        description="per parent column: found from the file or the location, unknown ids"
    )
    overlaps: dict[str, Any]
    duplicates: Duplicates
    label_conflicts: list[dict[str, Any]]
    changes: Changes
    problems: list[str] = Field(description="why a real import would be refused")
    stored: bool


class ImportLogEntry(Public):
    id: int
    at: datetime
    layer: str
    source: str
    filename: str
    sha256: str
    crs: str
    encoding: str
    counts: dict[str, Any] = Field(description="features, added, changed, unchanged, ...")
    account: str | None = Field(description="who uploaded it (none: the command line)")


class ImportLog(Public):
    """What the upload page offers and shows: the layers and the latest imports."""

    layers: list[str]
    log: list[ImportLogEntry]
