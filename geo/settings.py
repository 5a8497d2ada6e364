"""Typed settings read from the environment."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/yishiting"


class Settings(BaseSettings):
    """Service settings; every field can be set as an environment variable."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    pool_min_size: int = Field(2, alias="YISHITING_POOL_MIN")
    pool_max_size: int = Field(10, alias="YISHITING_POOL_MAX")
    media_dir: str = Field("var/media", alias="YISHITING_MEDIA_DIR")
    # Base map for the web maps: "osm", "tianditu" (needs a key) or "none".
    basemap: str = Field("osm", alias="YISHITING_BASEMAP")
    tianditu_key: str = Field("", alias="YISHITING_TIANDITU_KEY")
    # How often the running service escalates overdue issues; 0 turns it off.
    escalate_every_s: float = Field(900, alias="YISHITING_ESCALATE_EVERY")

    @property
    def libpq_url(self) -> str:
        """The same URL in the form psycopg itself accepts."""
        return self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)


@lru_cache
def get_settings() -> Settings:
    return Settings()
