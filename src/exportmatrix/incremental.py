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

from exportmatrix.environments import Environment

SUITE_DIR = Path(__file__).resolve().parents[2] / "suite"


def suite_fingerprint(suite_dir: Path = SUITE_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(suite_dir.rglob("*.py")):
        digest.update(str(path.relative_to(suite_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def environment_fingerprint(environment: Environment, suite_dir: Path = SUITE_DIR) -> str:
    request = json.dumps([environment.python, environment.install_steps()])
    return hashlib.sha256((suite_fingerprint(suite_dir) + request).encode()).hexdigest()[:16]


def installed_torch(venv: Path) -> str | None:
    """torch.__version__ of an environment, read from its files (no import)."""
    for version_file in venv.glob("lib/python3*/site-packages/torch/version.py"):
        namespace: dict[str, Any] = {}
        try:
            exec(version_file.read_text(), namespace)
        except Exception:
            return None
        return str(namespace.get("__version__"))
    return None


def stream_summary(path: Path) -> dict[str, Any] | None:
    """The environment line, the end line and the number of cells of a stream."""
    environment, end, cells = None, None, 0
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for text in handle:
                try:
                    line = json.loads(text)
                except ValueError:
                    return None
                if line.get("kind") == "environment":
                    environment = line["environment"]
                elif line.get("kind") == "end":
                    end = line["end"]
                elif line.get("kind") == "observation":
                    cells += 1
    except OSError:
        return None
    if environment is None:
        return None
    return {"environment": environment, "end": end, "cells": cells}


def still_valid(path: Path, fingerprint: str, venv: Path) -> bool:
    summary = stream_summary(path)
    if not summary or summary["end"] is None or summary["end"].get("exitstatus") != 0:
        return False
    environment = summary["environment"]
    if environment.get("status") != "ok" or environment.get("fingerprint") != fingerprint:
        return False
    torch = installed_torch(venv)
    return torch is None or torch == environment.get("torch")
