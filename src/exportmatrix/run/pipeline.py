"""Run environments' sessions as a two-stage pipeline: installs (disk and
network bound) a few at a time in the order given, and each environment's
suite (CPU bound) as soon as it is installed and a CPU is free, so one
environment's install overlaps another's suite. (README, Incremental and
parallel, says why installs go one at a time by default.)"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Sequence

from exportmatrix.base import write_atomically

INSTALL_ONLY = "--only-install"  # a session's posarg: install the environment, run nothing


@dataclass
class Finished:
    returncode: int
    cpu_seconds: float = 0.0  # user + system time of the process and every descendant it waited for


def run_child(command: list[str], stdout: int | IO[Any] | None, stderr: int | IO[Any] | None) -> Finished:
    """subprocess.call, and the CPU time the process tree used (wait4's
    rusage covers the descendants nox waited for: pytest, the installers)."""
    process = subprocess.Popen(command, stdout=stdout, stderr=stderr)
    try:
        _, status, usage = os.wait4(process.pid, 0)
    except BaseException:
        process.kill()
        process.wait()
        raise
    process.returncode = os.waitstatus_to_exitcode(status)
    return Finished(process.returncode, usage.ru_utime + usage.ru_stime)


def _finished(result: int | Finished) -> Finished:
    return result if isinstance(result, Finished) else Finished(result)


@dataclass
class SessionRun:
    name: str
    returncode: int
    seconds: float  # from the start of its install to the end of its suite
    install_seconds: float = 0.0
    suite_seconds: float = 0.0  # 0 when the install failed
    suite_cpu_seconds: float = 0.0  # the suite's session: its process tree's CPU time

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


_NO_MORE = ""  # the name that tells a suite worker no more installs will come


class _Pipeline:
    """The two stages' shared state: what waits to be installed, what is
    installed and waits for a CPU (by its place in the given order), and
    what each environment's stages took."""

    def __init__(
        self,
        names: Sequence[str],
        command: list[str],
        logs: Path,
        call: Callable[..., int | Finished],
        installed: Callable[[str], bool],
        posargs: Sequence[str] = (),
    ):
        self.names, self.command, self.logs, self.call, self.installed = list(names), command, logs, call, installed
        self.posargs = list(posargs)
        self.order = {name: index for index, name in enumerate(self.names)}
        self.to_install: queue.Queue[str] = queue.Queue()
        for name in self.names:
            self.to_install.put(name)
        self.ready: queue.PriorityQueue[tuple[int, str, float]] = queue.PriorityQueue()
        self.progress = Progress(len(self.names))
        self.install_seconds: dict[str, float] = {}
        self.runs: dict[str, SessionRun] = {}

    def log_path(self, name: str) -> Path:
        return self.logs / (name + ".log")

    def finish(
        self, name: str, returncode: int, started: float, suite_seconds: float = 0.0, suite_cpu: float = 0.0
    ) -> None:
        seconds = time.monotonic() - started
        self.runs[name] = SessionRun(name, returncode, seconds, self.install_seconds[name], suite_seconds, suite_cpu)
        state = "done" if returncode == 0 else "FAILED (exit %d, see its log)" % returncode
        cpu = " (its suite used %.0f CPU-seconds)" % suite_cpu if suite_cpu else ""
        self.progress.event(name, "%s in %.0f s%s" % (state, seconds, cpu), finished=True)

    def install_one(self, name: str) -> None:
        started = time.monotonic()
        if self.installed(name):
            self.progress.event(name, "already installed (log: %s)" % self.log_path(name), started=True)
            write_atomically(self.log_path(name), "")
            returncode = 0
        else:
            self.progress.event(name, "installing (log: %s)" % self.log_path(name), started=True)
            with open(self.log_path(name), "w", encoding="utf-8") as log:
                command = self.command + [name, "--", INSTALL_ONLY, *self.posargs]
                returncode = _finished(self.call(command, stdout=log, stderr=subprocess.STDOUT)).returncode
        self.install_seconds[name] = time.monotonic() - started
        if returncode:
            self.finish(name, returncode, started)
        else:
            self.progress.event(name, "installed, waiting for a free CPU")
            self.ready.put((self.order[name], name, started))

    def run_suite(self, name: str, started: float) -> None:
        self.progress.event(name, "running the suite")
        suite_started = time.monotonic()
        with open(self.log_path(name), "a", encoding="utf-8") as log:
            command = self.command + [name] + (["--", *self.posargs] if self.posargs else [])
            done = _finished(self.call(command, stdout=log, stderr=subprocess.STDOUT))
        self.finish(name, done.returncode, started, time.monotonic() - suite_started, done.cpu_seconds)

    def install_worker(self) -> None:
        while True:
            try:
                name = self.to_install.get_nowait()
            except queue.Empty:
                return
            self.install_one(name)

    def suite_worker(self) -> None:
        while True:
            _, name, started = self.ready.get()
            if name == _NO_MORE:
                return
            self.run_suite(name, started)

    def run(self, jobs: int, install_jobs: int) -> list[SessionRun]:
        installers = [threading.Thread(target=self.install_worker) for _ in range(max(1, install_jobs))]
        suites = [threading.Thread(target=self.suite_worker) for _ in range(max(1, jobs))]
        for thread in installers + suites:
            thread.start()
        for thread in installers:
            thread.join()
        for _ in suites:
            self.ready.put((len(self.names), _NO_MORE, 0.0))  # sorts after every real one
        for thread in suites:
            thread.join()
        return [self.runs[name] for name in self.names]


def run_sessions(
    names: Sequence[str],
    command: list[str],
    logs: Path,
    jobs: int = 2,
    install_jobs: int = 1,
    call: Callable[..., int | Finished] = run_child,
    installed: Callable[[str], bool] = lambda name: False,
    posargs: Sequence[str] = (),
) -> list[SessionRun]:
    """Each session in its own nox processes (`command + [name, "--",
    INSTALL_ONLY]`, then `command + [name]`), output to logs/<session>.log.
    Installs run `install_jobs` at a time, suites `jobs` at a time; a free
    CPU takes the installed environment that comes first in `names`.
    An environment for which `installed(name)` is true skips the install
    stage (its suite's session checks the install again anyway). `posargs`
    go to every session (case files, packages to install beside torch)."""
    logs.mkdir(parents=True, exist_ok=True)
    return _Pipeline(names, command, logs, call, installed, posargs).run(jobs, install_jobs)
