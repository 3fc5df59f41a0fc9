"""Page routes of the staff web front. Pages call the same library functions as the API."""

from __future__ import annotations

import functools
import hashlib
import hmac
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from graph.errors import KomInnError, NotFoundError, ValidationError
from graph.schema import (
    FIELDS,
    INITIATIVE_STATUS,
    ORG_KINDS,
    SUBMITTER_KINDS,
    Direction,
    Label,
    Rel,
    public_props,
)
from graph.text import is_norwegian, language_of, text_language
from recommend.partners import PartnerQuery
from recommend.reuse import check_idea_and_related, reuse
from recommend.similar import WEAK_NOTE, item_query, unseen
from service import explore, items
from service.auth import Role, get_principal
from service.ratelimit import give_back_idea_slot, take_idea_slot
from service.routers.ideas import submit_idea
from service.schemas import IdeaSubmit
from service.web.i18n import LANGS, form_error, lang_of, message_text, reason_text, translate

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/web", include_in_schema=False)
PAGE_K = 20
SHOWN_FIELDS = ("description", "status", "start_date", "end_date", "scale", "mode", "results")


def _lang(request: Request) -> str:
    return lang_of(request.query_params.get("lang") or request.cookies.get("kominn_lang"))


def _state(request: Request, *, public: bool = False) -> Any:
    """The app's state for a page; with ``read_requires_token`` only readers get it, unless the page is
    ``public`` (the idea form: anyone may submit an idea, as through the API)."""
    state = request.app.state
    if getattr(state, "store", None) is None:
        raise KomInnError("the store is not open")
    if state.settings.read_requires_token and not public and _role(request) < Role.READER:
        raise HTTPException(401, "these pages need a reader token in the kominn_token cookie")
    return state


def _role(request: Request) -> Role:
    """The caller's role, from an ``Authorization: Bearer`` header or the ``kominn_token`` cookie (a token
    that is not valid is refused with 401, as by the API)."""
    header = request.headers.get("authorization", "")
    bearer = HTTPAuthorizationCredentials(scheme="Bearer", credentials=header[7:].strip()) \
        if header.lower().startswith("bearer ") else None
    return get_principal(request, bearer).role


def _may_read(request: Request) -> bool:
    """Whether the caller may see the store's data on a page anyone may open (the idea form): a token that is
    no longer valid (expired, revoked) counts as none there, since the form is open to everyone anyway."""
    try:
        role = _role(request)
    except HTTPException:
        role = Role.ANONYMOUS
    return not request.app.state.settings.read_requires_token or role >= Role.READER


def data_language(value: Any, basis: Any, page: str, default: str) -> str | None:
    """The language tag that a piece of data shown on a page in ``page`` (nb or en) needs, or None where it is
    the page's own: what its words tell (those of ``basis``, such as the title with its description, where
    given), and where they tell nothing or only that it is Norwegian, the data's configured ``default``.

    >>> data_language("Digital postkasse", None, "en", "nb"), data_language("Open data in the cities", None, "nb", "nb")
    ('nb', 'en')
    >>> data_language("Digital postkasse", None, "nb", "nb"), data_language("Kø på legevakten", None, "nb", "nn")
    (None, 'nn')
    """
    found = language_of(str(basis if basis else value or ""), default)
    return None if found.split("-")[0] == page else found


def _data(value: Any, basis: Any, page: str, default: str) -> Markup:
    """A piece of data (a title, a name) for a page, in a span that says its language where it is not the
    page's (so a screen reader reads "Sykkelparkering" in Norwegian on an English page), escaped.

    >>> _data("<b>Kø</b>", None, "en", "nb"), _data("Kø", None, "nb", "nb")
    (Markup('<span lang="nb">&lt;b&gt;Kø&lt;/b&gt;</span>'), Markup('Kø'))
    """
    text = escape("" if value is None else str(value))
    tag = data_language(value, basis, page, default)
    return Markup(f'<span lang="{tag}">{text}</span>') if tag else text


