"""Run the suite in an environment until every test has finished or been
recorded as `crash` / `timeout`: when the process dies, the test it was
running gets that outcome and the suite resumes after it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from exportmatrix.base import Outcome, publish, write_atomically
from exportmatrix.run import forkserver
from exportmatrix.streams import read_progress, write_line


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return "killed by signal %d (%s)" % (-returncode, signal.Signals(-returncode).name)
        except ValueError:
            return "killed by signal %d" % -returncode
    return "exit code %d" % returncode


def record_death(partial: Path, running: dict[str, Any], returncode: int, cell_timeout: float, now: float) -> str:
    """Append the outcome of the test a dead suite was running; return it."""
    elapsed = now - running["time"]
    timed_out = bool(cell_timeout) and elapsed >= cell_timeout - 1
    outcome = Outcome.TIMEOUT.value if timed_out else Outcome.CRASH.value
    evidence: dict[str, Any] = {
        "phase": "the suite process died while running this cell",
        "exit": describe_exit(returncode),
        "duration_s": round(elapsed, 3),
    }
    if timed_out:
        evidence["limit_s"] = cell_timeout
    with open(partial, "a", encoding="utf-8") as handle:
        if running.get("cell"):
            write_line(handle, "observation", {**running["cell"], "outcome": outcome, "evidence": evidence})
        write_line(handle, "finished", {"test": running["test"], "recorded_by": "host", "outcome": outcome})
    return outcome


def take_over(partial: Path, environment: dict, reuse: bool) -> bool:
    """A `.partial` stream that a killed run left behind: resumed (True) where
    it was written for the same request (the same environment id and
    fingerprint) and cells may be reused, cut back to its last finished test;
    removed otherwise. Says which."""
    if not partial.exists():
        return False
    lines, kinds = [], []
    with open(partial, encoding="utf-8", errors="replace") as handle:
        for text in handle:
            try:
                line = json.loads(text)
            except ValueError:
                break  # a line the kill cut short, and nothing after it
            lines.append(text if text.endswith("\n") else text + "\n")
            kinds.append(line.get("kind"))
    left = json.loads(lines[0]).get("environment", {}) if kinds[:1] == ["environment"] else {}
    cells = kinds.count("observation")
    same = left.get("id") == environment.get("id") and left.get("fingerprint") == environment.get("fingerprint")
    if reuse and same:
        # the test that was running when the run was killed starts again
        started = [i for i, kind in enumerate(kinds) if kind == "started"]
        if started and "finished" not in kinds[started[-1] :]:
            lines = lines[: started[-1]]
        write_atomically(partial, "".join(lines))
        print(
            "exportmatrix: %s: left by a run that stopped after %d cells; the same request: resuming it"
            % (partial, cells),
            flush=True,
        )
        return True
    why = (
        "a fresh run was asked for"
        if same
        else "written for another request (%s)"
        % ("another torch or Python" if left.get("id") != environment.get("id") else "other suite, cases or options")
    )
    partial.unlink()
    print(
        "exportmatrix: %s: left by a run that stopped after %d cells, %s; removed" % (partial, cells, why), flush=True
    )
    return False


def suite_command(
    python: Path,
    suite_dir: Path,
    partial: Path,
    environment: dict,
    cell_timeout: float,
    resume: bool,
    previous: Path | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    # no:logging: pytest's log capture costs about 8% of a release's CPU (torch logs
    # a record per trace) and the suite never reads it; its stream is its record.
    # no:unraisableexception: at its end that plugin runs full collections over
    # torch's whole heap to report exceptions raised in finalizers, which the
    # stream would not hold either (no:threadexception: its sibling)
    command = [str(python), "-m", "pytest", str(suite_dir), "-q", "-p", "no:cacheprovider", "-p", "no:logging"]
    command += ["-p", "no:unraisableexception", "-p", "no:threadexception"]
    command += ["--rootdir", str(suite_dir), "--exportmatrix-out", str(partial)]
    command += ["--exportmatrix-environment", json.dumps(environment)]
    command += ["--exportmatrix-cell-timeout", str(cell_timeout)]
    if resume:
        command.append("--exportmatrix-resume")
    elif previous is not None and previous.exists():
        command += ["--exportmatrix-previous", str(previous)]
    return command + list(extra)


def bytecode_cache_variables(venv: Path) -> dict[str, str]:
    """The suite process's environment: compiled bytecode kept inside the
    environment even where PYTHONDONTWRITEBYTECODE is set, since every rerun
    and every resume after a crash imports torch and its compiler again."""
    variables = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    variables["PYTHONPYCACHEPREFIX"] = str(venv / "pycache")
    return variables


def suite_variables(venv: Path) -> dict[str, str]:
    """The suite process's environment: the bytecode cache above, and
    glibc malloc's thresholds (MALLOC_VARIABLES), and
    inductor's cache (compiled FX graphs, C++ kernels, AOTInductor packages)
    inside the environment too: one cache per environment, so releases never
    share compiled artifacts (inductor keys its caches by the code and the torch
    version, so reuse within an environment is safe), and a rerun or a resume
    after a crash compiles nothing twice."""
    return {
        **MALLOC_VARIABLES,  # a user's own settings of these win
        **bytecode_cache_variables(venv),
        "TORCHINDUCTOR_CACHE_DIR": str(venv / "torchinductor-cache"),
    }


# glibc's malloc keeps freed memory instead of returning it to the system after
# each cell, to fault it in again for the next: half of the suite's system time
# (documented in mallopt(3); they change no result, only when memory goes back)
MALLOC_VARIABLES = {
    "MALLOC_TRIM_THRESHOLD_": str(2 * 1024**3),
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024**2),  # the largest it takes on 64-bit systems
    "MALLOC_TOP_PAD_": str(256 * 1024**2),
}


def run_suite(
    python: Path,
    suite_dir: Path,
    final: Path,
    environment: dict,
    cell_timeout: float,
    reuse: bool = True,
    call: Callable[..., int] | None = None,
    variables: dict[str, str] | None = None,
    extra: Sequence[str] = (),
) -> int:
    """Stream into `<final>.partial`, resuming after deaths, then move it to
    `final` in one rename: a results file is never half-written. With
    `reuse`, cells whose key is unchanged since `final` was written are copied.
    `variables`: the suite process's environment (default: this one's);
    `extra`: more suite options (case files); `call` runs one suite command
    (default: in a child of a fork server where the platform allows it)."""
    with contextlib.ExitStack() as stack:
        if call is None and forkserver.SUPPORTED:
            call = stack.enter_context(forkserver.ForkServer(python, suite_dir, variables)).call
        call = call or subprocess.call
        partial = final.with_name(final.name + ".partial")
        previous = final if reuse else None
        resume = take_over(partial, environment, reuse)
        while True:
            command = suite_command(python, suite_dir, partial, environment, cell_timeout, resume, previous, extra)
            returncode = call(command, env=variables)
            if not partial.exists():
                break
            progress = read_progress(partial)
            if progress.complete or progress.running is None:
                break
            outcome = record_death(partial, progress.running, returncode, cell_timeout, time.time())
            print(
                "exportmatrix: %s: %s (%s); resuming after it"
                % (progress.running["test"], outcome, describe_exit(returncode)),
                flush=True,
            )
            resume = True
        if partial.exists():
            publish(partial, final)
        return returncode
