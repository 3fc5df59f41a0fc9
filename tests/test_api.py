"""The HTTP API through the real app, on the demo data with the real model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph.embedded import EmbeddedGraphStore
from graph.schema import PRIVATE_FIELDS, Label
from ingest.embedder import SentenceTransformerEmbedder
from service.app import create_app
from service.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture
def client(demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=demo_store.path), store=demo_store, embedder=real_embedder)
    with TestClient(app) as c:
        yield c


def _initiative_with_owner(store: EmbeddedGraphStore) -> str:
    return sorted(n.id for n in store.iter_nodes(Label.INITIATIVE))[0]


def test_health_reports_store_model_and_size(client: TestClient) -> None:
    """/health says ok, names the store and model, and counts the nodes."""
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["nodes"] > 100 and "MiniLM" in body["model"]


def test_health_is_503_when_the_store_is_closed(client: TestClient, demo_store: EmbeddedGraphStore) -> None:
    """A store that cannot answer makes /health say unavailable with status 503."""
    demo_store.close()
    r = client.get("/health")
    assert r.status_code == 503 and r.json()["status"] == "unavailable"
    demo_store.open()


def test_get_initiative_has_links_and_no_contact(client: TestClient, demo_store: EmbeddedGraphStore) -> None:
    """An initiative comes with its owner and links, and without personal data."""
    item_id = _initiative_with_owner(demo_store)
    r = client.get(f"/initiatives/{item_id}")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == item_id and body["owner"]["id"].startswith("unit-")
    assert not PRIVATE_FIELDS & set(body["properties"])
    assert "contact" not in r.text


def test_unknown_initiative_is_404_with_the_error_body(client: TestClient) -> None:
    """An unknown id gives 404 and the one error body, naming the id."""
    r = client.get("/initiatives/ini-does-not-exist")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found" and "ini-does-not-exist" in r.json()["error"]["message"]


def test_similar_for_an_initiative_respects_cross_silo(client: TestClient, demo_store: EmbeddedGraphStore) -> None:
    """With cross_silo, no result is owned by the query's unit, and the answer names that unit."""
    item_id = _initiative_with_owner(demo_store)
    own = client.get(f"/initiatives/{item_id}").json()["owner"]["id"]
    r = client.get(f"/initiatives/{item_id}/similar", params={"k": 10, "cross_silo": True})
    assert r.status_code == 200
    body = r.json()
    assert body["excluded_owner"]["id"] == own and body["count"] == 10
    assert all(item["owner"]["id"] != own for item in body["data"])
    assert all(item["id"] != item_id for item in body["data"])
    first = body["data"][0]
    assert {"dense", "lexical"} <= set(first["parts"]) and first["reasons"]


def test_a_unit_without_cross_silo_is_said_to_be_unused(client: TestClient) -> None:
    """POST /similar with a unit but without cross_silo answers as it would without the unit and says in a note that
    the unit was not used; with cross_silo that unit's items are left out, as the answer says, with no such note."""
    plain = client.post("/similar", json={"text": "biogass", "k": 20}).json()
    asked = client.post("/similar", json={"text": "biogass", "k": 20, "unit": "unit-teknisk"}).json()
    assert [i["id"] for i in asked["data"]] == [i["id"] for i in plain["data"]]
    assert any("unit 'unit-teknisk' was not used" in n and "cross_silo" in n for n in asked["notes"]), asked["notes"]
    assert not any("was not used" in n for n in plain["notes"])
    crossed = client.post("/similar", json={"text": "biogass", "k": 20, "unit": "unit-teknisk", "cross_silo": True})
    body = crossed.json()
    assert body["excluded_owner"]["id"] == "unit-teknisk" and not any("was not used" in n for n in body["notes"])
    assert all((i["owner"] or {}).get("id") != "unit-teknisk" for i in body["data"])


