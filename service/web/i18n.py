# ruff: noqa: E501  (texts are kept on one line each, so translators can find them)
"""Every text of the web pages, in Norwegian bokmål (the default) and English, and reasons in the page language.

>>> translate("nb", "nav.search")
'Søk'
>>> reason_text("nb", "owner", "Owned by Teknisk drift")
'Eies av Teknisk drift'
"""

from __future__ import annotations

import re
from typing import Any

LANGS = ("nb", "en")
DEFAULT_LANG = "nb"

TEXTS: dict[str, dict[str, str]] = {
    "nb": {
        "app.tagline": "Finn, koble og gjenbruk innovasjonsarbeid",
        "skip": "Hopp til innhold",
        "nav.label": "Hovedmeny",
        "nav.search": "Søk",
        "nav.partners": "Finn partnere",
        "nav.idea": "Send inn et innspill",
        "nav.overview": "Oversikt",
        "lang.switch": "English",
        "list.title": "Alle tiltak",
        "list.intro": "Bla i alle tiltakene, små og store, og avgrens etter status, enhet og satsingsområde.",
        "list.submit": "Vis",
        "list.count": "{n} tiltak",
        "list.none": "Ingen tiltak med disse filtrene.",
        "list.pages": "Sider",
        "list.page": "Side {n} av {of}",
        "list.previous": "Forrige side",
        "list.next": "Neste side",
        "filter.bad_status": "Ukjent status '{value}': velg en av {choices}.",
        "filter.bad_unit": "Fant ingen enhet med id '{value}': velg en fra listen.",
        "filter.bad_focus_area": "Fant ingen satsingsområde med id '{value}': velg et fra listen.",
        "filter.bad_kind": "Ukjent type organisasjon '{value}': velg en av {choices}.",
        "list.sort": "Sorter",
        "list.sort.-start_date": "Nyeste først",
        "list.sort.start_date": "Eldste først",
        "list.sort.title": "Tittel (A–Å)",
        "list.bad_sort": "Ukjent sortering '{value}': velg en fra listen.",
        "nav.list": "Alle tiltak",
        "search.title": "Har noen gjort dette før?",
        "search.intro": "Beskriv hva du vil gjøre, så finner KomInn lignende tiltak – også i andre enheter – og sier hvorfor de ligner.",
        "search.q": "Hva vil du gjøre?",
        "search.q.hint": "For eksempel: digitalt nattilsyn i hjemmetjenesten",
        "search.status": "Status",
        "search.unit": "Enhet",
        "search.focus_area": "Satsingsområde",
        "search.other_units": "Bare fra andre enheter enn den valgte",
        "search.submit": "Søk",
        "search.results": "Lignende tiltak",
        "search.none": "Ingenting ligner på det du søkte etter – kanskje har ingen gjort dette før?",
        "search.none.filtered": "Fant ingen lignende tiltak med disse filtrene.",
        "search.weak": "Ingenting ligner tydelig på det du søkte etter. Dette er bare det som ligger nærmest – kanskje har ingen gjort dette før?",
        "search.passed": "{n} andre treff ble ikke vist fordi ingenting i dem ligner på søket.",
        "search.unit_ignored": "«Bare fra andre enheter» gjelder bare når en enhet er valgt, så alle enheter er med.",
        "initiative.weak": "Ingenting ligner tydelig på dette tiltaket. Dette er bare det som ligger nærmest.",
        "initiative.links": "Koblinger",
        "partners.weak": "Ingenting ligner tydelig på beskrivelsen, så forslagene er løse. Beskriv prosjektet med flere ord.",
        "partners.text_ignored": "Beskrivelsen ble ikke brukt, fordi et tiltak er valgt: forslagene gjelder tiltaket.",
        "idea.page": "Innspill {id}",
        "idea.page.similar": "Dette finnes allerede og ligner på innspillet:",
        "idea.page.none": "Vi fant ikke noe som ligner på innspillet.",
        "search.count": "{n} treff",
        "search.count.one": "1 treff",
        "any": "Alle",
        "score": "Poeng",
        "why": "Hvorfor",
        "owner": "Eier",
        "initiative.details": "Om tiltaket",
        "initiative.partners": "Partnere",
        "initiative.needs": "Behov",
        "initiative.focus_areas": "Satsingsområder",
        "initiative.topics": "Temaer",
        "initiative.builds_on": "Bygger på",
        "initiative.similar": "Lignende tiltak i andre enheter",
        "initiative.recommended": "Anbefalte partnere",
        "initiative.reuse": "Kan gjenbrukes: fullførte tiltak andre steder",
        "initiative.graph": "Vis i grafen",
        "initiative.find_partners": "Finn flere partnere",
        "none": "Ingen",
        "field.description": "Beskrivelse",
        "field.status": "Status",
        "field.start_date": "Start",
        "field.end_date": "Slutt",
        "field.scale": "Omfang",
        "field.mode": "Måte",
        "field.results": "Resultater og læring",
        "partners.title": "Finn partnere",
        "partners.intro": "Beskriv et prosjekt eller velg et tiltak, så foreslår KomInn organisasjoner å samarbeide med – med begrunnelse.",
        "partners.text": "Beskriv prosjektet",
        "partners.initiative": "… eller velg et tiltak",
        "partners.initiative.none": "(ingen valgt)",
        "partners.kind": "Type organisasjon",
        "partners.submit": "Finn partnere",
        "partners.results": "Foreslåtte organisasjoner",
        "partners.none": "Fant ingen organisasjoner.",
        "partners.need_input": "Skriv en beskrivelse eller velg et tiltak.",
        "idea.title": "Send inn et innspill",
        "idea.intro": "Har du en idé som kan gjøre kommunen bedre? Mens du skriver, viser vi lignende innspill og tiltak som finnes fra før.",
        "idea.field.title": "Overskrift",
        "idea.field.text": "Beskriv innspillet",
        "idea.field.submitter_kind": "Jeg er",
        "idea.field.contact": "Kontaktinformasjon (valgfritt)",
        "idea.field.contact.hint": "Navn, e-post eller telefon, så kommunen kan svare deg. Bare kommunens administratorer ser det, aldri offentlig.",
        "idea.privacy": "Overskriften og beskrivelsen blir offentlige, og andre kan finne dem når de søker. Skriv derfor ikke navn, telefonnummer, e-post eller opplysninger om helse i dem. Kontaktinformasjonen brukes bare til å svare deg. Mens du skriver, sendes teksten til søket etter lignende innspill uten å bli lagret; den lagres først når du sender inn.",
        "idea.privacy.more": "Les mer om personvern",
        "idea.live.found.n": "{n} lignende funnet: {titles}",
        "idea.submit": "Send inn",
        "idea.live": "Finnes dette fra før?",
        "idea.live.empty": "Ingen lignende innspill eller tiltak så langt.",
        "idea.live.wait": "Skriv litt mer, så ser vi etter lignende innspill og tiltak.",
        "idea.receipt": "Takk! Innspillet er mottatt",
        "idea.receipt.id": "Saksnummer",
        "idea.receipt.created": "Mottatt",
        "idea.receipt.status": "Status",
        "idea.receipt.similar": "Dette finnes allerede og ligner på innspillet ditt:",
        "idea.receipt.none": "Vi fant ikke noe som ligner – innspillet ditt er nytt.",
        "idea.another": "Send inn et nytt innspill",
        "errors.title": "Noe må rettes",
        "errors.rate": "Du har sendt mange innspill på kort tid. Prøv igjen om {minutes} minutter.",
        "errors.rate.one": "Du har sendt mange innspill på kort tid. Prøv igjen om et minutt.",
        "graph.title": "Graf",
        "graph.intro": "Naboskapet til {name}. Klikk på et punkt (eller velg det med Tab og trykk Enter) for å se dets naboskap. Zoom med knappene, tastene + og − eller Ctrl og rullehjulet; flytt bildet ved å dra eller med piltastene.",
        "graph.skip": "Gå til listen over elementene",
        "graph.via": "via",
        "graph.depth": "Avstand",
        "graph.zoom_in": "Zoom inn",
        "graph.zoom_out": "Zoom ut",
        "graph.reset": "Tilbakestill",
        "graph.list": "Elementene i grafen",
        "graph.truncated": "Grafen er forkortet: bare de nærmeste elementene vises.",
        "graph.open": "Åpne siden",
        "graph.this": "denne",
        "overview.title": "Oversikt",
        "overview.intro": "Mange bekker små: tiltakene fordelt på satsingsområder, enheter og status.",
        "overview.by_focus_area": "Tiltak per satsingsområde",
        "overview.by_unit": "Tiltak per enhet",
        "overview.by_status": "Tiltak per status",
        "overview.by_scale": "Forbedring eller radikal",
        "overview.by_mode": "Først, kopiere eller dele",
        "overview.totals": "{i} tiltak, {d} innspill, {n} behov, {o} organisasjoner",
        "notfound.title": "Fant ikke siden",
        "rel.OWNED_BY": "eies av",
        "rel.INVOLVES": "har med",
        "rel.PART_OF": "er en del av",
        "rel.ADDRESSES": "gjelder behovet",
        "rel.SUPPORTS": "støtter",
        "rel.BECAME": "ble til",
        "rel.DUPLICATE_OF": "er et duplikat av",
        "rel.BUILDS_ON": "bygger på",
        "rel.TAGGED": "har temaet",
        "rel.SIMILAR_TO": "ligner på",
        "rel.SAME_AS": "kan være den samme som",
        "error.401": "Disse sidene krever innlogging",
        "error.401.hint": "Legg et gyldig lesetoken i informasjonskapselen kominn_token. Et token varer en tid; har ditt sluttet å virke, be en administrator om et nytt.",
        "error.401.idea": "Du kan likevel sende inn et innspill uten å logge inn",
        "error.403": "Du har ikke tilgang",
        "error.422": "Forespørselen kan ikke brukes",
        "error.429": "For mange forespørsler",
        "error.500": "Noe gikk galt hos oss",
        "error.503": "Tjenesten er ikke tilgjengelig akkurat nå",
        "error.back": "Tilbake til søket",
        "form.missing": "må fylles ut",
        "form.too_short": "må ha minst {n} tegn",
        "form.too_long": "kan ha høyst {n} tegn",
        "form.choice": "velg en av: {choices}",
        "form.invalid": "ugyldig verdi",
        "error.prefix": "Feil",
        "form.contact_in_text": "ser ut som en e-postadresse eller et telefonnummer, og overskriften og beskrivelsen blir offentlige. Skriv kontaktinformasjonen i feltet for den; bare kommunens administratorer ser den.",
        "form.identity_in_text": "ser ut som et fødselsnummer eller D-nummer, og overskriften og beskrivelsen blir offentlige. Ta det ut; kommunen trenger det ikke for å svare deg.",
        "message.no_item": "Fant ingen {what} med id '{id}'",
        "message.no_item.graph": "Fant ingen {what} med id '{id}' å vise i grafen",
        "message.empty_query": "Søketeksten er tom",
        "message.not_a_unit": "'{id}' er ikke en enhet",
        "message.store_unavailable": "Databasen svarer ikke akkurat nå. Prøv igjen om litt; varer det, si fra til dem som drifter KomInn.",
        "message.configuration": "KomInn er ikke satt opp riktig. Si fra til dem som drifter KomInn; årsaken står i tjenestens logg.",
        "what.unit": "enhet",
        "what.initiative": "tiltak",
        "what.need": "behov",
        "what.idea": "innspill",
        "what.organisation": "organisasjon",
        "what.item": "element",
        "label.Initiative": "Tiltak",
        "label.Idea": "Innspill",
        "label.Need": "Behov",
        "label.Organisation": "Organisasjon",
        "label.FocusArea": "Satsingsområde",
        "status.idea": "idé",
        "status.planned": "planlagt",
        "status.ongoing": "pågår",
        "status.completed": "fullført",
        "status.stopped": "stanset",
        "status.new": "ny",
        "status.reviewing": "til vurdering",
        "status.adopted": "tatt i bruk",
        "status.declined": "avslått",
        "status.merged": "slått sammen",
        "status.hidden": "skjult",
        "status.unknown": "ukjent",
        "scale.unknown": "ikke oppgitt",
        "mode.unknown": "ikke oppgitt",
        "scale.improvement": "forbedring",
        "scale.radical": "radikal",
        "mode.first": "være først",
        "mode.copy": "kopiere",
        "mode.share": "dele",
        "kind.municipality": "kommune",
        "kind.unit": "enhet",
        "kind.business": "næringsliv",
        "kind.ngo": "frivillig organisasjon",
        "kind.research": "forskning",
        "kind.public_body": "offentlig virksomhet",
        "kind.social_enterprise": "sosialt entreprenørskap",
        "kind.other": "annet",
        "submitter.citizen": "innbygger",
        "submitter.employee": "ansatt",
        "submitter.volunteer": "frivillig",
        "submitter.business": "næringsdrivende",
        "role.coordinator": "koordinator",
        "role.partner": "partner",
        "role.supplier": "leverandør",
        "role.funder": "finansiør",
    },
    "en": {
        "app.tagline": "Find, link and reuse innovation work",
        "skip": "Skip to content",
        "nav.label": "Main menu",
        "nav.search": "Search",
        "nav.partners": "Find partners",
        "nav.idea": "Submit an idea",
        "nav.overview": "Overview",
        "lang.switch": "Norsk",
        "list.title": "All initiatives",
        "list.intro": "Browse every initiative, small and large, by status, unit and focus area.",
        "list.submit": "Show",
        "list.count": "{n} initiatives",
        "list.none": "No initiatives with these filters.",
        "list.pages": "Pages",
        "list.page": "Page {n} of {of}",
        "list.previous": "Previous page",
        "list.next": "Next page",
        "filter.bad_status": "Unknown status '{value}': choose one of {choices}.",
        "filter.bad_unit": "No unit with id '{value}': choose one from the list.",
        "filter.bad_focus_area": "No focus area with id '{value}': choose one from the list.",
        "filter.bad_kind": "Unknown kind of organisation '{value}': choose one of {choices}.",
        "list.sort": "Sort",
        "list.sort.-start_date": "Newest first",
        "list.sort.start_date": "Oldest first",
        "list.sort.title": "Title (A–Z)",
        "list.bad_sort": "Unknown order '{value}': choose one from the list.",
        "nav.list": "All initiatives",
        "search.title": "Has anyone done this before?",
        "search.intro": "Describe what you want to do, and KomInn finds similar initiatives – in other units too – and says why they are similar.",
        "search.q": "What do you want to do?",
        "search.q.hint": "For example: digital night supervision in home care",
        "search.status": "Status",
        "search.unit": "Unit",
        "search.focus_area": "Focus area",
        "search.other_units": "Only from units other than the one chosen",
        "search.submit": "Search",
        "search.results": "Similar initiatives",
        "search.none": "Nothing resembles what you searched for – perhaps nobody has done this yet?",
        "search.none.filtered": "No similar initiatives with these filters.",
        "search.weak": "Nothing matches what you searched for closely. These are only the nearest items – perhaps nobody has done this yet?",
        "search.passed": "{n} other results were not shown because nothing in them matches the search.",
        "search.unit_ignored": "'Only from other units' applies only when a unit is chosen, so all units are included.",
        "initiative.weak": "Nothing clearly resembles this initiative. These are only the nearest.",
        "initiative.links": "Links",
        "partners.weak": "Nothing clearly resembles the description, so these suggestions are loose. Describe the project in more words.",
        "partners.text_ignored": "The description was not used, because an initiative is chosen: the suggestions are for the initiative.",
        "idea.page": "Idea {id}",
        "idea.page.similar": "These exist already and resemble the idea:",
        "idea.page.none": "We found nothing that resembles the idea.",
        "search.count": "{n} results",
        "search.count.one": "1 result",
        "any": "All",
        "score": "Score",
        "why": "Why",
        "owner": "Owner",
        "initiative.details": "About the initiative",
        "initiative.partners": "Partners",
        "initiative.needs": "Needs",
        "initiative.focus_areas": "Focus areas",
        "initiative.topics": "Topics",
        "initiative.builds_on": "Builds on",
        "initiative.similar": "Similar initiatives in other units",
        "initiative.recommended": "Recommended partners",
        "initiative.reuse": "Reusable: completed initiatives elsewhere",
        "initiative.graph": "Show in the graph",
        "initiative.find_partners": "Find more partners",
        "none": "None",
        "field.description": "Description",
        "field.status": "Status",
        "field.start_date": "Start",
        "field.end_date": "End",
        "field.scale": "Scale",
        "field.mode": "Mode",
        "field.results": "Results and lessons",
        "partners.title": "Find partners",
        "partners.intro": "Describe a project or pick an initiative, and KomInn suggests organisations to work with – with reasons.",
        "partners.text": "Describe the project",
        "partners.initiative": "… or pick an initiative",
        "partners.initiative.none": "(none chosen)",
        "partners.kind": "Kind of organisation",
        "partners.submit": "Find partners",
        "partners.results": "Suggested organisations",
        "partners.none": "No organisations found.",
        "partners.need_input": "Write a description or pick an initiative.",
        "idea.title": "Submit an idea",
        "idea.intro": "Do you have an idea that could make the municipality better? While you write, we show similar ideas and initiatives that already exist.",
        "idea.field.title": "Title",
        "idea.field.text": "Describe your idea",
        "idea.field.submitter_kind": "I am a",
        "idea.field.contact": "Contact details (optional)",
        "idea.field.contact.hint": "Name, e-mail or phone, so that the municipality can answer you. Seen only by the municipality's administrators, never public.",
        "idea.privacy": "The title and description are published, and others can find them when they search. So do not write names, phone numbers, e-mail addresses or health details in them. Your contact details are only used to answer you. While you write, the text is sent to the search for similar ideas without being stored; it is stored only when you submit it.",
        "idea.privacy.more": "Read more about privacy",
        "idea.live.found.n": "{n} similar found: {titles}",
        "idea.submit": "Submit",
        "idea.live": "Does this exist already?",
        "idea.live.empty": "No similar ideas or initiatives so far.",
        "idea.live.wait": "Write a little more and we look for similar ideas and initiatives.",
        "idea.receipt": "Thank you! Your idea has been received",
        "idea.receipt.id": "Reference",
        "idea.receipt.created": "Received",
        "idea.receipt.status": "Status",
        "idea.receipt.similar": "These exist already and resemble your idea:",
        "idea.receipt.none": "We found nothing similar – your idea is new.",
        "idea.another": "Submit another idea",
        "errors.title": "Please correct",
        "errors.rate": "You have submitted many ideas in a short time. Please try again in {minutes} minutes.",
        "errors.rate.one": "You have submitted many ideas in a short time. Please try again in a minute.",
        "graph.title": "Graph",
        "graph.intro": "The neighbourhood of {name}. Click a point (or reach it with Tab and press Enter) to see its neighbourhood. Zoom with the buttons, the + and − keys or Ctrl and the mouse wheel; move the picture by dragging or with the arrow keys.",
        "graph.skip": "Go to the list of the items",
        "graph.via": "through",
        "graph.depth": "Distance",
        "graph.zoom_in": "Zoom in",
        "graph.zoom_out": "Zoom out",
        "graph.reset": "Reset",
        "graph.list": "The items in the graph",
        "graph.truncated": "The graph is cut short: only the nearest items are shown.",
        "graph.open": "Open its page",
        "graph.this": "this",
        "overview.title": "Overview",
        "overview.intro": "Many small streams: initiatives by focus area, unit and status.",
        "overview.by_focus_area": "Initiatives per focus area",
        "overview.by_unit": "Initiatives per unit",
        "overview.by_status": "Initiatives per status",
        "overview.by_scale": "Improvement or radical",
        "overview.by_mode": "First, copy or share",
        "overview.totals": "{i} initiatives, {d} ideas, {n} needs, {o} organisations",
        "notfound.title": "Page not found",
        "rel.OWNED_BY": "owned by",
        "rel.INVOLVES": "involves",
        "rel.PART_OF": "part of",
        "rel.ADDRESSES": "addresses",
        "rel.SUPPORTS": "supports",
        "rel.BECAME": "became",
        "rel.DUPLICATE_OF": "duplicate of",
        "rel.BUILDS_ON": "builds on",
        "rel.TAGGED": "tagged",
        "rel.SIMILAR_TO": "similar to",
        "rel.SAME_AS": "may be the same as",
        "error.401": "These pages need you to sign in",
        "error.401.hint": "Put a valid reader token in the kominn_token cookie. A token lasts for a time; if yours has stopped working, ask an administrator for a new one.",
        "error.401.idea": "You can still submit an idea without signing in",
        "error.403": "You do not have access",
        "error.422": "The request cannot be used",
        "error.429": "Too many requests",
        "error.500": "Something went wrong on our side",
        "error.503": "The service is not available right now",
        "error.back": "Back to search",
        "form.missing": "is required",
        "form.too_short": "needs at least {n} characters",
        "form.too_long": "can have at most {n} characters",
        "form.choice": "choose one of: {choices}",
        "form.invalid": "invalid value",
        "error.prefix": "Error",
        "form.contact_in_text": "looks like an e-mail address or a phone number, and the title and description are published. Put contact details in their own field; only the municipality's administrators see them.",
        "form.identity_in_text": "looks like a national identity number or D-number, and the title and description are published. Take it out; the municipality does not need it to answer you.",
        "message.no_item": "No {what} with id '{id}'",
        "message.no_item.graph": "No {what} with id '{id}' to show in the graph",
        "message.empty_query": "The search text is empty",
        "message.not_a_unit": "'{id}' is not a unit",
        "message.store_unavailable": "The database is not answering just now. Try again shortly; if it lasts, tell the people who run KomInn.",
        "message.configuration": "KomInn is not set up right. Tell the people who run KomInn; the service's log says why.",
        "what.unit": "unit",
        "what.initiative": "initiative",
        "what.need": "need",
        "what.idea": "idea",
        "what.organisation": "organisation",
        "what.item": "item",
        "label.Initiative": "Initiative",
        "label.Idea": "Idea",
        "label.Need": "Need",
        "label.Organisation": "Organisation",
        "label.FocusArea": "Focus area",
        "status.idea": "idea",
        "status.planned": "planned",
        "status.ongoing": "ongoing",
        "status.completed": "completed",
        "status.stopped": "stopped",
        "status.new": "new",
        "status.reviewing": "reviewing",
        "status.adopted": "adopted",
        "status.declined": "declined",
        "status.merged": "merged",
        "status.hidden": "hidden",
        "status.unknown": "unknown",
        "scale.unknown": "not given",
        "mode.unknown": "not given",
        "scale.improvement": "improvement",
        "scale.radical": "radical",
        "mode.first": "be first",
        "mode.copy": "copy",
        "mode.share": "share",
        "kind.municipality": "municipality",
        "kind.unit": "unit",
        "kind.business": "business",
        "kind.ngo": "NGO or volunteers",
        "kind.research": "research",
        "kind.public_body": "public body",
        "kind.social_enterprise": "social enterprise",
        "kind.other": "other",
        "submitter.citizen": "citizen",
        "submitter.employee": "employee",
        "submitter.volunteer": "volunteer",
        "submitter.business": "business",
        "role.coordinator": "coordinator",
        "role.partner": "partner",
        "role.supplier": "supplier",
        "role.funder": "funder",
    },
}

