"""Readers for CSV, Excel, JSON and JSONL files: each yields raw records that remember file and row.

A problem that spoils a whole file (empty, a header with no rows or a JSON array with no items, not
decodable, wrong separator, a header with a missing or unknown column, an unclosed quote, not JSON) raises
ValidationError: the caller skips the whole file (``count_rows`` says how many rows it has). A problem in one
row (a ragged CSV line, a JSONL line that is not JSON) is appended to ``problems`` when the caller passes a
list, and that row is left out; without a
list it raises, as before.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph.errors import Problem, ValidationError
from graph.schema import FIELDS, Label
from graph.text import not_text

KINDS = ("focus_areas", "organisations", "needs", "initiatives", "ideas")
EXTENSIONS = (".csv", ".json", ".jsonl", ".xlsx")  # matched case-insensitively
MAX_FILE_BYTES = 512 * 1024 * 1024
# The largest CSV value read at all: far above every field's own limit, so an over-long value reaches the
# field's length check; a larger one is almost always an unclosed quote swallowing the rest of the file.
MAX_CSV_FIELD = 10_000_000
SEPARATORS = (";", "\t", "|")
_KIND_LABEL = {"focus_areas": Label.FOCUS_AREA, "organisations": Label.ORGANISATION, "needs": Label.NEED,
               "initiatives": Label.INITIATIVE, "ideas": Label.IDEA}


def required_columns(kind: str) -> list[str]:
    """Columns a file of this kind must have (rows may still leave optional ones empty)."""
    label = _KIND_LABEL.get(kind)
    if label is None:
        return []
    cols = ["id", *(s.name for s in FIELDS[label] if s.required)]
    return [*cols, "owner"] if kind == "initiatives" else cols


@dataclass(frozen=True)
class Record:
    """One input row: its source file, its row (spreadsheet-style line, or item number) and data."""

    file: str
    row: int
    kind: str
    data: dict[str, Any]
    mode: str = "replace"  # "fill": where the node exists, only add missing fields and links


def suffix(path: Path) -> str:
    """The file's extension in lower case: ``.CSV`` reads as ``.csv``."""
    return path.suffix.lower()


def kind_problem(kind: str | None) -> str | None:
    """Why ``kind`` (from --kind) is not a kind of file, or None when it is one (or not given)."""
    if kind is None or kind in KINDS:
        return None
    return f"unknown kind '{kind}'; use one of {', '.join(KINDS)}"


def discover(paths: list[Path], kind: str | None = None) -> list[tuple[Path, str]]:
    """The files to read under the given paths with their kind, in dependency order."""
    found: list[tuple[Path, str]] = []
    problems: list[Problem] = []
    bad_kind = kind_problem(kind)
    if bad_kind:
        raise ValidationError([Problem("--kind", None, None, bad_kind)])
    for path in paths:
        if not path.exists():
            problems.append(Problem(str(path), None, None, "no such file or directory"))
            continue
        files = sorted(p for p in path.iterdir() if suffix(p) in EXTENSIONS) if path.is_dir() else [path]
        for f in files:
            if suffix(f) not in EXTENSIONS:  # only a file named on its own: a folder's other files are passed over
                problems.append(Problem(str(f), None, None, "unsupported file type; use one of "
                                        f"{', '.join(EXTENSIONS)}, or give its folder ({f.parent}) instead, which "
                                        "reads every data file there and skips the rest"))
                continue
            # in a folder a file named after a kind is that kind; --kind is for the others
            k = f.stem.lower() if path.is_dir() and f.stem.lower() in KINDS else (kind or f.stem.lower())
            if k not in KINDS:
                if path.is_dir():  # a data file in a data folder that says nothing of what it holds
                    near = difflib.get_close_matches(k, KINDS, n=1, cutoff=0.6)
                    hint = f"rename it {near[0]}{suffix(f)}" if near else f"name it after one of {', '.join(KINDS)}"
                    problems.append(Problem(str(f), None, None, f"cannot tell what '{f.stem}' holds: {hint}, move "
                                            "it out of the folder, or give it on its own with --kind"))
                    continue
                problems.append(
                    Problem(str(f), None, None, f"cannot tell what '{f.stem}' holds: name the file after one "
                            f"of {', '.join(KINDS)} or pass --kind")
                )
                continue
            found.append((f, k))
        if path.is_dir() and not any(p.parent == path for p, _ in found):
            problems.append(Problem(str(path), None, None, f"no files named after {', '.join(KINDS)} here"))
    if problems:
        raise ValidationError(problems)
    return sorted(found, key=lambda fk: KINDS.index(fk[1]))


