"""The full REST API with roles, on the demo data with the real model: CRUD, paging, filters, errors,
partners, graph, overview, idea hiding and merging, and that contact details never reach the public."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph.embedded import EmbeddedGraphStore
from graph.schema import Label, Node, Rel
from graph.store import sort_key
from ingest.demo import load_demo
from ingest.embedder import SentenceTransformerEmbedder
from service.app import create_app
from service.auth import TokenStore, token_path
from service.settings import Settings

pytestmark = pytest.mark.slow


class Api:
    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def h(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}

    def get(self, url: str, role: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.get(url, headers=self.h(role), **kw)

    def post(self, url: str, body: object, role: str | None = None):  # type: ignore[no-untyped-def]
        return self.client.post(url, json=body, headers=self.h(role))

    def patch(self, url: str, body: object, role: str | None = None):  # type: ignore[no-untyped-def]
        return self.client.patch(url, json=body, headers=self.h(role))

    def delete(self, url: str, role: str | None = None):  # type: ignore[no-untyped-def]
        return self.client.delete(url, headers=self.h(role))


def _make(store: EmbeddedGraphStore, embedder: SentenceTransformerEmbedder, data_dir: Path,
          **settings: object) -> Iterator[Api]:
    tokens = TokenStore(token_path(data_dir))
    made = {role: tokens.create(role, f"test {role}")[0] for role in ("reader", "editor", "admin")}
    app = create_app(Settings(data_dir=data_dir, **settings), store=store, embedder=embedder)
    with TestClient(app) as client:
        yield Api(client, made)


@pytest.fixture
def api(demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder, tmp_path: Path) -> Iterator[Api]:
    yield from _make(demo_store, real_embedder, tmp_path / "data", idea_rate_limit=3)


def _error(r, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


NEW = {
    "initiatives": {"title": "Solceller på sykehjemmets tak", "status": "planned", "owner": "unit-helse",
                    "description": "Solcellepaneler på taket av sykehjemmet skal dekke en del av strømforbruket.",
                    "focus_areas": ["fa-natur"], "partners": [{"org": "org-solglott", "role": "supplier"}],
                    "topics": ["solenergi"], "contact": "Kari Nordmann, kari@example.no"},
    "needs": {"title": "Høye strømkostnader i kommunale bygg", "description": "Strømmen koster mer enn før.",
              "focus_areas": ["fa-natur"]},
    "organisations": {"name": "Solkraft Fjordvik AS", "kind": "business", "org_number": "999888777",
                      "country": "no", "description": "Leverer og monterer solcelleanlegg."},
}


@pytest.mark.parametrize("resource", ["initiatives", "ideas", "needs", "organisations"])
def test_lists_page_with_offset_limit_and_count(api: Api, resource: str) -> None:
    """Every list answers {data, count}, sorted by id, with offset and limit; limit over 100 is 422."""
    first = api.get(f"/{resource}", params={"limit": 3}).json()
    second = api.get(f"/{resource}", params={"limit": 3, "offset": 3}).json()
    assert len(first["data"]) == 3 and first["count"] > 6 and second["count"] == first["count"]
    ids = [x["id"] for x in first["data"] + second["data"]]
    assert ids == sorted(ids) and len(set(ids)) == 6
    _error(api.get(f"/{resource}", params={"limit": 101}), 422, "invalid_input")
    _error(api.get(f"/{resource}", params={"offset": -1}), 422, "invalid_input")


def test_list_filters(api: Api) -> None:
    """Filters by status, owner, focus area and kind keep only matching items."""
    body = api.get("/initiatives", params={"status": "completed", "owner": "unit-helse", "limit": 100}).json()
    assert body["count"] >= 1
    assert all(x["properties"]["status"] == "completed" and x["owner"]["id"] == "unit-helse" for x in body["data"])
    body = api.get("/initiatives", params={"focus_area": "fa-folkehelse", "limit": 100}).json()
    assert body["count"] >= 1 and all("fa-folkehelse" in {f["id"] for f in x["focus_areas"]} for x in body["data"])
    body = api.get("/organisations", params={"kind": "ngo", "limit": 100}).json()
    assert body["count"] >= 1 and all(x["properties"]["kind"] == "ngo" for x in body["data"])
    _error(api.get("/initiatives", params={"status": "finished"}), 422, "invalid_input")


@pytest.mark.parametrize(("url", "name"), [("/initiatives", "owner"), ("/initiatives", "partner"),
                                         ("/ideas", "need"), ("/needs", "focus_area"), ("/organisations", "part_of")])
def test_an_empty_filter_is_refused_naming_it(api: Api, url: str, name: str) -> None:
    """A link filter sent empty (?owner=, as a form or a template with a blank value sends it) is a 422 naming it,
    as an empty status is, where it answered that nothing matched: a caller could take that for "there are none"."""
    err = _error(api.get(url, params={name: ""}), 422, "invalid_input")
    assert [p["field"] for p in err["problems"]] == [name]


def test_initiatives_sort_by_date_or_title_in_the_api_and_on_the_list_page(api: Api) -> None:
    """GET /initiatives?sort=-start_date gives the newest first (undated ones last) and sort=title goes by title
    whatever the case; an unknown order is 422 naming sort. The list page shows the newest first, and offers
    oldest first and by title, kept on the next page's link."""
    body = api.get("/initiatives", params={"sort": "-start_date", "limit": 100}).json()
    dates = [x["properties"].get("start_date") for x in body["data"]]
    dated = [d for d in dates if d]
    assert len(dated) > 10 and dated == sorted(dated, reverse=True) and dates[: len(dated)] == dated
    titles = [x["title"] for x in api.get("/initiatives", params={"sort": "title", "limit": 100}).json()["data"]]
    assert titles == sorted(titles, key=lambda t: sort_key(t, "str"))  # the Norwegian alphabet: Å last
    assert titles[-1].startswith("Å") and not titles[0].startswith("Å"), titles
    error = _error(api.get("/initiatives", params={"sort": "popularity"}), 422, "invalid_input")
    assert "sort" in str(error)
    page = api.get("/web/initiatives").text
    first = re.findall(r'href="/web/initiatives/(ini-\d+)"', page)
    assert first == [x["id"] for x in body["data"][:30]]
    assert 'option value="title"' in page and 'rel="next"' in page
    by_title = api.get("/web/initiatives", params={"sort": "title"}).text
    assert 'value="title" selected' in by_title and "sort=title" in by_title.split('rel="next"')[0].rsplit("<a", 1)[1]
    assert "Ukjent sortering &#39;id; DROP&#39;" in api.get("/web/initiatives", params={"sort": "id; DROP"}).text


def test_ideas_sort_newest_first_for_the_people_who_review_them(api: Api) -> None:
    """GET /ideas?sort=-created lists the ideas that came in last first (ties by id); an order ideas do not have
    (start_date) is 422."""
    body = api.get("/ideas", params={"sort": "-created", "limit": 100}).json()
    days = [x["properties"].get("created") for x in body["data"]]
    assert len([d for d in days if d]) > 5 and [d for d in days if d] == sorted([d for d in days if d], reverse=True)
    assert body["count"] == api.get("/ideas", params={"limit": 1}).json()["count"]
    _error(api.get("/ideas", params={"sort": "start_date"}), 422, "invalid_input")


@pytest.mark.parametrize("resource", ["initiatives", "needs", "organisations"])
def test_editor_creates_reads_updates_and_deletes(api: Api, resource: str) -> None:
    """An editor can create (201), read, patch and delete (204) an item; then it is 404."""
    r = api.post(f"/{resource}", NEW[resource], role="editor")
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["id"].startswith({"initiatives": "ini-", "needs": "need-", "organisations": "org-"}[resource])
    assert "contact" not in item["properties"]
    assert api.get(f"/{resource}/{item['id']}").json()["title"] == item["title"]
    r = api.patch(f"/{resource}/{item['id']}", {"description": "Endret beskrivelse."}, role="editor")
    assert r.status_code == 200 and r.json()["properties"]["description"] == "Endret beskrivelse."
    assert r.json()["title"] == item["title"]
    assert api.delete(f"/{resource}/{item['id']}", role="editor").status_code == 204
    _error(api.get(f"/{resource}/{item['id']}"), 404, "not_found")
    _error(api.delete(f"/{resource}/{item['id']}", role="editor"), 404, "not_found")


