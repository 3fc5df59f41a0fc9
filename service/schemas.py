"""HTTP request and response models (separate from the graph's domain types)."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, create_model
from pydantic_core import PydanticCustomError

from graph.schema import FIELDS, ORG_KINDS, PARTNER_ROLES, SUBMITTER_KINDS, Label
from graph.text import IDENTITY_NUMBER, contact_details, strip_html, visible, without_controls
from ingest.records import LINKS, MAX_LIST, PUBLISHED_IDEA_TEXT, TOPIC_KINDS
from recommend.similar import MAX_K, MAX_QUERY_CHARS


# A text to search with: blank text is refused under the field's own name (422), not by the recommender.
def _visible(value: object) -> object:
    """A text without the invisible and control characters that pasting leaves (zero-width spaces, soft hyphens,
    NUL): a text of nothing else counts as empty."""
    return without_controls(visible(value)) if isinstance(value, str) else value


QueryText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUERY_CHARS),
                      BeforeValidator(_visible)]  # (the validator named last runs first)


def _not_a_flag(value: object) -> object:
    """A count given as true or false is refused, where pydantic would read true as 1 and false as 0 (a number
    written as a string, "5", is still taken, as in a query string)."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a whole number, not true or false")
    return value


Count = Annotated[int, BeforeValidator(_not_a_flag)]  # an integer field of a request body


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
    items: list[dict[str, str]] = Field(
        [], description="What the reason names, to link: `id` and `name` (or `term`). A partner's `similar` items "
                        "also give `role` (`partner` or `owner`: how the organisation is a member of that initiative), "
                        "`score` (the similar search's score, 0 to 3) and `similarity` (the embedding cosine of its "
                        "text to the query's); its `network` items give `with` and `with_name` (the organisation "
                        "that links it). A `results` reason has one item, `results`: the recorded results of the "
                        "completed initiative (shortened), as its sentence quotes them")


class RecommendationPublic(BaseModel):
    id: str
    label: str
    title: str
    score: float
    parts: dict[str, float]
    reasons: list[ReasonPublic]
    owner: Ref | None = None
    status: str | None = None
    loose: bool = Field(False, description="Partner suggestions: true when its only ground is taking part in "
                                           "initiatives among the nearest to the query, none of them close (no "
                                           "shared partner, topic or network): a loose suggestion")


class _SimilarBase(BaseModel):
    query: str
    query_id: str | None
    cross_silo: bool
    excluded_owner: Ref | None
    notes: list[str]


class SimilarPublic(_SimilarBase):
    data: list[RecommendationPublic]
    count: int


class CheckedPublic(RecommendationPublic):
    lang: str = Field(description="The language of the item's title, as a language tag (`nb`, `en`): what its "
                                  "words tell, and where they tell nothing, or only that it is Norwegian, the "
                                  "data's configured language (KOMINN_DATA_LANG). For marking the title with "
                                  "`lang` where a page in another language shows it, for screen readers",
                      examples=["nb"])


class IdeaCheckPublic(_SimilarBase):
    """The duplicate check's answer: as a similar search's, and each item also says the language of its title."""

    data: list[CheckedPublic] = Field(description="Possible duplicates: text score at least the duplicate threshold")
    count: int = Field(description="How many possible duplicates `data` holds")
    related: list[CheckedPublic] = Field([], description=(
        "Related existing work, not claimed to be duplicates: initiatives under way or done (planned, ongoing, "
        "completed, stopped; see `status`) whose text score is from the related threshold up to the duplicate "
        "threshold, best first, at most `k`. A completed one's reasons say who completed it and when"))


class InitiativePublic(BaseModel):
    id: str
    title: str
    properties: dict[str, Any] = Field(description="Stored fields; `contact` only for admins")
    owner: Ref | None
    partners: list[Ref]
    needs: list[Ref]
    focus_areas: list[Ref]
    topics: list[Ref]
    builds_on: list[Ref]


class SimilarRequest(BaseModel):
    model_config = {"extra": "forbid"}
    text: QueryText = Field(..., description="Free text to find similar items for")
    k: Count = Field(10, ge=1, le=MAX_K, description="How many results")
    cross_silo: bool = Field(False, description="Leave out items owned by `unit` (true or false; as in a query "
                                                "string, \"true\", \"yes\", \"1\" and their opposites are read too)")
    unit: str | None = Field(None, max_length=128, description="The asking unit's id, whose items cross_silo "
                                                               "leaves out; without cross_silo it is not used, "
                                                               "as a note says")
    label: Literal["initiative", "idea", "need", "all"] = "initiative"


