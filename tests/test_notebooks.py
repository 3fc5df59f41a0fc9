"""The analyst notebooks: committed without outputs, and each runs top to bottom on the real data.

The execution tests use the project's environment as the kernel (``python3`` from the running
interpreter's ipykernel) and set ``KOMINN_NOTEBOOK_SMALL=1`` so the CORDIS parts take a slice.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHARED_DATA = ROOT.parent / "shared" / "data"


def test_there_are_notebooks() -> None:
    """The three analyst notebooks exist."""
    assert [p.name for p in NOTEBOOKS] == [
        "01_explore.ipynb", "02_silos_and_bridges.ipynb", "03_recommendation_quality.ipynb"]


def test_notebooks_have_no_outputs() -> None:
    """Every committed notebook is stripped of outputs (scripts/strip_notebooks.py --check passes)."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "strip_notebooks.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_strip_removes_outputs(tmp_path: Path) -> None:
    """The strip tool empties outputs and execution counts, and --check then passes."""
    import nbformat

    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    book.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    book.cells[0].execution_count = 1
    path = tmp_path / "x.ipynb"
    nbformat.write(book, path)
    script = str(ROOT / "scripts" / "strip_notebooks.py")
    assert subprocess.run([sys.executable, script, "--check", str(path)], capture_output=True).returncode == 1
    assert subprocess.run([sys.executable, script, str(path)], capture_output=True).returncode == 0
    cell = nbformat.read(path, as_version=4).cells[0]
    assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The notebook runs top to bottom without an error, on the demo data and the shared data sets."""
    import nbformat
    from nbclient import NotebookClient

    if not SHARED_DATA.is_dir():
        pytest.fail(f"the notebooks read the real data sets in {SHARED_DATA}, which is missing")
    monkeypatch.setenv("KOMINN_NOTEBOOK_SMALL", os.environ.get("KOMINN_NOTEBOOK_SMALL", "1"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    book = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    client = NotebookClient(book, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    seconds = time.perf_counter() - started
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    images = sum(1 for c in book.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {}))
    assert images >= 2, "the notebook draws its plots"
    print(f"{path.name}: {seconds:.0f} s")
