"""Scored items with reasons: what every recommender returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    """Why an item was recommended. ``kind`` is one of: text, owner, need, focus_area, topic, partner,
    predicted_topic, named_topic (similar); results, completed (reuse, and the duplicate check's related list);
    partner, similar, topic, network (partners).

    ``items`` are the ids and names that the reason names (shared need, partner, matching terms), so a
    client can link them; ``text`` says it in a sentence. A partner's ``similar`` items also carry ``role``
    (``partner`` or ``owner``: how the organisation is a member of that initiative), ``score`` (the similar
    search's score, 0 to 3) and ``similarity`` (the embedding cosine of its text to the query's); its
    ``network`` items carry ``with`` and ``with_name`` (the organisation it shares that initiative with). A
    ``results`` reason has one item, ``{"results": ...}``: the recorded results (shortened) that its sentence
    quotes, for a client to show without taking the sentence apart.
    """

    kind: str
    text: str
    items: tuple[dict[str, str], ...] = ()


@dataclass
class Recommendation:
    id: str
    label: str
    title: str
    score: float
    parts: dict[str, float] = field(default_factory=dict)
    reasons: list[Reason] = field(default_factory=list)
    owner: dict[str, str] | None = None
    status: str | None = None
    # A partner suggestion whose only ground is taking part in initiatives among the nearest to the query, none of
    # them close (no shared partner, no topic, no network, nothing that resembles it): shown, but marked as such.
    loose: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SimilarResult:
    """The answer to a similar search: the query as understood, how it was filtered, the items."""

    query: str
    query_id: str | None
    items: list[Recommendation]
    cross_silo: bool = False
    excluded_owner: dict[str, str] | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