def test_a_created_initiative_is_embedded_linked_and_searchable(api: Api, demo_store: EmbeddedGraphStore) -> None:
    """A created initiative gets its links and topics, keeps its contact private, is found by search, and the
    answer's Location is its address."""
    created = api.post("/initiatives", {**NEW["initiatives"], "id": "ini-sol"}, role="editor")
    assert created.status_code == 201 and created.headers["location"] == "/initiatives/ini-sol"
    item = created.json()
    assert item["owner"]["id"] == "unit-helse" and item["partners"][0]["role"] == "supplier"
    assert [t["name"] for t in item["topics"]] == ["solenergi"]
    node = demo_store.get("ini-sol")
    assert node is not None and node.embedding is not None and node.props["contact"].startswith("Kari")
    hits = api.get("/search", params={"q": "solcellepaneler på taket av sykehjemmet", "k": 3}).json()["data"]
    assert hits[0]["id"] == "ini-sol"
    assert api.get("/initiatives/ini-sol", role="admin").json()["properties"]["contact"].startswith("Kari")
    # a patch that does not touch the contact keeps it
    api.patch("/initiatives/ini-sol", {"status": "ongoing"}, role="editor")
    assert demo_store.get("ini-sol").props["contact"].startswith("Kari")  # type: ignore[union-attr]
    # creating it again is a conflict with what is stored (409), not a malformed request
    assert "use PATCH" in _error(api.post("/initiatives", {**NEW["initiatives"], "id": "ini-sol"}, role="editor"),
                                 409, "conflict")["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW["initiatives"], "owner": "unit-nowhere"}, "owner"),
        ({**NEW["initiatives"], "status": "finished"}, "status"),
        ({**NEW["initiatives"], "title": "x" * 301}, "title"),
        ({**NEW["initiatives"], "colour": "red"}, "colour"),
        ({**NEW["initiatives"], "id": "bad id!"}, "id"),
        ({**NEW["initiatives"], "start_date": "2024-05-01", "end_date": "2023-01-01"}, "end_date"),
        ({**NEW["initiatives"], "start_date": "0001-01-01"}, "start_date"),  # a typing error: no year 1
        ({**NEW["initiatives"], "partners": [{"org": "org-solglott"}, {"org": "org-solglott", "role": "supplier"}]},
         "partners"),  # one partner with two roles: one would be lost
        ({k: v for k, v in NEW["initiatives"].items() if k != "owner"}, "owner"),
    ],
)
def test_bad_writes_are_422_naming_the_field(api: Api, body: dict, field: str) -> None:
    """Writes are validated (by pydantic bounds and by ingest's validation) and name the field."""
    err = _error(api.post("/initiatives", body, role="editor"), 422, "invalid_input")
    assert field in {p["field"] for p in err["problems"]}


def test_a_field_a_nested_or_small_body_does_not_take_is_named_not_ignored(api: Api) -> None:
    """A partner link with a misspelt field ({"org": ..., "rolle": "supplier"}) and a merge with a field besides
    `into` are 422s naming the field, where the field was dropped unsaid (the partner stored with the default role,
    the idea merged)."""
    body = {**NEW["initiatives"], "partners": [{"org": "org-solglott", "rolle": "supplier"}]}
    err = _error(api.post("/initiatives", body, role="editor"), 422, "invalid_input")
    assert [p["field"] for p in err["problems"]] == ["partners.0.rolle"]
    err = _error(api.post("/ideas/idea-002/merge", {"into": "idea-001", "reason": "same"}, role="admin"),
                 422, "invalid_input")
    assert [p["field"] for p in err["problems"]] == ["reason"]
    assert api.get("/ideas/idea-002", role="admin").json()["properties"]["status"] != "merged"


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/initiatives", NEW["initiatives"]),
        ("patch", "/initiatives/ini-001", {"title": "Nytt navn"}),
        ("delete", "/initiatives/ini-001", None),
        ("post", "/needs", NEW["needs"]),
        ("patch", "/needs/need-001", {"title": "Nytt navn"}),
        ("delete", "/needs/need-001", None),
        ("post", "/organisations", NEW["organisations"]),
        ("patch", "/organisations/org-fjordvik", {"name": "Nytt navn"}),
        ("delete", "/organisations/org-fjordvik", None),
        ("patch", "/ideas/idea-001", {"title": "Nytt navn"}),
    ],
)
def test_writes_need_an_editor_token(api: Api, method: str, url: str, body: dict | None) -> None:
    """Without a token a write is 401 (with WWW-Authenticate); with a reader token it is 403."""
    call = getattr(api, method)
    args = (url,) if body is None else (url, body)
    r = call(*args)
    _error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    _error(call(*args, role="reader"), 403, "forbidden")


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/ideas/idea-001/hide", {}),
        ("post", "/ideas/idea-001/merge", {"into": "idea-002"}),
        ("delete", "/ideas/idea-001", None),
        ("patch", "/ideas/idea-001", {"status": "hidden"}),
        ("patch", "/ideas/idea-001", {"duplicate_of": "idea-002"}),  # a merge by another name
        ("patch", "/ideas/idea-011", {"status": "new"}),  # idea-011 is merged: undoing that is a merge too
        ("patch", "/ideas/idea-001", {"contact": None}),  # the sender's contact: editors cannot even see it
    ],
)
def test_hiding_merging_and_deleting_ideas_need_admin(api: Api, method: str, url: str, body: dict | None) -> None:
    """Hide, merge, delete, setting status hidden, setting duplicate_of, changing a merged idea's status and
    changing (or clearing) the sender's contact are 403 for an editor, and change nothing."""
    before = api.get("/ideas/idea-001", role="admin").json()
    args = (url,) if body is None else (url, body)
    _error(getattr(api, method)(*args, role="editor"), 403, "forbidden")
    assert api.get("/ideas/idea-001", role="admin").json() == before


def test_an_invalid_token_is_401_even_for_reads(api: Api) -> None:
    """A token that does not verify is refused, not treated as anonymous."""
    r = api.client.get("/initiatives", headers={"Authorization": "Bearer kmn_dead_beef"})
    _error(r, 401, "unauthorized")


def test_an_expired_token_is_401_and_says_it_expired(api: Api, tmp_path: Path) -> None:
    """A token past its expiry is refused with a message that says so and what to do, for reads and writes."""
    tokens = TokenStore(token_path(tmp_path / "data"))
    token, info = tokens.create("editor", "short", lifetime=dt.timedelta(hours=1))
    with sqlite3.connect(token_path(tmp_path / "data")) as conn:  # as if the hour had passed
        conn.execute("UPDATE tokens SET expires = created WHERE id = ?", (info.id,))
    for r in (api.client.get("/initiatives", headers={"Authorization": f"Bearer {token}"}),
              api.client.post("/needs", json={"title": "Kø"}, headers={"Authorization": f"Bearer {token}"})):
        message = _error(r, 401, "unauthorized")["message"]
        assert f"expired at {info.created}" in message and "kominn token create" in message


def test_reads_can_require_a_reader_token(demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder,
                                           tmp_path: Path) -> None:
    """With read_requires_token, anonymous reads are 401 and a reader token reads; the duplicate check is a
    read too, and an anonymous idea is still received but its receipt shows nothing of the store; /health tells
    an anonymous caller that the service is up, not where its store is or how large."""
    for api in _make(demo_store, real_embedder, tmp_path / "d", read_requires_token=True):
        up = api.get("/health").json()
        assert up["status"] == "ok" and up["store"] == "embedded" and up["nodes"] is None
        assert api.get("/health", role="reader").json()["store"].startswith("embedded store at ")
        _error(api.get("/initiatives/ini-001"), 401, "unauthorized")
        _error(api.get("/search", params={"q": "biogass"}), 401, "unauthorized")
        check = {"title": "Biogass", "text": "Biogass fra matavfall til kommunens busser"}
        _error(api.post("/ideas/check", check), 401, "unauthorized")
        assert api.post("/ideas/check", check, role="reader").json()["count"] > 0
        receipt = api.post("/ideas", check)
        assert receipt.status_code == 201 and receipt.json()["similar"] == receipt.json()["related"] == []
        assert api.post("/ideas", check, role="editor").json()["similar"]
        assert api.get("/initiatives/ini-001", role="reader").status_code == 200
        assert api.get("/web/", role="reader").status_code == 200
        page = api.get("/web/")
        assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
        assert "kominn_token" in page.text


