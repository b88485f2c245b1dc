"""`nox -s matrix`: run each environment's session in its own nox process
(so one broken release cannot stop the rest), several at once so one
environment's install overlaps another's suite; skip environments whose
results are still valid; then merge and summarise."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from exportmatrix.aggregate import aggregate, write_json_atomically
from exportmatrix.config import ConfigError, MatrixConfig
from exportmatrix.environments import Environment, default_matrix, plan
from exportmatrix.incremental import environment_fingerprint, still_valid, stream_summary
from exportmatrix.lock import Locked, ResultsLock
from exportmatrix.reports import write_reports
from exportmatrix.results import envs_dir, session_of, write_failed_environment
from exportmatrix.summary import render


@dataclass
class SessionRun:
    name: str
    returncode: int
    seconds: float
    skipped: bool = False


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


class Progress:
    """Prints which environments are done, running and waiting."""

    def __init__(self, total: int):
        self.total, self.done, self.running = total, 0, 0
        self.lock = threading.Lock()

    def event(self, name: str, what: str, finished: bool = False, started: bool = False) -> None:
        with self.lock:
            self.running += 1 if started else -1 if finished else 0
            self.done += 1 if finished else 0
            waiting = self.total - self.done - self.running
            print(
                "exportmatrix: [%d done, %d running, %d waiting] %s: %s"
                % (self.done, self.running, waiting, name, what),
                flush=True,
            )


INSTALL_ONLY = "--only-install"  # a session's posarg: install the environment, run nothing


def run_sessions(
    names: Sequence[str],
    command: list[str],
    logs: Path,
    jobs: int = 2,
    install_jobs: int = 4,
    call: Callable[..., int] = subprocess.call,
) -> list[SessionRun]:
    """Each session in its own nox process, output to logs/<session>.log:
    installs (network and disk bound) run `install_jobs` at a time, suites
    (CPU bound) `jobs` at a time, so installs overlap suites."""
    logs.mkdir(parents=True, exist_ok=True)
    progress = Progress(len(names))
    suite_slots = threading.Semaphore(max(1, jobs))

    def run(name: str) -> SessionRun:
        log_path = logs / (name + ".log")
        started = time.monotonic()
        progress.event(name, "installing (log: %s)" % log_path, started=True)
        with open(log_path, "w", encoding="utf-8") as log:
            returncode = call(command + [name, "--", INSTALL_ONLY], stdout=log, stderr=subprocess.STDOUT)
            if returncode == 0:
                progress.event(name, "installed, waiting for a free CPU")
                with suite_slots:
                    progress.event(name, "running the suite")
                    returncode = call(command + [name], stdout=log, stderr=subprocess.STDOUT)
        run = SessionRun(name, returncode, time.monotonic() - started)
        state = "done" if returncode == 0 else "FAILED (exit %d, see its log)" % returncode
        progress.event(name, "%s in %.0f s" % (state, run.seconds), finished=True)
        return run

    with ThreadPoolExecutor(max_workers=max(1, install_jobs, jobs)) as pool:
        return list(pool.map(run, names))


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
        default=4,
        help="environments installed at once, overlapping the suites (default: 4)",
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
    to_run = [name for name in names if name not in unchanged and name not in missing]
    runs = run_sessions(to_run, nox_command(noxfile), results / "logs", arguments.jobs, arguments.install_jobs)
    merged = merge_and_report(results, set(names))
    for run in runs:
        print("exportmatrix: %-20s %s in %.0f s" % (run.name, "ok" if run.returncode == 0 else "FAILED", run.seconds))
    _, whole_cells = reused_cells(results, unchanged)
    reused, total = reused_cells(results, to_run)
    print(
        "exportmatrix: reused %d environments whole (%d cells); in the %d that ran, %d of %d cells were reused"
        % (len(unchanged), whole_cells, len(to_run), reused, total)
    )
    return 1 if merged or missing or any(run.returncode for run in runs) else 0