def _lang_attribute(value: Any, basis: Any, page: str, default: str) -> Markup:
    """`` lang="nb"`` for an element that holds only data (a heading, an option), or nothing."""
    tag = data_language(value, basis, page, default)
    return Markup(f' lang="{tag}"') if tag else Markup("")


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = _lang(request)
    data_lang = request.app.state.settings.data_lang
    other = next(code for code in LANGS if code != lang)
    query = dict(request.query_params)
    query["lang"] = other
    context.update(
        lang=lang,
        t=lambda key, **v: translate(lang, key, **v),
        reason=lambda r: reason_text(lang, r["kind"], r["text"]),
        num=lambda x: f"{x:.2f}".replace(".", ",") if lang == "nb" else f"{x:.2f}",
        day=lambda d: _day(d, lang),
        switch_url=request.url.path + "?" + "&".join(f"{k}={v}" for k, v in _quote(query).items()),
        path=request.url.path,
        privacy_url=request.app.state.settings.privacy_url,
        data=lambda value, basis=None: _data(value, basis, lang, data_lang),
        lang_of_data=lambda value, basis=None: _lang_attribute(value, basis, lang, data_lang),
    )
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie("kominn_lang", lang, max_age=365 * 24 * 3600, samesite="lax", secure=_secure(request))
    return response


def _secure(request: Request) -> bool:
    """Whether the pages are served over https (here, or at KOMINN_PUBLIC_URL behind a proxy): cookies are then
    sent over https only."""
    return request.url.scheme == "https" or (request.app.state.settings.public_url or "").startswith("https://")


def _day(value: Any, lang: str) -> str:
    """A date as the page's readers write it: 23.11.2026 in bokmål, 2026-11-23 in English (other text as it is)."""
    text = str(value or "")
    if lang == "nb" and len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit():
        return f"{text[8:]}.{text[5:7]}.{text[:4]}"
    return text


def _message(request: Request, error: Exception) -> str:
    """An error of the library for the page: each problem's message (not the API's field names), in the
    page language where it is a common one."""
    lang = _lang(request)
    if isinstance(error, ValidationError):
        return "; ".join(message_text(lang, p.message) for p in error.problems)
    return message_text(lang, str(error))


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """The page shown for an error under /web/ (the API answers JSON): a heading in the page language, the
    message, and a way back."""
    lang = _lang(request)
    heading = translate(lang, "notfound.title" if status == 404 else f"error.{status}")
    if heading == f"error.{status}":
        heading = translate(lang, "error.500" if status >= 500 else "error.422")
    if status == 404 and message == "Not Found":  # the router's own words for a path it does not have
        message = request.url.path
    elif status == 401:  # the page explains how to sign in
        message = ""
    return render(request, "error.html", status_code=status, heading=heading, status=status,
                  message=message_text(lang, message))


def _with_reasons(found: list[Any], limit: int) -> tuple[list[dict[str, Any]], int]:
    """The first ``limit`` results that give a reason beyond their owner, as dicts, and how many others
    were passed over (they only fill the list: nothing in them matches)."""
    shown: list[dict[str, Any]] = []
    passed = 0
    for r in found:
        if not any(x.kind != "owner" for x in r.reasons):
            passed += 1
        elif len(shown) < limit:
            shown.append(r.as_dict())
    return shown, passed


def _is_weak(notes: list[str]) -> bool:
    return any(n.startswith(WEAK_NOTE) for n in notes)


def _quote(query: dict[str, str]) -> dict[str, str]:
    return {quote_plus(k): quote_plus(v) for k, v in query.items()}


def _units(store: Any) -> list[Any]:
    return sorted((n for n in store.iter_nodes(Label.ORGANISATION) if n.props.get("kind") == "unit"),
                  key=lambda n: n.title)


def _focus_areas(store: Any) -> list[Any]:
    return sorted(store.iter_nodes(Label.FOCUS_AREA), key=lambda n: n.title)


