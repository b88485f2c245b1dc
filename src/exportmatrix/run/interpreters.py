"""Finding the Python each environment asks for, the way the ecosystem does:
PATH, then uv's discovery (its managed installations and virtual
environments, which PATH does not show), then pyenv's versions; where none
has it, nox's --download-python policy decides whether nox may fetch one.
An interpreter found off PATH is linked into a folder the sessions see
first, so that nox finds it as `pythonX.Y`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

DOWNLOAD_VARIABLE = "NOX_DOWNLOAD_PYTHON"  # nox's own: auto (its default), never, always
DOWNLOADS = ("auto", "never", "always")


@dataclass
class Found:
    version: str
    path: str | None = None
    tried: list[str] = field(default_factory=list)  # what was looked at, in order, where it was not found

    @property
    def on_path(self) -> bool:
        return self.path is not None and shutil.which("python" + self.version) == self.path


def download_policy() -> str:
    policy = os.environ.get(DOWNLOAD_VARIABLE) or "auto"
    return policy if policy in DOWNLOADS else "auto"


def _uv() -> str | None:
    beside = Path(sys.executable).parent / "uv"  # the uv installed with exportmatrix
    return str(beside) if beside.exists() else shutil.which("uv")


def _uv_find(version: str) -> tuple[str | None, str]:
    uv = _uv()
    if uv is None:
        return None, "uv: not installed"
    try:
        done = subprocess.run(
            [uv, "python", "find", "--no-python-downloads", version],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, "uv python find %s: %s" % (version, error)
    path = done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else None
    return path, "uv python find %s: none (its managed installations, virtual environments and PATH)" % version


def _pyenv_root() -> Path:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    return Path.home() / ".pyenv"


def _pyenv_find(version: str) -> tuple[str | None, str]:
    versions = _pyenv_root() / "versions"
    found = []
    for folder in versions.glob(version + ".*"):
        try:
            patch = Version(folder.name)
        except InvalidVersion:
            continue  # e.g. 3.10.13-debug, a virtualenv of pyenv-virtualenv
        executable = folder / "bin" / ("python" + version)
        if executable.exists():
            found.append((patch, str(executable)))
    if found:
        return max(found)[1], ""
    return None, "pyenv: no %s.* under %s" % (version, versions)


def find(version: str) -> Found:
    """The interpreter for `version` (e.g. "3.10"), and what was tried before it."""
    result = Found(version)
    on_path = shutil.which("python" + version)
    if on_path:
        result.path = on_path
        return result
    result.tried.append("PATH: no python%s" % version)
    for look in (_uv_find, _pyenv_find):
        path, tried = look(version)
        if path:
            result.path = path
            return result
        result.tried.append(tried)
    return result


def expose(found: list[Found], folder: Path) -> None:
    """Link each interpreter found off PATH into `folder` as pythonX.Y and put
    `folder` first on this process's PATH, which the nox sessions inherit."""
    linked = [f for f in found if f.path and not f.on_path]
    if not linked:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for item in linked:
        link = folder / ("python" + item.version)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(item.path)  # type: ignore[arg-type]
    os.environ["PATH"] = str(folder) + os.pathsep + os.environ.get("PATH", "")


def not_found_reason(item: Found, policy: str, log: Path | None = None) -> str:
    """Why an environment's Python is missing: everything tried, nox's download included."""
    tried = list(item.tried)
    if policy == "never":
        tried.append("nox --download-python never: no download")
    else:
        tried.append("nox --download-python %s: no interpreter%s" % (policy, " (see %s)" % log if log else ""))
    return "Python %s not found: %s" % (item.version, "; ".join(tried))
