"""The merged matrix as its readers see it: schema version, cells by key,
behaviours, environments by name. Shared by merging and by the reports."""

from __future__ import annotations

from typing import Any

from exportmatrix.base.cell import STATIC, Cell, CellKey, key_of, shapes_or_static
from exportmatrix.base.statuses import Status

SCHEMA = "exportmatrix/3"  # the const of schemas/matrix.schema.json (a test keeps them equal)
SCHEMA_2 = "exportmatrix/2"  # each cell an object of its own: still read
SCHEMA_1 = "exportmatrix/1"  # each reproducer in full: still read (upgraded on reading)

Matrix = dict[str, Any]
UNTAGGED_BUILDS = ("pypi", "installed")  # builds that promise nothing about torch's local version tag


def shapes_of(observation: dict[str, Any]) -> str:
    """A cell's shapes: "static" or "dynamic"; "static" where it does not say (Cell's rule)."""
    return shapes_or_static(observation.get("shapes"))


def cell_key(observation: dict[str, Any]) -> CellKey:
    return key_of(observation)


def cell_name(observation: dict[str, Any]) -> tuple[str, ...]:
    """A cell as people and baselines name it: (behaviour, exporter, device),
    and the shapes where they are not static (a static cell keeps the name it
    had before the shape axis, so older matrices and baselines compare).
    Baselines store it, device included: it is a key, not Cell.name."""
    cell = Cell.of(observation)
    name = (cell.behaviour, cell.path, cell.device)
    return name if cell.shapes == STATIC else name + (cell.shapes,)


def cell_index(matrix: Matrix) -> dict[CellKey, dict[str, Any]]:
    """(environment, behaviour, exporter, device, shapes) → observation."""
    return {cell_key(o): o for o in matrix["observations"]}


def distinct(matrix: Matrix, field: str) -> list[str]:
    """The values a field of the observations takes, in first-seen order
    (the capture paths, the devices, or the shapes of a matrix)."""
    if field == "shapes":
        return list(dict.fromkeys(shapes_of(o) for o in matrix["observations"]))
    return list(dict.fromkeys(o[field] for o in matrix["observations"]))


def behaviours(matrix: Matrix) -> list[dict[str, Any]]:
    """Declared behaviours, then any that cells name without a declaration
    (a stream cut short before its declarations)."""
    declared = list(matrix["behaviours"])
    known = {b["id"] for b in declared}
    for observation in matrix["observations"]:
        if observation["behaviour"] not in known:
            known.add(observation["behaviour"])
            undeclared = {"id": observation["behaviour"], "description": "(no declaration recorded)"}
            declared.append({**undeclared, "tags": [], "seed_test": None})
    return declared


def find_environment(matrix: Matrix, name: str) -> str:
    """An environment's id, by id, session or release; errors name the choices."""
    for field in ("id", "session", "release"):
        matches = [e["id"] for e in matrix["environments"] if e.get(field) == name]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValueError("%r names several environments: %s" % (name, ", ".join(matches)))
    ids = [e["id"] for e in matrix["environments"]]
    raise ValueError("no environment %r in the matrix (it has: %s)" % (name, ", ".join(ids)))


def incomplete(matrix: Matrix) -> list[dict[str, Any]]:
    """Environments whose status is not ok, with their reasons."""
    return [e for e in matrix["environments"] if e["status"] != Status.OK]