def test_search_and_post_similar_answer_free_text(client: TestClient) -> None:
    """GET /search and POST /similar return ranked items for a Norwegian text."""
    r = client.get("/search", params={"q": "biogass fra matavfall", "k": 3})
    assert r.status_code == 200 and r.json()["count"] == 3
    scores = [i["score"] for i in r.json()["data"]]
    assert scores == sorted(scores, reverse=True)
    r = client.post("/similar", json={"text": "LED-belysning i gatene", "k": 5, "label": "all"})
    assert r.status_code == 200 and r.json()["count"] == 5


def test_the_duplicate_check_says_the_language_of_each_title(demo_store: EmbeddedGraphStore,
                                                             real_embedder: SentenceTransformerEmbedder,
                                                             tmp_path: Path) -> None:
    """Each suggestion of the duplicate check says its title's language, an English idea "en" and a Norwegian one
    "nb" (or the configured Norwegian, nn), so that a form in the other language can mark it for screen readers."""
    english = {"title": "Bicycle counters on the harbour bridge",
               "text": "Count the bicycles that cross the harbour bridge every day and publish the numbers."}
    norwegian = {"title": "Sensorer i stedet for nattbesøk",
                 "text": "Bruk sensorer og digitalt nattilsyn i hjemmetjenesten om natten."}
    for data_lang, norwegian_tag in (("nb", "nb"), ("nn", "nn")):
        app = create_app(Settings(data_dir=tmp_path / data_lang, data_lang=data_lang), store=demo_store,
                         embedder=real_embedder)
        with TestClient(app) as c:
            if data_lang == "nb":
                assert c.post("/ideas", json=english).status_code == 201
            langs = {}
            for body in (english, norwegian):
                r = c.post("/ideas/check", json=body)
                assert r.status_code == 200, r.text
                for item in r.json()["data"]:
                    assert {"id", "label", "title", "score", "parts", "reasons", "owner", "status"} < set(item)
                    langs[item["title"]] = item["lang"]
            assert langs[english["title"]] == "en", langs
            assert langs["Sensorer i stedet for nattbesøk hos eldre"] == norwegian_tag, langs
    doc = c.get("/openapi.json").json()
    answer = doc["paths"]["/ideas/check"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["$ref"].endswith("/IdeaCheckPublic")
    assert "KOMINN_DATA_LANG" in doc["components"]["schemas"]["CheckedPublic"]["properties"]["lang"]["description"]


CITIZEN_NIGHT_VISITS = {"title": "Nattbesøk", "text": "Min mor på 86 blir vekket hver natt av at hjemmesykepleien "
                        "låser seg inn for å se til henne. Kan dere ikke bruke en sensor eller et kamera i stedet, "
                        "så hun får sove?"}


def test_the_duplicate_check_lists_related_existing_work_apart(client: TestClient) -> None:
    """A citizen describing the night surveillance the municipality already completed gets the near-identical idea
    in `data` and the completed initiative in `related` (with its status, language and recorded results as the
    results reason's item), in the check and in the receipt of the submitted idea, and the API documentation says
    what `related` is and what a results reason's item holds."""
    from recommend.reuse import DUPLICATE_THRESHOLD, RELATED_THRESHOLD

    r = client.post("/ideas/check", json=CITIZEN_NIGHT_VISITS)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["id"] for i in body["data"]][:1] == ["idea-001"] and body["count"] == len(body["data"])
    related = {i["id"]: i for i in body["related"]}
    assert "ini-001" in related and not set(related) & {i["id"] for i in body["data"]}
    done = related["ini-001"]
    assert done["status"] == "completed" and done["label"] == "Initiative" and done["lang"] == "nb"
    assert {"id", "label", "title", "score", "parts", "reasons", "owner", "status", "lang"} <= set(done)
    assert all(RELATED_THRESHOLD <= i["score"] < DUPLICATE_THRESHOLD for i in body["related"])
    assert any(x["kind"] == "completed" for x in done["reasons"])
    (results,) = [x["items"] for x in done["reasons"] if x["kind"] == "results"]
    assert [list(i) for i in results] == [["results"]] and results[0]["results"].startswith("Ved prosjektslutt")
    receipt = client.post("/ideas", json=CITIZEN_NIGHT_VISITS)
    assert receipt.status_code == 201, receipt.text
    assert "idea-001" in [i["id"] for i in receipt.json()["similar"]]
    assert "ini-001" in [i["id"] for i in receipt.json()["related"]]
    doc = client.get("/openapi.json").json()
    schema = doc["components"]["schemas"]["IdeaCheckPublic"]["properties"]["related"]
    assert "not claimed to be duplicates" in schema["description"]
    assert schema["items"]["$ref"].endswith("/CheckedPublic")
    assert f"from {RELATED_THRESHOLD:.2f} up to" in doc["paths"]["/ideas/check"]["post"]["description"]
    assert "related" in doc["components"]["schemas"]["IdeaReceipt"]["properties"]
    assert "A `results` reason has one item" in doc["components"]["schemas"]["ReasonPublic"]["properties"]["items"][
        "description"]


