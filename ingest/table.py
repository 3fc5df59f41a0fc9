"""A generic table reader: a municipality's own CSV or Excel list, mapped to KomInn fields by a small
mapping file, so it loads without code.

The mapping is TOML (or JSON with the same keys)::

    kind = "initiatives"          # what each row becomes
    sheet = "Prosjekter"          # Excel only: the sheet (default: the first)
    separator = ";"               # CSV only (default: detected from the header)
    encoding = "latin-1"          # CSV only (default: UTF-8, a BOM is accepted)
    id_prefix = "asker:"          # put in front of every id, so ids stay unique across sources

    [columns]                     # KomInn field = source column, or a table with options
    id = "Prosjektnr"
    title = "Prosjektnavn"
    owner = { column = "Enhet", prefix = "asker:unit:", slug = true }
    topics = { column = "Stikkord", split = "," }
    status = { column = "Status", values = { "Pågår" = "ongoing", "Avsluttet" = "completed" } }

    [constants]                   # fields with the same value in every row
    scale = "improvement"

Each row becomes a record in the ingest format, so it goes through the same validation as any file.

>>> m = Mapping.from_dict({"kind": "needs", "columns": {"id": "Nr", "title": "Tittel"}})
>>> m.apply({"Nr": "7", "Tittel": "Kø"})
{'id': '7', 'title': 'Kø'}
"""

from __future__ import annotations

import difflib
import json
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.errors import Problem, ValidationError
from graph.text import normalise
from ingest.readers import (
    KINDS,
    Record,
    json_object,
    json_problems,
    read_csv_rows,
    read_xlsx_rows,
    required_columns,
    suffix,
)
from ingest.records import allowed_fields


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-zæøå]+", "-", normalise(text)).strip("-")[:100] or "unknown"


