"""Which texts look like someone's contact details (an e-mail address or a phone number) or identity (a national
identity number): the one check behind the refusal of an idea's title or text (from the form and from editors) and
ingest's warning, so that it catches numbers and addresses as people write them and leaves the amounts, years, ids,
dates, bus lines and Spanish gender-inclusive words of ordinary ideas alone."""

from __future__ import annotations

import time

import pytest

from graph.text import contact_details

PHONE = ["a phone number"]
EMAIL = ["an e-mail address"]
IDENTITY = ["a national identity number"]

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
    ("ola@post.x.no", EMAIL),  # a one-letter part of the domain after the first
    # spaces around the "@"; but a handle, a time and place or a full stop without its space is no address
    ("Skriv til ola @ example.no", EMAIL),
    ("ola @example.no", EMAIL),
    ("ola@ example.no", EMAIL),
    ("Kari.Nordmann @ Kommune.NO", EMAIL),
    ("Følg oss på @asker_kommune", []),
    ("følg @asker_kommune.no for nyheter", []),
    ("kontakt oss på @kommune", []),
    ("kontakt oss på @kommune.no", []),
    ("Møte kl. 10 @ rådhuset", []),
    ("kl. 10 @ rådhuset.no", []),
    ("Vi ses @ rådhuset.Velkommen alle sammen", []),
    # addresses written so that robots miss them: "@" in brackets, or "at" and "dot" spelt out
    ("Skriv til ola(at)example.no", EMAIL),
    ("ola (at) example.no", EMAIL),
    ("ola [at] example [dot] no", EMAIL),
    ("ola{at}example{dot}com", EMAIL),
    ("ola(a)example.no", EMAIL),
    ("ola (krøllalfa) example (punktum) no", EMAIL),
    ("kari.nordmann at kommune dot no", EMAIL),
    ("Write to ola at example dot com", EMAIL),
    # "at" is an English and a Norwegian word; "(a)" between spaces starts a list; "dot com" is a phrase
    ("Find us at example.no", []),
    ("Vi mener at kommunen.no bør bli enklere", []),
    ("Eg trur at dette punkt no er viktig", []),
    ("Many jobs were lost at the dot com crash", []),
    ("krav (a) tiltaket.Videre skal", []),
    ("ola(at)example", []),
    # gender-inclusive Spanish is not an address: the domain needs a dot, a name of two or more characters
    # right after "@" and a top-level part of letters
    ("muy transitados por los vecin@s.la propuesta es mejorar", []),
    ("Hola a tod@s, pido ayuda para l@s amig@s del barrio", []),
    ("los chic@s.Hola", []),
    ("ola@example.123", []),
    # North American numbers, from a spam proposal in the Decide Madrid data
    ("+ 1 (862) 433-7118 psychic reading", PHONE),
    ("Call ( 862 ) 433-7118", PHONE),
    ("(862) 433-7118", PHONE),
    # line numbers after a word for a bus or tram line; a number written the same way elsewhere is a number
    ("Linje 10 12 14 16 bør gå oftere", []),
    ("bussene 20 31 32 33 stopper her", []),
    ("Bussrute 110 20 130 mangler", []),
    ("las líneas 20, 30 y 32", []),
    ("Ruter svarer på 22 33 44 55", PHONE),
    ("Linje 10 går sjelden, ring 22 33 44 55", PHONE),
    # national identity numbers and D-numbers: a real date of birth and both control digits right
    ("Fødselsnummer 01010012356", IDENTITY),
    ("mitt fnr er 010100 12356", IDENTITY),
    ("fnr. 010100-12356", IDENTITY),  # six and five digits with a dash, checked as the number written together
    ("Fødselsnummer: 010190-00083", IDENTITY),
    ("010190 00083", IDENTITY),
    ("010100\u201312356", IDENTITY),  # an en dash, as a word processor may write it
    ("010190-12345", []),  # a date and five digits whose control digits are wrong
    ("010190 12345", []),
    ("010100-12357", []),
    ("ref 123-010100-12356", []),  # part of a longer figure
    ("010100-12356-7", []),
    ("kontonr. 010100-12356", []),
    ("Det kostet 010100-12356 kr", []),
    ("Saksnummer 2023/010100-12356", []),
    ("D-nummer 41019012393", IDENTITY),
    ("Ring 912 34 567, fnr. 31129949980", PHONE + IDENTITY),
    ("01010012357", []),  # the second control digit is wrong
    ("01010012366", []),  # the first control digit is wrong
    ("29020012380", []),  # 29 February 1900 was no day
    ("12345678901", []),
    ("Kontonummer 0101.00.12356", []),  # an account number written 4.2.5, with the same digits
    ("konto 0101 00 12356", []),
    ("kontonr. 01010012356", []),
    ("Det kostet 01010012356 kr", []),
    ("Saksnummer 2023/01010012356", []),
    ("ref 123 010100 12356", []),  # part of a longer figure
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
    4 or 9), an e-mail address (also with spaces around "@", with "(at)" or "at ... dot") or a valid national
    identity number (also with a space or a dash after the date) is found; an amount, year, date, id,
    organisation or account number, bus line, handle or Spanish "vecin@s" is not."""
    assert contact_details(text) == found


def test_a_long_text_without_spaces_is_checked_at_once() -> None:
    """A text of the longest allowed length that is one long run of digits or letters (pasted data) is checked in
    a moment, not in a time that grows with the square of its length."""
    start = time.perf_counter()
    for text in ("1" * 20_000, "a" * 20_000, "a." * 10_000):
        assert contact_details(text) == []
    assert time.perf_counter() - start < 0.5