@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("get", "/search", {"q": ""}),
        ("get", "/search", {"q": "\x00\x01"}),  # nothing but control characters
        ("get", "/search", {"q": "x", "k": 0}),
        ("get", "/initiatives/ini-001/similar", {"k": 1000}),
        ("post", "/similar", {"text": "x" * 20_001}),
        ("post", "/similar", {"k": 3}),
    ],
)
def test_bad_parameters_are_422_naming_the_field(client: TestClient, method: str, url: str, payload: dict) -> None:
    """Out-of-bounds or missing parameters give 422 with the field named."""
    r = client.get(url, params=payload) if method == "get" else client.post(url, json=payload)
    assert r.status_code == 422
    problems = r.json()["error"]["problems"]
    assert problems and all(p["field"] for p in problems)


def test_a_body_that_is_not_json_is_named_as_such(client: TestClient) -> None:
    """JSON that does not parse is 422 naming the body and the character where it breaks; JSON nested too
    deeply to parse is 400 bad_request; neither is a 500."""
    r = client.post("/similar", content=b'{"text": "biogass",', headers={"content-type": "application/json"})
    assert r.status_code == 422
    [problem] = r.json()["error"]["problems"]
    assert problem["field"] == "body" and problem["message"].startswith("not valid JSON (at character 19)")
    deep = b"[" * 100_000 + b"]" * 100_000
    r = client.post("/similar", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"


def test_a_body_that_cannot_be_read_says_why_naming_the_body(client: TestClient) -> None:
    """A body in Latin-1, one with a number of 5000 digits, and one nested too deeply each name the body and say why
    it could not be read (422, 422 and 400), where all three said only "There was an error parsing the body"; a key
    with a broken \\u escape is named as such, not as a body that is no JSON object."""
    kind = {"content-type": "application/json"}
    r = client.post("/similar", content='{"text": "snø"}'.encode("latin-1"), headers=kind)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["problems"] == [
        {"field": "body", "message": "not UTF-8 text (the byte 0xf8 at byte 12); send JSON in UTF-8"}]
    r = client.post("/similar", content=b'{"text": "biogass", "k": ' + b"1" * 5000 + b"}", headers=kind)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["problems"] == [
        {"field": "body", "message": "not valid JSON: a number of more than 4,300 digits"}]
    r = client.post("/similar", content=b"[" * 100_000 + b"]" * 100_000, headers=kind)
    assert r.status_code == 400 and r.json()["error"]["problems"] == [
        {"field": "body", "message": "JSON nested too deeply to read"}]
    r = client.post("/similar", content=b'{"text": "biogass",', headers=kind)
    assert "Expecting property name enclosed in double quotes" in r.json()["error"]["message"]
    r = client.post("/similar", content=b'{"text": "biogass", "\\ud800": 1}', headers=kind)
    assert r.status_code == 422 and r.json()["error"]["problems"] == [
        {"field": "body", "message": "a key holds half of a character (a lone surrogate, as a broken \\u escape "
                                     "gives)"}]


def test_openapi_lists_the_endpoints(client: TestClient) -> None:
    """The OpenAPI document describes every endpoint, and /docs serves."""
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/health", "/initiatives/{item_id}", "/initiatives/{item_id}/similar", "/search", "/similar"):
        assert p in paths
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/similar", {"text": "\u200b\u200b \u00ad"}, "text"),  # only invisible characters: empty
        ("/ideas/check", {"text": "\u200b"}, "text"),
        ("/partners", {"text": "\u200b"}, "text"),
        ("/similar", {"text": "\x00\x01 \x1b"}, "text"),  # only control characters: empty too
        ("/ideas/check", {"text": "\x00"}, "text"),
        ("/partners", {"text": "\x7f"}, "text"),
        ("/similar", {"text": "biogass", "kk": 3}, "kk"),  # a misspelt option is not silently ignored
        ("/partners", {"text": "biogass", "kind": []}, "kind"),  # an empty filter would match nothing
    ],
)
def test_request_bodies_name_the_field_they_get_wrong(client: TestClient, url: str, payload: dict, field: str) -> None:
    """A body field that is empty once invisible characters are gone, unknown, or an empty filter is a 422 naming
    that field of the body (not the search's internal name for it)."""
    r = client.post(url, json=payload)
    assert r.status_code == 422, r.text
    assert [p["field"] for p in r.json()["error"]["problems"]] == [field]


