"""Readers for CSV, JSON and JSONL files: each yields raw records that remember file and row."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph.errors import Problem, ValidationError

KINDS = ("focus_areas", "organisations", "needs", "initiatives", "ideas")
EXTENSIONS = (".csv", ".json", ".jsonl")
MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Record:
    """One input row: its source file, its row (spreadsheet-style line, or item number) and data."""

    file: str
    row: int
    kind: str
    data: dict[str, Any]


def discover(paths: list[Path], kind: str | None = None) -> list[tuple[Path, str]]:
    """The files to read under the given paths with their kind, in dependency order."""
    found: list[tuple[Path, str]] = []
    problems: list[Problem] = []
    for path in paths:
        if not path.exists():
            problems.append(Problem(str(path), None, None, "no such file or directory"))
            continue
        files = sorted(p for p in path.iterdir() if p.suffix in EXTENSIONS) if path.is_dir() else [path]
        for f in files:
            if f.suffix not in EXTENSIONS:
                problems.append(Problem(str(f), None, None, f"unsupported file type; use one of {EXTENSIONS}"))
                continue
            k = kind or f.stem
            if k not in KINDS:
                if path.is_dir():
                    continue  # other files in a data folder (README.md, notes) are not ours
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


def read(path: Path, kind: str) -> Iterator[Record]:
    """Records of one file; a file that cannot be parsed raises ValidationError naming the place."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValidationError([Problem(str(path), None, None, f"file is larger than {MAX_FILE_BYTES} bytes")])
    if path.suffix == ".csv":
        yield from _read_csv(path, kind)
    elif path.suffix == ".jsonl":
        yield from _read_jsonl(path, kind)
    else:
        yield from _read_json(path, kind)


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ValidationError(
            [Problem(str(path), line, None, f"not UTF-8 (byte {raw[e.start]:#x} at offset {e.start}); "
                     "save the file as UTF-8")]
        ) from e


def _read_csv(path: Path, kind: str) -> Iterator[Record]:
    text = _decode(path)
    reader = csv.DictReader(text.splitlines(keepends=True), strict=True)
    try:
        header = reader.fieldnames or []
        if len(header) == 1 and ";" in header[0]:
            raise ValidationError(
                [Problem(str(path), 1, None, "the header has one column containing ';': use ',' as separator")]
            )
        line = reader.line_num
        for raw in reader:
            if None in raw:
                raise ValidationError(
                    [Problem(str(path), line + 1, None, f"{len(header) + len(raw[None])} values, but the header has "
                             f"{len(header)} columns")]  # type: ignore[index]
                )
            data = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in raw.items() if k}
            yield Record(str(path), line + 1, kind, {k: v for k, v in data.items() if v not in ("", None)})
            line = reader.line_num
    except csv.Error as e:
        raise ValidationError([Problem(str(path), reader.line_num, None, f"malformed CSV: {e}")]) from e


def _read_jsonl(path: Path, kind: str) -> Iterator[Record]:
    for n, line in enumerate(_decode(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValidationError([Problem(str(path), n, None, f"invalid JSON: {e.msg}")]) from e
        if not isinstance(item, dict):
            raise ValidationError([Problem(str(path), n, None, "each line must be a JSON object")])
        yield Record(str(path), n, kind, item)


def _read_json(path: Path, kind: str) -> Iterator[Record]:
    try:
        doc = json.loads(_decode(path))
    except json.JSONDecodeError as e:
        raise ValidationError([Problem(str(path), e.lineno, None, f"invalid JSON: {e.msg}")]) from e
    items = doc.get("items") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ValidationError(
            [Problem(str(path), None, None, "expected an array of objects or an object with an 'items' array")]
        )
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ValidationError([Problem(str(path), n, None, f"item {n} is not a JSON object")])
        yield Record(str(path), n, kind, item)
