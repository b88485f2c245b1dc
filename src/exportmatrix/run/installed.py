"""`exportmatrix run --python PATH`: the suite against a torch that is already
installed (a machine without network, a vendor or source build). It writes
the same results stream as a nox session, which merges into any matrix."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from exportmatrix.base import SUITE_DIR
from exportmatrix.config import Cases, Selection, make_id
from exportmatrix.run.session import PROBE
from exportmatrix.run.suite_runner import run_suite
from exportmatrix.streams import remove_stale, stream_path


class NoTorch(Exception):
    """The interpreter has no importable torch distribution."""


def probe(python: str) -> tuple[str, str]:
    """(torch.__version__, Python version) of an interpreter, without importing torch."""
    try:
        done = subprocess.run([python, "-c", PROBE], capture_output=True, text=True, timeout=120)
    except OSError as error:
        raise NoTorch("%s: cannot run it (%s)" % (python, error)) from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise NoTorch("%s: no torch installed for this interpreter (%s)" % (python, last))
    torch_version, python_version = done.stdout.split()
    return torch_version, python_version


def run_installed(
    python: str,
    results: Path,
    build: str,
    cell_timeout: float,
    fresh: bool,
    cases: Cases | None = None,
    selection: Selection | None = None,
) -> tuple[int, Path]:
    selection = selection or Selection()
    torch_version, python_version = probe(python)
    environment_id = make_id(torch_version, python_version, build, is_default_build=False)
    release = ".".join(re.findall(r"\d+", torch_version)[:2])
    session = "installed-" + environment_id
    described = {
        "session": session,
        "release": release,
        "build": build,
        "python_requested": python_version,
        "interpreter": str(python),
        "id": environment_id,
        **(cases.describe() if cases and cases.active else {}),
        **selection.describe(),
    }
    path = stream_path(results, environment_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(results, session, path)
    print("exportmatrix: running the suite with %s (torch %s) into %s" % (python, torch_version, path), flush=True)
    extra = (cases.suite_arguments() if cases else []) + selection.suite_arguments()
    returncode = run_suite(Path(python), SUITE_DIR, path, described, cell_timeout, reuse=not fresh, extra=extra)
    return returncode, path
