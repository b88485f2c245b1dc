"""Skip an environment whose results are still valid, without starting it.

Cell by cell reuse happens inside the suite (keys of torch build, Python,
behaviour and shared suite code). This is the host's shortcut on top: when
the whole suite and the install request are unchanged since a complete run,
and the environment still holds the same torch, nothing needs to start.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from exportmatrix.base import SUITE_DIR
from exportmatrix.config import Cases, Environment, Selection
from exportmatrix.streams import stream_summary


def suite_fingerprint(suite_dir: Path = SUITE_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(suite_dir.rglob("*.py")):
        digest.update(str(path.relative_to(suite_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def environment_fingerprint(
    environment: Environment,
    suite_dir: Path = SUITE_DIR,
    cases: Cases | None = None,
    selection: Selection | None = None,
) -> str:
    """The suite, the install request, the case files and the capture paths
    and shapes asked for (default: the suite's): a run asking for other cells
    is never skipped as unchanged."""
    request = json.dumps([environment.python, environment.install_steps()])
    what = suite_fingerprint(suite_dir) + request + (cases.fingerprint() if cases and cases.active else "")
    what += (selection or Selection()).fingerprint()
    return hashlib.sha256(what.encode()).hexdigest()[:16]


def installed_torch(venv: Path) -> str | None:
    """torch.__version__ of an environment, read from its files (no import);
    None when there is no such environment, no torch in it, or its version
    file cannot be read."""
    for version_file in sorted(venv.glob("lib/python3*/site-packages/torch/version.py")):
        namespace: dict[str, Any] = {}
        try:
            exec(version_file.read_text(), namespace)
        except Exception:
            return None
        version = namespace.get("__version__")
        return version if isinstance(version, str) and version else None
    return None


def still_valid(path: Path, fingerprint: str) -> bool:
    """Whether the stream at `path` is a complete, ok run of this fingerprint
    whose environment (recorded in the stream) still holds exactly the torch
    the stream recorded. An environment that is gone, or whose torch cannot
    be read, is not the same one: its results are not reused."""
    summary = stream_summary(path)
    if not summary or summary.end is None or summary.end.get("exitstatus") != 0:
        return False
    environment = summary.environment
    if environment.get("status") != "ok" or environment.get("fingerprint") != fingerprint:
        return False
    venv, recorded = environment.get("venv"), environment.get("torch")
    if not venv or not recorded:
        return False
    return installed_torch(Path(venv)) == recorded
