"""Norwegian-aware text normalisation.

>>> normalise("  Økt  <b>BRUK</b> av\\nLED-lys ")
'økt bruk av led-lys'
>>> words("Sykkelparkering ved Fjordvik stasjon")
['sykkelparkering', 'ved', 'fjordvik', 'stasjon']
>>> words("LED-gatelys for niños i Ohcejohka/Utsjoki, hunde\u200bpark")
['led-gatelys', 'for', 'niños', 'i', 'ohcejohka', 'utsjoki', 'hundepark']
>>> reads_as_english("Smart cities and communities for the energy transition")
True
>>> reads_as_english("Biogass fra matavfall til kommunens busser"), reads_as_english("Digital postkasse")
(False, False)
"""

from __future__ import annotations

import datetime as _dt
import html
import re
import unicodedata

# An HTML tag or comment: "<" then a tag name (or "/" and one, or "!--"). A "<" before a digit or a space, as
# in "barn <5 år" or "3 < 4", is text.
_TAG = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9:-]{0,30}(?:\s[^<>]{0,200})?/?|!--[^>]{0,200}--)>")
_SPACE = re.compile(r"\s+")
# A word: letters of any script ("niños", "Sámi", "š") and digits, joined by hyphens or apostrophes into one
# ("LED-gatelys", "e-post"). Splitting at hyphens was measured and not kept: the judged "same concrete
# problem" sample (bench/duplicates.py) went from 0.723 / 0.536 to 0.719 / 0.529.
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
# Characters that are invisible in text but split or join words when pasted in: zero-width spaces and
# joiners, the word joiner, the byte-order mark and the soft hyphen.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
# Control characters other than the tab and line breaks: NUL, backspace, escape, DEL ... (C0 and DEL; the C1 ones
# are most often Windows punctuation read as Latin-1, which ingest refuses with its own message).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A lone surrogate: half of a character, which no text can hold (it cannot be written as UTF-8).
_SURROGATE = re.compile("[\ud800-\udfff]")

# Common Norwegian (bokmål and nynorsk) function words, kept out of "matching terms" reasons.
STOPWORDS = frozenset(
    """og i jeg det at en et den til er som på de med han av ikke der så var meg seg men ett har om vi
    min mitt ha hadde hun nå over da ved fra du ut sin dem oss opp man kan hans hvor eller hva skal selv
    sjøl her alle vil bli ble blitt kunne inn når være kom noen noe ville dere deres kun ja etter ned
    skulle denne for deg si sine sitt mot å meget hvorfor dette disse uten hvordan ingen din ditt blir
    samme hvilken hvilke sånn inni mellom vår hver hvem vors hvis både bare enn fordi før mange også
    slik vært båe begge siden henne hennar hoss hossen ikkje ein eit eitt elles hjå ho hoe jo kvar
    kvarhelst kven kvi kvifor me medan mi mine mykje no nokon noka nokor noko nokre si sia sidan so
    somt somme um upp vere vore verte vort varte vart the of and to in for on with by an is are be
    bør må får gjøre får får mer mest nye ny nytt flere blant hos gjennom innen per via ifølge""".split()
)


# Function words of one language and not the other, to tell English text from Norwegian.
_ENGLISH = frozenset("""the of and to in on with from is are be been this that these which their its into
    through towards using based will would can an or not""".split())
_NORWEGIAN = frozenset("""og i er det som på til av med en et ikke å den fra ved om har skal kan vi seg eller
    mellom etter blir være også når hvor mot ein eit ikkje frå vere dei""".split())


_NORWEGIAN_LETTERS = re.compile("[æøå]")


def _votes(text: str, letters: bool = False) -> tuple[int, int]:
    """How many words of ``text`` speak for English and for Norwegian: function words of one language and not
    the other, and with ``letters`` also words with æ, ø or å for Norwegian."""
    tokens = words(text)
    english = sum(1 for w in tokens if w in _ENGLISH)
    norwegian = sum(1 for w in tokens if w in _NORWEGIAN or (letters and _NORWEGIAN_LETTERS.search(w)))
    return english, norwegian