def _shown(value: str, limit: int = 60) -> str:
    """A value from the address, short enough to name in a message."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _bad_filter(request: Request, store: Any, *, status: str = "", unit: str = "", focus_area: str = "",
                kind: str = "") -> tuple[str, str] | None:
    """The first filter value from the address that the page does not know (an edited or old link), as the field
    and a message naming the value and what to choose instead, in the page language; None when all are known.
    A unit is any organisation (owners are); a hidden idea's id is refused as unknown, like any other id."""
    lang = _lang(request)
    if status and status not in INITIATIVE_STATUS:
        choices = ", ".join(translate(lang, f"status.{s}") for s in INITIATIVE_STATUS)
        return "status", translate(lang, "filter.bad_status", value=_shown(status), choices=choices)
    if unit:
        node = unseen(store.get(unit)) if len(unit) <= 128 else None
        if node is None or node.label != Label.ORGANISATION:
            return "unit", translate(lang, "filter.bad_unit", value=_shown(unit))
    if focus_area:
        node = store.get(focus_area) if len(focus_area) <= 128 else None
        if node is None or node.label != Label.FOCUS_AREA:
            return "focus_area", translate(lang, "filter.bad_focus_area", value=_shown(focus_area))
    if kind and kind not in ORG_KINDS:
        choices = ", ".join(translate(lang, f"kind.{k}") for k in ORG_KINDS)
        return "kind", translate(lang, "filter.bad_kind", value=_shown(kind), choices=choices)
    return None


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request, q: str = "", status: str = "", unit: str = "", focus_area: str = "",
                other_units: str = "") -> HTMLResponse:
    state = _state(request)
    store = state.store
    results: list[dict[str, Any]] | None = None
    error = None
    invalid = ""  # the field the error is about
    weak = other_language = False
    passed = 0
    q = q.strip()[:2000]
    bad = _bad_filter(request, store, status=status, unit=unit, focus_area=focus_area)
    if bad:
        invalid, error = bad
    elif q:
        try:
            cross = bool(other_units and unit)  # the unit left out; without other_units, the one kept (below)
            found = state.recommender.similar_to_text(q, k=100, cross_silo=cross, unit=unit if cross else None)
            allowed = {n.id for _, n in store.neighbours(focus_area, Rel.SUPPORTS, Direction.IN)} if focus_area \
                else None
            weak = _is_weak(found.notes)
            # a search in English where the data is Norwegian: the word match finds little, and the model is weak
            # across the two languages, so the page says that Norwegian words may find more
            other_language = text_language(q) == "en" \
                and is_norwegian(request.app.state.settings.data_lang)
            kept = [r for r in found.items
                    if (not status or r.status == status) and (allowed is None or r.id in allowed)
                    and (not unit or other_units or (r.owner or {}).get("id") == unit)]
            results, passed = _with_reasons(kept, PAGE_K)
        except (ValidationError, NotFoundError) as e:
            invalid, error = "q", _message(request, e)
    elif "q" in request.query_params:  # the form was sent with nothing in it
        invalid, error = "q", translate(_lang(request), "message.empty_query")
    return render(request, "search.html", q=q, status=status, unit=unit, focus_area=focus_area, weak=weak,
                  other_language=other_language, other_units=bool(other_units), results=results, error=error,
                  invalid=invalid, statuses=INITIATIVE_STATUS,
                  units=_units(store), focus_areas=_focus_areas(store), passed=passed,
                  unit_ignored=bool(other_units and not unit), filtered=bool(status or unit or focus_area))


LIST_PAGE = 30
LIST_SORTS = ("-start_date", "start_date", "title")  # the first is the default: newest first


