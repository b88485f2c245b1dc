"""Where an outcome changes between consecutive releases of one build, and
the class of each change (DESIGN.md, "Changes between releases"): the one
rule that says what a change means to a reader, worst first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exportmatrix.base import (
    STATIC,
    Cell,
    CellKey,
    Outcome,
    cell_key,
    label,
    release_key,
    release_label,
    suite_ran,
)

BECAME_SILENT = "became silent"  # an error turned into wrong results: the worst kind
BROKE = "broke"  # it held, now it does not
CRASH = "crash"  # a crash or timeout on either side
BECAME_LOUD = "became loud"  # wrong results turned into an error
ERROR_CHANGED = "error changed"  # an error before and after, of another kind or message
DIVERGES_DIFFERENTLY = "diverges differently"  # wrong results before and after, in other names
SUPPORT_CHANGED = "support changed"  # the capture path appeared or went away (unsupported on one side)
FIXED = "fixed"  # it holds now
# worst first: the order reports list them in
CHANGE_CLASSES = (BECAME_SILENT, BROKE, CRASH, BECAME_LOUD, ERROR_CHANGED, DIVERGES_DIFFERENTLY, SUPPORT_CHANGED, FIXED)
WORST = (BECAME_SILENT, BROKE)  # release notes list these cells with their evidence
# the page counts these (the outcome stays an error, or a path comes or goes) and lists the rest;
# matrix.md and `exportmatrix changes` list every change
COUNTED = (ERROR_CHANGED, SUPPORT_CHANGED)
ERRORS = (Outcome.EXPORT_ERROR, Outcome.RUN_ERROR)


def change_class(before: str, after: str) -> str:
    """The class of a change from outcome `before` to outcome `after` (names);
    the first rule that applies wins."""
    if {before, after} & {Outcome.CRASH, Outcome.TIMEOUT}:
        return CRASH
    if Outcome.UNSUPPORTED in (before, after):
        return SUPPORT_CHANGED
    if after == Outcome.HOLDS:
        return FIXED
    if before == Outcome.HOLDS:
        return BROKE
    if before in ERRORS and after == Outcome.DIVERGES:
        return BECAME_SILENT
    if before == Outcome.DIVERGES and after in ERRORS:
        return BECAME_LOUD
    if before in ERRORS and after in ERRORS:
        return ERROR_CHANGED
    return DIVERGES_DIFFERENTLY


@dataclass(frozen=True)
class Change:
    behaviour: str
    exporter: str
    device: str
    build: str
    before: str  # outcome label
    last_before: str  # last release with `before`
    after: str
    first_after: str
    shapes: str = STATIC
    environments: tuple[str, str] = ("", "")  # the ids of the environments before and after

    def __str__(self) -> str:
        return "%s / %s%s: %s up to %s → %s from %s" % (
            self.behaviour,
            self.exporter,
            self.where,
            self.before,
            self.last_before,
            self.after,
            self.first_after,
        )

    @property
    def cell(self) -> Cell:
        return Cell(self.behaviour, self.exporter, self.device, self.shapes)

    @property
    def where(self) -> str:
        """ " [cuda, dynamic shapes]": its device and shapes where not cpu and static."""
        return self.cell.tags

    def repro_command(self, matrix_path: str) -> str:
        """The command that prints the reproducer of its cell in the later release."""
        return self.cell.repro(matrix_path, self.environments[1])

    def key(self, side: int) -> CellKey:
        """The cell key (base.cell_key) of its cell before (0) or after (1)."""
        return self.cell.key(self.environments[side])

    @property
    def outcomes(self) -> tuple[str, str]:
        """The outcome before and after (a label begins with its outcome's name)."""
        return self.before.split(" ", 1)[0], self.after.split(" ", 1)[0]

    @property
    def kind(self) -> str:
        """Its class (CHANGE_CLASSES)."""
        return change_class(*self.outcomes)

    @property
    def severity(self) -> int:
        """Its class's place in CHANGE_CLASSES: the lower, the more it matters."""
        return CHANGE_CLASSES.index(self.kind)

    @property
    def pair(self) -> tuple[str, str, str]:
        """(build, release before, release after): the release pair it belongs to."""
        return (self.build, self.last_before, self.first_after)


def release_labels(matrix: dict[str, Any]) -> dict[str, str]:
    """Each environment's release as the reports name it (release_label: exact where a minor appears twice)."""
    environments = matrix["environments"]
    return {e["id"]: release_label(e, environments) for e in environments}


def series(matrix: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Environments that ran, per build, oldest release first."""
    by_build: dict[str, list[dict[str, Any]]] = {}
    for environment in sorted(matrix["environments"], key=release_key):
        if suite_ran(environment):
            by_build.setdefault(environment["build"], []).append(environment)
    return by_build


def _cells(matrix: dict[str, Any]) -> dict[Cell, dict[str, dict[str, Any]]]:
    """Each cell's observations, by environment id."""
    found: dict[Cell, dict[str, dict[str, Any]]] = {}
    for observation in matrix["observations"]:
        found.setdefault(Cell.of(observation), {})[observation["environment"]] = observation
    return found


def outcome_changes(matrix: dict[str, Any]) -> list[Change]:
    by_cell = _cells(matrix)
    named = release_labels(matrix)
    # a cell's static shapes before its dynamic ones
    order = sorted(by_cell, key=lambda c: (c.behaviour, c.path, c.device, c.shapes != STATIC, c.shapes))
    found = []
    for build, environments in series(matrix).items():
        for cell in order:
            observed = by_cell[cell]
            previous = None  # (label, release, environment id)
            for environment in environments:
                observation = observed.get(environment["id"])
                if observation is None:
                    continue
                current = label(observation)
                if previous and previous[0] != current:
                    found.append(
                        Change(
                            cell.behaviour,
                            cell.path,
                            cell.device,
                            build,
                            previous[0],
                            previous[1],
                            current,
                            named[environment["id"]],
                            cell.shapes,
                            (previous[2], environment["id"]),
                        )
                    )
                previous = (current, named[environment["id"]], environment["id"])
    place = {e["id"]: n for n, e in enumerate(sorted(matrix["environments"], key=release_key))}
    return sorted(found, key=lambda change: (change.build, place[change.environments[1]]))  # release order, stable


def release_pairs(changes: list[Change]) -> dict[tuple[str, str, str], list[Change]]:
    """The changes by release pair (build, before, after), in the order found
    (releases in order per build), each pair's worst class first."""
    pairs: dict[tuple[str, str, str], list[Change]] = {}
    for change in changes:
        pairs.setdefault(change.pair, []).append(change)
    return {pair: sorted(found, key=lambda c: c.severity) for pair, found in pairs.items()}


def select(changes: list[Change], since: str | None, until: str | None, classes: list[str] | None) -> list[Change]:
    """The changes from release `since`, to release `until`, of the classes named (None: any)."""
    return [
        change
        for change in changes
        if (since is None or change.last_before == since)
        and (until is None or change.first_after == until)
        and (not classes or change.kind in classes)
    ]


@dataclass(frozen=True)
class BuildDifference:
    """One cell whose outcome differs between builds of the same release."""

    release: str
    behaviour: str
    exporter: str
    device: str
    shapes: str
    sides: tuple[tuple[str, str, int], ...]  # per build, in the matrix's order: (build, outcome label, cell index)

    @property
    def cell(self) -> Cell:
        return Cell(self.behaviour, self.exporter, self.device, self.shapes)

    def __str__(self) -> str:
        where = "%s / %s%s" % (self.behaviour, self.exporter, self.cell.on)
        return "%s, %s: %s" % (self.release, where, "; ".join("%s %s" % (b, outcome) for b, outcome, _ in self.sides))


def build_differences(
    matrix: dict[str, Any], builds: tuple[str, ...] | None = None, release: str | None = None
) -> list[BuildDifference]:
    """Every cell whose outcome differs between the builds (default: all) of
    one release (default: each release observed in two builds or more)."""
    by_release: dict[str, list[dict[str, Any]]] = {}
    for environment in sorted(matrix["environments"], key=release_key):
        if suite_ran(environment) and (builds is None or environment["build"] in builds):
            if release is None or environment["release"] == release:
                by_release.setdefault(environment["release"], []).append(environment)
    by_release = {r: found for r, found in by_release.items() if len({e["build"] for e in found}) > 1}
    if not by_release:  # one build per release, as most matrices are: nothing to index
        return []
    index = {cell_key(o): i for i, o in enumerate(matrix["observations"])}
    cells = sorted(
        {Cell.of(o) for o in matrix["observations"]}, key=lambda c: (c.behaviour, c.path, c.device, c.shapes)
    )
    found = []
    for name, environments in by_release.items():
        for cell in cells:
            sides = [(e["build"], i) for e in environments if (i := index.get(cell.key(e["id"]))) is not None]
            outcomes = {matrix["observations"][i]["outcome"] for _, i in sides}
            if len(sides) > 1 and len(outcomes) > 1:
                labelled = tuple((b, label(matrix["observations"][i]), i) for b, i in sides)
                found.append(BuildDifference(name, cell.behaviour, cell.path, cell.device, cell.shapes, labelled))
    return found


@dataclass(frozen=True)
class DeviceDifference:
    """One cell of one environment whose outcome differs between two devices."""

    environment: str
    behaviour: str
    exporter: str
    shapes: str
    sides: tuple[tuple[str, str, int], ...]  # per device: (device, outcome label, cell index)

    def __str__(self) -> str:
        where = "%s / %s%s" % (
            self.behaviour,
            self.exporter,
            Cell(self.behaviour, self.exporter, shapes=self.shapes).on,
        )
        return "%s, %s: %s" % (
            self.environment,
            where,
            "; ".join("%s %s" % (d, outcome) for d, outcome, _ in self.sides),
        )


def device_differences(matrix: dict[str, Any], devices: tuple[str, str]) -> list[DeviceDifference]:
    """Every cell observed on both devices of one environment whose outcome differs between them."""
    index = {cell_key(o): i for i, o in enumerate(matrix["observations"])}
    found = []
    for environment in sorted(matrix["environments"], key=release_key):
        keys = sorted(
            {
                (cell.behaviour, cell.path, cell.shapes)
                for o in matrix["observations"]
                if o["environment"] == environment["id"] and (cell := Cell.of(o)).device == devices[0]
            }
        )
        for behaviour, exporter, shapes in keys:
            sides = [
                (device, i)
                for device in devices
                if (i := index.get(Cell(behaviour, exporter, device, shapes).key(environment["id"]))) is not None
            ]
            outcomes = {matrix["observations"][i]["outcome"] for _, i in sides}
            if len(sides) == 2 and len(outcomes) == 2:
                labelled = tuple((d, label(matrix["observations"][i]), i) for d, i in sides)
                found.append(DeviceDifference(environment["id"], behaviour, exporter, shapes, labelled))
    return found