def reads_as_english(text: str) -> bool:
    """True when English function words outnumber Norwegian ones in ``text`` (so a text with none
    of either, such as a bare title of nouns, does not read as English)."""
    english, norwegian = _votes(text)
    return english > norwegian


def text_language(text: str) -> str | None:
    """``"en"`` or ``"nb"`` where the words of ``text`` say which: its English or Norwegian function words, a
    word with æ, ø or å counting as Norwegian; None where nothing tells (a bare title of nouns, a name). For
    marking data in another language than the page's (``lang``), not for ranking.

    >>> text_language("Smart cities and communities"), text_language("Biogass fra matavfall til busser")
    ('en', 'nb')
    >>> text_language("Sykkelparkering på stasjonen"), text_language("Digital postkasse")
    ('nb', None)
    """
    english, norwegian = _votes(text, letters=True)
    if english == norwegian:
        return None
    return "en" if english > norwegian else "nb"


def is_norwegian(tag: str) -> bool:
    """Whether a language tag is a Norwegian one (nb, nn, no, with or without a region).

    >>> is_norwegian("nb"), is_norwegian("nn-NO"), is_norwegian("en")
    (True, True, False)
    """
    return tag.split("-")[0] in ("nb", "nn", "no")


def language_of(text: str, default: str) -> str:
    """The language tag of a piece of data: what its words tell (``text_language``), and where they tell
    nothing, or only that it is Norwegian while ``default`` is a Norwegian tag (nn, no), the data's configured
    language ``default``. The pages mark data with it, and the duplicate check's results carry it.

    >>> language_of("Open data in the cities", "nb"), language_of("Digital postkasse", "nb")
    ('en', 'nb')
    >>> language_of("Kø på legevakten", "nn"), language_of("Kø på legevakten", "en")
    ('nn', 'nb')
    """
    found = text_language(text)
    if found is None or (found == "nb" and is_norwegian(default)):
        return default
    return found


def strip_html(text: str) -> str:
    """Remove HTML tags and decode entities, in text that has tags; text without tags is left as it is.

    >>> strip_html("<p>R&amp;D for <b>eldre</b></p>")
    ' R&D for  eldre  '
    >>> strip_html("Barn <5 år og eldre >80 år, 3 < 4, R&amp;D")
    'Barn <5 år og eldre >80 år, 3 < 4, R&amp;D'
    >>> strip_html("&lt;script&gt;alert(1)&lt;/script&gt;<b></b>")
    ' alert(1)   '
    """
    for _ in range(3):  # "&lt;script&gt;" beside a real tag decodes to a tag: removed in turn
        stripped = _TAG.sub(" ", text)
        if stripped == text:
            return text
        text = html.unescape(stripped)
    return _TAG.sub(" ", text)


def visible(text: str) -> str:
    """``text`` without the invisible characters that pasting leaves in words (zero-width spaces, soft
    hyphens), so "hunde\u200bpark" reads as "hundepark" to every part of a search.

    >>> visible("hunde\u200bpark")
    'hundepark'
    """
    return _INVISIBLE.sub("", text)


def without_controls(text: str) -> str:
    r"""``text`` without control characters other than tabs and line breaks (NUL, escape, DEL ...): no one means
    to write them, and a stored or searched text does not keep them.

    >>> without_controls("Benker\x00 ved\x1b vannet\tnå")
    'Benker ved vannet\tnå'
    """
    return _CONTROL.sub("", text)


def not_text(text: str) -> str | None:
    r"""Why ``text`` cannot be stored, searched or printed as text, or None when it can: it holds a lone surrogate,
    which is what Python makes of a byte that is not UTF-8 in a command's arguments (U+DC80 to U+DCFF), and what a
    broken ``\ud800`` escape in JSON gives.

    >>> not_text("Snø") is None, not_text("Sn\udcf8")[:40]
    (True, 'holds the byte 0xf8, which is not UTF-8:')
    >>> not_text("a\ud83d")
    'holds U+D83D, half of a character (a lone surrogate, as a broken \\u escape in JSON gives)'
    """
    found = _SURROGATE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xDC80 <= code <= 0xDCFF:
        return (f"holds the byte {code - 0xDC00:#x}, which is not UTF-8: write the text in UTF-8 (is the terminal "
                "set to another encoding?)")
    return f"holds U+{code:04X}, half of a character (a lone surrogate, as a broken \\u escape in JSON gives)"