@dataclass(frozen=True)
class Column:
    """How one KomInn field is taken from a source column."""

    column: str
    split: str | None = None
    prefix: str = ""
    slug: bool = False
    values: dict[str, str] = field(default_factory=dict)

    def value(self, raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if self.split is None:
            return self._one(raw)
        return [v for v in (self._one(p) for p in str(raw).split(self.split)) if v]

    def _one(self, raw: Any) -> Any:
        if not isinstance(raw, str):
            return raw if not self.prefix else self.prefix + str(raw)
        text = raw.strip()
        if not text:
            return None
        text = self.values.get(text, text)
        if self.slug:
            text = _slug(text)
        return self.prefix + text if self.prefix else text


@dataclass(frozen=True)
class Mapping:
    """Source columns to KomInn fields for one table."""

    kind: str
    columns: dict[str, Column]
    constants: dict[str, Any] = field(default_factory=dict)
    id_prefix: str = ""
    sheet: str | None = None
    separator: str | None = None
    encoding: str | None = None
    file: str = "<mapping>"

    @classmethod
    def load(cls, path: Path) -> Mapping:
        """Read a mapping file (.toml or .json); errors name the file and the key."""
        try:
            text = path.read_text(encoding="utf-8")
            doc = json.loads(text, object_pairs_hook=json_object) if path.suffix == ".json" else tomllib.loads(text)
            broken = json_problems(doc)  # a key given twice, a broken \u escape (JSON; TOML refuses both itself)
        except FileNotFoundError as e:
            raise ValidationError([Problem(str(path), None, None, "mapping file not found")]) from e
        except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
            why = "nested too deeply" if isinstance(e, RecursionError) else str(e)
            raise ValidationError([Problem(str(path), None, None, f"not a valid mapping file: {why}")]) from e
        except ValueError as e:  # a number too long to read
            why = f"a number of more than {sys.get_int_max_str_digits():,} digits" \
                if "integer string conversion" in str(e) else str(e)
            raise ValidationError([Problem(str(path), None, None, f"not a valid mapping file: {why}")]) from e
        if broken:
            raise ValidationError([Problem(str(path), None, key, message) for key, message in broken])
        if not isinstance(doc, dict):
            raise ValidationError([Problem(str(path), None, None,
                                           "a mapping is an object of keys (kind, columns, ...)")])
        return cls.from_dict(doc, str(path))

    @classmethod
    def from_dict(cls, doc: dict[str, Any], file: str = "<mapping>") -> Mapping:
        problems: list[Problem] = []
        kind = doc.get("kind")
        if kind not in KINDS:
            problems.append(Problem(file, None, "kind", f"'{kind}' is not one of {', '.join(KINDS)}"))
        known = {"kind", "columns", "constants", "id_prefix", "sheet", "separator", "encoding"}
        for key in doc:
            if key not in known:
                problems.append(Problem(file, None, key, f"unknown key; the keys are {', '.join(sorted(known))}"))
        for key in ("id_prefix", "sheet", "encoding"):
            if doc.get(key) is not None and not isinstance(doc[key], str):
                problems.append(Problem(file, None, key, f"give text, not {type(doc[key]).__name__}"))
        separator = doc.get("separator")
        if separator is not None and (not isinstance(separator, str) or len(separator) != 1):
            problems.append(Problem(file, None, "separator", f"one character, such as \";\" or \"\\t\", not "
                                    f"{separator!r}"))
        for key in ("columns", "constants"):
            if doc.get(key) is not None and not isinstance(doc[key], dict):
                problems.append(Problem(file, None, key, f"give a table of field = ..., not {type(doc[key]).__name__}"))
        fields = allowed_fields(kind) if kind in KINDS else None
        columns: dict[str, Column] = {}
        raw_columns: dict[str, Any] = doc["columns"] if isinstance(doc.get("columns"), dict) else {}
        for name, spec in raw_columns.items():
            where = f"columns.{name}"
            if fields is not None and name not in fields:
                near = difflib.get_close_matches(name, sorted(fields), n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                problems.append(Problem(file, None, where, f"'{name}' is not a field of {kind}{hint}; the fields are "
                                        f"{', '.join(sorted(fields))}"))
            if isinstance(spec, str):
                columns[name] = Column(spec)
            elif isinstance(spec, dict) and isinstance(spec.get("column"), str):
                extra = set(spec) - {"column", "split", "prefix", "slug", "values"}
                if extra:
                    problems.append(Problem(file, None, where, f"unknown options {sorted(extra)}"))
                split, prefix, values = spec.get("split"), spec.get("prefix", ""), spec.get("values") or {}
                if split is not None and (not isinstance(split, str) or not split):
                    problems.append(Problem(file, None, f"{where}.split", f"give the text between values, such "
                                            f"as \",\", not {split!r}"))
                    split = None
                if not isinstance(prefix, str):
                    problems.append(Problem(file, None, f"{where}.prefix", f"give text, not {prefix!r}"))
                    prefix = ""
                if not isinstance(values, dict):
                    problems.append(Problem(file, None, f"{where}.values", "give a table of source value = value"))
                    values = {}
                for source, value in list(values.items()):  # a value put in a field: text, as a cell's would be
                    if not isinstance(value, str):
                        problems.append(Problem(file, None, f"{where}.values.{source}",
                                                f"give text, not {type(value).__name__}"))
                        del values[source]
                columns[name] = Column(spec["column"], split, prefix, bool(spec.get("slug", False)), dict(values))
            else:
                problems.append(Problem(file, None, where, "give a column name or a table with 'column'"))
        constants = dict(doc.get("constants") or {}) if isinstance(doc.get("constants"), dict) else {}
        for name in constants:
            if fields is not None and name not in fields:
                problems.append(Problem(file, None, f"constants.{name}", f"'{name}' is not a field of {kind}"))
        if kind in KINDS:
            for col in required_columns(kind):
                if col not in columns and col not in constants:
                    problems.append(Problem(file, None, f"columns.{col}", f"required field '{col}' of {kind} "
                                            "has no column and no constant"))
        if problems:
            raise ValidationError(problems)
        assert isinstance(kind, str)  # it is one of KINDS, or a problem was raised above
        return cls(kind, columns, constants, str(doc.get("id_prefix", "")), doc.get("sheet"),
                   doc.get("separator"), doc.get("encoding"), file)

    def apply(self, row: dict[str, Any]) -> dict[str, Any]:
        """The ingest-format record of one source row."""
        out: dict[str, Any] = dict(self.constants)
        for name, col in self.columns.items():
            value = col.value(row.get(col.column))
            if value is not None:
                out[name] = value
        if self.id_prefix and out.get("id") is not None:
            out["id"] = self.id_prefix + str(out["id"])
        return out


def read_table(path: Path, mapping: Mapping, *, encoding: str | None = None,
               problems: list[Problem] | None = None) -> Iterator[Record]:
    """Records of a CSV or .xlsx table through a mapping. A source column the mapping names but the table
    lacks raises ValidationError naming each such column once: the table is read whole or not at all."""
    if suffix(path) == ".xlsx":
        rows = read_xlsx_rows(path, mapping.kind, sheet=mapping.sheet, problems=problems, check_header=False)
    elif suffix(path) in (".csv", ".txt", ".tsv"):
        rows = read_csv_rows(path, mapping.kind, encoding=encoding or mapping.encoding, problems=problems,
                             separator=mapping.separator, check_header=False)
    else:
        raise ValidationError([Problem(str(path), None, None, "a table must be .csv or .xlsx")])
    first = next(rows, None)  # the reader checks the file itself (encoding, separator) first
    if first is None:
        return
    missing = {c.column for c in mapping.columns.values()} - _header_of(path, mapping, encoding)
    if missing:
        raise ValidationError([
            Problem(str(path), 1, col, f"column '{col}' named in {mapping.file} (for "
                    f"{', '.join(n for n, c in mapping.columns.items() if c.column == col)}) is not in the table")
            for col in sorted(missing)])
    for record in (first, *rows):
        yield Record(record.file, record.row, mapping.kind, mapping.apply(record.data))


def _header_of(path: Path, mapping: Mapping, encoding: str | None) -> set[str]:
    if suffix(path) == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws = book[mapping.sheet] if mapping.sheet else book.worksheets[0]
            first = next(ws.iter_rows(values_only=True), ())
            return {str(c).strip() for c in first if c is not None}
        finally:
            book.close()
    from ingest.readers import decode

    text = decode(path, encoding or mapping.encoding)
    first = text.splitlines()[0] if text else ""
    sep = mapping.separator or max((",", ";", "\t", "|"), key=first.count)
    import csv

    return {h.strip() for h in next(csv.reader([first], delimiter=sep), [])}


