"""What one torch session does, given a nox session: install the
environment's torch build, run the suite in it, stream its results.

Kept out of noxfile.py so tests can drive it with a stand-in session.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from exportmatrix.environments import Environment, make_id
from exportmatrix.incremental import environment_fingerprint
from exportmatrix.installer import install
from exportmatrix.results import remove_stale, stream_path, write_failed_environment
from exportmatrix.suite_runner import bytecode_cache_variables, run_suite

SUITE_DIR = Path(__file__).resolve().parents[2] / "suite"
# torch.__version__ with its local tag (2.4.1+cu121), read from torch/version.py
# without importing torch (seconds saved per environment).
PROBE = (
    "import importlib.metadata as m, platform; d = {}; "
    "exec(m.distribution('torch').locate_file('torch/version.py').read_text(), d); "
    "print(d['__version__'], platform.python_version())"
)


INSTALL_RECORD = "exportmatrix-install.json"  # in the environment: what was installed into it


def install_request(environment: Environment) -> dict:
    return {"python": environment.python, "steps": environment.install_steps()}


def record_install(venv: Path, environment: Environment) -> None:
    (venv / INSTALL_RECORD).write_text(json.dumps(install_request(environment)))


def installed_as_requested(venv: Path, environment: Environment) -> bool:
    """Whether the environment holds a complete install of this request
    (the suite's own session checks the install again before it runs)."""
    try:
        return bool(json.loads((venv / INSTALL_RECORD).read_text()) == install_request(environment))
    except (OSError, ValueError):
        return False


def venv_python(session: Any) -> Path:
    return Path(session.bin) / ("python.exe" if os.name == "nt" else "python")


def run_environment(
    session: Any,
    environment: Environment,
    results: Path,
    cell_timeout: float = 120,
    suite_dir: Path = SUITE_DIR,
    install_only: bool = False,
) -> Path | None:
    """Install, run the suite, and return the stream it wrote. Cells whose
    key is unchanged are reused unless EXPORTMATRIX_FRESH is set."""
    described = {**environment.describe(), "fingerprint": environment_fingerprint(environment, suite_dir)}
    for step in environment.install_steps():
        outcome = install(venv_python(session), step)
        if not outcome.ok:
            break
    if not outcome.ok:
        path = write_failed_environment(
            results, {**described, "id": environment.planned_id, "status": "install-failed", "reason": outcome.reason}
        )
        session.error("%s: install failed: %s (recorded in %s)" % (environment.session_name, outcome.reason, path))

    venv = Path(session.bin).parent
    record_install(venv, environment)
    if install_only:
        return None
    torch_version, python_version = session.run("python", "-c", PROBE, silent=True).split()
    environment_id = make_id(torch_version, python_version, environment.build.name, environment.is_default_build)
    path = stream_path(results, environment_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(results, environment.session_name, path)
    session.log("exportmatrix: %s → %s" % (environment_id, path))
    fresh = bool(os.environ.get("EXPORTMATRIX_FRESH"))
    described["id"] = environment_id
    returncode = run_suite(
        venv_python(session),
        suite_dir,
        path,
        described,
        cell_timeout,
        reuse=not fresh,
        variables=bytecode_cache_variables(venv),
    )
    if returncode != 0:
        session.error("%s: the suite exited with %d; its stream is in %s" % (environment_id, returncode, path))
    return path