@pytest.mark.parametrize("url", ["/similar", "/partners", "/ideas/check"])
def test_a_count_given_as_true_or_false_is_refused_naming_it(client: TestClient, url: str) -> None:
    """`k` given as true or false in a body is a 422 naming `k` (not read as 1 or 0), while a number, also one
    written as a string as in a query string, is still taken."""
    for flag in (True, False):
        r = client.post(url, json={"text": "biogass av matavfall", "k": flag})
        assert r.status_code == 422, r.text
        [problem] = r.json()["error"]["problems"]
        assert problem["field"] == "k" and "true or false" in problem["message"], problem
    for k in (2, "2"):
        r = client.post(url, json={"text": "biogass av matavfall", "k": k})
        assert r.status_code == 200 and r.json()["count"] <= 2, r.text


@pytest.mark.parametrize("content", [b'{"text": "biogass"}', b"[]", b"null"])
def test_a_body_that_is_not_a_json_object_says_what_to_send(client: TestClient, content: bytes) -> None:
    """JSON sent as text/plain, or JSON that is not an object, is 422 naming the body and saying to send an
    object as application/json."""
    kind = "text/plain" if content.startswith(b"{") else "application/json"
    r = client.post("/similar", content=content, headers={"content-type": kind})
    assert r.status_code == 422
    [problem] = r.json()["error"]["problems"]
    assert problem["field"] == "body" and "content-type: application/json" in problem["message"]