# --- resources: create, update, public and list models ----------------------------------------------
# Built from the graph's field specifications and ingest's link fields, so the API's bounds are exactly
# the ones that ingest validates.

ItemId = Annotated[str, StringConstraints(pattern=r"^[^\W_][\w.:\-]{0,127}$", max_length=128)]
TopicName = Annotated[str, StringConstraints(min_length=1, max_length=80)]
MAX_PAGE = 100


class PartnerLink(BaseModel):
    model_config = {"extra": "forbid"}
    org: ItemId = Field(..., description="The organisation's id")
    role: Literal[PARTNER_ROLES] = "partner"  # type: ignore[valid-type]


class IdRef(BaseModel):
    """A link to another item."""

    id: str
    name: str
    role: str | None = None


def _prop_type(spec: Any) -> Any:
    if spec.choices:
        return Literal[spec.choices]
    if spec.kind == "date":
        return _dt.date
    return Annotated[str, StringConstraints(min_length=1 if spec.required else 0, max_length=spec.max_length)]


def _link_type(kind: str, name: str) -> Any:
    if name in ("owner", "part_of", "became", "duplicate_of"):
        return ItemId
    if name == "partners":
        return Annotated[list[PartnerLink], Field(max_length=MAX_LIST)]
    return Annotated[list[ItemId], Field(max_length=MAX_LIST)]


# Contact details (an e-mail address or a phone number) or a national identity number (graph.text.contact_details,
# which ingest's warning uses too) in an idea's published title or text: refused wherever an idea is written,
# from the form (IdeaSubmit) and by editors (IdeaUpdate, IdeaCreate), with the same error. Initiatives and needs
# are not checked: they are the municipality's own records, where a contact person is meant to be public.
CONTACT_IN_TEXT = ("this looks like {found}, and the title and text are published: put contact details in "
                   "'contact', which only the municipality's administrators see")
IDENTITY_IN_TEXT = ("this looks like {found}, and the title and text are published: leave identity numbers out, "
                    "and put contact details in 'contact', which only the municipality's administrators see")


def _no_contact(value: str) -> str:
    """Refuse a published text with contact details or an identity number in it (as it reads once its tags and
    invisible characters are gone); the error's context says what was found, as in ``found``."""
    found = contact_details(visible(strip_html(value)))
    if found:
        message = IDENTITY_IN_TEXT if IDENTITY_NUMBER in found else CONTACT_IN_TEXT
        raise PydanticCustomError("contact_in_text", message, {"found": " and ".join(found)})
    return value


def _models(kind: str, label: Label, model_name: str, skip: frozenset[str] = frozenset(),
            published: tuple[str, ...] = ()) -> tuple[type[BaseModel], type[BaseModel]]:
    """The create and update models of a kind of item; the ``published`` fields refuse contact details."""
    create: dict[str, Any] = {"id": (ItemId | None, Field(None, description="Made by the service when left out"))}
    update: dict[str, Any] = {}
    for spec in FIELDS[label]:
        if spec.name in skip:
            continue
        t = _prop_type(spec)
        if spec.name in published:
            t = Annotated[t, AfterValidator(_no_contact)]
        desc = "personal data: returned to admins only" if spec.private else None
        create[spec.name] = (t, Field(..., description=desc)) if spec.required else \
            (t | None, Field(None, description=desc))
        update[spec.name] = (t | None, Field(None, description=desc))
    for name in LINKS[kind]:
        if name in skip:
            continue
        t = _link_type(kind, name)
        required = kind == "initiatives" and name == "owner"
        create[name] = (t, ...) if required else (t | None, None)
        update[name] = (t | None, None)
    if kind in TOPIC_KINDS:
        t = Annotated[list[TopicName], Field(max_length=MAX_LIST)]
        create["topics"] = (t | None, None)
        update["topics"] = (t | None, None)
    cfg = ConfigDict(extra="forbid")
    return (create_model(f"{model_name}Create", __config__=cfg, **create),
            create_model(f"{model_name}Update", __config__=cfg, **update))


if TYPE_CHECKING:
    # The models' fields are only known at run time; to the type checker they are plain models, so that
    # they can be used in annotations (FastAPI reads the real ones from this module's globals).
    InitiativeCreate = BaseModel
    InitiativeUpdate = BaseModel
    IdeaCreate = BaseModel
    IdeaUpdate = BaseModel
    NeedCreate = BaseModel
    NeedUpdate = BaseModel
    OrganisationCreate = BaseModel
    OrganisationUpdate = BaseModel
