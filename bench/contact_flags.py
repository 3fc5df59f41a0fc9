"""How often the contact check (``graph.text.contact_details``) flags real published texts: a count of false
alarms, since none of these texts is known to hold a private person's contact details or identity number.

    .venv/bin/python bench/contact_flags.py [--data ../shared/data] [--show]

Each source is read with its ingest adapter, and every free-text field it gives is checked: a Decide Madrid
proposal's title and text (ideas: these are the texts the idea form refuses and ingest warns of), a Tidstyver
report's title, problem and proposed measures, and a CORDIS project's title and call topic. Printed: per source,
how many items have a text flagged, and by what; ``--show`` also prints each flagged text around what was found.
Run it before and after a change to the check: a new rule should find what it is for without flagging more here.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.text import contact_details  # noqa: E402
from ingest.adapters import cordis_records, decide_records, tidstyver_records  # noqa: E402

SOURCES = (
    ("Decide Madrid", "decide_madrid_proposals", decide_records),
    ("Tidstyver", "difi_tidstyver_2014", tidstyver_records),
    ("CORDIS", "cordis_h2020", cordis_records),
)
TEXT_FIELDS = ("title", "text", "description", "proposed_measures")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="the folder that holds the data sets (default: ../shared/data)")
    parser.add_argument("--show", action="store_true", help="print every flagged text")
    args = parser.parse_args()
    totals = []
    for name, folder, read in SOURCES:
        records = [r for r in read(args.data / folder) if r.kind in ("ideas", "needs", "initiatives")]
        flagged = 0
        kinds: Counter[str] = Counter()
        for record in records:
            found = {field: contact_details(value) for field in TEXT_FIELDS
                     if isinstance(value := record.data.get(field), str)}
            found = {field: f for field, f in found.items() if f}
            if not found:
                continue
            flagged += 1
            kinds.update({f for fs in found.values() for f in fs})
            if args.show:
                for field, what in found.items():
                    text = " ".join(record.data[field].split())
                    print(f"  {name} {record.data['id']} {field} ({', '.join(what)}): {text[:300]}")
        said = ", ".join(f"{k} {n}" for k, n in kinds.most_common())
        print(f"{name}: {flagged} of {len(records)} items flagged" + (f" ({said})" if said else ""))
        totals.append(f"{name} {flagged}")
    print("; ".join(totals))


if __name__ == "__main__":
    main()
