"""Benchmark: the CPU one environment's suite uses, run as `nox -s matrix`
runs it (run_suite: its fork server, its environment variables), several
times, since one figure on a shared virtual machine varies by a few seconds.

    .venv/bin/python bench/suite_cpu.py results/envs/torch-2.15.0+cu132-py3.11.jsonl [--runs 5]

The stream names the environment (its first line: the venv, the request);
each run observes every cell afresh (no reuse) into a temporary folder, and
its CPU is user + system time of the suite's processes (RUSAGE_CHILDREN).
Prints each run, the median and the range; asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from exportmatrix.run.suite_runner import run_suite, suite_variables  # noqa: E402
from exportmatrix.streams import stream_summary  # noqa: E402


def environment_of(stream: Path) -> dict:
    summary = stream_summary(stream)
    environment = summary.environment if summary else {}
    if not environment.get("venv"):
        sys.exit(
            "%s: not a results stream of `nox -s matrix` (its first line is not an environment line naming its venv)"
            % stream
        )
    if not (Path(environment["venv"]) / "bin" / "python").exists():
        sys.exit("%s: its environment %s is not installed any more" % (stream, environment["venv"]))
    return environment


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stream", type=Path, help="an environment's stream in a results folder (results/envs/*.jsonl)")
    parser.add_argument("--runs", type=int, default=5, help="how many times to run the suite (default 5)")
    parser.add_argument("--suite", type=Path, default=ROOT / "suite", help="the suite folder (default: this one's)")
    options = parser.parse_args()
    if options.runs < 1:
        parser.error("--runs must be at least 1")
    environment = environment_of(options.stream)
    venv = Path(environment["venv"])
    variables = suite_variables(venv)
    figures = []
    with tempfile.TemporaryDirectory(prefix="suite-cpu-") as folder:
        for run in range(1, options.runs + 1):
            out = Path(folder) / ("run-%d.jsonl" % run)
            cpu, start = children_cpu(), time.monotonic()
            run_suite(venv / "bin" / "python", options.suite, out, environment, 120, reuse=False, variables=variables)
            cpu, wall = children_cpu() - cpu, time.monotonic() - start
            summary = stream_summary(out)
            cells = summary.cells if summary else 0
            figures.append(cpu)
            print("run %d: %.1f CPU-s, %.1f s wall, %d cells" % (run, cpu, wall, cells), flush=True)
    print(
        "%s: median %.1f CPU-s over %d runs (range %.1f-%.1f)"
        % (environment.get("id") or venv.name, statistics.median(figures), len(figures), min(figures), max(figures))
    )


if __name__ == "__main__":
    main()