else:
    InitiativeCreate, InitiativeUpdate = _models("initiatives", Label.INITIATIVE, "Initiative")
    IdeaCreate, IdeaUpdate = _models("ideas", Label.IDEA, "Idea", skip=frozenset({"created"}),
                                     published=PUBLISHED_IDEA_TEXT)
    NeedCreate, NeedUpdate = _models("needs", Label.NEED, "Need")
    OrganisationCreate, OrganisationUpdate = _models("organisations", Label.ORGANISATION, "Organisation")


def _plain_text(value: object) -> object:
    """A submitted text as it will be stored: HTML tags and control characters removed, no spaces at its ends."""
    return without_controls(visible(strip_html(value))).strip() if isinstance(value, str) else value


class IdeaSubmit(BaseModel):
    """A new idea from anyone: no token needed (rate-limited). Contact details are never shown publicly; an
    e-mail address, phone number or national identity number in the title or text (which are published) is
    refused, as it is in an editor's change (IdeaUpdate)."""

    model_config = {"extra": "forbid"}
    # the lengths count what is stored: the text without its HTML tags and surrounding spaces
    title: Annotated[str, BeforeValidator(_plain_text), AfterValidator(_no_contact)] = Field(
        ..., min_length=3, max_length=300)
    text: Annotated[str, BeforeValidator(_plain_text), AfterValidator(_no_contact)] = Field(
        ..., min_length=10, max_length=20_000)
    submitter_kind: Literal[SUBMITTER_KINDS] = "citizen"  # type: ignore[valid-type]
    contact: str | None = Field(None, max_length=300, description="Name, e-mail or phone; shown to admins only")
    needs: list[ItemId] = Field([], max_length=20)
    focus_areas: list[ItemId] = Field([], max_length=10)


class IdeaMerge(BaseModel):
    model_config = {"extra": "forbid"}
    into: ItemId = Field(..., description="The idea this one duplicates; the merged idea keeps its links")


class ItemBase(BaseModel):
    id: str
    title: str
    properties: dict[str, Any] = Field(description="Stored fields; `contact` only for admins")


class IdeaPublic(ItemBase):
    needs: list[IdRef]
    focus_areas: list[IdRef]
    topics: list[IdRef]
    became: IdRef | None
    duplicate_of: IdRef | None


class NeedPublic(ItemBase):
    owner: IdRef | None
    focus_areas: list[IdRef]
    topics: list[IdRef]


class OrganisationPublic(ItemBase):
    part_of: IdRef | None


class InitiativesPublic(BaseModel):
    data: list[InitiativePublic]
    count: int


class IdeasPublic(BaseModel):
    data: list[IdeaPublic]
    count: int


class NeedsPublic(BaseModel):
    data: list[NeedPublic]
    count: int


class OrganisationsPublic(BaseModel):
    data: list[OrganisationPublic]
    count: int


class IdeaReceipt(BaseModel):
    """What a submitter gets back: the idea's id and what already exists that resembles it."""

    id: str
    title: str
    status: str
    created: str
    similar: list[RecommendationPublic]
    related: list[RecommendationPublic] = Field([], description=(
        "Related existing work below the duplicate threshold, as `related` of POST /ideas/check"))


class PartnerRequest(BaseModel):
    model_config = {"extra": "forbid"}
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_QUERY_CHARS),
                    BeforeValidator(_visible)] = Field(
        "", description="The project, described (may be left out when known partners are given)")
    known: list[ItemId] = Field([], max_length=50, description="Organisations already involved")
    k: Count = Field(10, ge=1, le=MAX_K, description="How many organisations")
    kind: list[Literal[ORG_KINDS]] | None = Field(  # type: ignore[valid-type]
        None, min_length=1, description="Only these kinds (left out: every kind)")


class PartnersPublic(BaseModel):
    query: str
    query_id: str | None
    data: list[RecommendationPublic]
    count: int
    notes: list[str] = Field([], description="Notes of the similar search behind the answer, e.g. one beginning "
                                             "\"nothing matches closely\" when no initiative resembles the text: "
                                             "the suggestions are then loose")


class GraphNode(BaseModel):
    id: str
    label: str
    title: str
    x: float
    y: float
    depth: int


class GraphEdge(BaseModel):
    source: str
    target: str
    rel: str


class GraphPublic(BaseModel):
    center: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool


class CountRow(BaseModel):
    id: str
    name: str
    count: int
    by_status: dict[str, int]


class OverviewPublic(BaseModel):
    initiatives: int
    ideas: int
    needs: int
    organisations: int
    by_focus_area: list[CountRow]
    by_unit: list[CountRow]
    by_status: dict[str, int]
    by_scale: dict[str, int]
    by_mode: dict[str, int]