# --- contact details in published text -------------------------------------------------------------------
#
# An idea's title and text are published; its sender's contact details belong in `contact`, which only admins see.
# The idea form and the editors' changes refuse a title or text with contact details or a national identity number
# in it, and ingest warns of them, all with ``contact_details``.
#
# An e-mail address has a name, "@" and a domain with a dot whose last part is letters ("ola@example.no"); the
# part right after "@" has at least two characters, so the gender-inclusive Spanish "vecin@s.la" (a missing space
# after "vecin@s") and "amig@s" are words, not addresses (an address at a one-letter domain, "ola@x.com", is missed).
# Also an address with spaces around the "@" ("ola @ example.no", "ola @example.no", "ola@ example.no"), where the
# name has a letter and is not a function word, no part of the domain has "_", and the top-level domain is two to six
# letters in one case: so a Twitter handle ("følg @asker_kommune", "kontakt oss på @kommune", "på @kommune.no"), a
# time and place ("kl. 10 @ rådhuset") and a sentence whose full stop lacks its space ("@ rådhuset.Velkommen") are
# not addresses.
# Also an address written so that robots miss it, with the "@" in brackets
# ("ola(at)example.no", "ola [at] example [dot] no", "ola (krøllalfa) example.no"), or "at" and "dot" spelt out
# ("ola at example dot no", with a common top-level domain after "dot"; "punktum" and "prikk" only in brackets).
# "at" alone is not enough: it is a word in English and in Norwegian ("find us at example.no", "vi mener at
# kommunen.no"), and "at the dot com" is a phrase.
#
# What counts as a phone number (as people write one, not every eight digits: amounts, years and ids are common
# in ideas):
# - +47 or 0047 followed by eight digits in any grouping ("+47 912 34 567", "+4791234567", "0047 9123 4567");
# - + and another country's number: 8 to 15 digits in groups ("+46 70 123 45 67", "+44 (0)20 7946 0958",
#   "+ 1 (862) 433-7118"), and a North American number with its area code in brackets ("(862) 433-7118");
# - eight digits in the usual Norwegian groups, with one kind of separator (space, dot or dash):
#   "912 34 567" (3-2-3) and "22 33 44 55" (2-2-2-2), unless a word for a bus or tram line comes right before
#   them ("linje 10 12 14 16", "bussene 20 31 32 33": line numbers; "Ruter svarer på 22 33 44 55" is a number);
# - eight digits together ("91234567") only where a word such as tlf, telefon, mobil, ring, sms, phone or call
#   comes shortly before it, or where it starts with 4 or 9 (Norwegian mobile numbers).
# Never a phone number: a number that is part of a longer one ("974 760 673", "2023/12345678", "ini-91234567"),
# thousands in groups of three ("45 000 000", "+12 000 000"), four and four digits ("2019-2024", "9123 4567"
# without +47), a date ("01.02.2024", "20240312"), or digits with a currency or unit next to them ("45000000 kr",
# "kr 45000000", "91234567 m2", "45000000,-").
#
# A national identity number (fødselsnummer, or a D-number, whose day has 4 added to its first digit) is eleven
# digits, together or as six and five with a space or a dash ("010190 12345", "010190-12345"): a date of birth
# (day, month, year), three digits and two control digits. It counts only where the date is a real day of the
# century its digits give and both mod-11 control digits are right, so about one in 1,600 random eleven-digit
# figures passes. A bank account
# number (eleven digits written 4.2.5, "1234.56.78903" or "1234 56 78903", or after a word such as konto) and an
# organisation number (nine digits) are not identity numbers.
EMAIL_ADDRESS, PHONE_NUMBER, IDENTITY_NUMBER = "an e-mail address", "a phone number", "a national identity number"
_LABEL = r"[^\W_][\w-]*"
_TLD = r"[^\W\d_]{2,}(?![\w-])"  # a top-level domain: letters only
_EMAIL = re.compile(rf"(?<![\w.+-])[\w.+-]+@[^\W_][\w-]+(?:\.{_LABEL})*\.{_TLD}")
_HOST = r"[^\W_](?:[^\W_]|-)*"  # a part of a domain name: letters, digits and dashes, no "_" (which handles have)
_AT_SPACED = r"(?:[ \u00a0\u202f]{1,2}@[ \u00a0\u202f]{0,2}|@[ \u00a0\u202f]{1,2})"  # "@" with a space before or after
_EMAIL_SPACED = re.compile(rf"(?<![\w.+-])([\w.+-]*\w){_AT_SPACED}{_HOST}(?:\.{_HOST})*\.(?:[a-z]{{2,6}}|[A-Z]{{2,6}})"
                           rf"(?![\w-])")
