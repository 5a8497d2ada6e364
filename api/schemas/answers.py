"""The base of the answer models (*_schemas.py): the routes answer rows built by PostGIS as they
are, the models say what the rows hold, for /openapi.json, and tests/test_openapi.py checks real
answers against them with extra keys refused, so a column added to the SQL without its field in
the model fails a test."""

from pydantic import BaseModel, ConfigDict


class Public(BaseModel):
    model_config = ConfigDict(extra="forbid")
