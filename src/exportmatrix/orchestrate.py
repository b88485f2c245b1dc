"""`nox -s matrix`: run each environment's session in its own nox process
(so one broken release cannot stop the rest), then merge and summarise."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from exportmatrix.aggregate import aggregate, write_json_atomically
from exportmatrix.config import ConfigError, MatrixConfig
from exportmatrix.environments import plan
from exportmatrix.results import envs_dir
from exportmatrix.summary import render


@dataclass
class SessionRun:
    name: str
    returncode: int
    seconds: float


def nox_command(noxfile: Path) -> list[str]:
    return [sys.executable, "-m", "nox", "--noxfile", str(noxfile), "--session"]


def run_sessions(
    names: Sequence[str], command: list[str], call: Callable[..., int] = subprocess.call
) -> list[SessionRun]:
    runs = []
    for number, name in enumerate(names, start=1):
        print(
            "exportmatrix: [%d/%d] %s: running (%d waiting)" % (number, len(names), name, len(names) - number),
            flush=True,
        )
        started = time.monotonic()
        returncode = call(command + [name])
        runs.append(SessionRun(name, returncode, time.monotonic() - started))
        state = "done" if returncode == 0 else "FAILED (exit %d)" % returncode
        print(
            "exportmatrix: [%d/%d] %s: %s in %.0f s" % (number, len(names), name, state, runs[-1].seconds), flush=True
        )
    return runs


def merge_and_report(results: Path, sessions: set[str] | None = None) -> int:
    """Write results/matrix.json from the named sessions' streams (default:
    all), print the summary; non-zero if anything could not be merged or an
    environment did not complete."""
    merged = aggregate(envs_dir(results), sessions)
    write_json_atomically(results / "matrix.json", merged.matrix)
    print(render(merged.matrix))
    for error in merged.errors:
        print("exportmatrix: could not merge %s" % error, file=sys.stderr)
    print(
        "\nexportmatrix: wrote %s (%d environments, %d cells)"
        % (results / "matrix.json", len(merged.matrix["environments"]), len(merged.matrix["observations"]))
    )
    failed = [e for e in merged.matrix["environments"] if e["status"] != "ok"]
    return 1 if merged.errors or failed else 0


def matrix_arguments(posargs: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="nox -s matrix --",
        description="Run the environments of the default build (or the named releases and builds), "
        "then merge their results into results/matrix.json and print a summary.",
    )
    parser.add_argument("releases", nargs="*", help="releases of matrix.toml to run (default: all)")
    parser.add_argument(
        "--build", dest="builds", action="append", help="a build to run (repeatable; default: the default build)"
    )
    return parser.parse_args(list(posargs))


def matrix_main(posargs: Sequence[str], config: MatrixConfig, results: Path, noxfile: Path) -> int:
    arguments = matrix_arguments(posargs)
    try:
        environments = plan(config, arguments.releases or None, arguments.builds or [config.default_build])
    except ConfigError as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2
    if not environments:
        print("exportmatrix: no build offers the releases asked for", file=sys.stderr)
        return 2
    runs = run_sessions([e.session_name for e in environments], nox_command(noxfile))
    merged = merge_and_report(results, {e.session_name for e in environments})
    for run in runs:
        print("exportmatrix: %-20s %s in %.0f s" % (run.name, "ok" if run.returncode == 0 else "FAILED", run.seconds))
    return 1 if merged or any(run.returncode for run in runs) else 0
