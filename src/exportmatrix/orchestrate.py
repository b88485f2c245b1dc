"""`nox -s matrix`: run each environment's session in its own nox process
(so one broken release cannot stop the rest), several at once so one
environment's install overlaps another's suite; skip environments whose
results are still valid; then merge and summarise."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Sequence

from packaging.version import Version

from exportmatrix.aggregate import aggregate, write_json_atomically
from exportmatrix.config import ConfigError, MatrixConfig
from exportmatrix.environments import Environment, default_matrix, plan
from exportmatrix.incremental import environment_fingerprint, still_valid, stream_summary
from exportmatrix.lock import Locked, ResultsLock
from exportmatrix.pipeline import run_sessions
from exportmatrix.reports import write_reports
from exportmatrix.results import envs_dir, session_of, write_failed_environment
from exportmatrix.session import installed_as_requested
from exportmatrix.summary import render


def nox_command(noxfile: Path) -> list[str]:
    return [sys.executable, "-m", "nox", "--noxfile", str(noxfile), "--session"]


def venv_of(noxfile: Path, session: str) -> Path:
    # nox names a session's virtualenv after it, with dots as dashes
    return noxfile.parent / ".nox" / session.replace(".", "-")


def stream_of(results: Path, session: str) -> Path | None:
    for path in envs_dir(results).glob("*.jsonl"):
        if session_of(path) == session:
            return path
    return None


def reused_cells(results: Path, names: Sequence[str]) -> tuple[int, int]:
    """(reused, total) cells of the named sessions' streams."""
    reused = total = 0
    for name in names:
        path = stream_of(results, name)
        summary = stream_summary(path) if path else None
        if summary:
            reused += (summary["end"] or {}).get("reused", 0)
            total += summary["cells"]
    return reused, total


def merge_and_report(results: Path, sessions: set[str] | None = None, streams: Path | None = None) -> int:
    """Write results/matrix.json (and its reports) from the named sessions'
    streams (default: all) found under `streams` (default: results/envs),
    print the summary; non-zero if anything could not be merged or an
    environment did not complete."""
    merged = aggregate(streams or envs_dir(results), sessions)
    write_json_atomically(results / "matrix.json", merged.matrix)
    written = write_reports(merged.matrix, results)
    print(render(merged.matrix))
    for error in merged.errors:
        print("exportmatrix: could not merge %s" % error, file=sys.stderr)
    print(
        "\nexportmatrix: wrote %s (%d environments, %d cells)"
        % (results / "matrix.json", len(merged.matrix["environments"]), len(merged.matrix["observations"]))
    )
    print("exportmatrix: wrote %s" % ", ".join(str(path) for path in written))
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
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 2, help="suites run at once (default: one per CPU)"
    )
    parser.add_argument(
        "--install-jobs",
        type=int,
        default=1,
        help="environments installed at once, overlapping the suites (default: 1; "
        "raise it where downloads, not the disk, are the bottleneck)",
    )
    parser.add_argument("--fresh", action="store_true", help="ignore earlier results: rerun every cell")
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=None,
        help="seconds one cell may run (default: cell-timeout of matrix.toml)",
    )
    return parser.parse_args(list(posargs))


def _unchanged(environments: list[Environment], results: Path, noxfile: Path) -> list[str]:
    return [
        e.session_name
        for e in environments
        if (path := stream_of(results, e.session_name))
        and still_valid(path, environment_fingerprint(e), venv_of(noxfile, e.session_name))
    ]


def matrix_main(posargs: Sequence[str], config: MatrixConfig, results: Path, noxfile: Path) -> int:
    arguments = matrix_arguments(posargs)
    try:
        releases = arguments.releases or None
        environments = (
            plan(config, releases, arguments.builds) if arguments.builds else default_matrix(config, releases)
        )
    except ConfigError as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2
    if not environments:
        print("exportmatrix: no build offers the releases asked for", file=sys.stderr)
        return 2
    if arguments.cell_timeout:
        os.environ["EXPORTMATRIX_CELL_TIMEOUT"] = str(arguments.cell_timeout)  # read by the sessions
    try:
        with ResultsLock(results):
            return _run_matrix(environments, arguments, results, noxfile)
    except Locked as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2


def missing_pythons(environments: list[Environment], results: Path) -> list[str]:
    """Record environments whose Python is not on this machine as
    install-failed (one line each, before anything is installed)."""
    missing = []
    for environment in environments:
        if shutil.which("python" + environment.python) is None:
            reason = "Python %s is not on this machine (no python%s on PATH)" % (environment.python, environment.python)
            print("exportmatrix: %s: %s" % (environment.session_name, reason), file=sys.stderr, flush=True)
            write_failed_environment(
                results,
                {**environment.describe(), "id": environment.planned_id, "status": "install-failed", "reason": reason},
            )
            missing.append(environment.session_name)
    return missing


def longest_first(environments: list[Environment]) -> list[Environment]:
    """Newest releases first: they support more capture paths, so their
    suites run longest; started first, they do not leave one CPU working
    alone at the end while the other idles."""
    return sorted(environments, key=lambda e: Version(e.release), reverse=True)


def _run_matrix(environments: list[Environment], arguments: argparse.Namespace, results: Path, noxfile: Path) -> int:
    names = [e.session_name for e in environments]
    missing = missing_pythons(environments, results)
    if arguments.fresh:
        os.environ["EXPORTMATRIX_FRESH"] = "1"  # inherited by the sessions
        unchanged = []
    else:
        unchanged = _unchanged(environments, results, noxfile)
    for name in unchanged:
        print("exportmatrix: %s: unchanged since its last complete run, reused" % name, flush=True)
    not_to_run = set(unchanged) | set(missing)
    to_run = [e.session_name for e in longest_first(environments) if e.session_name not in not_to_run]
    by_name = {e.session_name: e for e in environments}
    runs = run_sessions(
        to_run,
        nox_command(noxfile),
        results / "logs",
        arguments.jobs,
        arguments.install_jobs,
        installed=lambda name: installed_as_requested(venv_of(noxfile, name), by_name[name]),
    )
    merged = merge_and_report(results, set(names))
    for run in runs:
        print("exportmatrix: %-20s %s" % (run.name, run.describe()))
    _, whole_cells = reused_cells(results, unchanged)
    reused, total = reused_cells(results, to_run)
    print(
        "exportmatrix: reused %d environments whole (%d cells); in the %d that ran, %d of %d cells were reused"
        % (len(unchanged), whole_cells, len(to_run), reused, total)
    )
    return 1 if merged or missing or any(run.returncode for run in runs) else 0
