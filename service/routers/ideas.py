from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field

from graph.errors import Problem, ValidationError
from graph.schema import IDEA_STATUS, SUBMITTER_KINDS, Label, Node, Rel
from graph.store import GraphStore
from graph.text import language_of
from ingest.embedder import Embedder
from recommend.reuse import DUPLICATE_THRESHOLD, RELATED_THRESHOLD, check_idea_and_related
from recommend.similar import MAX_QUERY_CHARS, Recommender
from service import items
from service.auth import AdminDep, EditorDep, PrincipalDep, ReaderDep, Role
from service.deps import RecommenderDep, SettingsDep, StoreDep
from service.ratelimit import give_back_idea_slot, take_idea_slot
from service.routers.search import similar_public
from service.schemas import (
    MAX_PAGE,
    CheckedPublic,
    Count,
    IdeaCheckPublic,
    IdeaMerge,
    IdeaPublic,
    IdeaReceipt,
    IdeasPublic,
    IdeaSubmit,
    IdeaUpdate,
    QueryText,
    RecommendationPublic,
)

router = APIRouter(prefix="/ideas", tags=["ideas"])

IdPath = Annotated[str, Path(min_length=1, max_length=128, description="Idea id")]
Filter = Annotated[str | None, Query(min_length=1, max_length=128)]  # empty: a 422, not "matches nothing"
ADMIN_STATUS = frozenset({"hidden", "merged"})
IdeaSort = Literal["id", "title", "-title", "created", "-created"]


class IdeaCheck(BaseModel):
    model_config = {"extra": "forbid"}
    title: str = Field("", max_length=300, description="The idea's title, as typed so far")
    text: QueryText = Field(..., description="The idea's text, as typed so far")
    k: Count = Field(5, ge=1, le=20, description="How many possible duplicates at most")


CHECK_DESCRIPTION = f"""Existing ideas and initiatives that may already cover this idea (calibrated so false alarms
are rare), in `data`; and, apart from them in `related`, related existing work that is not claimed to be the same
idea: initiatives under way or done whose text score is from {RELATED_THRESHOLD:.2f} up to the duplicate threshold
({DUPLICATE_THRESHOLD:.2f}), so that a person sees what already exists about it; each says its `status`
(`completed`, `ongoing`, `planned`, `stopped`). Each item says the language of its title in `lang` (`nb`, `en`;
the configured KOMINN_DATA_LANG where its words do not tell), so that a form in another language can mark it
for screen readers. Like every read, it needs a reader token where reading does (KOMINN_READ_REQUIRES_TOKEN)."""


@router.post("/check", response_model=IdeaCheckPublic, description=CHECK_DESCRIPTION)
def check(body: IdeaCheck, recommender: RecommenderDep, caller: ReaderDep, settings: SettingsDep) -> IdeaCheckPublic:
    """Possible duplicates and related existing work of an idea being written (see CHECK_DESCRIPTION)."""
    text = f"{body.title}\n{body.text}".strip()[:MAX_QUERY_CHARS]  # a full title and text are over the limit
    found = check_idea_and_related(recommender, text, k=body.k)
    duplicates = similar_public(found.duplicates)

    def checked(items: list[RecommendationPublic]) -> list[CheckedPublic]:
        return [CheckedPublic(**item.model_dump(), lang=language_of(item.title, settings.data_lang)) for item in items]

    related = similar_public(found.related).data
    return IdeaCheckPublic(**duplicates.model_dump(exclude={"data", "notes"}),
                           notes=duplicates.notes + found.related.notes,
                           data=checked(duplicates.data), related=checked(related))


def submit_idea(store: GraphStore, embedder: Embedder, recommender: Recommender, body: IdeaSubmit, *,
                show_similar: bool = True) -> IdeaReceipt:
    """Write a submitted idea (status new, created today) and say what resembles it (unless
    ``show_similar`` is false: a caller who may not read the store): used by the API and the page."""
    # the links first, each answered alike whatever else the id may name (a hidden idea's id is no need either)
    wanted = {"needs": (Label.NEED, "need"), "focus_areas": (Label.FOCUS_AREA, "focus area")}
    found = {n.id: n.label for n in store.get_many([i for f in wanted for i in getattr(body, f)])}
    wrong = [Problem("idea", None, f, f"no {name} with id '{i}'")
             for f, (label, name) in wanted.items() for i in getattr(body, f) if found.get(i) != label]
    if wrong:
        raise ValidationError(wrong)
    data = body.model_dump(exclude_none=True)
    data.update(status="new", created=dt.date.today().isoformat())
    # the search first: a text it refuses is refused before anything is written (it cannot find the new idea)
    checked = check_idea_and_related(recommender, f"{body.title}\n{body.text}"[:MAX_QUERY_CHARS], k=5) \
        if show_similar else None
    similar, related = (checked.duplicates.items, checked.related.items) if checked else ([], [])
    node = items.create_item(store, embedder, "ideas", data)
    return IdeaReceipt(id=node.id, title=node.title, status="new", created=data["created"],
                       similar=[RecommendationPublic(**r.as_dict()) for r in similar],
                       related=[RecommendationPublic(**r.as_dict()) for r in related])


@router.post("", response_model=IdeaReceipt, status_code=201,
             responses={429: {"description": "Too many ideas from this address"}})
