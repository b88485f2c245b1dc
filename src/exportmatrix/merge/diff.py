"""`exportmatrix diff`: the cells whose outcome differs between two matrix
files, or between two environments of one matrix (reports/diff.py renders them)."""

from __future__ import annotations

from typing import Any

from exportmatrix.base import cell_name, label

Cell = tuple[str, ...]


def cells_by_key(matrix: dict[str, Any], environment: str | None = None) -> dict[Cell, dict[str, Any]]:
    """Cells keyed by (environment, behaviour, exporter, device[, shapes]), or,
    for one environment, by (behaviour, exporter, device[, shapes])."""
    found: dict[Cell, dict[str, Any]] = {}
    for observation in matrix["observations"]:
        cell = cell_name(observation)
        if environment is None:
            found[(observation["environment"],) + cell] = observation
        elif observation["environment"] == environment:
            found[cell] = observation
    return found


def differences(a: dict[Cell, dict[str, Any]], b: dict[Cell, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(set(a) | set(b)):
        before, after = a.get(key), b.get(key)
        if before and after and before["outcome"] == after["outcome"]:
            continue
        rows.append(
            {
                "cell": list(key),
                "a": before["outcome"] if before else None,
                "b": after["outcome"] if after else None,
                "a_detail": label(before) if before else "not observed",
                "b_detail": label(after) if after else "not observed",
            }
        )
    return rows


def _package(environment: dict[str, Any], name: str) -> str | None:
    version = (environment.get("packages") or {}).get(name)
    if version is None:
        return None
    index = (environment.get("package_index") or {}).get(name)
    return "%s (%s)" % (version, index) if index else version


def package_differences(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]] | None:
    """How two environments' package sets differ, a package a row: its
    version (and index) in each, None where absent; [] where the sets are
    the same; None where either was not recorded."""
    if not a.get("packages") or not b.get("packages"):
        return None
    rows = []
    for name in sorted(set(a["packages"]) | set(b["packages"])):
        versions = [e["packages"].get(name) for e in (a, b)]
        indexes = [(e.get("package_index") or {}).get(name) for e in (a, b)]
        # an index recorded on one side only (an older matrix) is no difference
        if versions[0] != versions[1] or (all(indexes) and indexes[0] != indexes[1]):
            rows.append({"package": name, "a": _package(a, name), "b": _package(b, name)})
    return rows


def paired_environments(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The environments of two matrices that are the same environment: one
    session (else one id) in both, e.g. a matrix and its replay."""

    def name(environment: dict[str, Any]) -> str:
        return str(environment.get("session") or environment["id"])

    theirs = {name(e): e for e in b["environments"]}
    return [(e, theirs[name(e)]) for e in a["environments"] if name(e) in theirs]
