"""The one view model of a matrix that every report renders: per build, a
grid of behaviours × releases for each capture path, device and shapes
observed, and the upstream verdicts; then the changes between releases and
the environments that are not ok. The terminal, Markdown and HTML renderers only format it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exportmatrix.base import (
    NOT_OBSERVED,
    STATIC,
    Cell,
    CellKey,
    Matrix,
    behaviours,
    catalogue_axes,
    cell_key,
    distinct,
    incomplete,
    symbol,
)
from exportmatrix.config.upstream_links import Link, load_links
from exportmatrix.reports.changes import (
    CHANGE_CLASSES,
    WORST,
    BuildDifference,
    Change,
    build_differences,
    outcome_changes,
    release_labels,
    release_pairs,
    series,
)
from exportmatrix.reports.stories import Story, stories


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
    shapes: str = STATIC
    say_shapes: bool = False  # whether the matrix has other shapes than static, so the title names them

    @property
    def title(self) -> str:
        """e.g. "aoti on cpu", or "aoti on cpu, dynamic shapes" in a matrix with dynamic cells."""
        where = "%s on %s" % (self.exporter, self.device)
        return where + (", %s shapes" % self.shapes if self.say_shapes else "")

    @property
    def observed(self) -> bool:
        return any(index is not None for row in self.rows for index in row.cells)


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
class NoteCell:
    change: Change
    before: int  # the observation index of each side
    after: int


@dataclass(frozen=True)
class ReleaseNote:
    """The changes of one release pair of one build: counts per class, and
    every changed cell, the worst class first."""

    build: str
    before: str
    after: str
    counts: list[tuple[str, int]]  # (class, changes), in CHANGE_CLASSES order
    cells: list[NoteCell]

    @property
    def title(self) -> str:
        return "%s → %s (build %s)" % (self.before, self.after, self.build)

    @property
    def worst(self) -> list[NoteCell]:
        return [cell for cell in self.cells if cell.change.kind in WORST]

    @property
    def rest(self) -> list[NoteCell]:
        return [cell for cell in self.cells if cell.change.kind not in WORST]


@dataclass(frozen=True)
class View:
    matrix: Matrix
    sections: list[BuildSection]
    behaviours: list[dict[str, Any]]
    exporters: list[str]
    shapes: list[str]  # the shapes the cells were observed with: static first
    tags: list[tuple[str, list[str]]]  # (axis, its tags): "state=buffer" under "state", plain tags under "tag"
    changes: list[Change]
    stories: list[Story]  # the changes grouped by cause, worst first
    links: list[Link]  # the upstream links known (the suite's upstream/known.toml)
    notes: list[ReleaseNote]  # the release notes: one per release pair with changes
    builds: list[str]  # the builds whose environments ran, in the matrix's order
    build_differences: list[BuildDifference]  # cells whose outcome differs between builds of one release
    labels: dict[str, str]  # each environment's release as reports name it
    incomplete: list[dict[str, Any]]  # environments whose status is not ok
    mismatched: list[dict[str, Any]]  # environments whose torch is not the build asked for
    case_errors: list[str]  # case files that could not be loaded, each with its environment
    index: dict[CellKey, int]  # each cell's key (Cell.key): the index of its observation

    def notes_of(self, changes: list[Change]) -> list[ReleaseNote]:
        """The release notes of some of its changes (e.g. those of one environment)."""
        return release_notes(changes, self.index)

    def observation(self, change: Change, side: int) -> dict[str, Any]:
        """The observation of a change's cell before (0) or after (1)."""
        return self.matrix["observations"][self.index[change.key(side)]]

    @property
    def grids(self) -> list[Grid]:
        return [grid for section in self.sections for grid in section.grids]

    def cell_links(self, index: int) -> list[Link]:
        """The upstream links about one cell (its behaviour, path and release)."""
        observation = self.matrix["observations"][index]
        release = self.labels.get(observation["environment"], "")
        return [
            link
            for link in self.links
            if link.concerns(observation["behaviour"], observation["exporter"], (release,) if release else ())
        ]

    def symbol(self, index: int | None) -> str:
        return NOT_OBSERVED if index is None else symbol(self.matrix["observations"][index]["outcome"])


