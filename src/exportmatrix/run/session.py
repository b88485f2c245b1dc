"""What one torch session does, given a nox session: install the
environment's torch build, run the suite in it, stream its results.

Kept out of noxfile.py so tests can drive it with a stand-in session.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal, NoReturn, Protocol

from exportmatrix.base import write_atomically
from exportmatrix.config import Environment, make_id
from exportmatrix.run.incremental import environment_fingerprint
from exportmatrix.run.install import install
from exportmatrix.run.suite_runner import SUITE_DIR, bytecode_cache_variables, run_suite
from exportmatrix.streams import remove_stale, stream_path, write_failed_environment

# torch.__version__ with its local tag (2.4.1+cu121), read from torch/version.py
# without importing torch (seconds saved per environment).
PROBE = (
    "import importlib.metadata as m, platform; d = {}; "
    "exec(m.distribution('torch').locate_file('torch/version.py').read_text(), d); "
    "print(d['__version__'], platform.python_version())"
)
INSTALL_RECORD = "exportmatrix-install.json"  # in the environment: what was installed into it


class NoxSession(Protocol):
    """The part of `nox.Session` a torch session uses."""

    @property
    def bin(self) -> str: ...

    def run(self, *args: str, silent: Literal[True]) -> str | None: ...

    def log(self, *args: Any) -> None: ...

    def error(self, *args: Any) -> NoReturn: ...


def install_request(environment: Environment) -> dict:
    return {"python": environment.python, "steps": environment.install_steps()}


def installed_as_requested(venv: Path, environment: Environment) -> bool:
    """Whether the environment holds a complete install of this request
    (the suite's own session checks the install again before it runs)."""
    try:
        return bool(json.loads((venv / INSTALL_RECORD).read_text()) == install_request(environment))
    except (OSError, ValueError):
        return False


def venv_of(session: NoxSession) -> Path:
    return Path(session.bin).parent


def venv_python(session: NoxSession) -> Path:
    return Path(session.bin) / ("python.exe" if os.name == "nt" else "python")


def install_environment(session: NoxSession, environment: Environment, results: Path, described: dict) -> None:
    """Install every step, or record the environment as install-failed and stop the session."""
    for step in environment.install_steps():
        outcome = install(venv_python(session), step)
        if not outcome.ok:
            failed = {**described, "id": environment.planned_id, "status": "install-failed", "reason": outcome.reason}
            path = write_failed_environment(results, failed)
            session.error("%s: install failed: %s (recorded in %s)" % (environment.session_name, outcome.reason, path))
    write_atomically(venv_of(session) / INSTALL_RECORD, json.dumps(install_request(environment)))


def environment_id(session: NoxSession, environment: Environment) -> str:
    """The id of what was really installed (torch with its local tag, Python)."""
    torch_version, python_version = (session.run("python", "-c", PROBE, silent=True) or "").split()
    return make_id(torch_version, python_version, environment.build.name, environment.is_default_build)


def run_environment(
    session: NoxSession,
    environment: Environment,
    results: Path,
    cell_timeout: float = 120,
    suite_dir: Path = SUITE_DIR,
    install_only: bool = False,
) -> Path | None:
    """Install, run the suite, and return the stream it wrote. Cells whose
    key is unchanged are reused unless EXPORTMATRIX_FRESH is set."""
    described = {
        **environment.describe(),
        "fingerprint": environment_fingerprint(environment, suite_dir),
        "venv": str(venv_of(session)),
    }
    install_environment(session, environment, results, described)
    if install_only:
        return None
    described["id"] = environment_id(session, environment)
    path = stream_path(results, described["id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(results, environment.session_name, path)
    session.log("exportmatrix: %s → %s" % (described["id"], path))
    returncode = run_suite(
        venv_python(session),
        suite_dir,
        path,
        described,
        cell_timeout,
        reuse=not os.environ.get("EXPORTMATRIX_FRESH"),
        variables=bytecode_cache_variables(venv_of(session)),
    )
    if returncode != 0:
        session.error("%s: the suite exited with %d; its stream is in %s" % (described["id"], returncode, path))
    return path
