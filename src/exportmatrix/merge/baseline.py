"""A baseline: the outcome of every cell as a CI gate remembers it, keyed by
session (e.g. torch-2.4) rather than exact version, so a gate says when a
cell's outcome moves, including when a new patch release moves it.

The gate (`verdict`) fails on lost data as well as on moved cells: a cell of
the baseline that was not observed, an environment of the baseline that is
missing from the matrix or is there but not `ok`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from exportmatrix.base import SCHEMA as MATRIX_SCHEMA
from exportmatrix.base import SCHEMA_1 as MATRIX_SCHEMA_1
from exportmatrix.base import SCHEMA_2 as MATRIX_SCHEMA_2
from exportmatrix.base import cell_name, upgrade, write_json_atomically

SCHEMA = "exportmatrix-baseline/1"

# exit codes of `exportmatrix check`; 2 is a usage or unreadable-file error.
# When several apply, the first of LOST, MOVED, NEW wins.
PASSED, MOVED, LOST, NEW = 0, 1, 3, 4


def _session(environment: dict[str, Any]) -> str:
    return str(environment.get("session") or environment["id"])


def _key(environment: dict[str, Any], observation: dict[str, Any]) -> str:
    """`torch-2.4 / buffer.add_ / export_strict / cpu`, and ` / dynamic` after
    a dynamic cell: static cells keep the names they had before the shape axis."""
    return " / ".join((_session(environment),) + cell_name(observation))


def session_of(cell: str) -> str:
    return cell.split(" / ", 1)[0]


def outcomes(matrix: dict[str, Any]) -> dict[str, str]:
    environments = {e["id"]: e for e in matrix["environments"]}
    return {_key(environments[o["environment"]], o): o["outcome"] for o in matrix["observations"]}


def statuses(matrix: dict[str, Any]) -> dict[str, str]:
    """Each session's status; where one session has several environments,
    the first that is not ok."""
    found: dict[str, str] = {}
    for environment in matrix["environments"]:
        session = _session(environment)
        if found.get(session, "ok") == "ok":
            found[session] = environment["status"]
    return found


@dataclass
class Baseline:
    cells: dict[str, str]  # cell key → outcome
    environments: dict[str, str]  # session → status (derived from the cells in an old baseline: ok)


def make_baseline(matrix: Union[Baseline, dict[str, Any]]) -> dict[str, Any]:
    """The baseline file of a matrix (or of another baseline)."""
    taken = matrix if isinstance(matrix, Baseline) else baseline_of(matrix, "the matrix")
    return {
        "schema": SCHEMA,
        "environments": dict(sorted(taken.environments.items())),
        "cells": dict(sorted(taken.cells.items())),
    }


def write_baseline(path: Path, matrix: Union[Baseline, dict[str, Any]]) -> None:
    write_json_atomically(path, make_baseline(matrix))


def baseline_of(document: Any, name: str = "the baseline") -> Baseline:
    """A baseline file's contents, or a matrix (schema exportmatrix/2 or /1) taken
    as the baseline, so one matrix can be checked cell for cell against another."""
    schema = document.get("schema") if isinstance(document, dict) else None
    if schema in (MATRIX_SCHEMA, MATRIX_SCHEMA_2, MATRIX_SCHEMA_1):
        if not isinstance(document.get("environments"), list) or "observations" not in document:
            raise ValueError("%s: an %s matrix without its environments and observations" % (name, schema))
        # only the cells' outcomes are read: a file's table of cells is decoded, a list read as it is
        matrix = document if isinstance(document["observations"], list) else upgrade(document, name)
        return Baseline(outcomes(matrix), statuses(matrix))
    if schema != SCHEMA or not isinstance(document.get("cells"), dict):
        raise ValueError("%s: not an %s file (nor an %s matrix)" % (name, SCHEMA, MATRIX_SCHEMA))
    cells = document["cells"]
    environments = {session_of(cell): "ok" for cell in cells}
    recorded = document.get("environments", {})
    if not isinstance(recorded, dict):
        raise ValueError("%s: its environments are not an object of session → status" % name)
    environments.update(recorded)
    return Baseline(dict(cells), environments)


def read_baseline(path: Path) -> Baseline:
    """A baseline file, or a matrix file read as one."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError("%s: not JSON (%s)" % (path, error)) from None
    return baseline_of(document, str(path))