def _upstream(matrix: Matrix, environments: list[dict[str, Any]]) -> list[UpstreamRow]:
    verdicts = {(u["environment"], u["test"]): "pass" if u["passes"] else "FAIL" for u in matrix["upstream"]}
    tests = list(dict.fromkeys(u["test"] for u in matrix["upstream"]))
    return [UpstreamRow(test, [verdicts.get((e["id"], test), NOT_OBSERVED) for e in environments]) for test in tests]


def axis_of(tag: str) -> str:
    """The axis a tag names ("state=buffer" -> "state"); a plain tag's is "tag"."""
    return tag.partition("=")[0] if "=" in tag else "tag"


def tag_groups(declared: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """The behaviours' tags by axis, the catalogue's axes (state, change, reach) first, in the suite's order."""
    groups: dict[str, set[str]] = {}
    for behaviour in declared:
        for tag in behaviour["tags"]:
            groups.setdefault(axis_of(tag), set()).add(tag)
    order = {axis: n for n, axis in enumerate(catalogue_axes())}
    return [(axis, sorted(groups[axis])) for axis in sorted(groups, key=lambda a: (order.get(a, len(order)), a))]


def release_notes(changes: list[Change], index: dict[CellKey, int]) -> list[ReleaseNote]:
    notes = []
    for (build, before, after), found in release_pairs(changes).items():
        kinds = [change.kind for change in found]
        cells = [NoteCell(change, index[change.key(0)], index[change.key(1)]) for change in found]
        counts = [(kind, kinds.count(kind)) for kind in CHANGE_CLASSES if kind in kinds]
        notes.append(ReleaseNote(build, before, after, counts, cells))
    return notes


def view(matrix: Matrix, links: list[Link] | None = None) -> View:
    """The view of `matrix`; `links`: the upstream links (default: the suite's known.toml)."""
    index = {cell_key(o): i for i, o in enumerate(matrix["observations"])}
    changes = outcome_changes(matrix)
    links = load_links() if links is None else links
    rows_of = behaviours(matrix)
    exporters, devices = distinct(matrix, "exporter"), distinct(matrix, "device")
    shapes = sorted(distinct(matrix, "shapes"), key=lambda s: (s != STATIC, s))
    say_shapes = any(shape != STATIC for shape in shapes)
    sections = []
    for build, environments in series(matrix).items():
        grids = [
            Grid(
                build,
                exporter,
                device,
                environments,
                [
                    Row(b, [index.get(cell.key(e["id"])) for e in environments])
                    for b in rows_of
                    for cell in [Cell(b["id"], exporter, device, shape)]
                ],
                shape,
                say_shapes,
            )
            for exporter in exporters
            for device in devices
            for shape in shapes
        ]
        # only what was run: no grid of a path, device and shapes this build never observed
        observed = [grid for grid in grids if grid.observed]
        sections.append(BuildSection(build, environments, observed, _upstream(matrix, environments)))
    return View(
        matrix=matrix,
        sections=sections,
        behaviours=rows_of,
        exporters=exporters,
        shapes=shapes,
        tags=tag_groups(matrix["behaviours"]),
        changes=changes,
        stories=stories(matrix, changes, links),
        links=links,
        notes=release_notes(changes, index),
        builds=list(series(matrix)),
        build_differences=build_differences(matrix),
        labels=release_labels(matrix),
        incomplete=incomplete(matrix),
        mismatched=[e for e in matrix["environments"] if e.get("build_mismatch")],
        index=index,
        case_errors=[
            "%s: %s" % (e["id"], problem["error"])
            for e in matrix["environments"]
            for problem in e.get("case_file_errors", [])
        ],
    )
