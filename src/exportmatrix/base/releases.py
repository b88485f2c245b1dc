"""How environments are ordered (by torch version, then build, then Python)
and how a report names each one's release."""

from __future__ import annotations

from typing import Any, Iterable

from packaging.version import InvalidVersion, Version


def release_key(environment: dict[str, Any]) -> tuple:
    """Sort key of a matrix environment; one whose version cannot be read sorts first."""
    text = (environment.get("torch") or environment.get("release") or "").split("+")[0]
    try:
        version = Version(text)
    except InvalidVersion:
        version = Version("0")
    return (version, environment.get("build", ""), environment.get("python") or "")


def exact_version(environment: dict[str, Any]) -> str:
    """The torch release an environment holds, without its local tag ("2.9.1"
    of "2.9.1+cu128"); its declared release where no torch was recorded
    (an install that failed)."""
    return str(environment.get("torch") or environment.get("release") or "").split("+")[0]


def _minor(text: str) -> tuple[int, ...] | None:
    try:
        return Version(text).release[:2]
    except InvalidVersion:
        return None


def release_label(environment: dict[str, Any], environments: Iterable[dict[str, Any]]) -> str:
    """How a report names an environment's release among `environments` (a
    matrix's): as matrix.toml declared it ("2.9", "2.9.0"), unless another
    environment of the same build holds the same minor ("2.9" resolving to
    2.9.1 beside a pinned "2.9.0"): then its exact torch version ("2.9.1"),
    followed by the declared release where two of them hold the very same
    version ("2.9.1 (2.9)" beside a pinned "2.9.1")."""
    declared = str(environment.get("release") or "")
    exact, minor = exact_version(environment), _minor(exact_version(environment))
    siblings = [
        other
        for other in environments
        if other is not environment
        and other.get("id") != environment.get("id")
        and other.get("build") == environment.get("build")
        and minor is not None
        and _minor(exact_version(other)) == minor
    ]
    if not siblings:
        return declared or exact
    if declared != exact and any(exact_version(other) == exact for other in siblings):
        return "%s (%s)" % (exact, declared)
    return exact
