"""The staff web pages in a real browser: Debian's Chromium, headless, driven by Playwright, against a real
uvicorn server on a loopback port with a copy of the demo store and the real model. Screenshots are saved
under test-output/screenshots/."""

from __future__ import annotations

import itertools
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from graph.embedded import EmbeddedGraphStore
from ingest.embedder import SentenceTransformerEmbedder

pytestmark = [pytest.mark.slow, pytest.mark.integration]

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(demo_db: Path, real_embedder: SentenceTransformerEmbedder,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn server in a thread, on a free loopback port, with its own copy of the demo store."""

    from service.app import create_app
    from service.settings import Settings

    data_dir = tmp_path_factory.mktemp("web")
    shutil.copy(demo_db, data_dir / "kominn.sqlite")
    store = EmbeddedGraphStore(data_dir / "kominn.sqlite")
    with _running(create_app(Settings(data_dir=data_dir), store=store, embedder=real_embedder)) as address:
        yield address
    store.close()


@contextmanager
def _running(app: object, log_level: str = "warning") -> Iterator[str]:
    """The app served by a real uvicorn server in a thread, on a free loopback port: its address."""
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level,  # type: ignore[arg-type]
                                        lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=DESKTOP, base_url=server, locale="nb-NO")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, errors


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _labelled(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Ids of visible form controls without a label."""
    return page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
        .map(e => e.id || e.name)""")


def test_search_finds_similar_initiatives_with_reasons_and_filters(page) -> None:  # type: ignore[no-untyped-def]
    """A staff member searches in Norwegian, sees ranked initiatives with reasons, and filters to other units."""
    page.goto("/web/")
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.locator("h1").inner_text() == "Har noen gjort dette før?"
    assert _labelled(page) == []
    page.get_by_label("Hva vil du gjøre?").fill("digitalt nattilsyn med sensorer i hjemmetjenesten")
    page.get_by_role("button", name="Søk").click()
    cards = page.locator("#results > li")
    cards.first.wait_for()
    assert cards.count() >= 3
    assert "Felles ord" in page.locator("#results").inner_text()
    shot(page, "search-desktop")
    page.get_by_label("Enhet", exact=True).select_option("unit-helse")
    page.get_by_label("Bare fra andre enheter enn den valgte").check()
    page.get_by_role("button", name="Søk").click()
    page.locator("#results > li").first.wait_for()
    owners = page.locator("#results .meta").all_inner_texts()
    assert owners and not any("Helse og omsorg" in o for o in owners)
    page.set_viewport_size(PHONE)
    shot(page, "search-phone")


def test_open_an_initiative_with_similar_partners_and_reuse(page) -> None:  # type: ignore[no-untyped-def]
    """From a search result, the initiative page shows details, links, similar initiatives, partners and reuse."""
    page.goto("/web/?q=biogass+fra+matavfall")
    first = page.locator("#results > li h3 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url("**/web/initiatives/*")
    assert page.locator("h1").inner_text() == title
    for section in ("#similar", "#partners"):
        assert page.locator(f"{section} > li").count() >= 1, section
    assert page.locator("#partners .reasons li").count() >= 1
    assert page.get_by_role("heading", name="Anbefalte partnere").is_visible()
    shot(page, "initiative-desktop")
    page.set_viewport_size(PHONE)
    shot(page, "initiative-phone")


def test_partner_finder_ranks_organisations_of_a_kind(page) -> None:  # type: ignore[no-untyped-def]
    """The partner finder takes a description and a kind and lists organisations of that kind with reasons."""
    page.goto("/web/partners")
    assert _labelled(page) == []
    page.get_by_label("Beskriv prosjektet").fill("Biogass fra matavfall til kommunens busser")
    page.get_by_label("Type organisasjon").select_option("business")
    page.get_by_role("button", name="Finn partnere").click()
    cards = page.locator("#results > li")
    cards.first.wait_for()
    assert cards.count() >= 3
    assert all(b == "næringsliv" for b in page.locator("#results .meta .badge:not(.loose)").all_inner_texts())
    assert page.locator("#results .reasons li").count() >= 1
    # the biogas company is a plain suggestion; a firm only in initiatives near the description is marked, and
    # a note says what the mark means
    biogas = cards.filter(has_text="Nordvest Biogass AS")
    assert biogas.count() == 1 and biogas.locator(".badge.loose").count() == 0
    loose = cards.filter(has_text="Kodeverket AS")
    assert loose.locator(".badge.loose").inner_text() == "svak kobling"
    assert "svak kobling" in page.locator("#loose-note").inner_text()
    shot(page, "partners-desktop")
    page.get_by_label("Type organisasjon").select_option("")
    page.get_by_label("… eller velg et tiltak").select_option("ini-001")
    page.get_by_label("Beskriv prosjektet").fill("")
    page.get_by_role("button", name="Finn partnere").click()
    page.locator("#results > li").first.wait_for()


def test_idea_submission_shows_the_duplicate_while_typing_and_a_receipt(page) -> None:  # type: ignore[no-untyped-def]
    """While someone types an idea, the similar existing idea appears; submitting leads to the idea's own page
    with its case number and what resembles it, and reloading that page does not send the idea again."""
    page.goto("/web/ideas/new")
    assert _labelled(page) == []
    page.get_by_label("Overskrift").fill("Sensorer i stedet for nattbesøk")
    page.get_by_label("Beskriv innspillet").press_sequentially(
        "Far blir vekket hver natt når hjemmesykepleien låser seg inn. Bruk sensorer og digitalt nattilsyn.",
        delay=5)
    suggestion = page.locator("#live-results").get_by_text("Sensorer i stedet for nattbesøk hos eldre")
    suggestion.wait_for()
    # screen readers hear one line naming what was found (the cards are not read out), and hear it again only when
    # the suggestions change, not after every pause in the typing
    status = page.locator("#live-status")
    assert status.get_attribute("role") == "status" and page.locator("#live").get_attribute("aria-live") is None
    said_first = status.inner_text()
    assert "lignende funnet" in said_first and "Sensorer i stedet for nattbesøk hos eldre" in said_first
    page.evaluate("""() => { window.said = [];
        new MutationObserver(() => window.said.push(document.getElementById('live-status').textContent))
            .observe(document.getElementById('live-status'), {childList: true, characterData: true, subtree: true});
    }""")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/ideas/check") else None)
    for word in (" Det", " er", " viktig."):
        page.get_by_label("Beskriv innspillet").press_sequentially(word, delay=5)
        page.wait_for_timeout(700)  # past the 400 ms pause after which the form asks again
    said = [said_first, *page.evaluate("window.said")]
    assert len(asked) >= 3  # the form did ask again after each pause
    assert all(a != b for a, b in itertools.pairwise(said)), said  # nothing said twice in a row
    shot(page, "idea-live-desktop")
    box = {name: page.locator(sel).bounding_box() for name, sel in
           (("text", "#text"), ("panel", "section.live"), ("kind", "#submitter_kind"))}
    assert box["panel"]["x"] > box["text"]["x"] + box["text"]["width"]  # type: ignore[index]  # a column beside
    # the keyboard goes from the text through the suggestions to "who are you", as a screen reader reads the page
    page.locator("#text").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('section.live') !== null")
    page.set_viewport_size(PHONE)
    shot(page, "idea-live-phone")
    # on a phone the suggestions come right under the text being typed, above the rest of the form
    box = {name: page.locator(sel).bounding_box() for name, sel in
           (("text", "#text"), ("panel", "section.live"), ("kind", "#submitter_kind"))}
    assert box["text"]["y"] + box["text"]["height"] < box["panel"]["y"] < box["kind"]["y"]  # type: ignore[index]
    page.get_by_label("Kontaktinformasjon (valgfritt)").fill("Test Testesen, test@example.no")
    page.get_by_role("button", name="Send inn").click()
    page.wait_for_url("**/web/ideas/idea-*")
    case = page.locator("#receipt-id").inner_text()
    assert case.startswith("idea-") and page.url.endswith("/web/ideas/" + case)
    assert "Sensorer i stedet for nattbesøk hos eldre" in page.locator("main").inner_text()
    assert "test@example.no" not in page.content()
    shot(page, "idea-receipt")
    count = page.request.get("/ideas?limit=1").json()["count"]
    page.reload()
    assert page.locator("#receipt-id").inner_text() == case
    assert page.request.get("/ideas?limit=1").json()["count"] == count


def test_a_refused_idea_form_takes_the_reader_to_what_to_fix(page) -> None:  # type: ignore[no-untyped-def]
    """When the server refuses the form (here a title of markup only), the page opens with the keyboard focus
    on the list of problems, and the field it names is marked invalid; what was written is kept."""
    page.goto("/web/ideas/new")
    page.evaluate("document.getElementById('idea-form').noValidate = true")  # past the browser's own checks
    page.get_by_label("Overskrift").fill("<b>x</b>")
    page.get_by_label("Beskriv innspillet").fill("Benker langs turstien rundt vannet, til glede for eldre.")
    page.get_by_role("button", name="Send inn").click()
    page.locator("#form-errors").wait_for()
    assert page.evaluate("document.activeElement.id") == "form-errors"
    assert page.get_by_label("Overskrift").get_attribute("aria-invalid") == "true"
    assert "Benker langs turstien" in page.get_by_label("Beskriv innspillet").input_value()


def test_a_refused_search_puts_the_reader_on_the_field_with_the_message(page) -> None:  # type: ignore[no-untyped-def]
    """A search of spaces only (past the browser's own check) comes back with the page title starting "Feil",
    the keyboard focus on the search field, the field marked invalid and described by the message; the partner
    finder sent empty does the same with its description field."""
    for path, field, words in (("/web/?q=+++", "q", "Søketeksten er tom"),
                               ("/web/partners?text=+&initiative=", "text", "Skriv en beskrivelse")):
        page.goto(path)
        assert page.title().startswith("Feil: ")
        assert page.evaluate("document.activeElement.id") == field
        box = page.locator(f"#{field}")
        assert box.get_attribute("aria-invalid") == "true"
        described = page.locator("#" + (box.get_attribute("aria-describedby") or "none")).inner_text()
        assert words in described, described
    page.goto("/web/?q=nattilsyn")
    assert not page.title().startswith("Feil") and page.locator("#q").get_attribute("aria-invalid") is None


def test_a_search_nothing_resembles_says_so_once(page) -> None:  # type: ignore[no-untyped-def]
    """A search that nothing resembles, with no filter set, says only that nothing resembles it (not that the nearest
    items follow, nor that filters or passed-over results kept any away); with a filter set, it names the filters."""
    nothing = "a" * 2500
    for lang, said, unsaid in (
            ("nb", "Ingenting ligner på det du søkte etter", ("nærmest", "filtrene", "andre treff")),
            ("en", "Nothing resembles what you searched for", ("nearest", "filters", "other results"))):
        page.goto(f"/web/?q={nothing}&lang={lang}")
        results = page.locator("section").inner_text()
        assert said in results and not any(word in results for word in unsaid), results
        assert page.locator("#results > li").count() == 0
        page.goto(f"/web/?q={nothing}&status=completed&lang={lang}")
        results = page.locator("section").inner_text()
        assert ("filtrene" if lang == "nb" else "filters") in results and said not in results, results
    page.goto("/web/?q=biogass+av+matavfall&lang=nb")  # a search with results keeps its notes
    assert page.locator("#results > li").count() >= 1 and page.locator("#weak-match").count() == 0


def test_a_filter_value_the_page_does_not_know_is_refused_by_name(page) -> None:  # type: ignore[no-untyped-def]
    """An unknown status, unit or focus area on the search page and the list of initiatives, and an unknown kind
    on the partner finder, are refused with a message naming the value and what to choose instead, in the page's
    language, with that filter marked invalid and described by the message, and the form still there to fix it."""
    cases = (("/web/?q=biogass&status=bogus", "status", "'bogus'", "fullført"),
             ("/web/?q=biogass&focus_area=nope", "focus_area", "'nope'", "velg et fra listen"),
             ("/web/?q=biogass&unit=nope", "unit", "'nope'", "velg en fra listen"),
             ("/web/?q=biogass&unit=ini-001&other_units=1", "unit", "'ini-001'", "velg en fra listen"),
             ("/web/initiatives?status=bogus", "status", "'bogus'", "pågår"),
             ("/web/initiatives?unit=nope", "unit", "'nope'", "velg en fra listen"),
             ("/web/initiatives?focus_area=nope", "focus_area", "'nope'", "velg et fra listen"),
             ("/web/partners?text=biogass&kind=bogus", "kind", "'bogus'", "næringsliv"),
             ("/web/?q=biogass&status=bogus&lang=en", "status", "'bogus'", "completed"),
             ("/web/partners?text=biogass&kind=bogus&lang=en", "kind", "'bogus'", "business"))
    for path, field, value, hint in cases:
        page.goto(path if "lang=" in path else path + "&lang=nb")
        message = page.locator("#form-error").inner_text()
        assert value in message and hint in message, (path, message)
        assert page.title().startswith(("Feil: ", "Error: ")), path
        select = page.locator(f"#{field}")
        assert select.get_attribute("aria-invalid") == "true" and select.get_attribute("aria-describedby") == \
            "form-error", path
        assert page.locator("#results > li, #initiatives > li").count() == 0, path
        assert "filtrene" not in page.locator("main").inner_text(), path  # nothing was filtered
        assert page.locator("form button[type=submit]").is_visible()
    page.goto("/web/?q=biogass&status=completed&lang=nb")  # a known value filters as before
    assert page.locator("#form-error").count() == 0 and page.locator("#results > li").count() >= 1


def test_the_graph_of_an_unknown_item_says_so_in_the_page_language(page) -> None:  # type: ignore[no-untyped-def]
    """The graph page of an id that names nothing says so in Norwegian on a Norwegian page and in English on an
    English one, naming the id."""
    for lang, words in (("nb", "Fant ingen element med id 'nope' å vise i grafen"),
                        ("en", "No item with id 'nope' to show in the graph")):
        answer = page.goto(f"/web/graph/nope?lang={lang}")
        assert answer is not None and answer.status == 404
        assert words in page.locator("main").inner_text()
    page.goto("/web/?lang=nb")  # the language cookie back to Norwegian for the tests after this one


def test_graph_view_draws_the_neighbourhood_and_follows_a_click(page) -> None:  # type: ignore[no-untyped-def]
    """The graph view draws nodes and edges as SVG; zoom works; clicking a node opens its neighbourhood."""
    page.goto("/web/graph/ini-001")
    page.locator("#graph svg .node").first.wait_for()
    assert page.locator("#graph svg .node").count() >= 5 and page.locator("#graph svg .edge").count() >= 4
    shot(page, "graph-desktop")
    page.get_by_role("button", name="Zoom inn").click()
    assert "scale(1.25)" in (page.locator("#graph svg > g").get_attribute("transform") or "")
    page.set_viewport_size(PHONE)  # on a phone the labels are grown back to a readable size
    page.reload()
    page.locator("#graph svg .node").first.wait_for()
    label = page.locator("#graph svg .node text").first.bounding_box()
    assert label is not None and label["height"] >= 9, label
    shot(page, "graph-phone")
    page.set_viewport_size(DESKTOP)
    page.reload()
    page.locator("#graph svg .node").first.wait_for()
    page.locator("#graph svg .node[data-id='unit-helse']").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/web/graph/unit-helse*")
    assert "Helse og omsorg" in page.locator("h1").inner_text()


def test_the_graph_works_by_keyboard_and_says_in_words_what_the_picture_shows(page) -> None:  # type: ignore[no-untyped-def]
    """Each node's accessible name gives its kind and how it is linked to the centre (two steps away: through
    which neighbour); the centre is not a link to its own page; after zooming in, a node reached with Tab is
    brought into view; arrow keys move the picture and a plain mouse wheel scrolls the page instead of zooming."""
    page.goto("/web/graph/ini-001?depth=2")
    page.locator("#graph svg .node").first.wait_for()
    names = page.locator("#graph .node").evaluate_all("gs => gs.map(g => g.getAttribute('aria-label'))")
    assert "Helse og omsorg (Organisasjon: Digitalt nattilsyn i hjemmetjenesten eies av denne)" in names, names
    assert sum(" (Tiltak: via " in n for n in names) >= 3, names
    center = page.locator("#graph .node.center")
    assert center.get_attribute("tabindex") is None and center.get_attribute("role") == "img"
    for _ in range(4):
        page.get_by_role("button", name="Zoom inn").click()
    box = page.locator("#graph").bounding_box()
    assert box is not None
    for _ in range(12):  # every node that gets the focus is inside the visible box
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.closest('.node') ? document.activeElement"
                                ".querySelector('circle').getBoundingClientRect().toJSON() : null")
        if focused is None:
            continue
        now = page.locator("#graph").bounding_box()  # the page may have scrolled to the focus
        assert now is not None
        assert now["x"] <= focused["x"] <= now["x"] + now["width"]
        assert now["y"] <= focused["y"] <= now["y"] + now["height"]
    view = page.locator("#graph svg > g")
    before = view.get_attribute("transform")
    page.keyboard.press("ArrowLeft")
    assert view.get_attribute("transform") != before
    before = view.get_attribute("transform")
    box = page.locator("#graph").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 100, box["y"] + 100)
    page.mouse.wheel(0, 300)
    assert view.get_attribute("transform") == before


# Labels, nodes and the overlaps among them, as the reader sees them (bounding boxes on the screen).
_OVERLAPS = """() => {
  const nodes = [...document.querySelectorAll('#graph .node')];
  const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const hit = (a, b) => a[0] < b[2] - 1 && b[0] < a[2] - 1 && a[1] < b[3] - 1 && b[1] < a[3] - 1;
  const shown = nodes.filter(g => getComputedStyle(g.querySelector('text')).visibility !== 'hidden');
  let pairs = 0;
  for (let i = 0; i < shown.length; i++)
    for (let j = i + 1; j < shown.length; j++)
      if (hit(box(shown[i].querySelector('text')), box(shown[j].querySelector('text')))) pairs++;
  return {nodes: nodes.length, shown: shown.length, overlapping: pairs,
          hidden_named: nodes.filter(g => !shown.includes(g)).every(g => g.getAttribute('aria-label'))};
}"""


def test_graph_labels_at_depth_two_do_not_cover_each_other(page) -> None:  # type: ignore[no-untyped-def]
    """At depth 2 (80 nodes) no two shown labels overlap, on a desktop screen and on a phone (where labels are
    larger); a far node whose label found no free place keeps its name in its aria-label and shows the label
    when it gets the keyboard focus."""
    for viewport, least in ((PHONE, 10), (DESKTOP, 20)):
        page.set_viewport_size(viewport)
        page.goto("/web/graph/unit-helse?depth=2")
        page.locator("#graph svg .node").first.wait_for()
        seen = page.evaluate(_OVERLAPS)
        assert seen["nodes"] >= 40 and seen["shown"] >= least, seen
        assert seen["overlapping"] == 0 and seen["hidden_named"], seen
    crowded = page.locator("#graph .node:has(text.crowded)")
    assert crowded.count() >= 1  # 80 labels do not all fit: the test would not see the hiding otherwise
    crowded.first.focus()
    assert crowded.first.locator("text").evaluate("t => getComputedStyle(t).visibility") == "visible"
    shot(page, "graph-depth2-desktop")


def test_graph_labels_are_laid_out_again_when_a_phone_turns(page) -> None:  # type: ignore[no-untyped-def]
    """Labels sized and placed for a phone held upright are sized and placed again when it turns on its side (or
    a window is widened): no two shown labels overlap after the turn, and on a wide screen they are back to their
    normal size."""
    page.set_viewport_size(PHONE)
    page.goto("/web/graph/unit-helse?depth=2")
    page.locator("#graph svg .node").first.wait_for()
    size = "() => getComputedStyle(document.querySelector('#graph .node.center text')).fontSize"
    upright = float(page.evaluate(size).removesuffix("px"))
    assert upright > 20  # grown back to readable on the shrunken picture
    for viewport in ({"width": PHONE["height"], "height": PHONE["width"]}, DESKTOP):
        page.set_viewport_size(viewport)
        page.wait_for_function(f"() => ({size})() !== '{upright}px'")
        page.wait_for_timeout(300)  # the layout waits for the resizing to stop
        seen = page.evaluate(_OVERLAPS)
        assert seen["overlapping"] == 0 and seen["shown"] >= 10, (viewport, seen)
    assert page.evaluate(size) == "12px"


def test_on_a_touch_screen_the_first_tap_shows_a_hidden_label_and_the_second_opens(  # type: ignore[no-untyped-def]
        browser, server: str) -> None:
    """A touch screen has no hover: tapping a node whose label had no room shows the label and stays on the page;
    tapping it again opens that node's neighbourhood, as a click does at once with a mouse."""
    context = browser.new_context(viewport=PHONE, base_url=server, locale="nb-NO", has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/web/graph/unit-helse?depth=2")
        crowded = page.locator("#graph .node:has(text.crowded)")
        crowded.first.wait_for(state="attached")
        node = page.locator(f"#graph .node[data-id='{crowded.first.get_attribute('data-id')}']")
        node.scroll_into_view_if_needed()
        box = node.locator("circle").bounding_box()
        assert box is not None
        at = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.touchscreen.tap(*at)
        assert node.locator("text").evaluate("t => getComputedStyle(t).visibility") == "visible"
        assert page.url.endswith("/web/graph/unit-helse?depth=2")
        page.touchscreen.tap(*at)
        page.wait_for_url(f"**/web/graph/{node.get_attribute('data-id')}?depth=2")
    finally:
        context.close()


def test_overview_in_english_and_keyboard_use(page) -> None:  # type: ignore[no-untyped-def]
    """The overview shows counts per focus area, unit and status; English is one click away; Tab reaches
    the skip link first."""
    page.goto("/web/overview")
    assert page.locator("#by-focus-area li").count() == 5 and page.locator("#by-unit li").count() >= 3
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**lang=en")
    assert page.locator("h1").inner_text() == "Overview" and page.locator("html").get_attribute("lang") == "en"
    shot(page, "overview-desktop")
    page.goto("/web/")  # the language is remembered
    assert page.locator("h1").inner_text() == "Has anyone done this before?"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.set_viewport_size(PHONE)
    page.goto("/web/overview")
    shot(page, "overview-phone")


def test_norwegian_data_on_english_pages_is_marked_as_norwegian(page) -> None:  # type: ignore[no-untyped-def]
    """On an English page the demo's Norwegian titles, names, texts and graph labels carry lang="nb" (a screen
    reader then reads them with a Norwegian voice); on a Norwegian page nothing in the content says another
    language."""
    page.goto("/web/initiatives/ini-001?lang=en")
    in_lang = """sel => [...document.querySelectorAll(sel)].map(e => e.closest('[lang]').getAttribute('lang'))"""
    assert page.evaluate(in_lang, "h1") == ["nb"]
    data = ".meta a > span, .details dd > span, .refs a > span, #similar h3, #partners h3"
    assert set(page.evaluate(in_lang, data)) == {"nb"}
    assert page.locator(".details dd > span").count() >= 1  # the description (status and dates are the page's)
    assert page.evaluate(in_lang, "main h2") == ["en"] * page.locator("main h2").count()  # the page's own words
    page.goto("/web/initiatives/ini-001?lang=nb")
    assert page.locator("main [lang]").count() == 0
    page.goto("/web/graph/ini-001?lang=en")
    page.locator("#graph svg text").first.wait_for()
    assert set(page.evaluate(in_lang, "#graph svg text")) == {"nb"}
    page.goto("/web/overview?lang=en")
    assert set(page.evaluate(in_lang, "#by-unit .bar-name a")) == {"nb"}
    page.goto("/web/?lang=nb")  # the language cookie back to Norwegian for the tests after this one


def test_live_idea_suggestions_say_their_own_language(page) -> None:  # type: ignore[no-untyped-def]
    """On the English idea form a Norwegian suggestion's heading, and its title in the status line read out,
    carry lang="nb" and an English one none (it is the page's language), so a screen reader reads each title
    with the right voice while the person types."""
    english = "Bicycle counters on the harbour bridge"
    text = "Count the bicycles that cross the harbour bridge every day and publish the numbers."
    sent = page.request.post("/ideas", data={"title": english, "text": text})  # an English idea someone sent
    assert sent.status == 201, sent.text()
    page.goto("/web/ideas/new?lang=en")
    heading_lang = "title => [...document.querySelectorAll('#live-results h3')]" \
                   ".filter(h => h.textContent === title).map(h => h.getAttribute('lang'))"
    page.get_by_label("Title", exact=True).fill("Counting bicycles on the bridge")
    page.get_by_label("Describe your idea").fill("Count the bicycles that cross the harbour bridge every day.")
    page.locator("#live-results h3", has_text=english).wait_for()
    assert page.evaluate(heading_lang, english) == [None]
    norwegian = "Sensorer i stedet for nattbesøk hos eldre"
    page.get_by_label("Title", exact=True).fill("Sensorer i stedet for nattbesøk")
    page.get_by_label("Describe your idea").fill("Bruk sensorer og digitalt nattilsyn i hjemmetjenesten om natten.")
    page.locator("#live-results h3", has_text=norwegian).wait_for()
    assert page.evaluate(heading_lang, norwegian) == ["nb"]
    status = page.locator("#live-status")  # the line screen readers read out names the first titles, marked too
    status.locator("span", has_text=norwegian).wait_for()
    assert status.locator("span", has_text=norwegian).get_attribute("lang") == "nb"
    assert "Sensorer i stedet" in status.inner_text() and not status.inner_text().startswith(" ")
    page.goto("/web/?lang=nb")  # the language cookie back to Norwegian for the tests after this one


def test_the_idea_form_shows_completed_work_as_related_work_that_already_exists(  # type: ignore[no-untyped-def]
        page) -> None:
    """A citizen who describes the night surveillance the municipality already completed sees, under a heading of
    its own in Norwegian and in English, that it exists and was completed, and its recorded results, apart from the
    possible duplicate; the status line read out says so; the form passes axe with both lists shown; and the
    receipt lists it too."""
    from axe_playwright_python.sync_playwright import Axe

    text = ("Min mor på 86 blir vekket hver natt av at hjemmesykepleien låser seg inn for å se til henne. "
            "Kan dere ikke bruke en sensor eller et kamera i stedet, så hun får sove?")
    done = "Digitalt nattilsyn i hjemmetjenesten"
    for lang, title, describe, heading, completed in (
            ("en", "Title", "Describe your idea", "Related work that already exists", "completed"),
            ("nb", "Overskrift", "Beskriv innspillet", "Beslektet arbeid som finnes allerede", "fullført")):
        page.goto(f"/web/ideas/new?lang={lang}")
        page.get_by_label(title, exact=True).fill("Nattbesøk")
        page.get_by_label(describe).fill(text)
        related = page.locator("#live-related-results")
        related.locator("h4", has_text=done).wait_for()
        assert page.locator("#live-results").get_by_text("Sensorer i stedet for nattbesøk hos eldre").count() == 1
        assert page.locator("#live-results").get_by_text(done).count() == 0  # not claimed to be a duplicate
        assert page.locator("#live-related-h").inner_text() == heading
        assert related.get_attribute("aria-labelledby") == "live-related-h"
        card = related.locator("li.card", has=page.locator("h4", has_text=done))
        assert card.locator(".badge.status-completed").inner_text() == completed
        said = card.locator(".reason-results").inner_text()  # from the results reason's item, in either language
        assert said.startswith(("Resultater" if lang == "nb" else "Results") + ": Ved prosjektslutt hadde 140"), said
        assert (card.locator("h4").get_attribute("lang") == "nb") is (lang == "en")  # Norwegian on the English page
        status = page.locator("#live-status")  # the line screen readers hear names it, and that it was completed
        said = status.inner_text()
        assert f"{heading} (" in said and f"{done} ({completed})" in said, said
        shot(page, f"idea-related-{lang}")
        result = Axe().run(page, options=A11Y_RULES).response
        assert result["violations"] == [], [(v["id"], v["nodes"][0]["target"]) for v in result["violations"]]
    page.get_by_role("button", name="Send inn").click()  # the Norwegian form, the last one filled in
    page.wait_for_url("**/web/ideas/idea-*")
    section = page.locator("section.related")
    assert section.locator("h2").inner_text() == "Beslektet arbeid som finnes allerede"
    assert section.locator("li.card", has_text=done).locator(".status-completed").inner_text() == "fullført"
    assert "Fullført av" in section.locator("li.card", has_text=done).inner_text()
    shot(page, "idea-receipt-related")


def test_an_overview_bar_opens_the_list_of_its_initiatives(page) -> None:  # type: ignore[no-untyped-def]
    """Clicking a unit's bar on the overview opens every initiative of that unit, each a link to its page."""
    page.goto("/web/overview")
    bar = page.locator("#by-unit li").first
    name = bar.locator(".bar-name").inner_text()
    count = int(bar.locator(".bar-count").inner_text())
    bar.get_by_role("link", name=name).click()
    page.wait_for_url("**/web/initiatives?unit=*")
    assert page.locator("#initiatives > li").count() == min(count, 30)
    assert page.locator("#unit option[selected]").inner_text() == name
    shot(page, "initiatives-list")
    page.locator("#initiatives a").first.click()
    page.wait_for_url("**/web/initiatives/ini-*")


# Every page a user meets, checked by axe-core against WCAG 2.2 A and AA and axe's best practices (Norwegian
# public bodies must meet WCAG for their web solutions). /docs and /redoc are the API's developer viewers, not
# ours, and are left out.
A11Y_PAGES = ["/web/", "/web/?q=digitalt+nattilsyn+med+sensorer", "/web/?q=zzqx", "/web/?q=+", "/web/initiatives",
              "/web/initiatives?sort=title",
              "/web/initiatives?status=completed&page=2", "/web/initiatives/ini-001", "/web/partners",
              "/web/partners?initiative=ini-001", "/web/ideas/new", "/web/graph/ini-001",
              "/web/graph/unit-helse?depth=2", "/web/overview", "/web/initiatives/no-such",
              "/web/?q=biogass&status=bogus", "/web/initiatives?unit=nope", "/web/partners?text=biogass&kind=bogus",
              "/web/overview?lang=en", "/web/?q=loneliness+among+the+elderly"]  # English from here on (a cookie)
A11Y_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                                    "best-practice"]},
              "resultTypes": ["violations"]}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_passes_the_axe_accessibility_rules(page, viewport) -> None:  # type: ignore[no-untyped-def]
    """Each web page, on a desktop and on a phone, in Norwegian and in English, and the idea form after a refused
    sending, has no violation of axe-core's WCAG 2.2 A/AA and best-practice rules (contrast, names of controls
    and links, landmarks, headings, target sizes...)."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page.set_viewport_size(viewport)
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state("networkidle")
        result = axe.run(page, options=A11Y_RULES).response
        problems = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']} {v['help']}" for v in result["violations"]]
        if problems:
            found[name] = problems

    for path in A11Y_PAGES:
        page.goto(path)
        check(path)
    page.goto("/web/ideas/new?lang=nb")
    page.evaluate("document.getElementById('idea-form').noValidate = true")  # sent empty, refused by the server
    page.get_by_role("button", name="Send inn").click()
    page.locator("#form-errors").wait_for()
    check("the refused idea form")
    page.get_by_label("Overskrift").fill("Sensorer i stedet for nattbesøk")
    page.get_by_label("Beskriv innspillet").fill("Bruk sensorer og digitalt nattilsyn i hjemmetjenesten om natten.")
    page.locator("#live-results").first.wait_for()
    check("the idea form with suggestions")
    page.get_by_role("button", name="Send inn").click()
    page.wait_for_url("**/web/ideas/idea-*")
    check("the idea's receipt page")
    assert found == {}, found


def test_the_api_docs_render_without_the_internet(page, server: str) -> None:  # type: ignore[no-untyped-def]
    """/docs shows the operations (Swagger UI) and /redoc the API reference from files the service serves itself,
    with every request to another host blocked, as on a municipal network without the internet: /docs asks for
    nothing elsewhere, /redoc only for the "powered by" logo of its sidebar."""
    elsewhere: list[str] = []

    def only_here(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith(server):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    page.goto("/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/initiatives/{item_id}/partners" in p for p in paths)
    assert elsewhere == []
    assert page.locator("html").get_attribute("lang") == "en"  # for screen readers
    page.goto("/redoc")
    page.wait_for_selector("[data-section-id]", timeout=20_000)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("[data-section-id]").count() > 10
    assert all(url.endswith("/logo-mini.svg") for url in elsewhere)


def test_the_access_log_keeps_no_search_text(demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder,
                                             tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """A real uvicorn server logging at info writes each request's path to its access log, but not the query
    string: what someone searched for (here a person's name) is not kept in the log."""
    import httpx

    from service.app import create_app
    from service.settings import Settings

    app = create_app(Settings(data_dir=tmp_path), store=demo_store, embedder=real_embedder)
    with _running(app, log_level="info") as address:
        assert httpx.get(f"{address}/web/?q=Kari+Zyxwqsen+nattilsyn").status_code == 200
        assert httpx.get(f"{address}/search?q=Kari%20Zyxwqsen").status_code == 200
    out, err = capfd.readouterr()
    log = out + err
    assert '"GET /web/?… HTTP/1.1" 200' in log and '"GET /search?… HTTP/1.1" 200' in log, log
    assert "Zyxwqsen" not in log
