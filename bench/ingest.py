"""Benchmark: ingest the CORDIS set (about 4.6k projects, 20k organisations, 60k links) with the real model.

Prints items per second, the share of the time spent in the model's encode, the peak memory, and then
the same ingest again on unchanged files (the whole-file check) and with ``recheck`` (every row read
and compared), each with its speed-up over the first run. Goals: time beyond the model's encode at
most 15% of the first run; re-ingest of unchanged data at least 50 times faster.

    python bench/ingest.py [--data ../shared/data/cordis_h2020] [--batch-size 500]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.embedded import EmbeddedGraphStore
from ingest.embedder import SentenceTransformerEmbedder
from ingest.pipeline import ingest

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "cordis_h2020"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()

    embedder = SentenceTransformerEmbedder()
    t = time.perf_counter()
    embedder.load()
    print(f"model loaded in {time.perf_counter() - t:.1f} s (not counted below); peak memory {_peak_mib():.0f} MiB")
    with tempfile.TemporaryDirectory() as tmp, EmbeddedGraphStore(Path(tmp) / "bench.sqlite") as store:
        first = ingest(store, embedder, [args.data], fmt="cordis", strict=False, batch_size=args.batch_size)
        items = first.created + first.updated + first.unchanged
        other = first.seconds - first.encode_seconds
        print(f"first run:   {items} nodes ({first.read} records), {first.edges_written} edges, "
              f"{first.similar_written} SIMILAR_TO, {first.same_as} SAME_AS candidates, "
              f"{first.embedded} texts embedded in {first.seconds:.1f} s = {items / first.seconds:.0f} items/s")
        print(f"  encode {first.encode_seconds:.1f} s = {first.encode_seconds / first.seconds:.1%} of the run; "
              f"everything else {other:.1f} s = {other / first.seconds:.1%} (goal <= 15%)")
        print(f"  peak memory (process, model included) {_peak_mib():.0f} MiB")
        again = ingest(store, embedder, [args.data], fmt="cordis", strict=False, batch_size=args.batch_size)
        print(f"same files again: {again.seconds:.3f} s, embedded {again.embedded}, created {again.created}, "
              f"updated {again.updated} -> {first.seconds / max(again.seconds, 1e-6):.0f}x faster (goal >= 50x)")
        row = ingest(store, embedder, [args.data], fmt="cordis", strict=False, batch_size=args.batch_size,
                     recheck=True)
        print(f"--recheck (every row read, validated and compared): {row.seconds:.2f} s, embedded {row.embedded}, "
              f"written {row.created + row.updated} nodes and {row.edges_written} edges -> "
              f"{first.seconds / row.seconds:.1f}x faster")
        print(f"peak memory at the end {_peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
