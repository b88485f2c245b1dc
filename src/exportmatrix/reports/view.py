"""The one view model of a matrix that every report renders: per build, a
grid of behaviours × releases for each capture path and device, and the
upstream verdicts; then the changes between releases and the environments
that did not complete. The terminal, Markdown and HTML renderers only format it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exportmatrix.base import (
    NOT_OBSERVED,
    Matrix,
    behaviours,
    cell_key,
    distinct,
    incomplete,
    symbol,
)
from exportmatrix.reports.changes import Change, outcome_changes, series


@dataclass(frozen=True)
class Row:
    behaviour: dict[str, Any]
    cells: list[int | None]  # per environment: the index of its observation in the matrix, or None


@dataclass(frozen=True)
class Grid:
    build: str
    exporter: str
    device: str
    environments: list[dict[str, Any]]
    rows: list[Row]


@dataclass(frozen=True)
class UpstreamRow:
    test: str
    verdicts: list[str]  # per environment: pass, FAIL, or NOT_OBSERVED


@dataclass(frozen=True)
class BuildSection:
    build: str
    environments: list[dict[str, Any]]
    grids: list[Grid]
    upstream: list[UpstreamRow]


@dataclass(frozen=True)
class View:
    matrix: Matrix
    sections: list[BuildSection]
    behaviours: list[dict[str, Any]]
    exporters: list[str]
    tags: list[str]
    changes: list[Change]
    incomplete: list[dict[str, Any]]  # environments whose status is not ok
    mismatched: list[dict[str, Any]]  # environments whose torch is not the build asked for
    case_errors: list[str]  # case files that could not be loaded, each with its environment

    @property
    def grids(self) -> list[Grid]:
        return [grid for section in self.sections for grid in section.grids]

    def symbol(self, index: int | None) -> str:
        return NOT_OBSERVED if index is None else symbol(self.matrix["observations"][index]["outcome"])


def _upstream(matrix: Matrix, environments: list[dict[str, Any]]) -> list[UpstreamRow]:
    verdicts = {(u["environment"], u["test"]): "pass" if u["passes"] else "FAIL" for u in matrix["upstream"]}
    tests = list(dict.fromkeys(u["test"] for u in matrix["upstream"]))
    return [UpstreamRow(test, [verdicts.get((e["id"], test), NOT_OBSERVED) for e in environments]) for test in tests]


def view(matrix: Matrix) -> View:
    index = {cell_key(o): i for i, o in enumerate(matrix["observations"])}
    rows_of = behaviours(matrix)
    exporters, devices = distinct(matrix, "exporter"), distinct(matrix, "device")
    sections = []
    for build, environments in series(matrix).items():
        grids = [
            Grid(
                build,
                exporter,
                device,
                environments,
                [Row(b, [index.get((e["id"], b["id"], exporter, device)) for e in environments]) for b in rows_of],
            )
            for exporter in exporters
            for device in devices
        ]
        sections.append(BuildSection(build, environments, grids, _upstream(matrix, environments)))
    return View(
        matrix=matrix,
        sections=sections,
        behaviours=rows_of,
        exporters=exporters,
        tags=sorted({tag for b in matrix["behaviours"] for tag in b["tags"]}),
        changes=outcome_changes(matrix),
        incomplete=incomplete(matrix),
        mismatched=[e for e in matrix["environments"] if e.get("build_mismatch")],
        case_errors=[
            "%s: %s" % (e["id"], problem["error"])
            for e in matrix["environments"]
            for problem in e.get("case_file_errors", [])
        ],
    )
