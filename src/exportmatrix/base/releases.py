"""How environments are ordered: by torch version, then build, then Python."""

from __future__ import annotations

from typing import Any

from packaging.version import InvalidVersion, Version


def release_key(environment: dict[str, Any]) -> tuple:
    """Sort key of a matrix environment; one whose version cannot be read sorts first."""
    text = (environment.get("torch") or environment.get("release") or "").split("+")[0]
    try:
        version = Version(text)
    except InvalidVersion:
        version = Version("0")
    return (version, environment.get("build", ""), environment.get("python") or "")
