"""Adapters for real sources: each turns a source's files into records of the KomInn ingest format,
which then go through the same validation and writing as any other ingest.

- ``tidstyver``: Difi's "Tidstyver i forvaltningen" reports (``items.csv``) become needs, owned by
  the reporting agency, which is part of its ministry; problem and measure types become topics.
- ``cordis``: Horizon 2020 projects (``projects.csv``, ``participants.csv``, ``organisations.csv``)
  become initiatives owned by their coordinator, with every participant linked by ``INVOLVES``;
  topic codes and programme parts become topics.
- ``nfr``: Forskningsrådet's Norwegian H2020 participations (``participations.csv``) become
  organisations with organisation number and kommune (``orgnr:<number>``), and the projects they took
  part in (``cordis:<project_id>``, the same grant id as CORDIS). Those project records *fill*: where
  CORDIS already wrote the project, they add the Norwegian partners and missing fields and change
  nothing else. Entity resolution merges an NFR organisation into the CORDIS node with the same
  organisation number, so ingest CORDIS first.
- ``decide``: citizen proposals from Decide Madrid (CONSUL, ``proposals.csv``) become ideas from
  citizens (``decide:<id>``); a proposal its author withdrew (``retired``) becomes a hidden idea, which
  the duplicate check never shows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from graph.errors import Problem, ValidationError
from graph.text import normalise
from ingest.readers import AS_PUBLISHED, MAX_CSV_FIELD, MAX_FILE_BYTES, Record, csv_message, decode

TIDSTYVER_PREFIX = "tidstyver:"
DECIDE_PREFIX = "decide:"
CORDIS_PREFIX = "cordis:"
PIC_PREFIX = "pic:"
NFR_ORG_PREFIX = "orgnr:"
ACTIVITY_KIND = {"PUB": "public_body", "HES": "research", "REC": "research", "PRC": "business", "OTH": "other"}


def slug(text: str) -> str:
    return re.sub(r"[^0-9a-zæøå]+", "-", normalise(text)).strip("-")[:100] or "unknown"


# The columns the CORDIS adapter reads from participants.csv and organisations.csv.
CORDIS_PARTICIPANT_COLUMNS = ("project_id", "organisation_id", "role", "name")
CORDIS_ORGANISATION_COLUMNS = ("organisation_id", "name", "activity_type", "country", "no_org_number",
                               "no_municipality")


def _rows(path: Path, columns: Iterable[str], delimiter: str | None = ",") -> list[tuple[int, dict[str, str]]]:
    """The rows of a source's CSV file with their line numbers; every one of ``columns`` must be there."""
    if not path.exists():
        raise ValidationError([Problem(str(path), None, None, "file not found")])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValidationError([Problem(str(path), None, None, f"file is larger than {MAX_FILE_BYTES} bytes")])
    # as every CSV file is read: UTF-8 (a BOM dropped; where it is not, the byte named), rows ending at line breaks
    # only, a malformed row (an unclosed quote) named at its line, rather than a traceback
    fh = io.StringIO(decode(path, advice=AS_PUBLISHED), newline="")
    if delimiter is None:
        first = fh.readline()
        delimiter = ";" if first.count(";") > first.count(",") else ","
        fh.seek(0)
    if csv.field_size_limit() < MAX_CSV_FIELD:
        csv.field_size_limit(MAX_CSV_FIELD)
    reader = csv.DictReader(fh, delimiter=delimiter, strict=True)  # strict: an unclosed quote is an error, not
    line = 0                                                        # a value swallowing the rest of the file
    try:
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            found = ", ".join(reader.fieldnames or []) or "none"
            raise ValidationError([Problem(str(path), 1, c, f"this source needs the column '{c}' (found: {found})")
                                   for c in missing])
        rows = []
        line = reader.line_num
        for row in reader:
            rows.append((line + 1, row))
            line = reader.line_num
    except csv.Error as e:
        raise ValidationError([Problem(str(path), line + 1, None, csv_message(e))]) from e
    return rows


