"""Run environments' sessions as a two-stage pipeline: installs (disk and
network bound) a few at a time in the order given, and each environment's
suite (CPU bound) as soon as it is installed and a CPU is free, so one
environment's install overlaps another's suite.

On a small machine an install saturates the disk and CPUs by itself: four at
once finish together, late, and no suite starts before they do. One at a
time, the first suite starts after the first install.
"""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

INSTALL_ONLY = "--only-install"  # a session's posarg: install the environment, run nothing


@dataclass
class SessionRun:
    name: str
    returncode: int
    seconds: float  # from the start of its install to the end of its suite
    install_seconds: float = 0.0
    suite_seconds: float = 0.0  # 0 when the install failed

    def describe(self) -> str:
        state = "ok" if self.returncode == 0 else "FAILED"
        return "%s in %.0f s (install %.0f s, suite %.0f s)" % (
            state,
            self.seconds,
            self.install_seconds,
            self.suite_seconds,
        )


class Progress:
    """Prints which environments are done, running and waiting, and when."""

    def __init__(self, total: int):
        self.total, self.done, self.running = total, 0, 0
        self.lock = threading.Lock()
        self.started = time.monotonic()

    def event(self, name: str, what: str, finished: bool = False, started: bool = False) -> None:
        with self.lock:
            self.running += 1 if started else -1 if finished else 0
            self.done += 1 if finished else 0
            waiting = self.total - self.done - self.running
            print(
                "exportmatrix: %4.0fs [%d done, %d running, %d waiting] %s: %s"
                % (time.monotonic() - self.started, self.done, self.running, waiting, name, what),
                flush=True,
            )


def run_sessions(
    names: Sequence[str],
    command: list[str],
    logs: Path,
    jobs: int = 2,
    install_jobs: int = 1,
    call: Callable[..., int] = subprocess.call,
    installed: Callable[[str], bool] = lambda name: False,
) -> list[SessionRun]:
    """Each session in its own nox processes (`command + [name, "--",
    INSTALL_ONLY]`, then `command + [name]`), output to logs/<session>.log.
    Installs run `install_jobs` at a time, suites `jobs` at a time; a free
    CPU takes the installed environment that comes first in `names`.
    An environment for which `installed(name)` is true skips the install
    stage (its suite's session checks the install again anyway)."""
    logs.mkdir(parents=True, exist_ok=True)
    progress = Progress(len(names))
    order = {name: index for index, name in enumerate(names)}
    to_install: queue.Queue[str] = queue.Queue()
    for name in names:
        to_install.put(name)
    ready: queue.PriorityQueue[tuple[int, str, float]] = queue.PriorityQueue()
    runs: dict[str, SessionRun] = {}
    installs: dict[str, float] = {}  # seconds each install stage took

    def finish(name: str, returncode: int, started: float, suite_seconds: float = 0.0) -> None:
        runs[name] = run = SessionRun(name, returncode, time.monotonic() - started, installs[name], suite_seconds)
        state = "done" if returncode == 0 else "FAILED (exit %d, see its log)" % returncode
        progress.event(name, "%s in %.0f s" % (state, run.seconds), finished=True)

    def install_worker() -> None:
        while True:
            try:
                name = to_install.get_nowait()
            except queue.Empty:
                return
            log_path = logs / (name + ".log")
            started = time.monotonic()
            if installed(name):
                progress.event(name, "already installed (log: %s)" % log_path, started=True)
                log_path.write_text("")
                returncode = 0
            else:
                progress.event(name, "installing (log: %s)" % log_path, started=True)
                with open(log_path, "w", encoding="utf-8") as log:
                    returncode = call(command + [name, "--", INSTALL_ONLY], stdout=log, stderr=subprocess.STDOUT)
            installs[name] = time.monotonic() - started
            if returncode:
                finish(name, returncode, started)
            else:
                progress.event(name, "installed, waiting for a free CPU")
                ready.put((order[name], name, started))

    def suite_worker() -> None:
        while True:
            _, name, started = ready.get()
            if not name:  # no more installs will come
                return
            progress.event(name, "running the suite")
            suite_started = time.monotonic()
            with open(logs / (name + ".log"), "a", encoding="utf-8") as log:
                returncode = call(command + [name], stdout=log, stderr=subprocess.STDOUT)
            finish(name, returncode, started, time.monotonic() - suite_started)

    installers = [threading.Thread(target=install_worker) for _ in range(max(1, install_jobs))]
    suites = [threading.Thread(target=suite_worker) for _ in range(max(1, jobs))]
    for thread in installers + suites:
        thread.start()
    for thread in installers:
        thread.join()
    for _ in suites:
        ready.put((len(names), "", 0.0))  # sorts after every real one
    for thread in suites:
        thread.join()
    return [runs[name] for name in names]
