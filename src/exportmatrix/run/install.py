"""Install packages into an environment with uv where available, else pip,
showing progress as it goes and keeping the tail for an error message."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# A dead index must fail in bounded time, not hang: per-request timeouts for
# the installer, and a limit on the whole install.
HTTP_TIMEOUT_S = 30
INSTALL_TIMEOUT_S = 1800
TAIL_LINES = 40
# how long to wait for the installer's last lines once it has ended or been stopped
READER_GRACE_S = 5


@dataclass
class InstallResult:
    ok: bool
    command: list[str]
    reason: str = ""


def find_uv() -> str | None:
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin  # the uv package from PyPI, beside nox

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return None


def install_command(python: Path, arguments: list[str], uv: str | None) -> list[str]:
    if uv:
        return [uv, "pip", "install", "--python", str(python), *arguments]
    return [str(python), "-m", "pip", "install", "--timeout", str(HTTP_TIMEOUT_S), "--retries", "1", *arguments]


ERROR_STARTS = ("error", "×", "╰─▶", "because", "cause", "caused by", "hint")


def failure_reason(tail: list[str], returncode: int) -> str:
    """The installer's own words: from its first error line on, else its last lines."""
    lines = [line.strip() for line in tail if line.strip()]
    starts = [i for i, line in enumerate(lines) if line.lower().startswith(ERROR_STARTS)]
    chosen = lines[starts[0] :] if starts else lines[-3:]
    return ("installer exited with %d: %s" % (returncode, " | ".join(chosen)))[:800]


def last_words(tail: list[str]) -> str:
    lines = [line.strip() for line in tail if line.strip()]
    return " | ".join(lines[-3:])


def echo(stream: IO[str], tail: deque[str]) -> None:
    """Show the installer's lines as they come, keeping the last ones."""
    for line in stream:
        sys.stdout.write(line)
        sys.stdout.flush()
        tail.append(line.rstrip("\n"))


def stop(process: subprocess.Popen[str]) -> None:
    """Kill the installer's whole process group: children it left behind
    (which may still hold its output open) go with it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:  # the group is already gone
        pass
    process.wait()


def install(python: Path, arguments: list[str], timeout: float = INSTALL_TIMEOUT_S) -> InstallResult:
    """Install, never for longer than `timeout` seconds, whether the installer
    prints or stays silent: its output is read in a thread of its own while
    this one waits on the limit."""
    command = install_command(python, arguments, find_uv())
    print("exportmatrix: installing:", " ".join(command), flush=True)
    environment = dict(os.environ, UV_HTTP_TIMEOUT=str(HTTP_TIMEOUT_S), PIP_DISABLE_PIP_VERSION_CHECK="1")
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env=environment,
            start_new_session=True,  # its own process group, to stop it whole
        )
    except OSError as error:
        return InstallResult(False, command, "could not start the installer: %s" % error)
    assert process.stdout is not None
    # a daemon: a reader blocked on a pipe some stray process still holds
    # never keeps this function, or the interpreter, from finishing
    reader = threading.Thread(target=echo, args=(process.stdout, tail), daemon=True)
    reader.start()
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process)
        reader.join(timeout=READER_GRACE_S)
        reason = "the install ran past %g s and was stopped" % timeout
        words = last_words(list(tail))
        return InstallResult(False, command, (reason + (": " + words if words else ""))[:800])
    except BaseException:  # interrupted: leave no installer behind
        stop(process)
        raise
    reader.join(timeout=READER_GRACE_S)  # the last lines, unless a leftover child holds the pipe
    if reader.is_alive():
        stop(process)
        reader.join(timeout=READER_GRACE_S)
    if returncode != 0:
        return InstallResult(False, command, failure_reason(list(tail), returncode))
    return InstallResult(True, command)