# Words that come before "@" without being an address's name: "på @kommune.no", "contact us @ example.com".
_NOT_A_NAME = STOPWORDS | frozenset("en de a y o el la los las al del por para con us me at to from".split())
# "@" in brackets, with or without spaces around it; "(a)" only written tight ("ola(a)example.no"), as "(a)"
# between spaces starts the items of a list
_AT_BRACKETED = (r"(?:\s?[(\[{]\s?(?:at|@|krøllalfa|alfakrøll|snabel-?a|arroba)\s?[)\]}]\s?"
                 r"|(?<=\w)[(\[{]a[)\]}](?=\w))")
_DOT_BRACKETED = r"\s?[(\[{]\s?(?:dot|punktum|prikk|punkt|\.)\s?[)\]}]\s?"
_COMMON_TLD = r"(?:no|com|org|net|se|dk|fi|is|de|uk|eu|es|fr|nl|io|info|gov|edu|biz)"
_EMAIL_HIDDEN = re.compile(
    rf"(?<![\w.+-])[\w.+-]*\w{_AT_BRACKETED}{_LABEL}(?:(?:\.|{_DOT_BRACKETED}|\sdot\s){_LABEL})*"
    rf"(?:\.|{_DOT_BRACKETED}|\sdot\s){_TLD}"
    rf"|(?<![\w.+-])[\w.+-]*\w\sat\s(?!(?:the|a|an|this|that|it)\s){_LABEL}(?:(?:{_DOT_BRACKETED}|\sdot\s){_LABEL})*"
    rf"(?:{_DOT_BRACKETED}|\sdot\s){_COMMON_TLD}(?![\w-])", re.IGNORECASE)
_SEP = "[ .\\-\u00a0\u202f]"  # between the groups of a number: a space (also a non-breaking one), a dot or a dash
_PLUS47 = re.compile(rf"(?<![\w+])\(?(?:\+|00){_SEP}?47\)?{_SEP}?\d(?:{_SEP}?\d){{7}}(?!\d)")
_PLUS_OTHER = re.compile(rf"(?<![\w+])\+ ?(?!47)(\d{{1,3}}){_SEP}?(?:\( ?\d{{1,4}} ?\){_SEP}?)?"
                         rf"\d(?:{_SEP}?\d){{6,13}}(?!\d)")
_AREA_CODE = re.compile(r"(?<![\w+])\( ?\d{3} ?\) ?\d{3}[-.]\d{4}(?![\w-])")
_GROUPED = re.compile(rf"(?<![\w+])(?<!\d{_SEP})(?<!\d[,/])"
                      rf"(?:\d{{3}}({_SEP})\d{{2}}\1\d{{3}}|\d{{2}}({_SEP})\d{{2}}\2\d{{2}}\2\d{{2}})"
                      rf"(?!\w)(?!{_SEP}\d|[,/]\d)")