@router.get("/initiatives", response_class=HTMLResponse)
def initiatives_page(request: Request, status: str = "", unit: str = "", focus_area: str = "",
                     page: str = "1", sort: str = "") -> HTMLResponse:
    """Every initiative, a page at a time, filtered by status, owning unit and focus area, newest first (or oldest
    first, or by title): the overview's bars lead here, for browsing without a search text."""
    state = _state(request)
    store = state.store
    # decimal digits of any script ("２" too), as int reads them; not "²" (a digit int refuses) or 5000 of them
    number = int(page) if page.isdecimal() and len(page) <= 5 and 0 < int(page) < 100_000 else 1
    error = None
    invalid = ""  # the field the error is about
    found: list[dict[str, Any]] = []
    count = 0
    bad = _bad_filter(request, store, status=status, unit=unit, focus_area=focus_area)
    if bad:
        invalid, error = bad
    elif sort and sort not in LIST_SORTS:
        invalid, error = "sort", translate(_lang(request), "list.bad_sort", value=_shown(sort))
    else:
        nodes, count = items.list_items(store, Label.INITIATIVE, props={"status": status or None},
                                        linked=[(Rel.OWNED_BY, unit or None), (Rel.SUPPORTS, focus_area or None)],
                                        offset=(number - 1) * LIST_PAGE, limit=LIST_PAGE,
                                        order_by=sort or LIST_SORTS[0])
        found = [items.public_item(store, n) for n in nodes]
    query = {k: v for k, v in {"status": status, "unit": unit, "focus_area": focus_area, "sort": sort}.items() if v}
    pages = max(1, -(-count // LIST_PAGE))

    def link(to: int) -> str:
        return "/web/initiatives?" + "&".join(f"{k}={v}" for k, v in _quote({**query, "page": str(to)}).items())

    return render(request, "initiatives.html", found=found, count=count, status=status, unit=unit,
                  focus_area=focus_area, statuses=INITIATIVE_STATUS, units=_units(store),
                  focus_areas=_focus_areas(store), error=error, invalid=invalid, number=number, pages=pages,
                  sort=sort if sort in LIST_SORTS else LIST_SORTS[0], sorts=LIST_SORTS,
                  previous=link(number - 1) if number > 1 else None,
                  following=link(number + 1) if number < pages else None)


@router.get("/initiatives/{item_id}", response_class=HTMLResponse)
def initiative_page(request: Request, item_id: str) -> HTMLResponse:
    state = _state(request)
    store = state.store
    try:
        node = items.get_item(store, Label.INITIATIVE, item_id)
    except NotFoundError as e:
        return error_page(request, 404, str(e))
    item = items.public_item(store, node)
    props = public_props(node.props)
    similar = state.recommender.similar_to_item(item_id, k=10, cross_silo=True)
    partners = state.partners.partners(item_id, k=5)
    reusable = reuse(state.recommender, item_id, k=10)
    return render(request, "initiative.html", item=item, props=props, fields=SHOWN_FIELDS,
                  similar=_with_reasons(similar.items, 5)[0], similar_weak=_is_weak(similar.notes),
                  partners=[r.as_dict() for r in partners],
                  reusable=_with_reasons(reusable.items, 5)[0], reuse_weak=_is_weak(reusable.notes))


@router.get("/partners", response_class=HTMLResponse)
def partners_page(request: Request, text: str = "", initiative: str = "", kind: str = "") -> HTMLResponse:
    state = _state(request)
    store = state.store
    results = None
    error = None
    invalid = ""  # the field the error is about
    text = text.strip()[:5000]
    asked = bool(text or initiative)
    weak = False
    bad = _bad_filter(request, store, kind=kind)
    if bad:
        invalid, error = bad
    elif asked:
        try:
            kinds = [kind] if kind else None
            # an initiative picked wins: its text, owner and partners are known
            query = state.partners.query_for(initiative) if initiative else PartnerQuery(text)
            notes: list[str] = []
            results = [r.as_dict() for r in state.partners.partners(query, k=15, kinds=kinds, notes=notes)]
            weak = not initiative and _is_weak(notes)  # a description nothing resembles: loose suggestions
        except (ValidationError, NotFoundError) as e:
            invalid, error = "initiative" if isinstance(e, NotFoundError) else "text", _message(request, e)
    elif "text" in request.query_params or "initiative" in request.query_params:  # sent empty
        invalid, error = "text", translate(_lang(request), "partners.need_input")
    initiatives = sorted(store.iter_nodes(Label.INITIATIVE), key=lambda n: n.title)
    return render(request, "partners.html", text=text, initiative=initiative, kind=kind, kinds=ORG_KINDS,
                  initiatives=initiatives, results=results, error=error, invalid=invalid, asked=asked, weak=weak,
                  text_ignored=bool(text and initiative))


@router.get("/ideas/new", response_class=HTMLResponse)
def idea_page(request: Request) -> HTMLResponse:
    _state(request, public=True)
    return render(request, "idea.html", form={}, errors=[], kinds=SUBMITTER_KINDS, invalid=set(),
                  reader=_may_read(request))


@router.post("/ideas/new", response_model=None)
async def idea_submit(request: Request) -> Response:
    state = _state(request, public=True)
    form = {k: str(v) for k, v in (await request.form()).items()}
    errors: list[str] = []
    invalid: set[str] = set()  # the fields the errors are about, marked for screen readers
    try:
        body = IdeaSubmit(title=form.get("title", ""), text=form.get("text", ""),
                          submitter_kind=form.get("submitter_kind") or "citizen", contact=form.get("contact") or None)
    except PydanticValidationError as e:
        lang = _lang(request)
        errors = [form_error(lang, translate(lang, "idea.field." + str(err["loc"][0])), dict(err))
                  for err in e.errors()]
        invalid = {str(err["loc"][0]) for err in e.errors()}
    status = 422
    slot = None
    if not errors:
        try:
            slot = take_idea_slot(request)
        except HTTPException as e:
            minutes = max(1, -(-int((e.headers or {}).get("Retry-After", "60")) // 60))
            key = "errors.rate.one" if minutes == 1 else "errors.rate"
            errors, status = [translate(_lang(request), key, minutes=minutes)], 429
    if not errors:
        try:
            receipt = await _run(functools.partial(submit_idea, show_similar=False), state.store,
                                 state.recommender.embedder, state.recommender, body)
        except ValidationError as e:
            errors = [_message(request, e)]
        except BaseException:
            if slot is not None:
                give_back_idea_slot(request, slot)
            raise
        if errors and slot is not None:  # refused: it does not count against the limit
            give_back_idea_slot(request, slot)
    if errors:
        return render(request, "idea.html", status_code=status, form=form, errors=errors, kinds=SUBMITTER_KINDS,
                      invalid=invalid, reader=_may_read(request))
    _may_read(request)  # who sent it, for the audit log (a signed-in editor, or anonymous)
    # to the idea's page, so that reloading it does not send the idea again; the cookie lets its sender
    # see it there where the pages need a reader token
    asked = request.query_params.get("lang")
    done = RedirectResponse(f"/web/ideas/{quote_plus(receipt.id)}" + (f"?lang={asked}" if asked in LANGS else ""),
                            status_code=303)
    done.set_cookie(RECEIPT_COOKIE, _receipt_mark(request, receipt.id) or "", max_age=3600, httponly=True,
                    samesite="lax", path="/web/ideas", secure=_secure(request))
    return done


async def _run(fn: Any, *args: Any) -> Any:
    return await run_in_threadpool(fn, *args)


RECEIPT_COOKIE = "kominn_receipt"


def _receipt_mark(request: Request, idea_id: str, *, create: bool = True) -> str | None:
    """The receipt cookie's value for an idea: its id signed with this service's key (a cookie naming some
    other idea cannot be made without it). The key is kept beside the tokens, so that a receipt outlives a
    restart and works on every worker; it is made when the first idea is sent (``create``), so that only
    reading a page writes nothing (None while there is no key)."""
    key: bytes | None = request.app.state.receipt_key
    if key is None:
        key = request.app.state.tokens.signing_key("receipt", create=create)
        request.app.state.receipt_key = key
    return None if key is None else f"{idea_id}.{hmac.new(key, idea_id.encode(), hashlib.sha256).hexdigest()}"


def _is_sender(request: Request, idea_id: str) -> bool:
    given = request.cookies.get(RECEIPT_COOKIE, "")
    mark = _receipt_mark(request, idea_id, create=False) if given else None
    return mark is not None and hmac.compare_digest(given, mark)


@router.get("/ideas/{idea_id}", response_class=HTMLResponse)
def idea_receipt_page(request: Request, idea_id: str) -> HTMLResponse:
    """An idea as its sender sees it after sending it: the case number, the title, when it came, its status,
    what already exists that resembles it, and apart from that related existing work. Hidden ideas are for
    admins only, as in the API; where the pages need a reader token, the sender (by the signed cookie of the
    submission) sees their own idea, without the search of the store."""
    state = _state(request, public=True)
    role = _role(request)
    reader = role >= Role.READER or not state.settings.read_requires_token
    mine = _is_sender(request, idea_id)
    if not reader and not mine:
        raise HTTPException(401, "these pages need a reader token in the kominn_token cookie")
    try:
        node = items.get_item(state.store, Label.IDEA, idea_id, admin=role >= Role.ADMIN)
    except NotFoundError as e:
        return error_page(request, 404, str(e))
    similar: list[dict[str, Any]] = []
    related: list[dict[str, Any]] = []
    if reader:
        found = check_idea_and_related(state.recommender, item_query(node), exclude_ids=[idea_id])
        similar = [r.as_dict() for r in found.duplicates.items]
        related = [r.as_dict() for r in found.related.items]
    receipt = {"id": node.id, "title": node.title, "created": node.props.get("created"),
               "status": node.props.get("status") or "new", "similar": similar, "related": related}
    return render(request, "receipt.html", receipt=receipt, mine=mine, reader=reader)


@router.get("/graph/{item_id}", response_class=HTMLResponse)
def graph_page(request: Request, item_id: str, depth: str = "1") -> HTMLResponse:
    state = _state(request)
    steps = 2 if depth.strip() == "2" else 1  # the page offers 1 and 2; anything else shows 1
    try:
        graph = explore.neighbourhood(state.store, item_id, depth=steps)
    except NotFoundError as e:
        return error_page(request, 404, str(e))
    center = next(n for n in graph["nodes"] if n["id"] == item_id)
    lang = _lang(request)
    link: dict[str, str] = {}  # each neighbour's link to the centre, said in words (the picture's text)
    for edge in graph["edges"]:  # the relationship as the tooltip says it, in the page language
        edge["label"] = translate(lang, f"rel.{edge['rel']}")
        if edge["source"] == item_id:  # "Digitalt nattilsyn eies av denne"
            link.setdefault(edge["target"], f"{center['title']} {edge['label']} {translate(lang, 'graph.this')}")
        elif edge["target"] == item_id:  # "ligner på Digitalt nattilsyn"
            link.setdefault(edge["source"], f"{edge['label']} {center['title']}")
    depth_of = {n["id"]: n["depth"] for n in graph["nodes"]}
    titles = {n["id"]: n["title"] for n in graph["nodes"]}
    for edge in graph["edges"]:  # a node two steps away: through which neighbour
        for near, far in ((edge["source"], edge["target"]), (edge["target"], edge["source"])):
            if depth_of.get(near) == 1 and depth_of.get(far) == 2:
                link.setdefault(far, f"{translate(lang, 'graph.via')} {titles[near]}")
    rels = sorted({e["rel"] for e in graph["edges"]})
    for node in graph["nodes"]:  # the picture's labels say their language where it is not the page's
        tag = data_language(node["title"], None, lang, state.settings.data_lang)
        if tag:
            node["lang"] = tag
    return render(request, "graph.html", graph=graph, center=center, depth=steps, rels=rels, link=link)


# The order the overview lists values in: the life of an initiative, not the alphabet of the English keys.
_ORDER = {"status": INITIATIVE_STATUS,
          **{f.name: f.choices for f in FIELDS[Label.INITIATIVE] if f.name in ("scale", "mode") and f.choices}}


def _in_order(counts: dict[str, int], kind: str) -> list[str]:
    known = [k for k in _ORDER.get(kind, ()) if k in counts]
    return known + sorted(k for k in counts if k not in known)


@router.get("/overview", response_class=HTMLResponse)
def overview_page(request: Request) -> HTMLResponse:
    state = _state(request)
    return render(request, "overview.html", o=explore.overview(state.store), in_order=_in_order)


def install(app: FastAPI) -> None:
    """Add the pages, their static files, and a redirect from / to the search page."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/web/", status_code=307)
