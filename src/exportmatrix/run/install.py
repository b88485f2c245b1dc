"""Install packages into an environment with uv where available, else pip,
showing progress as it goes and keeping the tail for an error message."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path

# A dead index must fail in bounded time, not hang: per-request timeouts for
# the installer, and a limit on the whole install.
HTTP_TIMEOUT_S = 30
INSTALL_TIMEOUT_S = 1800
TAIL_LINES = 40


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


def install(python: Path, arguments: list[str], timeout: float = INSTALL_TIMEOUT_S) -> InstallResult:
    command = install_command(python, arguments, find_uv())
    print("exportmatrix: installing:", " ".join(command), flush=True)
    environment = dict(os.environ, UV_HTTP_TIMEOUT=str(HTTP_TIMEOUT_S), PIP_DISABLE_PIP_VERSION_CHECK="1")
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", env=environment
        )
    except OSError as error:
        return InstallResult(False, command, "could not start the installer: %s" % error)
    assert process.stdout is not None
    try:
        for line in process.stdout:
            sys.stdout.write(line)
            tail.append(line.rstrip("\n"))
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return InstallResult(False, command, "the install ran past %d s and was stopped" % timeout)
    if returncode != 0:
        return InstallResult(False, command, failure_reason(list(tail), returncode))
    return InstallResult(True, command)