_TOGETHER = re.compile(r"(?<![\w/])(?<!\w-)(?<!\d[.,])\d{8}(?![\w/])(?![.,-]\d)")
_THOUSANDS = re.compile(r"\+? ?\d{1,3}(?:[ .\u00a0\u202f]\d{3})+")
_UNIT_AFTER = re.compile(r"\s?(?:,-|(?:kr|kroner|nok|euro|eur|usd|dollar|€|\$|%|prosent|m2|m²|m3|m³|kvm|km|kg|tonn|"
                         r"liter|kwh|mwh|gwh|twh|kw|mw|timer|personer|innbyggere|stk)(?!\w))", re.IGNORECASE)
_CURRENCY_BEFORE = re.compile(r"(?<!\w)(?:kr|nok|eur|usd|€|\$)\.?\s?$", re.IGNORECASE)
_PHONE_WORD = re.compile(r"(?<!\w)(?:tlf|tel|telefon\w*|mob|mobil\w*|ring|ringe|ringer|sms|phone|mobile|call|"
                         r"whatsapp|kontakt)(?![\w-])", re.IGNORECASE)
# A word for a bus, tram or metro line right before a figure: the figures after it are line numbers.
_LINE_WORD = re.compile(r"(?<!\w)(?:linje|linjer|linjene|linjenummer|linjenr|buss|busser|bussene|bussrute|bussruter|"
                        r"rute|ruter|rutene|trikk|trikken|trikkene|t-bane|t-banelinje|line|lines|bus|buses|route|"
                        r"routes|tram|línea|líneas|linea|lineas|autobús|autobuses)\.?\s?(?:nr\.?\s?)?:?\s?$",
                        re.IGNORECASE)
_IDENTITY = re.compile(r"(?<![\w/+])(?<!\w-)(?<!\d[.,])(?<!\d )(\d{6})[ \u00a0\u202f\-\u2011\u2013]?(\d{5})(?![\w/])"
                       r"(?![.,-]\d)(?! \d)")
_ACCOUNT_WORD = re.compile(r"(?<!\w)(?:konto\w*|kto|account|iban|bankkonto\w*)\.?\s?(?:nr\.?|nummer)?:?\s?$",
                           re.IGNORECASE)
_FIRST_CONTROL = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_SECOND_CONTROL = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _amount(text: str, start: int, end: int) -> bool:
    """Whether the figure at ``text[start:end]`` has a currency or unit beside it ("45000000 kr", "kr 45000000")."""
    return bool(_UNIT_AFTER.match(text, end) or _CURRENCY_BEFORE.search(text, max(0, start - 6), start))


def _after_phone_word(text: str, start: int) -> bool:
    """Whether a word such as tlf, mobil or ring comes shortly before ``start`` (with no figure in between)."""
    before = re.split(r"[\d\n]", text[max(0, start - 30):start])[-1]
    return bool(_PHONE_WORD.search(before))


def _line_numbers(text: str, start: int) -> bool:
    """Whether a word for a bus or tram line comes right before ``start`` ("linje 10 12 14 16")."""
    return bool(_LINE_WORD.search(text[max(0, start - 25):start]))


def has_phone_number(text: str) -> bool:
    """Whether ``text`` holds what looks like a phone number as people write one (the rule above).

    >>> has_phone_number("Ring meg på 912 34 567"), has_phone_number("+47 98765432"), has_phone_number("tlf 22334455")
    (True, True, True)
    >>> has_phone_number("Tiltaket varte fra 20192024 og kostet 45000000 kroner")
    False
    >>> has_phone_number("45 000 000 kr, 2019-2024, org.nr. 974 760 673, 01.02.2024, linje 10 12 14 16")
    False
    """
    if _PLUS47.search(text) or _AREA_CODE.search(text):
        return True
    if any(not _line_numbers(text, m.start()) for m in _GROUPED.finditer(text)):
        return True
    for m in _PLUS_OTHER.finditer(text):
        if not _THOUSANDS.fullmatch(m.group()) and not _amount(text, m.start(), m.end()):
            return True
    for m in _TOGETHER.finditer(text):
        if not _amount(text, m.start(), m.end()) and (m.group()[0] in "49" or _after_phone_word(text, m.start())):
            return True
    return False