def test_a_body_over_a_mebibyte_is_refused_with_413(client: TestClient) -> None:
    """A body over 1 MiB is 413 too_large, whether its length is declared or it streams in without one; a body
    just under the limit is read as usual."""
    big = b'{"text": "biogass", "pad": "' + b"a" * (1024 * 1024) + b'"}'
    r = client.post("/similar", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"

    def streamed():  # type: ignore[no-untyped-def]
        yield big[:500_000]
        yield big[500_000:]

    r = client.post("/similar", content=streamed(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    under = b'{"text": "biogass", "k": 3, "pad": "' + b"a" * (1024 * 1024 - 100) + b'"}'
    r = client.post("/similar", content=under, headers={"content-type": "application/json"})
    assert len(under) < 1024 * 1024 and r.status_code == 422  # read whole: refused for its field, not its size
    assert [p["field"] for p in r.json()["error"]["problems"]] == ["pad"]


def test_the_openapi_document_says_what_errors_look_like_and_who_needs_a_token(client: TestClient) -> None:
    """Every error response an operation documents is the one error body the service sends (a real 422 and 404
    validate against it); writes require a token, reads and the public idea submission take one optionally."""
    from service.openapi import ErrorBody

    doc = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")) and path != "/health":
                    assert response["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody"), \
                        (method, path, code)
    assert doc["paths"]["/initiatives"]["post"]["security"] == [{"HTTPBearer": []}]
    assert {} in doc["paths"]["/initiatives"]["get"]["security"]
    assert {} in doc["paths"]["/ideas"]["post"]["security"]
    assert "409" in doc["paths"]["/organisations/{item_id}"]["delete"]["responses"]
    assert "Retry-After" in doc["paths"]["/ideas"]["post"]["responses"]["429"]["headers"]
    ErrorBody.model_validate(client.get("/search", params={"q": ""}).json())
    ErrorBody.model_validate(client.get("/initiatives/nope").json())


def test_answers_carry_safe_headers_and_signed_in_ones_are_not_cached(client: TestClient) -> None:
    """Every answer says nosniff, no framing by other sites and same-origin referrers; an answer to a caller with
    a token is marked no-store (it may hold contact details), a public one is not."""
    public = client.get("/initiatives/ini-001")
    assert public.headers["x-content-type-options"] == "nosniff"
    assert public.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in public.headers["content-security-policy"]
    assert "cache-control" not in public.headers
    signed = client.get("/initiatives/ini-001", headers={"Authorization": "Bearer kmn_dead_beef"})
    assert signed.headers["cache-control"] == "no-store"
    page = client.get("/web/")
    assert page.headers["x-frame-options"] == "DENY"


def test_a_wrong_method_is_told_every_method_the_path_takes(client: TestClient) -> None:
    """PUT on an initiative is 405 with Allow naming GET, PATCH and DELETE (not only the first route's GET), and
    PUT on the collection names GET and POST."""
    r = client.put("/initiatives/ini-001", json={})
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    assert r.headers["allow"] == "GET, PATCH, DELETE"
    assert client.put("/initiatives", json={}).headers["allow"] == "GET, POST"


def test_an_unknown_query_parameter_is_named_not_ignored(client: TestClient) -> None:
    """A misspelt filter (?stauts=completed) is a 422 naming it and what the operation takes, rather than an
    answer with every initiative; the right spelling filters."""
    r = client.get("/initiatives", params={"stauts": "completed"})
    assert r.status_code == 422
    [problem] = r.json()["error"]["problems"]
    assert problem["field"] == "stauts" and "status" in problem["message"]
    assert client.get("/initiatives", params={"status": "completed"}).status_code == 200
    assert client.get("/search", params={"q": "biogass", "kk": 3}).status_code == 422


def test_a_query_parameter_that_takes_one_value_given_twice_is_named(client: TestClient) -> None:
    """?status=ongoing&status=completed is a 422 naming status (it answered for the last value only, as if it were
    the only one), and so is a repeated k or depth; kind, which takes several, may be repeated."""
    for url, params in (("/initiatives", [("status", "ongoing"), ("status", "completed")]),
                        ("/search", [("q", "biogass"), ("k", "2"), ("k", "5")]),
                        ("/graph/ini-001", [("depth", "1"), ("depth", "2")])):
        r = client.get(url, params=params)
        assert r.status_code == 422, r.text
        [problem] = r.json()["error"]["problems"]
        assert problem == {"field": params[-1][0], "message": "given 2 times; it takes one value"}
    r = client.get("/initiatives/ini-001/partners", params=[("kind", "business"), ("kind", "research")])
    assert r.status_code == 200 and {p["status"] for p in r.json()["data"]} <= {"business", "research"}


def test_redirects_stay_on_this_site_whatever_the_host_header_says(client: TestClient) -> None:
    """A redirect the router adds (/web to /web/, a trailing slash away) is a path, not an address built from
    the Host header a client sent: a request naming evil.example is not sent there."""
    for path, to in (("/web", "/web/"), ("/initiatives/", "/initiatives"), ("/", "/web/")):
        r = client.get(path, headers={"host": "evil.example"}, follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"] == to, path
