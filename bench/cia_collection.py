"""Benchmark: what run_decompositions()' operator collection costs in the
suite's process, with torch's own collection and with the suite's
(suite/exportmatrix_suite/cia_collection.py). Run it with an environment's
Python (2.6 or later):

    .nox/torch-2-15-3-11/bin/python bench/cia_collection.py [--calls 10]

Imports what the suite's cells import (dynamo, inductor, torch.export), exports
a one-buffer module, then prints the mean CPU milliseconds of a collection and
of run_decompositions(), before and after the change, and a fixed pure-Python
loop's CPU-seconds to tell a slow machine from a slow change. Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "suite"))


def cpu_ms(work: Callable[[], object], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        work()
    return (time.process_time() - start) / calls * 1000


def calibration_s() -> float:
    start, total = time.process_time(), 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10, help="calls of each, averaged (default 10)")
    options = parser.parse_args()

    import torch
    import torch._dynamo
    import torch._inductor.compile_fx  # noqa: F401  (the namespaces the suite's process has)
    import torch.export
    from exportmatrix_suite.cia_collection import materialize_once_per_collection
    from torch._export import utils

    class OneBuffer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("total", torch.zeros(3))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.total.add_(x)
            return x * 2

    program = torch.export.export(OneBuffer(), (torch.ones(3),))
    program.run_decompositions()  # the first call's one-off costs
    print("torch %s, %d operator namespaces loaded" % (torch.__version__, len(list(torch.ops))))
    print("calibration loop: %.2f CPU-s" % calibration_s())
    collect = lambda: utils._collect_all_valid_cia_ops()  # noqa: E731  (looked up at each call)
    before = cpu_ms(collect, options.calls), cpu_ms(program.run_decompositions, options.calls)
    if materialize_once_per_collection() is None:
        sys.exit("torch %s has no such collection (2.6 and later do)" % torch.__version__)
    after = cpu_ms(collect, options.calls), cpu_ms(program.run_decompositions, options.calls)
    for what, old, new in zip(("one collection", "run_decompositions()"), before, after):
        print("%-22s %7.1f ms -> %7.1f ms" % (what, old, new))
    print("calibration loop: %.2f CPU-s" % calibration_s())


if __name__ == "__main__":
    main()
