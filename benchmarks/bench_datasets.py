"""Dataset generation benchmark: samples/s for 1 and 2 workers, and storage/bookkeeping overhead.

Usage::

    python benchmarks/bench_datasets.py [--spec routenet-small] [--samples 200] [--workers 1,2]
    python benchmarks/bench_datasets.py --full-small     # time the whole routenet-small build

The same measurement is ``kplane bench datasets``. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from kplane.datasets import generate
from kplane.datasets._bench import bench_generation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="routenet-small")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--full-small", action="store_true", help="generate all of routenet-small")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.full_small:
        root = Path(tempfile.mkdtemp(prefix="kplane-small-"))
        try:
            t0 = time.perf_counter()
            report = generate("routenet-small", root / "data", workers=int(args.workers.split(",")[-1]))
            out = {
                "spec": "routenet-small",
                "cpus": os.cpu_count(),
                "wall_s": time.perf_counter() - t0,
                **report.to_dict(),
            }
        finally:
            shutil.rmtree(root, ignore_errors=True)
    else:
        out = bench_generation(
            args.spec, samples=args.samples, workers=[int(w) for w in args.workers.split(",")]
        )
    if args.json:
        print(json.dumps(out, indent=1, default=str))
        return
    if args.full_small:
        print(
            f"routenet-small: {out['n_generated']} samples in {out['wall_s']:.1f} s with {out['workers']} "
            f"workers ({out['samples_per_s']:.2f} samples/s); storage + bookkeeping "
            f"{100 * out['overhead_share']:.2f}% of the time"
        )
        return
    print(f"{out['spec']}: {out['samples']} samples, {out['cpus']} CPUs")
    for r in out["runs"]:
        print(
            f"  workers={r['workers']}: {r['wall_time_s']:.2f} s, {r['samples_per_s']:.2f} samples/s, "
            f"speed-up {r['speedup']:.2f}x, simulate {r['sim_s']:.2f} s, build {r['build_s']:.2f} s, "
            f"storage+bookkeeping {r['overhead_s']:.3f} s ({100 * r['overhead_share']:.2f}%)"
        )


if __name__ == "__main__":
    main()
