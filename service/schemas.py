"""HTTP request and response models (separate from the graph's domain types)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from recommend.similar import MAX_K, MAX_QUERY_CHARS


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    store: str
    model: str
    nodes: int | None = None
    detail: str | None = None


class Ref(BaseModel):
    id: str
    name: str
    role: str | None = None


class ReasonPublic(BaseModel):
    kind: str
    text: str
    items: list[dict[str, str]] = []


class RecommendationPublic(BaseModel):
    id: str
    label: str
    title: str
    score: float
    parts: dict[str, float]
    reasons: list[ReasonPublic]
    owner: Ref | None = None
    status: str | None = None


class SimilarPublic(BaseModel):
    query: str
    query_id: str | None
    cross_silo: bool
    excluded_owner: Ref | None
    notes: list[str]
    data: list[RecommendationPublic]
    count: int


class InitiativePublic(BaseModel):
    id: str
    title: str
    properties: dict[str, Any]
    owner: Ref | None
    partners: list[Ref]
    needs: list[Ref]
    focus_areas: list[Ref]
    topics: list[Ref]
    builds_on: list[Ref]


class SimilarRequest(BaseModel):
    text: str = Field(..., min_length=1, max_length=MAX_QUERY_CHARS, description="Free text to find similar items for")
    k: int = Field(10, ge=1, le=MAX_K)
    cross_silo: bool = Field(False, description="Leave out items owned by `unit`")
    unit: str | None = Field(None, max_length=128, description="The asking unit's id, for cross_silo")
    label: Literal["initiative", "idea", "need", "all"] = "initiative"