@dataclass
class Drift:
    moved: list[tuple[str, str, str]]  # (cell, baseline outcome, now)
    new: list[str]  # cells observed but not in the baseline
    missing: list[str]  # cells of the baseline not observed
    missing_environments: list[str] = field(default_factory=list)  # sessions of the baseline not in the matrix
    not_ok: list[tuple[str, str]] = field(default_factory=list)  # (session, status now) where the baseline had ok
    still_not_ok: list[tuple[str, str]] = field(default_factory=list)  # (session, status) as the baseline had it
    new_environments: list[str] = field(default_factory=list)  # sessions of the matrix not in the baseline


def compare(baseline: Union[Baseline, dict[str, str]], matrix: Union[Baseline, dict[str, Any]]) -> Drift:
    """How `matrix` (or another baseline) drifted from `baseline` (a Baseline,
    or a baseline file's cells)."""
    if not isinstance(baseline, Baseline):
        baseline = Baseline(baseline, {session_of(cell): "ok" for cell in baseline})
    observed = matrix if isinstance(matrix, Baseline) else baseline_of(matrix, "the matrix")
    before, now, present = baseline.cells, observed.cells, observed.environments
    moved = [(key, before[key], now[key]) for key in sorted(before) if key in now and now[key] != before[key]]
    not_ok = [
        (session, present[session])
        for session, status in sorted(baseline.environments.items())
        if present.get(session, "ok") != "ok" and present[session] != status
    ]
    still = [
        (session, status)
        for session, status in sorted(baseline.environments.items())
        if status != "ok" and present.get(session) == status
    ]
    return Drift(
        moved,
        sorted(set(now) - set(before)),
        sorted(set(before) - set(now)),
        sorted(set(baseline.environments) - set(present)),
        not_ok,
        still,
        sorted(set(present) - set(baseline.environments)),
    )


@dataclass
class Verdict:
    """What the gate decides from a drift: the exit code, and the words of it."""

    drift: Drift
    allow_missing: bool = False
    strict_new: bool = False

    @property
    def lost(self) -> bool:
        """Baseline data that was not compared: missing cells or environments, or environments not ok."""
        d = self.drift
        return bool(d.missing or d.missing_environments or d.not_ok)

    @property
    def exit_code(self) -> int:
        if self.lost and not self.allow_missing:
            return LOST
        if self.drift.moved:
            return MOVED
        if self.strict_new and (self.drift.new or self.drift.new_environments):
            return NEW
        return PASSED

    def counts(self) -> str:
        d = self.drift
        return "%d cells moved, %d missing cells, %d missing environments, %d environments not ok, %d new cells" % (
            len(d.moved),
            len(d.missing),
            len(d.missing_environments),
            len(d.not_ok),
            len(d.new),
        )

    def outcome(self) -> str:
        """The last line: passed, or failed and why, and what --allow-missing accepted."""
        code = self.exit_code
        accepted = ""
        if self.lost and self.allow_missing:
            accepted = (
                "; --allow-missing: accepted missing data that was NOT compared "
                "(%d missing cells, %d missing environments, %d environments not ok)"
                % (len(self.drift.missing), len(self.drift.missing_environments), len(self.drift.not_ok))
            )
        if code == PASSED:
            return "passed" + accepted
        why = {
            LOST: "baseline data was not observed (pass --allow-missing to accept that)",
            MOVED: "cells moved from the baseline",
            NEW: "cells not in the baseline (--strict-new)",
        }[code]
        return "FAILED (exit %d): %s%s" % (code, why, accepted)


def verdict(
    baseline: Union[Baseline, dict[str, str]],
    matrix: Union[Baseline, dict[str, Any]],
    allow_missing: bool = False,
    strict_new: bool = False,
) -> Verdict:
    return Verdict(compare(baseline, matrix), allow_missing, strict_new)