def test_anyone_can_send_an_idea_from_the_pages_of_a_closed_instance(
    demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    """With read_requires_token, the idea form still opens and takes an idea without a token (as the API
    does); its sender is led to the idea's page and sees the case number there, but nothing of the store, and
    someone else without a token cannot open that page."""
    for api in _make(demo_store, real_embedder, tmp_path / "d", read_requires_token=True):
        form_page = api.get("/web/ideas/new")
        assert form_page.status_code == 200 and 'id="live"' not in form_page.text  # the live check needs a reader
        assert 'id="live"' in api.get("/web/ideas/new", role="reader").text
        form = {"title": "Lysløype i Lia", "text": "Det trengs lys i løypa i Lia om vinteren, for alle som går."}
        sent = api.client.post("/web/ideas/new", data=form, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"].startswith("/web/ideas/idea-")
        page = api.get(sent.headers["location"])
        assert page.status_code == 200 and "Takk! Innspillet er mottatt" in page.text
        assert 'id="similar-h"' not in page.text
        api.client.cookies.clear()
        assert api.get(sent.headers["location"]).status_code == 401
        assert 'id="similar-h"' in api.get(sent.headers["location"], role="reader").text
        # a cookie naming another idea cannot be made up: it is signed by the service
        api.client.cookies.set("kominn_receipt", "idea-001", path="/web/ideas")
        assert api.get("/web/ideas/idea-001").status_code == 401
        api.client.cookies.set("kominn_receipt", "idea-001.0123456789abcdef", path="/web/ideas")
        assert api.get("/web/ideas/idea-001").status_code == 401
        api.client.cookies.clear()


def test_an_idea_receipt_outlives_a_restart_of_the_service(
    demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    """The sender of an idea can still open its page after the service restarts: the receipt cookie is signed
    with a key kept in the data folder, not one made per run."""
    cookie = ""
    location = ""
    for api in _make(demo_store, real_embedder, tmp_path / "d", read_requires_token=True):
        form = {"title": "Benker langs turveien", "text": "Eldre trenger benker å hvile på langs turveien til sjøen."}
        sent = api.client.post("/web/ideas/new", data=form, follow_redirects=False)
        location, cookie = sent.headers["location"], api.client.cookies["kominn_receipt"]
    app = create_app(Settings(data_dir=tmp_path / "d", read_requires_token=True), store=demo_store,
                     embedder=real_embedder)
    with TestClient(app) as client:
        client.cookies.set("kominn_receipt", cookie, path="/web/ideas")
        page = client.get(location)
        assert page.status_code == 200 and "Takk! Innspillet er mottatt" in page.text
    with TestClient(create_app(Settings(data_dir=tmp_path / "other", read_requires_token=True), store=demo_store,
                               embedder=real_embedder)) as client:  # another installation's key does not sign it
        client.cookies.set("kominn_receipt", cookie, path="/web/ideas")
        assert client.get(location).status_code == 401


def test_an_idea_page_shows_what_the_api_shows(api: Api) -> None:
    """A merged idea has its page, as it has its API resource; a hidden one is for admins only."""
    assert api.post("/ideas/idea-009/hide", {}, role="admin").status_code == 200
    assert api.get("/web/ideas/idea-009").status_code == 404
    assert api.get("/web/ideas/idea-009", role="admin").status_code == 200
    merged = next(i for i in api.get("/ideas", params={"status": "merged", "limit": 5}, role="admin").json()["data"])
    assert api.get(f"/web/ideas/{merged['id']}").status_code == 200


def test_the_idea_form_counts_what_is_stored(api: Api) -> None:
    """A title that is only markup or spaces is too short once its tags are gone (not stored as an empty or
    one-letter title); the message names the field in Norwegian, and only that field is marked invalid."""
    for title in ("<i>x</i>", "   "):
        r = api.client.post("/web/ideas/new", data={"title": title, "text": "Et innspill med nok tekst i seg."})
        assert r.status_code == 422 and "Overskrift: må ha minst 3 tegn" in r.text, r.text
        assert re.search(r'id="title"[^>]*aria-invalid="true"', r.text)  # the field is marked for screen readers
        assert not re.search(r'id="text"[^>]*aria-invalid', r.text)
    r = api.post("/ideas", {"title": "<b>ok</b>", "text": "Et innspill med nok tekst i seg."})
    _error(r, 422, "invalid_input")


def test_contact_details_in_an_idea_s_published_text_are_refused(api: Api, demo_store: EmbeddedGraphStore) -> None:
    """An e-mail address or a phone number in the title or text of a new idea (both are published) is refused,
    naming the field and saying to use the contact field, and nothing is stored; figures, years and amounts are
    not phone numbers. The form says what is published and why contact details are asked for."""
    before = demo_store.count_nodes(Label.IDEA)
    for title, text, field in [("Benker ved vannet", "Ring meg på 987 65 432 om benkene ved vannet.", "text"),
                               ("Benker ved vannet", "Send svar til ola.nordmann@example.no om benkene.", "text"),
                               ("Ring +47 98765432", "Flere benker langs turveien rundt vannet.", "title"),
                               ("Benker ved vannet", "Kontakt meg: 12 34 56 78, helst etter kl. 16.", "text")]:
        problems = _error(api.post("/ideas", {"title": title, "text": text}), 422, "invalid_input")["problems"]
        assert [p["field"] for p in problems] == [field] and "'contact'" in problems[0]["message"], problems
    assert demo_store.count_nodes(Label.IDEA) == before
    fine = "I 2024 brukte vi 2 500 000 kroner og 1200 timer; 98,5 prosent var fornøyde (sak 2023/12345, kl. 08.00)."
    assert api.post("/ideas", {"title": "Benker ved vannet 2024", "text": fine}).status_code == 201
    page = api.client.post("/web/ideas/new", data={"title": "Benker", "text": "Skriv til kari@example.no om dette."})
    assert page.status_code == 422 and "ser ut som en e-postadresse eller et telefonnummer" in page.text
    assert re.search(r'id="text"[^>]*aria-invalid="true"', page.text)
    form = api.get("/web/ideas/new").text
    assert "blir offentlige" in form and "Bare kommunens administratorer ser det" in form


def test_an_editor_cannot_publish_contact_details_or_an_identity_number_in_an_idea(
        api: Api, demo_store: EmbeddedGraphStore) -> None:
    """An editor's change to an idea's title or text that puts a phone number, an e-mail address (also one written
    with "(at)") or a national identity number in it is refused as a new idea's is, naming the field, and the idea
    is unchanged; a change without them is made, and an initiative's contact person in its description is kept."""
    before = api.get("/ideas/idea-001", role="admin").json()
    for body, field in [({"title": "Ring 987 65 432 om benkene"}, "title"),
                        ({"text": "Svar til ola(at)example.no om benkene ved vannet."}, "text"),
                        ({"title": "Benker ved vannet", "text": "Ola Nordmann, ola.nordmann@example.no"}, "text")]:
        problems = _error(api.patch("/ideas/idea-001", body, role="editor"), 422, "invalid_input")["problems"]
        assert [p["field"] for p in problems] == [field] and "'contact'" in problems[0]["message"], problems
    problems = _error(api.patch("/ideas/idea-001", {"text": "Søkeren, fnr. 010100 12356, ønsker flere benker."},
                                role="admin"), 422, "invalid_input")["problems"]
    assert [p["field"] for p in problems] == ["text"] and "identity number" in problems[0]["message"], problems
    assert api.get("/ideas/idea-001", role="admin").json() == before
    fine = "Flere benker langs linje 10 12 14 16, som brukte 2 500 000 kroner i 2024."
    r = api.patch("/ideas/idea-001", {"text": fine}, role="editor")
    assert r.status_code == 200 and r.json()["properties"]["text"] == fine, r.text
    r = api.patch("/initiatives/ini-001", {"description": "Kontakt: Kari Nordmann, 22 33 44 55."}, role="editor")
    assert r.status_code == 200, r.text
    page = api.client.post("/web/ideas/new", data={"title": "Benker", "text": "Mitt fødselsnummer er 01010012356."})
    assert page.status_code == 422 and "ser ut som et fødselsnummer" in page.text
    assert demo_store.get("idea-001").props["text"] == fine  # type: ignore[union-attr]


def test_an_idea_with_years_and_amounts_is_received_and_one_with_a_phone_number_as_people_write_it_is_not(
        api: Api) -> None:
    """An idea whose text holds a year span and an amount of eight digits each is received (they are not phone
    numbers), while a mobile number written with dots or after +47 in groups of four is refused."""
    r = api.post("/ideas", {"title": "Lekeplass 2024",
                            "text": "Tiltaket varte fra 20192024 og kostet 45000000 kroner"})
    assert r.status_code == 201, r.text
    for text in ("Ring meg på 912.34.567 om lekeplassen.", "Ring meg på +47 9123 4567 om lekeplassen."):
        problems = _error(api.post("/ideas", {"title": "Lekeplass", "text": text}), 422, "invalid_input")["problems"]
        assert [p["field"] for p in problems] == ["text"], problems


def test_the_idea_form_links_the_privacy_statement_and_cookies_are_https_only_behind_https(
        demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    """With KOMINN_PRIVACY_URL the idea form links the municipality's privacy statement; with an https
    KOMINN_PUBLIC_URL the language and receipt cookies are marked Secure."""
    for api in _make(demo_store, real_embedder, tmp_path / "data", privacy_url="https://www.asker.kommune.no/personvern",
                     public_url="https://kominn.example.no"):
        assert 'href="https://www.asker.kommune.no/personvern"' in api.get("/web/ideas/new").text
        assert "Secure" in api.get("/web/ideas/new?lang=en").headers["set-cookie"]
        r = api.client.post("/web/ideas/new", data={"title": "Benker ved vannet",
                                                     "text": "Flere benker langs turveien rundt vannet."},
                            follow_redirects=False)
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"], r.headers
    for api in _make(demo_store, real_embedder, tmp_path / "data2"):
        assert "personvern" not in api.get("/web/ideas/new").text
        assert "Secure" not in api.get("/web/ideas/new?lang=en").headers["set-cookie"]


def test_the_idea_form_says_when_to_try_again_after_too_many_ideas(api: Api) -> None:
    """Past the rate limit (3 in these tests) the form answers 429 and says in how many minutes to try again,
    and keeps what the person wrote."""
    form = {"title": "Benker langs turstien", "text": "Flere benker langs turstien rundt vannet, for eldre."}
    for _ in range(3):
        assert api.client.post("/web/ideas/new", data=form, follow_redirects=False).status_code == 303
    r = api.client.post("/web/ideas/new", data=form, follow_redirects=False)
    assert r.status_code == 429 and "Prøv igjen om 60 minutter" in r.text and "Benker langs turstien" in r.text


def test_every_initiative_can_be_browsed_without_a_search(api: Api) -> None:
    """/web/initiatives lists every initiative a page at a time, with the same count as the API, filtered by
    status, unit and focus area; the overview's bars lead to it filtered."""
    total = api.get("/initiatives", params={"limit": 1}).json()["count"]
    first = api.get("/web/initiatives").text
    assert f"{total} tiltak" in first and first.count('<li class="card">') == 30 and 'rel="next"' in first
    last = api.get("/web/initiatives", params={"page": str(-(-total // 30))}).text
    assert last.count('<li class="card">') == total - 30 * (-(-total // 30) - 1) and 'rel="next"' not in last
    helse = api.get("/initiatives", params={"owner": "unit-helse", "status": "completed", "limit": 100}).json()
    page = api.get("/web/initiatives", params={"unit": "unit-helse", "status": "completed"}).text
    assert f"{helse['count']} tiltak" in page
    assert set(re.findall(r'href="/web/initiatives/(ini-\d+)"', page)) == {i["id"] for i in helse["data"]}
    overview = api.get("/web/overview").text
    assert 'href="/web/initiatives?unit=unit-helse"' in overview
    assert 'href="/web/initiatives?status=completed"' in overview
    assert "Ukjent status" in api.get("/web/initiatives", params={"status": "pirates"}).text
    assert api.get("/web/initiatives", params={"page": "abc"}).status_code == 200  # a bad page number is page 1


@pytest.mark.parametrize("page", ["\u00b2", "\u2460", "9" * 5000, "-1", "0", "\uff12"])
def test_a_page_number_the_list_cannot_use_shows_the_first_page(api: Api, page: str) -> None:
    """A page given as a superscript or circled digit, a number too long to read, or not a positive number shows
    the first page of the list, where "²" and 5000 nines were a 500; a full-width "２" is the page it names."""
    r = api.get("/web/initiatives", params={"page": page})
    assert r.status_code == 200, r.text
    assert ("Side 2 av" if page == "\uff12" else "Side 1 av") in r.text


def test_an_initiative_page_names_its_title_first_and_links_what_it_builds_on(api: Api) -> None:
    """On an initiative's page the heading comes before its status and owner, and the initiative it builds on
    is linked to its own page (not to the graph), whatever its id looks like."""
    page = api.get("/web/initiatives/ini-011").text
    assert page.index("<h1>") < page.index('class="meta"')
    assert 'href="/web/initiatives/ini-005"' in page
    first = {**NEW["initiatives"], "id": "asker-solceller-1"}
    assert api.post("/initiatives", first, role="editor").status_code == 201
    then = {**NEW["initiatives"], "id": "asker-solceller-2", "builds_on": ["asker-solceller-1"]}
    assert api.post("/initiatives", then, role="editor").status_code == 201
    assert 'href="/web/initiatives/asker-solceller-1"' in api.get("/web/initiatives/asker-solceller-2").text


def test_the_search_page_shows_only_results_with_a_reason(api: Api) -> None:
    """Every result on the search page says why it is there (a matching term, meaning, a topic): the rest of
    the list is not padded out with items that only have an owner, and the page says how many it left out."""
    page = api.get("/web/", params={"q": "biogass av matavfall"}).text
    cards = page.split('<li class="card">')[1:]
    assert cards and all('class="reason reason-' in card for card in cards)
    assert 'id="passed"' in page
    empty = api.get("/web/", params={"q": "  "})
    assert "Søketeksten er tom" in empty.text


def test_the_overview_lists_statuses_in_the_order_of_an_initiative_s_life(api: Api) -> None:
    """Statuses read idé, planlagt, pågår, fullført, stanset (not the alphabet of the English keys), and
    dates on Norwegian pages read 01.03.2019."""
    page = api.get("/web/overview").text
    block = page.split('id="by-status"')[1].split("</ul>")[0]
    names = re.findall(r'class="bar-name"><a href="/web/initiatives\?status=\w+">([^<]+)<', block)
    order = ["idé", "planlagt", "pågår", "fullført", "stanset"]
    assert names == [n for n in order if n in names] and len(names) >= 3
    assert re.search(r"<dd>\d\d\.\d\d\.\d{4}</dd>", api.get("/web/initiatives/ini-001").text)


@pytest.mark.parametrize("url", ["/initiatives/nope", "/ideas/nope", "/needs/nope", "/organisations/nope",
                                 "/initiatives/nope/partners", "/graph/nope", "/needs/nope/reuse",
                                 "/initiatives/need-001"])
def test_unknown_ids_are_404(api: Api, url: str) -> None:
    """Unknown ids (or ids of another kind) give 404 with the error body."""
    _error(api.get(url), 404, "not_found")


def test_public_idea_submission_gives_a_receipt_with_the_duplicate(api: Api, demo_store: EmbeddedGraphStore) -> None:
    """Anyone can submit an idea; the receipt names the similar existing idea; the contact is stored, not shown."""
    body = {"title": "Sensorer i stedet for nattbesøk",
            "text": "Mor blir vekket hver natt av hjemmesykepleien. Bruk sensorer og digitalt nattilsyn i stedet.",
            "contact": "Ola Hansen, ola@example.no"}
    r = api.post("/ideas", body)
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["status"] == "new" and receipt["created"]
    assert "idea-001" in [s["id"] for s in receipt["similar"]]
    assert "ola@example.no" not in r.text
    assert demo_store.get(receipt["id"]).props["contact"] == "Ola Hansen, ola@example.no"  # type: ignore[union-attr]
    assert "contact" not in api.get(f"/ideas/{receipt['id']}").json()["properties"]
    assert api.get(f"/ideas/{receipt['id']}", role="admin").json()["properties"]["contact"].startswith("Ola")
    _error(api.post("/ideas", {**body, "status": "adopted"}), 422, "invalid_input")
    _error(api.post("/ideas", {"title": "x", "text": "kort"}), 422, "invalid_input")


def test_anonymous_idea_submission_is_rate_limited(api: Api) -> None:
    """After the limit an anonymous address gets 429 with Retry-After; an editor is not limited."""
    body = {"title": "Benker langs turveien", "text": "Flere benker langs turveien rundt vannet, for eldre."}
    for _ in range(3):
        assert api.post("/ideas", body).status_code == 201
    r = api.post("/ideas", body)
    _error(r, 429, "rate_limited")
    assert int(r.headers["retry-after"]) > 0
    assert api.post("/ideas", body, role="editor").status_code == 201


def test_rejected_submissions_do_not_use_up_the_rate_limit(api: Api) -> None:
    """A citizen whose submissions are refused (422) while fixing them can still submit the fixed idea."""
    body = {"title": "Benker langs turveien", "text": "Flere benker langs turveien rundt vannet, for eldre."}
    for _ in range(5):
        _error(api.post("/ideas", {"title": "x", "text": "kort"}), 422, "invalid_input")  # refused by its shape
        _error(api.post("/ideas", {**body, "needs": ["need-nope"]}), 422, "invalid_input")  # by the store
    assert api.post("/ideas", body).status_code == 201


def test_stored_text_keeps_angle_brackets_and_ampersands_that_are_not_html(api: Api) -> None:
    """"Barn <5 år", "3 < 4" and "R&amp;D" are stored as typed; only real tags are removed from a text."""
    title = "Barn <5 år og eldre >80 år, 3 < 4 & 5 > 2, R&amp;D"
    r = api.post("/needs", {"title": title}, role="editor")
    assert r.status_code == 201, r.text
    assert r.json()["title"] == title
    r = api.post("/needs", {"title": "Plass til <b>eldre</b> &amp; barn"}, role="editor")
    assert r.json()["title"] == "Plass til eldre & barn"


def test_a_cross_site_form_cannot_use_the_admin_cookie(api: Api) -> None:
    """The kominn_token cookie authorises a change only from this site's own pages: a POST that another
    site makes a signed-in browser send is anonymous (401), while one from this site goes through."""
    cookie = {"kominn_token": api.tokens["admin"]}
    api.client.cookies.update(cookie)
    try:
        r = api.client.post("/ideas/idea-009/hide", headers={"Origin": "http://evil.example"})
        _error(r, 401, "unauthorized")
        r = api.client.post("/ideas/idea-009/hide")  # no Origin or Referer: not a browser form, not trusted
        _error(r, 401, "unauthorized")
        assert api.client.get("/ideas/idea-009").status_code == 200
        r = api.client.post("/ideas/idea-009/hide", headers={"Origin": "http://testserver"})
        assert r.status_code == 200 and r.json()["properties"]["status"] == "hidden"
    finally:
        api.client.cookies.clear()


def test_behind_a_proxy_the_public_url_counts_as_this_site(
    demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    """With KOMINN_PUBLIC_URL set, a cookie write from the address browsers see (a reverse proxy's host,
    not the service's own) goes through, while another site is still refused."""
    for api in _make(demo_store, real_embedder, tmp_path / "data", public_url="https://kominn.example.no"):
        api.client.cookies.update({"kominn_token": api.tokens["admin"]})
        r = api.client.post("/ideas/idea-009/hide", headers={"Origin": "https://evil.example.no"})
        _error(r, 401, "unauthorized")
        r = api.client.post("/ideas/idea-009/hide", headers={"Referer": "https://KOMINN.example.no/web/ideas"})
        assert r.status_code == 200 and r.json()["properties"]["status"] == "hidden"
        api.client.cookies.clear()


def test_a_public_url_that_is_not_an_address_is_refused() -> None:
    """KOMINN_PUBLIC_URL must be a bare http(s) address; a path or a missing scheme is a settings error."""
    from pydantic import ValidationError

    for bad in ("kominn.example.no", "https://kominn.example.no/web/", "ftp://kominn.example.no"):
        with pytest.raises(ValidationError, match="public_url"):
            Settings(public_url=bad)


def test_an_item_others_link_to_cannot_be_deleted(api: Api) -> None:
    """Deleting a unit that still owns initiatives is refused (409, naming the links), so no initiative is
    left without its owner; once nothing links to it, it can be deleted."""
    owned = api.get("/initiatives", params={"owner": "unit-helse", "limit": 100}).json()["count"]
    body = _error(api.delete("/organisations/unit-helse", role="editor"), 409, "conflict")
    assert "unit-helse" in body["message"] and "owns" in body["message"]
    assert api.get("/organisations/unit-helse").status_code == 200
    assert api.get("/initiatives", params={"owner": "unit-helse", "limit": 100}).json()["count"] == owned
    org = api.post("/organisations", {"name": "Midlertidig lag", "kind": "ngo"}, role="editor").json()
    r = api.post("/initiatives", {**NEW["initiatives"], "partners": [{"org": org["id"]}]}, role="editor")
    assert r.status_code == 201, r.text
    ini = r.json()
    _error(api.delete(f"/organisations/{org['id']}", role="editor"), 409, "conflict")
    assert api.delete(f"/initiatives/{ini['id']}", role="editor").status_code == 204
    assert api.delete(f"/organisations/{org['id']}", role="editor").status_code == 204


def test_a_hidden_idea_is_never_named_through_a_link(api: Api) -> None:
    """Nobody can merge into a hidden idea, and an idea merged into one that is later hidden does not show
    the hidden idea's id or title to the public (the admin still sees the link)."""
    assert api.post("/ideas/idea-003/hide", {}, role="admin").status_code == 200
    _error(api.post("/ideas/idea-007/merge", {"into": "idea-003"}, role="admin"), 422, "invalid_input")
    assert api.post("/ideas/idea-007/merge", {"into": "idea-001"}, role="admin").status_code == 200
    assert api.post("/ideas/idea-001/hide", {}, role="admin").status_code == 200
    public = api.get("/ideas/idea-007").json()
    assert public["duplicate_of"] is None and "idea-001" not in json.dumps(public)
    assert api.get("/ideas/idea-007", role="admin").json()["duplicate_of"]["id"] == "idea-001"


def test_admin_hides_an_idea_and_it_disappears_for_others(api: Api) -> None:
    """A hidden idea is 404 and unlisted for non-admins, and the admin still sees it."""
    r = api.post("/ideas/idea-002/hide", {}, role="admin")
    assert r.status_code == 200 and r.json()["properties"]["status"] == "hidden"
    _error(api.get("/ideas/idea-002"), 404, "not_found")
    _error(api.get("/ideas/idea-002", role="editor"), 404, "not_found")
    assert "idea-002" not in [x["id"] for x in api.get("/ideas", params={"limit": 100}).json()["data"]]
    assert api.get("/ideas/idea-002", role="admin").status_code == 200
    listed = api.get("/ideas", params={"limit": 100, "status": "hidden"}, role="admin").json()["data"]
    assert [x["id"] for x in listed] == ["idea-002"]


def test_an_idea_erased_through_the_api_stays_erased_when_the_demo_is_ingested_again(
    api: Api, demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder
) -> None:
    """DELETE /ideas/{id} (admin) is an erasure: ingesting the file the idea came from again leaves it out,
    and the rest of the file is still read."""
    assert api.delete("/ideas/idea-002", role="admin").status_code == 204
    summary = load_demo(demo_store, real_embedder)
    assert summary.erased == 1 and [p.message.split(" was ")[0] for p in summary.erased_list] == ["idea 'idea-002'"]
    _error(api.get("/ideas/idea-002", role="admin"), 404, "not_found")
    assert demo_store.get("idea-001") is not None and summary.complete


def test_a_merged_idea_keeps_its_links(api: Api, demo_store: EmbeddedGraphStore) -> None:
    """Merging sets status merged and DUPLICATE_OF, and the idea's needs, focus areas and topics stay."""
    before = api.get("/ideas/idea-003", role="admin").json()
    r = api.post("/ideas/idea-003/merge", {"into": "idea-001"}, role="admin")
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["properties"]["status"] == "merged" and after["duplicate_of"]["id"] == "idea-001"
    for links in ("needs", "focus_areas", "topics"):
        assert after[links] == before[links]
    assert ("idea-003", "DUPLICATE_OF", "idea-001") in {e.key for e in demo_store.iter_edges(Rel.DUPLICATE_OF)}
    _error(api.post("/ideas/idea-004/merge", {"into": "idea-003"}, role="admin"), 422, "invalid_input")
    _error(api.post("/ideas/idea-004/merge", {"into": "idea-004"}, role="admin"), 422, "invalid_input")
    _error(api.post("/ideas/idea-004/merge", {"into": "ini-001"}, role="admin"), 422, "invalid_input")


def test_partners_for_an_initiative_and_for_text(api: Api) -> None:
    """Partners come ranked with reasons, never the owner or present partners, filtered by kind."""
    known = api.get("/initiatives/ini-001").json()
    exclude = {known["owner"]["id"], *(p["id"] for p in known["partners"])}
    body = api.get("/initiatives/ini-001/partners", params={"k": 5}).json()
    assert body["count"] == 5 and body["query_id"] == "ini-001"
    assert not exclude & {x["id"] for x in body["data"]} and body["data"][0]["reasons"]
    body = api.get("/initiatives/ini-001/partners", params=[("kind", "business"), ("kind", "ngo")]).json()
    assert body["count"] and all(x["status"] in ("business", "ngo") for x in body["data"])
    _error(api.get("/initiatives/ini-001/partners", params={"kind": "pirates"}), 422, "invalid_input")
    r = api.post("/partners", {"text": "biogass fra matavfall til bussene", "k": 3, "kind": ["business"]})
    assert r.status_code == 200 and r.json()["count"] == 3
    assert all(x["status"] == "business" for x in r.json()["data"])
    wrong = _error(api.post("/partners", {"text": "x", "known": ["org-nowhere"]}), 422, "invalid_input")
    assert wrong["problems"][0]["field"] == "known" and "org-nowhere" in wrong["problems"][0]["message"]
    wrong = _error(api.post("/partners", {"text": "x", "known": ["ini-001"]}), 422, "invalid_input")
    assert "'ini-001' is an initiative" in wrong["problems"][0]["message"]
    _error(api.post("/partners", {"text": "", "k": 3}), 422, "invalid_input")
    assert _error(api.post("/partners", {"text": "   "}), 422, "invalid_input")["problems"][0]["field"] == "text"
    r = api.post("/partners", {"known": ["unit-helse"], "k": 3})  # known partners alone are enough
    assert r.status_code == 200 and r.json()["count"] == 3
    for text in ("ini-001", "need-001"):  # the text of POST /partners is a description, never an id
        r = api.post("/partners", {"text": text, "k": 3})
        assert r.status_code == 200 and r.json()["query_id"] is None


def test_a_similar_search_s_unit_must_be_a_unit(api: Api) -> None:
    """POST /similar with cross_silo names the field when its unit is unknown or is not an organisation
    (it answered as if an initiative were a unit before)."""
    for unit, said in (("ini-001", "'ini-001' is an initiative, not a unit"), ("unit-nope", "no unit with id")):
        wrong = _error(api.post("/similar", {"text": "biogass", "unit": unit, "cross_silo": True}), 422,
                       "invalid_input")
        assert wrong["problems"][0]["field"] == "unit" and said in wrong["problems"][0]["message"]
    assert api.post("/similar", {"text": "biogass", "unit": "unit-helse", "cross_silo": True}).status_code == 200


def test_page_errors_are_pages_in_the_page_language(api: Api) -> None:
    """Under /web/ an unknown page, an unknown unit or initiative, a bad parameter and a refused idea form
    each give an HTML page in Norwegian (the default language), not the API's JSON or English."""
    r = api.get("/web/nope")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Fant ikke siden" in r.text and "/web/nope" in r.text
    for url in ("/web/initiatives/ini-nope", "/web/graph/ini-nope"):  # an unknown item: the same page
        r = api.get(url)
        assert r.status_code == 404 and "Fant ikke siden" in r.text and "ini-nope" in r.text
    assert "Fant ingen enhet med id" in api.get("/web/", params={"q": "biogass", "unit": "nope"}).text
    assert "Fant ingen tiltak med id" in api.get("/web/partners", params={"initiative": "nope"}).text
    r = api.get("/web/graph/ini-001", params={"depth": "abc"})  # the page offers 1 or 2: anything else is 1
    assert r.status_code == 200 and "Input should" not in r.text
    r = api.client.post("/web/ideas/new", data={"title": "x", "text": "kort", "submitter_kind": "bogus"})
    assert r.status_code == 422
    assert "Overskrift: må ha minst 3 tegn" in r.text and "velg en av: innbygger" in r.text
    assert "String should" not in r.text
    r = api.client.post("/web/ideas/new?lang=en", data={"title": "x", "text": "kort"})
    assert "Title: needs at least 3 characters" in r.text


def test_norwegian_pages_write_decimal_commas_and_name_relationships(api: Api) -> None:
    """On the Norwegian pages a score reads "Poeng 1,49" (as the reasons' "likhet 0,78" do), and the graph's
    edges carry their relationship in the page language ("eies av", "owned by") for the tooltips."""
    page = api.get("/web/", params={"q": "biogass av matavfall"}).text
    assert re.search(r"Poeng \d,\d\d", page) and not re.search(r"Poeng \d\.\d\d", page)
    data = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>',
                     api.get("/web/graph/ini-001").text, re.S)
    assert data is not None
    labels = {e["rel"]: e["label"] for e in json.loads(data.group(1))["edges"]}
    assert labels["OWNED_BY"] == "eies av"
    data = re.search(r'id="graph-data">(.*?)</script>', api.get("/web/graph/ini-001?lang=en").text, re.S)
    assert data is not None and {e["label"] for e in json.loads(data.group(1))["edges"]} >= {"owned by"}


def test_the_graph_page_names_its_edges_in_a_legend_and_in_words(api: Api) -> None:
    """Each kind of edge drawn has a legend entry in the page language, and the list under the picture says
    how each neighbour is linked to the item ("Digitalt nattilsyn … eies av denne"), for those who cannot
    see the lines."""
    page = api.get("/web/graph/ini-001").text
    legend = page.split('id="edge-legend"')[1].split("</ul>")[0]
    assert "eies av" in legend and "har med" in legend
    owner = api.get("/initiatives/ini-001").json()["owner"]["name"]
    title = api.get("/initiatives/ini-001").json()["title"]
    items = page.split("<details")[1]
    assert re.search(re.escape(owner) + r"</a> <span class=\"muted\">\([^)]*: " + re.escape(title) + " eies av denne",
                     items)


def test_a_search_with_no_close_match_says_so(api: Api) -> None:
    """Searching for something nobody has worked on shows the nearest items with a note that nothing
    matches closely (on the page and in the API's notes); a real match has no such note."""
    page = api.get("/web/", params={"q": "pizza med ananas"}).text
    assert 'id="weak-match"' in page and "Ingenting ligner tydelig" in page
    assert 'id="weak-match"' not in api.get("/web/", params={"q": "biogass av matavfall"}).text
    notes = api.get("/search", params={"q": "pizza med ananas"}).json()["notes"]
    assert any(n.startswith("nothing matches closely") for n in notes)


def test_an_english_search_on_norwegian_data_suggests_norwegian_words(api: Api) -> None:
    """On the demo's Norwegian data, an English search says, in the page's language, that the search is in English
    and most of the content Norwegian; a Norwegian search, or a bare noun that is no language's, does not."""
    page = api.get("/web/", params={"q": "loneliness among the elderly"}).text
    assert 'id="other-language"' in page and "norske ord kan finne mer" in page
    english = api.get("/web/", params={"q": "loneliness among the elderly", "lang": "en"}).text
    assert "Norwegian words may find more" in english
    for query in ("pizza med ananas", "biogass", "chatbot"):
        assert 'id="other-language"' not in api.get("/web/", params={"q": query}).text


def test_the_partner_finder_says_when_its_suggestions_are_loose_or_its_input_is_empty(api: Api) -> None:
    """A description nothing resembles still gets organisations, with a note that they are loose; a real
    description gets none; an empty form asks for a description or an initiative; a description sent with
    an initiative chosen is said to be unused."""
    loose = api.get("/web/partners", params={"text": "pizza med ananas"}).text
    assert 'id="weak-match"' in loose and 'id="results"' in loose
    assert 'id="weak-match"' not in api.get("/web/partners", params={"text": "biogass av matavfall"}).text
    assert "Skriv en beskrivelse eller velg et tiltak" in api.get("/web/partners", params={"text": " "}).text
    both = api.get("/web/partners", params={"text": "biogass", "initiative": "ini-001"}).text
    assert 'id="text-ignored"' in both


def test_the_partner_api_says_when_nothing_matches_the_description_closely(api: Api) -> None:
    """POST /partners with a description (or a mistyped id) that nothing resembles answers with the similar
    search's note that nothing matches closely, as the partner finder page and /search do; a real description
    and an initiative's partners carry no such note."""
    loose = api.post("/partners", {"text": "ini-999", "k": 3}).json()
    assert loose["count"] and any(n.startswith("nothing matches closely") for n in loose["notes"]), loose
    assert api.post("/partners", {"text": "biogass av matavfall", "k": 3}).json()["notes"] == []
    assert api.get("/initiatives/ini-001/partners", params={"k": 3}).json()["notes"] == []
    assert 'id="weak-match"' in api.get("/web/partners", params={"text": "ini-999"}).text  # the page says so too


def test_graph_and_overview(api: Api, demo_store: EmbeddedGraphStore) -> None:
    """The graph neighbourhood has the centre, its links and a layout; the overview counts initiatives."""
    g = api.get("/graph/ini-001").json()
    ids = {n["id"] for n in g["nodes"]}
    assert g["center"] == "ini-001" and {"unit-helse", "need-001", "fa-folkehelse"} <= ids
    assert all(0 <= n["x"] <= 1 and 0 <= n["y"] <= 1 for n in g["nodes"])
    assert all(e["source"] in ids and e["target"] in ids for e in g["edges"])
    assert len(api.get("/graph/ini-001", params={"depth": 2}).json()["nodes"]) > len(ids)
    _error(api.get("/graph/ini-001", params={"depth": 3}), 422, "invalid_input")
    o = api.get("/overview").json()
    assert o["initiatives"] == demo_store.count_nodes(Label.INITIATIVE) == sum(o["by_status"].values())
    assert len(o["by_focus_area"]) == demo_store.count_nodes(Label.FOCUS_AREA)
    assert sum(r["count"] for r in o["by_unit"]) == o["initiatives"]
    demo_store.upsert([Node("ini-new", Label.INITIATIVE, {"title": "Ny", "status": "idea"})])
    assert api.get("/overview").json()["initiatives"] == o["initiatives"] + 1  # not a stale copy


def _public_gets(api: Api, demo_store: EmbeddedGraphStore) -> list[str]:
    urls = ["/overview", "/search?q=nattilsyn+sensorer&label=all&k=50", "/ideas?limit=100&offset=0",
            "/web/", "/web/?q=nattilsyn", "/web/overview", "/web/partners?text=sensorer", "/web/ideas/new"]
    for resource in ("initiatives", "ideas", "needs", "organisations"):
        total = api.get(f"/{resource}", params={"limit": 1}).json()["count"]
        urls += [f"/{resource}?limit=100&offset={o}" for o in range(0, total, 100)]
    for node in demo_store.iter_nodes(Label.INITIATIVE):
        urls += [f"/initiatives/{node.id}", f"/initiatives/{node.id}/similar?k=20"]
    urls += [f"/ideas/{n.id}" for n in demo_store.iter_nodes(Label.IDEA)]
    urls += ["/web/initiatives/ini-001", "/web/graph/ini-001?depth=2", "/graph/idea-001?depth=2",
             "/initiatives/ini-001/partners", "/needs/need-001/reuse"]
    return urls


def test_no_public_response_contains_contact_details(api: Api, demo_store: EmbeddedGraphStore) -> None:
    """Every public GET (API and pages), and the responses to public POSTs, hold no contact field or value."""
    contacts = {n.props["contact"] for n in demo_store.iter_nodes() if n.props.get("contact")}
    assert len(contacts) > 10
    parts = {p.strip() for c in contacts for p in c.split(",") if "@" in p}
    responses = [api.get(url) for url in _public_gets(api, demo_store)]
    responses += [api.post("/ideas/check", {"text": "nattilsyn med sensorer i hjemmetjenesten"}),
                  api.post("/similar", {"text": "nattilsyn", "label": "all", "k": 50}),
                  api.post("/partners", {"text": "nattilsyn"}),
                  api.post("/ideas", {"title": "Nattilsyn", "text": "Nattilsyn med sensorer for eldre hjemme.",
                                      "contact": "Per, per@example.no"})]
    for r in responses:
        assert r.status_code in (200, 201), (r.url, r.text[:300])
        text = r.text
        assert '"contact":' not in text and "@example" not in text, r.url
        assert not any(p in text for p in parts), r.url
    # the admin does see them
    admin = api.get("/ideas?limit=100", role="admin").text
    assert any(p in admin for p in parts)


def test_openapi_documents_every_endpoint_with_bounds_and_security(api: Api) -> None:
    """The OpenAPI document lists every endpoint, the bearer scheme, and bounds on the write models."""
    doc = api.get("/openapi.json").json()
    paths = doc["paths"]
    expected = {
        "/initiatives": {"get", "post"}, "/initiatives/{item_id}": {"get", "patch", "delete"},
        "/initiatives/{item_id}/similar": {"get"}, "/initiatives/{item_id}/partners": {"get"},
        "/ideas": {"get", "post"}, "/ideas/{item_id}": {"get", "patch", "delete"}, "/ideas/check": {"post"},
        "/ideas/{item_id}/hide": {"post"}, "/ideas/{item_id}/merge": {"post"},
        "/needs": {"get", "post"}, "/needs/{item_id}": {"get", "patch", "delete"}, "/needs/{need_id}/reuse": {"get"},
        "/organisations": {"get", "post"}, "/organisations/{item_id}": {"get", "patch", "delete"},
        "/partners": {"post"}, "/graph/{item_id}": {"get"}, "/overview": {"get"}, "/search": {"get"},
        "/similar": {"post"}, "/health": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
        for m in methods:
            assert paths[path][m].get("description") or paths[path][m].get("summary"), (path, m)
    assert not any(p.startswith("/web") for p in paths)
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    schemas = doc["components"]["schemas"]
    for name in ("InitiativeCreate", "IdeaSubmit", "NeedCreate", "OrganisationCreate", "InitiativeUpdate"):
        for field, spec in schemas[name]["properties"].items():
            flat = json.dumps(spec)
            assert any(b in flat for b in ("maxLength", "enum", "format", "maxItems", "boolean", "$ref")), (name, field)


def test_an_idea_of_invisible_characters_is_refused_and_nothing_is_stored(api: Api, demo_store: EmbeddedGraphStore
                                                                          ) -> None:
    """A title and text of zero-width characters are empty: 422 naming both, no idea written, and the refused
    submissions do not use up the sender's rate limit."""
    before = demo_store.count_nodes(Label.IDEA)
    for _ in range(5):
        r = api.post("/ideas", {"title": "\u200b\u200b\u200b", "text": "\u200b" * 12})
        assert {p["field"] for p in _error(r, 422, "invalid_input")["problems"]} == {"title", "text"}
    assert demo_store.count_nodes(Label.IDEA) == before
    body = {"title": "Benker langs turveien", "text": "Flere benker langs turveien rundt vannet, for eldre."}
    assert api.post("/ideas", body).status_code == 201


def test_texts_of_control_characters_or_markup_are_empty_and_nothing_is_stored(
        api: Api, demo_store: EmbeddedGraphStore) -> None:
    """An idea whose title and text are NUL and other control characters (through the API and the form), an
    initiative or a need whose title is only tags or control characters, and an editor's change to such a title:
    each is a 422 naming the title (and text), where they used to be stored with an empty title."""
    before = {label: demo_store.count_nodes(label) for label in (Label.IDEA, Label.INITIATIVE, Label.NEED)}
    r = api.post("/ideas", {"title": "\x00\x01\x02\x03", "text": "\x00" * 20})
    assert {p["field"] for p in _error(r, 422, "invalid_input")["problems"]} == {"title", "text"}
    page = api.client.post("/web/ideas/new", data={"title": "\x00\x00\x00\x00", "text": "\x01" * 20})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    for title in ("<b></b>", "\x01\x02"):
        r = api.post("/initiatives", {**NEW["initiatives"], "title": title}, role="editor")
        assert [p["field"] for p in _error(r, 422, "invalid_input")["problems"]] == ["title"]
        r = api.post("/needs", {**NEW["needs"], "title": title}, role="editor")
        assert [p["field"] for p in _error(r, 422, "invalid_input")["problems"]] == ["title"]
    r = api.patch("/initiatives/ini-001", {"title": "<i></i>"}, role="editor")
    assert [p["field"] for p in _error(r, 422, "invalid_input")["problems"]] == ["title"]
    assert demo_store.get("ini-001").title != ""  # type: ignore[union-attr]
    assert {label: demo_store.count_nodes(label) for label in before} == before


def test_parallel_submissions_cannot_pass_the_rate_limit(api: Api, demo_store: EmbeddedGraphStore) -> None:
    """Eight ideas sent at once from one address with a limit of 3: exactly 3 are stored, the rest get 429."""
    before = demo_store.count_nodes(Label.IDEA)
    body = {"title": "Benker langs turveien", "text": "Flere benker langs turveien rundt vannet, for eldre."}
    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(lambda _: api.post("/ideas", body).status_code, range(8)))
    assert codes == [201] * 3 + [429] * 5
    assert demo_store.count_nodes(Label.IDEA) == before + 3


def test_changes_sent_at_once_to_one_item_all_land(api: Api, demo_store: EmbeddedGraphStore) -> None:
    """Six editors each change a different field of one initiative at the same time: every change is kept
    (none is overwritten by another's stale copy), and creating one new id six times at once makes it once."""
    changes = [{"description": "Ny beskrivelse av prosjektet."}, {"results": "Halvert ventetid."},
               {"scale": "radical"}, {"mode": "copy"}, {"status": "ongoing"}, {"end_date": "2027-06-30"}]
    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(lambda c: api.patch("/initiatives/ini-001", c, role="editor").status_code, changes))
    assert codes == [200] * 6
    props = demo_store.get("ini-001").props  # type: ignore[union-attr]
    for change in changes:
        for field, value in change.items():
            assert str(props[field]) == value, field
    new = {**NEW["initiatives"], "id": "ini-samtidig"}
    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(lambda _: api.post("/initiatives", new, role="editor").status_code, range(6)))
    assert codes == [201] + [409] * 5


def test_opening_an_idea_page_writes_nothing_to_the_data_folder(
    demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    """Reading an idea's page (with or without a receipt cookie) creates no file: the receipt key is made when
    the first idea is sent, so a read-only data folder still serves the pages."""
    data = tmp_path / "fresh"
    with TestClient(create_app(Settings(data_dir=data), store=demo_store, embedder=real_embedder)) as client:
        assert client.get("/web/ideas/idea-001").status_code == 200
        client.cookies.set("kominn_receipt", "idea-001.00", path="/web/ideas")
        assert client.get("/web/ideas/idea-001").status_code == 200
    assert not data.exists() or not any(data.iterdir())


def test_two_ideas_merged_into_each_other_at_once_make_no_cycle(api: Api, demo_store: EmbeddedGraphStore) -> None:
    """Merging A into B and B into A at the same time: one merge wins and the other is refused (B is merged by
    then), so no two ideas are each other's duplicate."""
    pairs = [("idea-003", "idea-005"), ("idea-006", "idea-007"), ("idea-008", "idea-010")]
    calls = [(a, b) for a, b in pairs] + [(b, a) for a, b in pairs]
    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(lambda ab: api.post(f"/ideas/{ab[0]}/merge", {"into": ab[1]}, role="admin").status_code,
                              calls))
    assert sorted(codes) == [200] * 3 + [422] * 3
    into = {e.src: e.dst for e in demo_store.iter_edges(Rel.DUPLICATE_OF)}
    assert not any(into.get(into[a]) == a for a in into)


def test_an_idea_refused_by_the_store_gives_back_its_rate_limit_slot(api: Api) -> None:
    """A title holding a control character passes the form's checks but is refused when written: four such
    refusals (422) leave the sender's limit of 3 untouched, so the fixed idea is accepted."""
    body = {"title": "Benker \x96 turvei", "text": "Flere benker langs turveien rundt vannet, for eldre."}
    for _ in range(4):
        _error(api.post("/ideas", body), 422, "invalid_input")
    assert api.post("/ideas", {**body, "title": "Benker langs turveien"}).status_code == 201
    for _ in range(4):  # the same from the page's form
        page = api.client.post("/web/ideas/new", data=body)
        assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert api.client.post("/web/ideas/new", data={**body, "title": "Benker ved vannet"},
                           follow_redirects=False).status_code == 303


def test_a_form_over_the_size_limit_gets_a_page_saying_so(api: Api) -> None:
    """Under /web/ a body over 1 MiB is refused with 413 as a page in the page's language, not JSON."""
    r = api.client.post("/web/ideas/new", data={"title": "Stor", "text": "x" * (1024 * 1024 + 10)})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")


def test_a_refused_deletion_counts_a_hidden_idea_without_naming_it(api: Api) -> None:
    """An editor deleting a need that a hidden idea addresses is refused (409); the message counts the hidden
    idea but does not give its id, which only admins may see."""
    assert api.post("/ideas/idea-009/hide", {}, role="admin").status_code == 200
    need = next(n["id"] for n in api.get("/ideas/idea-009", role="admin").json()["needs"])
    message = _error(api.delete(f"/needs/{need}", role="editor"), 409, "conflict")["message"]
    assert "idea-009" not in message and "(a hidden idea)" in message


def test_an_idea_of_the_longest_allowed_text_has_its_page(api: Api) -> None:
    """An idea with a 300-character title and a 20,000-character text opens on its page (the duplicate check
    there reads at most what a search takes), for its sender and for readers."""
    body = {"title": "Lang tittel " + "x" * 288, "text": ("Et langt innspill om benker og turveier. " * 500)[:20_000]}
    receipt = api.post("/ideas", body)
    assert receipt.status_code == 201, receipt.text
    assert api.get(f"/web/ideas/{receipt.json()['id']}").status_code == 200


def test_an_initiative_with_the_longest_allowed_texts_has_its_recommendations_and_page(api: Api) -> None:
    """An initiative with a 20,000-character description and as long results (each within its limit) gets partner
    suggestions, reusable work and its page, where the three refused it with a 422 naming a parameter q the request
    does not have (its texts together are longer than a search text); an idea of the longest title and text is
    checked for duplicates as it is typed, where that was a 422 too."""
    long = ("Sensorer i hjemmetjenesten varsler nattevakten når noe skjer. " * 400)[:20_000]
    body = {**NEW["initiatives"], "id": "ini-lang", "description": long, "results": long}
    assert api.post("/initiatives", body, role="editor").status_code == 201
    for url in ("/initiatives/ini-lang/partners", "/needs/ini-lang/reuse", "/initiatives/ini-lang/similar",
                "/web/initiatives/ini-lang"):
        assert api.get(url).status_code == 200, (url, api.get(url).text[:300])
    r = api.post("/ideas/check", {"title": "T" * 300, "text": long})
    assert r.status_code == 200, r.text


def test_encoded_markup_beside_a_tag_is_not_stored_as_a_tag(api: Api) -> None:
    """A title with "&lt;script&gt;" next to a real tag decodes to a tag once the tag is gone: that is removed too,
    so the stored title holds no markup for another system to run."""
    r = api.post("/needs", {"title": "&lt;script&gt;alert(11)&lt;/script&gt;<b>Benker</b>"}, role="editor")
    assert r.status_code == 201, r.text
    assert "<script>" not in r.json()["title"] and "Benker" in r.json()["title"]


def test_the_token_file_is_readable_by_its_owner_only(api: Api, tmp_path: Path) -> None:
    """The token file (token hashes and the signing key of idea receipts) is made with mode 0600."""
    assert (tmp_path / "data" / "tokens.sqlite").stat().st_mode & 0o777 == 0o600


def test_an_idea_linking_to_something_else_than_a_need_learns_only_that_it_is_no_need(api: Api) -> None:
    """An idea whose needs name a hidden idea, an initiative or nothing at all gets the same answer for each, "no
    need with id ...": a submission cannot find out which ids exist or what they are."""
    assert api.post("/ideas/idea-009/hide", {}, role="admin").status_code == 200
    body = {"title": "Benker langs turveien", "text": "Flere benker langs turveien rundt vannet, for eldre."}
    messages = set()
    for other in ("idea-009", "ini-001", "need-nope"):
        problems = _error(api.post("/ideas", {**body, "needs": [other]}), 422, "invalid_input")["problems"]
        messages.add(problems[0]["message"].replace(other, "ID"))
    assert messages == {"no need with id 'ID'"}


def test_answers_about_an_id_treat_a_hidden_idea_as_no_item(api: Api) -> None:
    """Reuse for, partners known as, and a search's unit naming a hidden idea answer as for an unknown id, not
    "is an idea": no answer tells that the hidden idea exists."""
    assert api.post("/ideas/idea-009/hide", {}, role="admin").status_code == 200
    assert "no need or initiative with id 'idea-009'" in _error(api.get("/needs/idea-009/reuse"), 404,
                                                                 "not_found")["message"]
    r = api.post("/partners", {"text": "benker", "known": ["idea-009"]})
    assert _error(r, 422, "invalid_input")["problems"][0]["message"] == "unknown organisation id(s): idea-009"
    r = api.post("/similar", {"text": "benker", "unit": "idea-009", "cross_silo": True})
    assert _error(r, 422, "invalid_input")["problems"][0]["message"] == "no unit with id 'idea-009'"
    # a visible idea is still named as what it is
    assert "is an idea" in _error(api.get("/needs/idea-001/reuse"), 404, "not_found")["message"]