def _control_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    """The mod-11 control digit of ``digits`` with these weights; None where there is none (a remainder of 1)."""
    rest = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
    return 0 if rest == 11 else None if rest == 10 else rest


def is_identity_number(digits: str) -> bool:
    """Whether eleven digits are a valid Norwegian national identity number or D-number: a real date of birth in
    the century its individual digits give, and both control digits right.

    >>> is_identity_number("01010012356"), is_identity_number("41019012393"), is_identity_number("01010012357")
    (True, True, False)
    >>> is_identity_number("31029912345")  # 31 February
    False
    """
    if len(digits) != 11 or not digits.isdigit():
        return False
    day, month, year, individual = int(digits[:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6:9])
    if day > 40:  # a D-number: 4 added to the day's first digit
        day -= 40
    if individual < 500:
        century = 1900
    elif individual < 750 and year >= 54:
        century = 1800
    elif year < 40:
        century = 2000
    elif individual >= 900:
        century = 1900
    else:
        return False
    try:
        _dt.date(century + year, month, day)
    except ValueError:
        return False
    first = _control_digit(digits[:9], _FIRST_CONTROL)
    second = _control_digit(digits[:10], _SECOND_CONTROL)
    return first == int(digits[9]) and second == int(digits[10])


def has_identity_number(text: str) -> bool:
    """Whether ``text`` holds a Norwegian national identity number or D-number (the rule above), written together
    or as six and five digits with a space or a dash between, and not after a word such as konto (an account
    number).

    >>> has_identity_number("Fødselsnummer 010100 12356"), has_identity_number("fnr. 010100-12356")
    (True, True)
    >>> has_identity_number("Kontonummer 1234.56.78903")
    False
    """
    return any(is_identity_number(m.group(1) + m.group(2)) and not _amount(text, m.start(), m.end())
               and not _ACCOUNT_WORD.search(text, max(0, m.start() - 25), m.start())
               for m in _IDENTITY.finditer(text))


def _has_spaced_email(text: str) -> bool:
    """Whether ``text`` holds an e-mail address with spaces around its "@" (the rule above).

    >>> _has_spaced_email("Skriv til ola @ example.no"), _has_spaced_email("kontakt oss på @kommune.no")
    (True, False)
    """
    return any(re.search(r"[^\W\d_]", m.group(1)) and m.group(1).lower() not in _NOT_A_NAME
               for m in _EMAIL_SPACED.finditer(text))


def contact_details(text: str) -> list[str]:
    """What in ``text`` looks like someone's contact details or identity: ``"an e-mail address"``, ``"a phone
    number"`` and ``"a national identity number"``, each at most once and in that order; empty when nothing does.

    >>> contact_details("Ring meg på 912 34 567 eller skriv til ola(at)example.no")
    ['an e-mail address', 'a phone number']
    >>> contact_details("Lekeplass 2024 til 2 500 000 kroner, sammen med vecin@s.la junta")
    []
    """
    found = []
    if _EMAIL.search(text) or _EMAIL_HIDDEN.search(text) or _has_spaced_email(text):
        found.append(EMAIL_ADDRESS)
    if has_phone_number(text):
        found.append(PHONE_NUMBER)
    if has_identity_number(text):
        found.append(IDENTITY_NUMBER)
    return found


def normalise(text: str) -> str:
    """Unicode NFKC, HTML and invisible characters removed, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", visible(strip_html(text or "")))
    return _SPACE.sub(" ", text.lower()).strip()


def words(text: str) -> list[str]:
    """Word tokens of the normalised text (hyphenated compounds kept whole)."""
    return _WORD.findall(normalise(text))


def content_words(text: str, min_length: int = 3) -> list[str]:
    """Word tokens without stop words or very short words."""
    return [w for w in words(text) if len(w) >= min_length and w not in STOPWORDS]
