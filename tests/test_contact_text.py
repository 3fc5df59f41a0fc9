"""Which texts look like someone's contact details (an e-mail address or a phone number): the one check behind
the idea form's refusal and ingest's warning, so that it catches numbers as people write them and leaves the
amounts, years, ids and dates of ordinary ideas alone."""

from __future__ import annotations

import pytest

from graph.text import contact_details

PHONE = ["a phone number"]
EMAIL = ["an e-mail address"]

# (text, what it holds): each a way people write a phone number, or a figure that is not one.
CASES: list[tuple[str, list[str]]] = [
    # Norwegian numbers in the usual groups, with spaces, dots, dashes or non-breaking spaces
    ("Ring meg på 912 34 567 om benkene.", PHONE),
    ("Mobil: 912.34.567", PHONE),
    ("912-34-567", PHONE),
    ("Kontakt meg: 91 23 45 67, helst etter kl. 16.", PHONE),
    ("Sentralbordet 22 33 44 55 svarer", PHONE),
    ("22.33.44.55", PHONE),
    ("22-33-44-55", PHONE),
    ("nummeret er 912\u00a034\u00a0567", PHONE),
    ("(22 33 44 55)", PHONE),
    # +47 or 0047 and eight digits in any grouping
    ("Ring +47 98765432", PHONE),
    ("+4798765432", PHONE),
    ("+47 912 34 567", PHONE),
    ("+47 9123 4567", PHONE),
    ("0047 22 33 44 55", PHONE),
    ("(+47) 22334455", PHONE),
    ("+47-912-34-567", PHONE),
    # other countries' numbers after +
    ("Call me on +46 70 123 45 67", PHONE),
    ("+44 20 7946 0958", PHONE),
    ("+1 555 123 4567", PHONE),
    ("+44 (0)20 7946 0958", PHONE),
    # eight digits together: a mobile number (4 or 9 first), or any after a word that says it is a number
    ("Send meg en melding på 91234567", PHONE),
    ("41234567", PHONE),
    ("Tlf. 22334455", PHONE),
    ("tlf: 22334455", PHONE),
    ("Ring meg på 22334455 etter kl. 16", PHONE),
    ("Telefon (dagtid) 22334455", PHONE),
    ("SMS til 22334455", PHONE),
    ("Phone 22334455", PHONE),
    ("please call 22334455", PHONE),
    ("mobilnummer 22334455", PHONE),
    ("Kontakt: 22334455", PHONE),
    # e-mail addresses
    ("Skriv til ola.nordmann@example.no om benkene.", EMAIL),
    ("kari+kommune@post.example.com", EMAIL),
    ("Ring 912 34 567 eller skriv til ola@example.no", EMAIL + PHONE),
    # amounts, years, year spans, dates, ids, organisation and account numbers, postcodes: none of them
    ("Tiltaket varte fra 20192024 og kostet 45000000 kroner", []),
    ("Det kostet 45000000 kr", []),
    ("Det kostet 45000000 NOK", []),
    ("budsjett: kr 45000000", []),
    ("NOK 91234567 ble satt av", []),
    ("45000000,- i alt", []),
    ("45 000 000 kr", []),
    ("12 345 678 kroner til nye benker", []),
    ("Prosjektet gikk 2019-2024", []),
    ("2019 - 2024", []),
    ("2019 2024", []),
    ("fra 01.02.2024 til 31.12.2025", []),
    ("Møtet 20240312 kl. 10.00-12.00", []),
    ("Organisasjonsnummer 974 760 673", []),
    ("org.nr. 974760673", []),
    ("Kontonummer 1234.56.78903", []),
    ("Postboks 1400, 1372 Asker", []),
    ("sak 2023/12345678", []),
    ("saksnr. 2023/1234-5678", []),
    ("id ini-91234567", []),
    ("NO91234567", []),
    ("Kl. 08.30-16.30 hver dag", []),
    ("98,5 prosent av 9123 brukere", []),
    ("91234567 m2 nytt areal", []),
    ("Vi sparte 95000000 kWh", []),
    ("Økningen var +12 000 000 kr", []),
    ("+5 grader om vinteren", []),
    ("ISBN 978-82-02-12345-6", []),
    ("I 2024 brukte vi 2 500 000 kroner og 1200 timer; 98,5 prosent var fornøyde (sak 2023/12345, kl. 08.00).", []),
    ("Tlf.-kiosken ble pusset opp i 2024 for 150 000 kroner", []),
    ("Telefonkiosken kostet 12 000 000 kroner", []),
    ("Mobildekningen nådde 45000000 innbyggere", []),
    ("Ringveien ble forlenget 20192024", []),
    ("Lekeplass 2024", []),
    ("@kommunen på sosiale medier, e-post: se nettsiden", []),
]


@pytest.mark.parametrize(("text", "found"), CASES, ids=[c[0][:40] for c in CASES])
def test_contact_details_are_found_as_people_write_them_and_figures_are_not(text: str, found: list[str]) -> None:
    """A phone number written the usual ways (grouped, after +47, or eight digits after 'tlf' or starting with
    4 or 9) or an e-mail address is found; an amount, year, year span, date, id or organisation number is not."""
    assert contact_details(text) == found