def create_idea(body: IdeaSubmit, request: Request, caller: PrincipalDep, store: StoreDep,
                recommender: RecommenderDep, response: Response) -> IdeaReceipt:
    """Submit an idea. No token needed (callers without an editor token are rate-limited per address; only
    accepted submissions count, so fixing a rejected one costs nothing). The receipt lists existing ideas and
    initiatives that resemble it (`similar`, possible duplicates) and related existing work (`related`, as in
    POST /ideas/check), unless reading needs a token the caller lacks
    (KOMINN_READ_REQUIRES_TOKEN). Contact details are stored but shown to admins only."""
    limited = caller.role < Role.EDITOR
    slot = take_idea_slot(request) if limited else None  # taken at once, so parallel calls cannot all pass
    may_read = caller.role >= Role.READER or not request.app.state.settings.read_requires_token
    try:
        receipt = submit_idea(store, recommender.embedder, recommender, body, show_similar=may_read)
    except BaseException:
        if slot is not None:  # a refused idea costs nothing
            give_back_idea_slot(request, slot)
        raise
    response.headers["Location"] = f"/ideas/{quote(receipt.id)}"
    return receipt


@router.get("", response_model=IdeasPublic)
def list_ideas(
    store: StoreDep,
    caller: ReaderDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    status: Annotated[Literal[IDEA_STATUS] | None, Query()] = None,  # type: ignore[valid-type]
    submitter_kind: Annotated[Literal[SUBMITTER_KINDS] | None, Query()] = None,  # type: ignore[valid-type]
    need: Filter = None,
    focus_area: Filter = None,
    sort: Annotated[IdeaSort, Query(description="Order: by id (default), title or the day the idea came in; a "
                                    "leading '-' sorts descending (newest first).")] = "id",
) -> IdeasPublic:
    """Ideas, one page, sorted by ``sort``; hidden ideas only for admins."""
    page, count = items.list_items(
        store, Label.IDEA, props={"status": status, "submitter_kind": submitter_kind}, admin=caller.is_admin,
        linked=[(Rel.ADDRESSES, need), (Rel.SUPPORTS, focus_area)], offset=offset, limit=limit,
        order_by=None if sort == "id" else sort)
    return IdeasPublic(data=[items.public_item(store, n, admin=caller.is_admin) for n in page], count=count)


@router.get("/{item_id}", response_model=IdeaPublic)
def get_idea(item_id: IdPath, store: StoreDep, caller: ReaderDep) -> IdeaPublic:
    """One idea with its links; the submitter's contact only for admins, hidden ideas only for admins."""
    node = items.get_item(store, Label.IDEA, item_id, admin=caller.is_admin)
    return IdeaPublic(**items.public_item(store, node, admin=caller.is_admin))


@router.patch("/{item_id}", response_model=IdeaPublic)
def update_idea(
    item_id: IdPath, body: IdeaUpdate, store: StoreDep, recommender: RecommenderDep,
    caller: EditorDep,
) -> IdeaPublic:
    """Change the given fields (editor). Setting status hidden or merged is for admins (use hide and merge), and so
    is the sender's contact, which only admins see. A title or text with contact details or a national identity
    number in it is refused (422, naming the field), as in a new idea."""
    changes = body.model_dump(exclude_unset=True)
    if not caller.is_admin and (changes.get("status") in ADMIN_STATUS or "duplicate_of" in changes):
        raise HTTPException(403, "hiding and merging ideas needs the admin role")
    if not caller.is_admin and "contact" in changes:
        raise HTTPException(403, "the sender's contact is seen and changed by admins only")
    node = items.get_item(store, Label.IDEA, item_id, admin=caller.is_admin)

    def allowed(current: Node) -> None:  # on the item as it is when the change is written (under the write lock)
        if not caller.is_admin and "status" in changes and current.props.get("status") in ADMIN_STATUS:
            raise HTTPException(403, f"'{item_id}' is {current.props['status']}; only an admin changes its status")
        if changes.get("duplicate_of") is not None:  # the same rules as POST /ideas/{id}/merge
            items.check_merge(store, current, changes["duplicate_of"], "duplicate_of")

    node = items.update_item(store, recommender.embedder, node, changes, check=allowed)
    return IdeaPublic(**items.public_item(store, node, admin=caller.is_admin))


@router.delete("/{item_id}", status_code=204, response_class=Response)
def delete_idea(item_id: IdPath, store: StoreDep, caller: AdminDep) -> Response:
    """Delete an idea with its links (admin; hiding or merging keeps the history)."""
    items.delete_item(store, Label.IDEA, item_id)
    return Response(status_code=204)


@router.post("/{item_id}/hide", response_model=IdeaPublic)
def hide_idea(item_id: IdPath, store: StoreDep, recommender: RecommenderDep, caller: AdminDep) -> IdeaPublic:
    """Hide an idea (admin): it disappears from lists, search and duplicate checks, and keeps its links."""
    node = items.get_item(store, Label.IDEA, item_id, admin=True)
    node = items.update_item(store, recommender.embedder, node, {"status": "hidden"})
    return IdeaPublic(**items.public_item(store, node, admin=True))


@router.post("/{item_id}/merge", response_model=IdeaPublic)
def merge_idea(
    item_id: IdPath, body: IdeaMerge, store: StoreDep, recommender: RecommenderDep, caller: AdminDep
) -> IdeaPublic:
    """Merge an idea into the one it duplicates (admin): status merged, a DUPLICATE_OF link, all links kept."""
    node = items.get_item(store, Label.IDEA, item_id, admin=True)
    node = items.merge_idea(store, recommender.embedder, node, body.into)
    return IdeaPublic(**items.public_item(store, node, admin=True))
