"""Typed settings, read from ``KOMINN_*`` environment variables when built (never at import).

Sections read their own prefix: ``KOMINN_NEO4J_URI``, ``KOMINN_MODEL_NAME`` and so on.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.embedded import EmbeddedGraphStore
from graph.errors import ConfigurationError
from graph.store import GraphStore
from ingest.embedder import DEFAULT_MODEL, DEFAULT_QUERY_MAX_TOKENS, SentenceTransformerEmbedder
from service.audit import DEFAULT_KEEP, DEFAULT_MAX_BYTES, Rotation


class ModelSettings(BaseSettings):
    """The embedding model: any sentence-transformers name or local path (no downloads)."""

    model_config = SettingsConfigDict(env_prefix="KOMINN_MODEL_", extra="ignore")

    name: str = DEFAULT_MODEL
    query_prompt: str = ""
    passage_prompt: str = ""
    device: str | None = None
    batch_size: int = Field(32, ge=1, le=4096)
    # Word pieces of a search text the model reads (0: its own limit); see SentenceTransformerEmbedder.
    query_max_tokens: int = Field(DEFAULT_QUERY_MAX_TOKENS, ge=0, le=8192)


_BOLT_URI = re.compile(r"^(bolt|neo4j)(\+s|\+ssc)?://[^\s/?]+/?(\?\S*)?$")


class Neo4jSettings(BaseSettings):
    """Where the Neo4j server is, when ``KOMINN_STORE=neo4j``."""

    model_config = SettingsConfigDict(env_prefix="KOMINN_NEO4J_", extra="ignore")

    uri: str = Field("bolt://127.0.0.1:7687",
                     description="bolt:// for one server, neo4j:// for a cluster or Aura (+s: TLS)")
    user: str = "neo4j"
    password: SecretStr = SecretStr("")
    database: str | None = None
    batch_size: int = Field(500, ge=1, le=50_000)
    @field_validator("uri")
    @classmethod
    def _bolt_address(cls, value: str) -> str:
        if not _BOLT_URI.match(value):
            raise ValueError("must be a bolt:// or neo4j:// address, e.g. bolt://127.0.0.1:7687 "
                             "(bolt+s:// or neo4j+s:// with TLS)")
        return value

    arcadedb_http: str | None = Field(
        None, pattern=r"^https?://[^\s/]+(/\S*)?$",
        description="ArcadeDB only: its HTTP API address (http://host:2480), through which vector indexes "
                    "are created; without it ArcadeDB gets exact vector scans")


def default_data_dir() -> Path:
    """``kominn-data`` in the working directory, or else the nearest one above it inside the project (so a
    notebook under ``notebooks/`` opens the project's store, not a new empty one); ``kominn-data`` in the
    working directory when there is none. The search stops at a folder holding pyproject.toml or .git."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "kominn-data").is_dir():
            return Path("kominn-data") if folder == here else folder / "kominn-data"
        if (folder / "pyproject.toml").exists() or (folder / ".git").exists():
            break
    return Path("kominn-data")


class Settings(BaseSettings):
    """Everything KomInn can be configured with."""

    model_config = SettingsConfigDict(env_prefix="KOMINN_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    store: Literal["embedded", "neo4j"] = "embedded"
    model: ModelSettings = Field(default_factory=ModelSettings)
    neo4j: Neo4jSettings = Field(default_factory=Neo4jSettings)
    ingest_batch_size: int = Field(500, ge=1, le=50_000)
    read_requires_token: bool = Field(False, description="Reading public data needs a reader token")
    idea_rate_limit: int = Field(10, ge=1, le=100_000, description="Public idea submissions per address per window")
    idea_rate_window_s: float = Field(3600.0, gt=0, description="The rate limit's window in seconds")
    public_url: str | None = Field(
        None, pattern=r"^https?://[^\s/]+/?$",
        description="The address browsers use for the pages (https://kominn.example.no), when a reverse proxy "
                    "serves them under another host than the one the service sees; the sign-in cookie's "
                    "writes are accepted from it")
    data_lang: str = Field(
        "nb", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
        description="The language of the data where its words do not tell (a language tag: nb, nn, en); the "
                    "pages mark data in another language than their own with it, for screen readers")
    audit_max_bytes: int = Field(
        DEFAULT_MAX_BYTES, ge=1024, le=1 << 40,
        description="The size in bytes past which the audit log starts a new file (the full one becomes "
                    "audit.log.1, an older .1 becomes .2, and so on)")
    audit_keep: int = Field(
        DEFAULT_KEEP, ge=1, le=100,
        description="How many older files of the audit log are kept (audit.log.1 to .N); the oldest is dropped")
    privacy_url: str | None = Field(
        None, pattern=r"^https?://\S+$", max_length=500,
        description="The municipality's privacy statement (https://www.asker.kommune.no/personvern), linked from "
                    "the idea form's notice on what is published and what is kept")

    @property
    def audit_rotation(self) -> Rotation:
        return Rotation(max_bytes=self.audit_max_bytes, keep=self.audit_keep)

    @property
    def embedded_path(self) -> Path:
        return self.data_dir / "kominn.sqlite"

    def describe_store(self) -> str:
        if self.store == "neo4j":
            return f"Neo4j at {self.neo4j.uri}"
        return f"embedded store at {self.embedded_path}"

    def build_store(self) -> GraphStore:
        """The configured store, not yet opened."""
        if self.store == "embedded":
            return EmbeddedGraphStore(self.embedded_path)
        try:
            from graph.neo4j_store import Neo4jGraphStore
        except ImportError as e:
            raise ConfigurationError(f"the Neo4j store is not available: {e}") from e
        return Neo4jGraphStore.from_uri(
            self.neo4j.uri,
            self.neo4j.user,
            self.neo4j.password.get_secret_value(),
            database=self.neo4j.database,
            batch_size=self.neo4j.batch_size,
            arcadedb_http=self.neo4j.arcadedb_http,
        )

    def build_embedder(self) -> SentenceTransformerEmbedder:
        """The configured embedder, not yet loaded."""
        m = self.model
        return SentenceTransformerEmbedder(
            m.name, query_prompt=m.query_prompt, passage_prompt=m.passage_prompt, device=m.device,
            query_max_tokens=m.query_max_tokens,
        )


@lru_cache
def get_settings() -> Settings:
    """Settings from the environment, built once per process on first use."""
    return Settings()