def tidstyver_records(folder: Path, keep: Callable[[str], bool] = lambda _id: True) -> list[Record]:
    """Records for the Tidstyver reports in ``folder/items.csv`` whose id passes ``keep``."""
    path = folder / "items.csv"
    orgs: dict[str, Record] = {}
    needs: list[Record] = []
    for row_no, row in _rows(path, ("id", "ministry", "organisation", "title", "problem_types", "measure_types",
                                     "problem_description", "measure_description")):
        if not keep(row["id"]):
            continue
        ministry_id = "ministry:" + slug(row["ministry"])
        org_id = "agency:" + slug(row["organisation"])
        orgs.setdefault(ministry_id, Record(str(path), row_no, "organisations",
                                            {"id": ministry_id, "name": row["ministry"], "kind": "public_body"}))
        orgs.setdefault(org_id, Record(str(path), row_no, "organisations", {
            "id": org_id, "name": row["organisation"], "kind": "public_body", "part_of": ministry_id}))
        topics = [f"p:{t}" for t in row["problem_types"].split(";") if t] + \
                 [f"m:{t}" for t in row["measure_types"].split(";") if t]
        needs.append(Record(str(path), row_no, "needs", {
            "id": TIDSTYVER_PREFIX + row["id"],
            "title": row["title"] or row["problem_description"][:80],
            "description": row["problem_description"],
            "proposed_measures": row["measure_description"],
            "owner": org_id,
            "topics": topics,
        }))
    ministries = [r for k, r in orgs.items() if k.startswith("ministry:")]
    agencies = [r for k, r in orgs.items() if not k.startswith("ministry:")]
    return ministries + agencies + needs


def _excel_text(text: str) -> str:
    """Text without the line breaks that Excel writes as ``_x000D_`` and ``_x000A_`` in some CORDIS titles
    ("rapid manufacturing_x000D_technologies"): a space instead."""
    return re.sub(r"(?:_x000[DA]_)+", " ", text)


def cordis_records(folder: Path, keep: Callable[[str], bool] = lambda _id: True) -> list[Record]:
    """Records for the CORDIS projects in ``folder`` whose project id passes ``keep``."""
    project_columns = ("project_id", "acronym", "title", "topic_code", "topic_description", "programme_parts",
                       "start_date", "end_date")
    projects = [(n, r) for n, r in _rows(folder / "projects.csv", project_columns) if keep(r["project_id"])]
    wanted = {r["project_id"] for _, r in projects}
    participants: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for n, r in _rows(folder / "participants.csv", CORDIS_PARTICIPANT_COLUMNS):
        if r["project_id"] in wanted:
            participants[r["project_id"]].append((n, r))
    used = {r["organisation_id"] for rows in participants.values() for _, r in rows}
    org_file = folder / "organisations.csv"
    records: list[Record] = []
    names: dict[str, str] = {}
    for rows in participants.values():
        for _, r in rows:
            if r["name"]:
                names.setdefault(r["organisation_id"], r["name"])
    for n, r in _rows(org_file, CORDIS_ORGANISATION_COLUMNS):
        pic = r["organisation_id"]
        if pic not in used:
            continue
        data = {
            "id": PIC_PREFIX + pic,
            "name": r["name"] or names.get(pic) or f"PIC {pic}",
            "kind": ACTIVITY_KIND.get(r["activity_type"], "other"),
            "country": r["country"] if re.fullmatch(r"[A-Z]{2}", r["country"] or "") else None,
            "org_number": r["no_org_number"] if re.fullmatch(r"\d{9}", r["no_org_number"] or "") else None,
            "municipality": r["no_municipality"] or None,
        }
        records.append(Record(str(org_file), n, "organisations", {k: v for k, v in data.items() if v}))
    today = dt.date.today().isoformat()
    project_file = folder / "projects.csv"
    for n, r in projects:
        rows = participants.get(r["project_id"], [])
        coordinators = [p["organisation_id"] for _, p in rows if p["role"] == "coordinator"]
        owner = coordinators[0] if coordinators else (rows[0][1]["organisation_id"] if rows else None)
        partners = [{"org": PIC_PREFIX + p["organisation_id"],
                     "role": "coordinator" if p["role"] == "coordinator" else "partner"} for _, p in rows]
        topics = [r["topic_code"], *[p for p in r["programme_parts"].split(";") if p]]
        records.append(Record(str(project_file), n, "initiatives", {
            "id": CORDIS_PREFIX + r["project_id"],
            "title": _excel_text(r["title"] or r["acronym"]),
            "description": _excel_text(r["topic_description"]),
            "status": "completed" if r["end_date"] and r["end_date"] < today else "ongoing",
            "start_date": r["start_date"] or None,
            "end_date": r["end_date"] or None,
            "owner": PIC_PREFIX + owner if owner else None,
            "partners": partners,
            "topics": [t for t in topics if t],
        }))
    return records