def read(path: Path, kind: str, *, encoding: str | None = None,
         problems: list[Problem] | None = None) -> Iterator[Record]:
    """Records of one file; a file that cannot be parsed raises ValidationError naming the place."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValidationError([Problem(str(path), None, None, f"file is larger than {MAX_FILE_BYTES} bytes")])
    if suffix(path) == ".csv":
        yield from read_csv_rows(path, kind, encoding=encoding, problems=problems, separator=",")
    elif suffix(path) == ".xlsx":
        yield from read_xlsx_rows(path, kind, problems=problems)
    elif suffix(path) == ".jsonl":
        yield from _read_jsonl(path, kind, encoding, problems)
    else:
        yield from _read_json(path, kind, encoding, problems)


def count_rows(path: Path) -> int | None:
    """How many rows (CSV, Excel), lines (JSONL) or items (JSON) a file has, counted leniently, for
    saying what is lost when the file cannot be read; None when even that is not known."""
    try:
        if suffix(path) == ".xlsx":
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True)
            try:
                rows = book.worksheets[0].max_row
            finally:
                book.close()
            return None if rows is None else max(rows - 1, 0)
        if suffix(path) == ".json":
            if path.stat().st_size > MAX_FILE_BYTES:  # not read into memory only to be counted
                return None
            doc = json.loads(path.read_bytes().decode("utf-8-sig", errors="replace"))
            items = doc.get("items") if isinstance(doc, dict) else doc
            return len(items) if isinstance(items, list) else None
        with path.open("rb") as fh:  # line by line: a file of any size in little memory
            lines = sum(1 for line in fh if line.strip())
        return lines if suffix(path) == ".jsonl" else max(lines - 1, 0)
    except Exception:  # a file that cannot be counted: say nothing rather than fail the report
        return None


# What a file that is not UTF-8 is told where no other encoding can be named (the published source exports)
AS_PUBLISHED = "save the file as UTF-8, or use the export as its publisher gives it (these are UTF-8)"


def decode(path: Path, encoding: str | None = None, *, advice: str | None = None) -> str:
    """The text of a file: UTF-8 (a BOM is dropped) unless another encoding is named; an empty file
    raises ValidationError. ``advice`` replaces the hint to name an encoding, where the reader takes none."""
    raw = path.read_bytes()
    if not raw.strip():
        raise ValidationError([Problem(str(path), None, None, "the file is empty")])
    try:
        return raw.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ValidationError(
            [Problem(str(path), line, None, f"not {encoding or 'UTF-8'} (byte {raw[e.start]:#x} at offset "
                     f"{e.start}); " + (advice or "save the file as UTF-8, or name its encoding: --encoding cp1252 "
                                        "for a file from Excel or Windows, --encoding latin-1 for older ones"))]
        ) from e
    except LookupError as e:
        raise ValidationError([Problem(str(path), None, None, f"unknown encoding '{encoding}'")]) from e


def _problem(problems: list[Problem] | None, p: Problem) -> None:
    if problems is None:
        raise ValidationError([p])
    problems.append(p)


def header_problems(path: Path, kind: str, header: list[str]) -> list[Problem]:
    """Each missing required column and each unknown column of a header, once: such a file is skipped
    whole, since every row would fail the same way."""
    from ingest.records import allowed_fields  # records imports this module

    present = [h.strip() for h in header if h and h.strip()]
    if not present:
        return [Problem(str(path), 1, None, "the header row is empty; the first row must name the columns")]
    allowed = allowed_fields(kind)
    problems = []
    for col in sorted({c for c in present if present.count(c) > 1}):
        problems.append(Problem(str(path), 1, col, f"the column '{col}' is named {present.count(col)} times; "
                                "each column once (one cell can hold several values separated by ;)"))
    for col in required_columns(kind):
        if col not in present:
            problems.append(Problem(str(path), 1, col, f"required column '{col}' is missing from the header; "
                                    f"the columns are: {', '.join(present)}"))
    for col in present:
        if col not in allowed:
            near = difflib.get_close_matches(col, sorted(allowed), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            problems.append(Problem(str(path), 1, col, f"unknown column{hint}; the fields of {kind} are "
                                    f"{', '.join(sorted(allowed))}"))
    return problems


def csv_message(e: csv.Error) -> str:
    """A csv module error, said for a person: what is wrong in the row it names."""
    text = str(e)
    if "unexpected end of data" in text:
        return 'a quote (") opened in this row is never closed, so the rest of the file cannot be read'
    if "field larger than field limit" in text:
        return f"a value longer than {MAX_CSV_FIELD:,} characters (an unclosed quote?)"
    return f"malformed CSV: {text}"


def read_csv_rows(path: Path, kind: str, *, encoding: str | None = None, problems: list[Problem] | None = None,
                  separator: str | None = ",", check_header: bool = True) -> Iterator[Record]:
    """Rows of a CSV file as records; ``separator=None`` detects it from the header."""
    text = decode(path, encoding)
    # rows end at \n, \r\n or \r only, as the csv module wants (newline=""): str.splitlines would also end one at
    # a line or paragraph separator, a form feed or NEL inside a value, cutting the value short
    lines = io.StringIO(text, newline="")
    first = next(lines, "")
    lines.seek(0)
    if separator is None:
        counts = {s: first.count(s) for s in (",", *SEPARATORS)}
        separator = max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","
    if csv.field_size_limit() < MAX_CSV_FIELD:
        csv.field_size_limit(MAX_CSV_FIELD)
    reader = csv.DictReader(lines, delimiter=separator, strict=True)
    line = 0  # the last line of the last complete record: the next record starts below it
    try:
        header = list(reader.fieldnames or [])
        if len(header) == 1:
            for other in SEPARATORS:
                if other in header[0]:
                    name = {"\t": "tab"}.get(other, f"'{other}'")
                    raise ValidationError([Problem(str(path), 1, None, f"the header has one column containing "
                                                   f"{name}: use '{separator}' as separator")])
        if check_header and (bad := header_problems(path, kind, header)):
            raise ValidationError(bad)
        line = reader.line_num
        rows = 0
        for raw in reader:
            row = line + 1
            line = reader.line_num
            rows += 1
            if None in raw:
                extra = raw[None]
                _problem(problems, Problem(str(path), row, None, f"{len(header) + len(extra)} values, but the "
                                           f"header has {len(header)} columns (a separator inside a value "
                                           "needs quotes)"))
                continue
            missing = sum(1 for v in raw.values() if v is None)
            if missing and any(v for v in raw.values()):
                _problem(problems, Problem(str(path), row, None, f"{len(header) - missing} values, but the header "
                                           f"has {len(header)} columns (a line break inside a value needs quotes; "
                                           "an empty value still needs its separator)"))
                continue
            data = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in raw.items() if k}
            yield Record(str(path), row, kind, {k: v for k, v in data.items() if v not in ("", None)})
    except csv.Error as e:
        raise ValidationError([Problem(str(path), line + 1, None, csv_message(e))]) from e
    if not rows:  # a failed export, most often: as an empty file, not "the source has none now" (--sync)
        raise ValidationError([Problem(str(path), None, None, "the file has a header but no rows")])


def read_xlsx_rows(path: Path, kind: str, *, sheet: str | None = None, problems: list[Problem] | None = None,
                   check_header: bool = True) -> Iterator[Record]:
    """Rows of an Excel sheet (the first, or the named one) as records; row 1 is the header."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises several unrelated types for a file that is not .xlsx
        raise ValidationError([Problem(str(path), None, None, f"not a readable .xlsx workbook: {e}")]) from e
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ValidationError([Problem(str(path), None, None, f"no sheet named '{sheet}'; the sheets are "
                                           f"{', '.join(book.sheetnames)}")])
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [("" if c is None else str(c).strip()) for c in next(rows, ())]
        if not any(header):
            raise ValidationError([Problem(str(path), None, None, "the sheet is empty")])
        if check_header and (bad := header_problems(path, kind, header)):
            raise ValidationError(bad)
        found = False
        for n, values in enumerate(rows, start=2):
            data: dict[str, Any] = {}
            for name, value in zip(header, values, strict=False):
                if not name or value is None:
                    continue
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                if hasattr(value, "date") and callable(value.date):
                    value = value.date()  # Excel dates come as datetimes at midnight
                text = value if not isinstance(value, str) else value.strip()
                if text != "":
                    data[name] = str(text) if isinstance(text, int) and not isinstance(text, bool) else text
            if data:
                found = True
                yield Record(str(path), n, kind, data)
        if not found:  # as in a CSV file with its header only
            raise ValidationError([Problem(str(path), None, None, "the sheet has a header but no rows")])
    finally:
        book.close()


