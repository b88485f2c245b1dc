"""Run a set of environments as `nox -s matrix` does: each session in its own
nox process (so one broken release cannot stop the rest), installs overlapping
suites; environments whose results are still valid are not started, and
those whose Python is missing are recorded as install-failed up front."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from exportmatrix.config import Environment
from exportmatrix.run import interpreters
from exportmatrix.run.incremental import environment_fingerprint, still_valid
from exportmatrix.run.pipeline import SessionRun, run_sessions
from exportmatrix.run.session import SessionOptions, installed_as_requested
from exportmatrix.streams import remove_leftover_partials, stream_of, stream_summary, write_failed_environment


@dataclass
class Batch:
    runs: list[SessionRun] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # sessions reused whole
    missing: list[str] = field(default_factory=list)  # sessions whose Python is not on this machine
    seconds: float = 0.0  # the sessions' wall time, installs and suites together

    def bound(self, cpus: int) -> tuple[float, float, float]:
        """(suite CPU-seconds, first install seconds, the bound a run on `cpus`
        CPUs is measured against: the suites' CPU time spread over every CPU,
        after the first install, which nothing overlaps)."""
        cpu = sum(run.suite_cpu_seconds for run in self.runs)
        first = self.runs[0].install_seconds if self.runs else 0.0
        return cpu, first, cpu / max(1, cpus) + first

    @property
    def failed(self) -> bool:
        return bool(self.missing) or any(run.returncode for run in self.runs)


IN_BATCH = "EXPORTMATRIX_IN_BATCH"  # set for the sessions of a batch; a session run alone merges itself


def nox_command(noxfile: Path) -> list[str]:
    return [sys.executable, "-m", "nox", "--noxfile", str(noxfile), "--session"]


def recorded_venv(results: Path, session: str) -> Path | None:
    """The virtualenv a session's last stream says it ran in."""
    path = stream_of(results, session)
    summary = stream_summary(path) if path else None
    venv = summary.environment.get("venv") if summary else None
    return Path(venv) if venv else None


def _python_failed(environment: Environment, results: Path, reason: str) -> None:
    print("exportmatrix: %s: %s" % (environment.session_name, reason), file=sys.stderr, flush=True)
    failed = {**environment.describe(), "id": environment.planned_id, "status": "install-failed"}
    write_failed_environment(results, {**failed, "reason": reason})


def find_pythons(environments: list[Environment], results: Path) -> tuple[list[str], dict[str, interpreters.Found]]:
    """Each environment's Python, found as interpreters.find does and made
    visible to the sessions; those found nowhere are recorded as
    install-failed now, before anything is installed, unless nox may
    download them (its --download-python policy), which it then tries."""
    policy = interpreters.download_policy()
    found = {version: interpreters.find(version) for version in sorted({e.python for e in environments})}
    interpreters.expose(list(found.values()), results / ".pythons")
    missing = []
    for environment in environments:
        item = found[environment.python]
        if item.path is None and policy == "never":
            _python_failed(environment, results, interpreters.not_found_reason(item, policy))
            missing.append(environment.session_name)
        elif item.path is None:
            print(
                "exportmatrix: %s: Python %s not found (%s); nox may download it (--download-python %s)"
                % (environment.session_name, environment.python, "; ".join(item.tried), policy),
                flush=True,
            )
    return missing, found


def pythons_not_downloaded(
    environments: list[Environment], results: Path, found: dict[str, interpreters.Found], since: float
) -> None:
    """Environments whose Python nox was left to download and that wrote no
    stream since `since`: install-failed, with everything that was tried."""
    for environment in environments:
        item = found[environment.python]
        stream = stream_of(results, environment.session_name)
        if item.path is None and (stream is None or stream.stat().st_mtime < since):
            log = results / "logs" / (environment.session_name + ".log")
            reason = interpreters.not_found_reason(item, interpreters.download_policy(), log)
            _python_failed(environment, results, reason)


def unchanged(environments: list[Environment], results: Path, options: SessionOptions) -> list[str]:
    """Sessions whose last complete run still stands (suite, case files,
    capture paths and shapes, install request and torch unchanged)."""
    return [
        e.session_name
        for e in environments
        if (path := stream_of(results, e.session_name))
        and still_valid(path, environment_fingerprint(e, cases=options.cases, selection=options.selection))
    ]


def longest_first(environments: list[Environment]) -> list[Environment]:
    """Newest releases first: they support more capture paths, so their
    suites run longest; started first, they do not leave one CPU working
    alone at the end while the other idles."""
    return sorted(environments, key=lambda e: Version(e.release), reverse=True)


def reused_cells(results: Path, names: list[str]) -> tuple[int, int]:
    """(reused, total) cells of the named sessions' streams."""
    reused = total = 0
    for name in names:
        path = stream_of(results, name)
        summary = stream_summary(path) if path else None
        if summary:
            reused += (summary.end or {}).get("reused", 0)
            total += summary.cells
    return reused, total


def run_batch(
    environments: list[Environment],
    results: Path,
    noxfile: Path,
    jobs: int,
    install_jobs: int = 1,
    fresh: bool = False,
    options: SessionOptions | None = None,
) -> Batch:
    options = options or SessionOptions()
    environments = [options.environment(e) for e in environments]  # with the packages the cases need
    missing, pythons = find_pythons(environments, results)
    batch = Batch(missing=missing)
    os.environ[IN_BATCH] = "1"  # inherited by the sessions: the batch merges them all at its end
    if fresh:
        os.environ["EXPORTMATRIX_FRESH"] = "1"  # inherited by the sessions
    else:
        batch.unchanged = unchanged(environments, results, options)
    for name in batch.unchanged:
        print("exportmatrix: %s: unchanged since its last complete run, reused" % name, flush=True)
        remove_leftover_partials(results, name)
    not_to_run = set(batch.unchanged) | set(batch.missing)
    to_run = [e for e in longest_first(environments) if e.session_name not in not_to_run]
    by_name = {e.session_name: e for e in to_run}

    def installed(name: str) -> bool:
        venv = recorded_venv(results, name)
        return venv is not None and installed_as_requested(venv, by_name[name])

    names = [e.session_name for e in to_run]
    command, logs = nox_command(noxfile), results / "logs"
    posargs = options.arguments()
    started = time.monotonic()
    since = time.time()
    batch.runs = run_sessions(names, command, logs, jobs, install_jobs, installed=installed, posargs=posargs)
    batch.seconds = time.monotonic() - started
    pythons_not_downloaded(to_run, results, pythons, since)
    return batch