def _nfr_kind(row: dict[str, str]) -> str:
    name = row.get("org_name", "").upper()
    if "KOMMUNE" in name.split() or name.endswith("KOMMUNE"):
        return "municipality"
    sector = row.get("rnd_sector_code", "")
    if sector in ("UoH", "Institutt", "INST") or "institutt" in row.get("rnd_sector", "").lower():
        return "research"
    if "næringsliv" in row.get("rnd_sector", "").lower():
        return "business"
    if "offentlig" in row.get("rnd_category", "").lower() or "helse" in row.get("rnd_sector", "").lower():
        return "public_body"
    return "other"


def nfr_records(folder: Path, keep: Callable[[str], bool] = lambda _id: True) -> list[Record]:
    """Records for Forskningsrådet's participations in ``folder/participations.csv`` (projects passing ``keep``)."""
    path = folder / "participations.csv"
    orgs: dict[str, Record] = {}
    projects: dict[str, tuple[int, dict[str, str], list[dict[str, str]]]] = {}
    for row_no, row in _rows(path, ("project_id",), delimiter=None):
        if not keep(row.get("project_id", "")):
            continue
        number = (row.get("org_number") or "").strip()
        org_id = NFR_ORG_PREFIX + number if number else None
        if org_id and org_id not in orgs:
            orgs[org_id] = Record(str(path), row_no, "organisations", {k: v for k, v in {
                "id": org_id, "name": row.get("org_name") or row.get("org_short_name") or number,
                "kind": _nfr_kind(row), "org_number": number, "country": "NO",
                "municipality": row.get("municipality") or None}.items() if v})
        entry = projects.setdefault(row["project_id"], (row_no, row, []))
        if org_id:
            entry[2].append({"org": org_id, "role": "coordinator" if row.get("role") == "COORDINATOR"
                             else "partner"})
    records = list(orgs.values())
    for project_id, (row_no, row, partners) in projects.items():
        if not partners:
            continue
        end = row.get("end_date") or None
        records.append(Record(str(path), row_no, "initiatives", {k: v for k, v in {
            "id": CORDIS_PREFIX + project_id,
            "title": row.get("title") or row.get("acronym"),
            "description": row.get("topic") or None,
            "status": "completed" if end and end < dt.date.today().isoformat() else "ongoing",
            "start_date": row.get("start_date") or None,
            "end_date": end,
            "owner": next((p["org"] for p in partners if p["role"] == "coordinator"), partners[0]["org"]),
            "partners": partners,
            "topics": [t for t in [row.get("topic_code")] if t],
        }.items() if v}, mode="fill"))
    return records


def decide_records(folder: Path, keep: Callable[[str], bool] = lambda _id: True) -> list[Record]:
    """Records for the Decide Madrid proposals in ``folder/proposals.csv`` whose id passes ``keep``. A
    proposal without a description is its title alone."""
    path = folder / "proposals.csv"
    records = []
    for row_no, row in _rows(path, ("id", "title")):
        if not keep(row["id"]):
            continue
        title = (row.get("title") or "").strip()
        text = (row.get("description") or "").strip() or title
        created = (row.get("created_date") or "")[:10]
        records.append(Record(str(path), row_no, "ideas", {k: v for k, v in {
            "id": DECIDE_PREFIX + row["id"],
            "title": title or text[:80],
            "text": text,
            "submitter_kind": "citizen",
            "status": "hidden" if (row.get("retired") or "").strip().lower() == "true" else "new",
            "created": created or None,
        }.items() if v}))
    return records


FORMATS = ("cordis", "decide", "nfr", "tidstyver")


def records_for(source: str, folder: Path, keep: Callable[[str], bool] = lambda _id: True) -> Iterable[Record]:
    """Records of a named source format (``tidstyver``, ``cordis``, ``nfr`` or ``decide``); ``folder``
    may also be the source's main file."""
    if folder.is_file():
        folder = folder.parent
    if source == "tidstyver":
        return tidstyver_records(folder, keep)
    if source == "cordis":
        return cordis_records(folder, keep)
    if source == "nfr":
        return nfr_records(folder, keep)
    if source == "decide":
        return decide_records(folder, keep)
    raise ValidationError([Problem(str(folder), None, None, f"unknown source format '{source}'")])