class _JSONObject(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once (``json`` keeps the last value only)."""

    repeated: tuple[str, ...] = ()


def json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for ``json.loads``: the object, with the keys given twice in ``repeated``."""
    obj = _JSONObject(pairs)
    if len(obj) < len(pairs):
        obj.repeated = tuple(key for key, n in Counter(key for key, _ in pairs).items() if n > 1)
    return obj


def printable(text: str) -> str:
    r"""A text that may hold lone surrogates, with them written as escapes, so that it can be printed.

    >>> printable("ti\ud800tle")
    'ti\\ud800tle'
    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_problems(value: Any, field: str | None = None) -> list[tuple[str | None, str]]:
    """What a JSON item holds that cannot be read as it was meant, each as (field, message): a key given twice (one
    of its values would be lost) and a text with a lone surrogate (a broken escape, which no store can hold). A
    nested value is named by the item's field it is in."""
    found: list[tuple[str | None, str]] = []
    if isinstance(value, dict):
        for key in getattr(value, "repeated", ()):
            found.append((field or printable(key), f"the key '{printable(key)}' is given more than once; give it "
                                                   "once (only its last value would be read)"))
        for key, item in value.items():
            name = field or printable(key)
            if (why := not_text(key)) is not None:
                found.append((name, f"the key {why}"))
            found.extend(json_problems(item, name))
    elif isinstance(value, list):
        for item in value:
            found.extend(json_problems(item, field))
    elif isinstance(value, str) and (why := not_text(value)) is not None:
        found.append((field, why))
    return found


def _json_error(e: ValueError) -> str:
    """A JSON text json.loads refused with a ValueError that is not a JSONDecodeError, said for a person."""
    if "integer string conversion" in str(e):
        return f"invalid JSON: a number of more than {sys.get_int_max_str_digits():,} digits"
    return f"invalid JSON: {e}"


def _readable(path: Path, n: int, item: dict[str, Any], problems: list[Problem] | None) -> bool:
    """Whether a JSON item can be read; if not, its problems are given (or raised) naming file, row and field."""
    try:
        found = json_problems(item)
    except RecursionError:
        found = [(None, "invalid JSON: nested too deeply")]
    for field, message in found:
        _problem(problems, Problem(str(path), n, field, message))
    return not found


def _read_jsonl(path: Path, kind: str, encoding: str | None, problems: list[Problem] | None) -> Iterator[Record]:
    """One record per line; a line that is not a JSON object is a bad row, and the next line is read."""
    for n, line in enumerate(decode(path, encoding).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line, object_pairs_hook=json_object)
        except json.JSONDecodeError as e:
            _problem(problems, Problem(str(path), n, None, f"invalid JSON: {e.msg} (column {e.colno})"))
            continue
        except RecursionError:
            _problem(problems, Problem(str(path), n, None, "invalid JSON: nested too deeply"))
            continue
        except ValueError as e:  # a number too long to read
            _problem(problems, Problem(str(path), n, None, _json_error(e)))
            continue
        if not isinstance(item, dict):
            _problem(problems, Problem(str(path), n, None, "each line must be a JSON object"))
            continue
        if _readable(path, n, item, problems):
            yield Record(str(path), n, kind, item)


def _read_json(path: Path, kind: str, encoding: str | None, problems: list[Problem] | None) -> Iterator[Record]:
    try:
        doc = json.loads(decode(path, encoding), object_pairs_hook=json_object)
    except json.JSONDecodeError as e:
        raise ValidationError([Problem(str(path), e.lineno, None, f"invalid JSON: {e.msg}")]) from e
    except RecursionError as e:
        raise ValidationError([Problem(str(path), None, None, "invalid JSON: nested too deeply")]) from e
    except ValueError as e:  # a number too long to read
        raise ValidationError([Problem(str(path), None, None, _json_error(e))]) from e
    items = doc.get("items") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ValidationError(
            [Problem(str(path), None, None, "expected an array of objects or an object with an 'items' array")]
        )
    if not items:  # as in a CSV file with its header only
        raise ValidationError([Problem(str(path), None, None, "the file holds no items")])
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            _problem(problems, Problem(str(path), n, None, f"item {n} is not a JSON object"))
            continue
        if _readable(path, n, item, problems):
            yield Record(str(path), n, kind, item)