# English reason sentences (as the recommenders write them) and their Norwegian beginnings.
_REASON_NB: tuple[tuple[str, str], ...] = (
    ("Matching terms: ", "Felles ord: "),
    ("Both address the need: ", "Begge gjelder behovet: "),
    ("Both support the focus area: ", "Begge støtter satsingsområdet: "),
    ("Both are tagged: ", "Begge har temaet: "),
    ("Both involve: ", "Begge har med: "),
    ("Owned by ", "Eies av "),
    ("Completed by ", "Fullført av "),
    ("Addresses the same need: ", "Gjelder samme behov: "),
    ("Recorded results: ", "Registrerte resultater: "),
    ("Worked with your partners on ", "Har jobbet med partnerne deres på "),
    ("Partner in ", "Partner i "),
    ("Owner of ", "Eier av "),
    ("Active on the same topic: ", "Aktiv på samme tema: "),
    ("In your partners' network: ", "I partnernes nettverk: "),
    ("Tagged with topics common among the closest matches: ", "Har temaer som går igjen blant de nærmeste treffene: "),
    ("Tagged with what the search names: ", "Har temaet du søkte på: "),
)
_DENSE = re.compile(r"^Similar in meaning \(embedding similarity ([0-9.]+)\)$")


def lang_of(value: str | None) -> str:
    return value if value in LANGS else DEFAULT_LANG


