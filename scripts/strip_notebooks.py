#!/usr/bin/env python3
"""Strip outputs and execution counts from notebooks, so that git holds only their source.

    .venv/bin/python scripts/strip_notebooks.py              # every notebook under notebooks/
    .venv/bin/python scripts/strip_notebooks.py --check      # exit 1 naming any notebook with outputs

tests/test_notebooks.py runs the check, so a notebook saved with outputs fails the suite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def dirty(book: nbformat.NotebookNode) -> bool:
    """True when any code cell has outputs or an execution count."""
    return any(c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
               for c in book.cells)


def strip(book: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without outputs, execution counts or per-cell execution metadata."""
    for cell in book.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    book.metadata.pop("widgets", None)
    return book


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/*.ipynb)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if any notebook has outputs")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    found = []
    for path in paths:
        book = nbformat.read(path, as_version=4)
        if not dirty(book):
            continue
        found.append(path)
        if not args.check:
            nbformat.write(strip(book), path)
            print(f"stripped {path}")
    if args.check and found:
        print("notebooks with outputs (run scripts/strip_notebooks.py):", *map(str, found), sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