def translate(lang: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` (falling back to bokmål, then to the key), with ``{name}`` filled in."""
    text = TEXTS[lang_of(lang)].get(key) or TEXTS[DEFAULT_LANG].get(key) or key
    return text.format(**values) if values else text


_NO_ITEM = re.compile(r"^no (unit|initiative|need|idea|organisation|item) with id '(.*)'( to show in the graph)?$")
_NOT_A_UNIT = re.compile(r"^'(.*)' is an? [a-z ]+, not a unit$")
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def message_text(lang: str, message: str) -> str:
    """An error message of the library in the page language, where it is one the pages show often (an
    unknown id, an empty search); other messages are shown as they are.

    >>> message_text("nb", "no item with id 'x' to show in the graph"), message_text("en", "no unit with id 'y'")
    ("Fant ingen element med id 'x' å vise i grafen", "No unit with id 'y'")
    """
    m = _NO_ITEM.match(message)
    if m:
        key = "message.no_item.graph" if m.group(3) else "message.no_item"
        return translate(lang, key, what=translate(lang, f"what.{m.group(1)}"), id=m.group(2))
    if message.endswith("the query text is empty"):
        return translate(lang, "message.empty_query")
    m = _NOT_A_UNIT.match(message)
    if m:
        return translate(lang, "message.not_a_unit", id=m.group(1))
    if message.startswith("the store cannot be reached just now"):  # the API's words for a server that is down
        return translate(lang, "message.store_unavailable")
    if message.startswith("the service is not configured right"):
        return translate(lang, "message.configuration")
    return message


def form_error(lang: str, label: str, error: dict[str, Any]) -> str:
    """One pydantic validation error of a form field, in the page language: "Overskrift: må ha minst 3 tegn"."""
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "missing":
        text = translate(lang, "form.missing")
    elif kind == "string_too_short":
        text = translate(lang, "form.too_short", n=ctx.get("min_length", "?"))
    elif kind == "string_too_long":
        text = translate(lang, "form.too_long", n=ctx.get("max_length", "?"))
    elif kind == "contact_in_text":  # an identity number is said apart: it belongs in no field
        identity = "identity number" in str(ctx.get("found", ""))
        text = translate(lang, "form.identity_in_text" if identity else "form.contact_in_text")
    elif kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        text = translate(lang, "form.choice", choices=", ".join(translate(lang, f"submitter.{c}") for c in choices))
    else:
        text = translate(lang, "form.invalid")
    return f"{label}: {text}"


def reason_text(lang: str, kind: str, text: str) -> str:
    """A reason in the page language: the recommenders write English; bokmål is made from the same parts."""
    if lang_of(lang) == "en":
        return text
    m = _DENSE.match(text)
    if m:
        return f"Ligner i innhold (semantisk likhet {m.group(1).replace('.', ',')})"
    for en, nb in _REASON_NB:
        if text.startswith(en):
            rest = _ISO_DAY.sub(r"\3.\2.\1", text[len(en):])  # dates as on the rest of the page
            if kind == "topic":
                rest = re.sub(r" \((\d+) initiatives?\)", r" (\1 tiltak)", rest)
            if kind == "network":
                rest = rest.replace(" (on ", " (på ").replace(" and ", " og ")
            if kind in ("partner", "similar"):
                rest = re.sub(r", which resembles? this$", ", som ligner på dette", rest)
                rest = re.sub(r", among the initiatives nearest to this$", ", blant tiltakene som ligner mest", rest)
                rest = re.sub(r" and (\d+) more$", r" og \1 til", rest)
                rest = rest.replace(" and partner in ", " og partner i ").replace(" and owner of ", " og eier av ")
                rest = rest.replace(" and ", " og ")
            return nb + rest
    return text
