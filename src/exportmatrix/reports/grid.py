"""The grid of a report, once: what the page's script (templates/grid.js)
draws, for matrix.html, the site's index and its behaviour pages alike.

A grid is a table of cells: columns are environments (a build's releases,
oldest first), rows come in groups with a title. On the matrix page a grid is
one capture path, device, shapes and build: behaviours as rows, grouped by the
`state` axis of their tags; "all paths" is one more grid whose cells are each
a behaviour's cells under every path of that release. On a behaviour page a
grid is one device, shapes and build: capture paths as rows. A cell is an
index of the page's cells (None: not observed), or a list of them (a summary).

The page's data carries the cells it shows named and decoded (page_data):
each cell's name, anchor and `repro` command as base.Cell makes them, its
outcome and evidence as values; what thousands of cells share (a cell's
name, an evidence, a reproducer's texts) is listed once and named by its
place in that list. The script decodes nothing of the matrix file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from exportmatrix.base import NOT_OBSERVED, SEPARATOR, SYMBOLS, Cell, Matrix, Outcome, subset
from exportmatrix.reports.view import Grid, View, axis_of

# the outcome a summary cell shows: the worst of its cells
WORST_FIRST = (
    Outcome.DIVERGES,
    Outcome.CRASH,
    Outcome.TIMEOUT,
    Outcome.RUN_ERROR,
    Outcome.EXPORT_ERROR,
    Outcome.UNSUPPORTED,
    Outcome.HOLDS,
)
NO_STATE = "(no state tag)"


def state_of(behaviour: dict[str, Any]) -> str:
    """The value of a behaviour's `state` axis ("state=buffer" -> "buffer")."""
    return next((t.partition("=")[2] for t in behaviour.get("tags", []) if axis_of(t) == "state"), NO_STATE)


def state_groups(behaviours: list[dict[str, Any]]) -> list[tuple[str, list[int]]]:
    """The behaviours' positions grouped by their state, groups in order of
    first appearance (the catalogue's), those without a state tag last."""
    groups: dict[str, list[int]] = {}
    for position, behaviour in enumerate(behaviours):
        groups.setdefault(state_of(behaviour), []).append(position)
    return sorted(groups.items(), key=lambda item: item[0] == NO_STATE)


MATRIX_FILE = "matrix.json"  # how a page's `repro` commands name the matrix file
ENVIRONMENT = "{environment}"  # in a page's `repro` command of a Cell: where its cell's environment goes


def cell_anchor(shown: View, index: int) -> str:
    """A cell's anchor on its behaviour page (Cell.anchor): "export_strict-2.10",
    then its build where the matrix has several."""
    observation = shown.matrix["observations"][index]
    environment = observation["environment"]
    build = None
    if len(shown.builds) > 1:
        build = next(e["build"] for e in shown.matrix["environments"] if e["id"] == environment)
    return Cell.of(observation).anchor(shown.labels[environment], build)


Number = Callable[[int | None], int | None]  # a matrix index -> its index among the page's cells


def _columns(grid: Grid, shown: View, release_href: Callable[[str], str] | None) -> list[list[Any]]:
    return [
        [e["id"], shown.labels[e["id"]], release_href(shown.labels[e["id"]]) if release_href else None]
        for e in grid.environments
    ]


def matrix_grids(
    shown: View,
    behaviour_href: Callable[[str], str] | None = None,
    release_href: Callable[[str], str] | None = None,
) -> list[dict[str, Any]]:
    """The matrix page's grids: one per capture path, device, shapes and
    build, then per device, shapes and build one "all paths" summary
    (exporter ""). Rows are behaviours grouped by state."""
    groups = state_groups(shown.behaviours)
    specs: list[dict[str, Any]] = []
    summaries: dict[tuple[str, str, str], tuple[dict[str, list[list[int]]], Grid]] = {}
    for grid in shown.grids:
        rows = {row.behaviour["id"]: row.cells for row in grid.rows}
        where = (grid.device, grid.shapes, grid.build)
        summary = summaries.setdefault(where, ({}, grid))[0]
        for behaviour_id, cells in rows.items():
            per_release = summary.setdefault(behaviour_id, [[] for _ in cells])
            for column, index in enumerate(cells):
                if index is not None:
                    per_release[column].append(index)
        specs.append(_spec(grid, grid.exporter, grid.title, shown, groups, rows, behaviour_href, release_href))
    for (device, shapes, _build), (summary, grid) in summaries.items():
        title = "all paths on %s%s" % (device, ", %s shapes" % shapes if grid.say_shapes else "")
        specs.append(_spec(grid, "", title, shown, groups, summary, behaviour_href, release_href))
    return specs


def _spec(
    grid: Grid,
    exporter: str,
    title: str,
    shown: View,
    groups: list[tuple[str, list[int]]],
    rows: dict[str, Any],
    behaviour_href: Callable[[str], str] | None,
    release_href: Callable[[str], str] | None,
) -> dict[str, Any]:
    return {
        "exporter": exporter,
        "device": grid.device,
        "shapes": grid.shapes,
        "build": grid.build,
        "title": title,
        "columns": _columns(grid, shown, release_href),
        "groups": [
            [
                "state: " + state,
                [
                    [
                        shown.behaviours[p]["id"],
                        shown.behaviours[p]["description"],
                        behaviour_href(shown.behaviours[p]["id"]) if behaviour_href else None,
                        shown.behaviours[p]["tags"],
                        rows[shown.behaviours[p]["id"]],
                    ]
                    for p in positions
                ],
            ]
            for state, positions in groups
        ],
    }


def behaviour_grids(
    shown: View,
    behaviour_id: str,
    number: Number,
    release_href: Callable[[str], str],
    path_href: Callable[[str], str],
) -> list[dict[str, Any]]:
    """A behaviour page's grids: per device, shapes and build, capture paths ×
    releases; `release_href`, `path_href`: where the site keeps those pages."""
    specs: dict[tuple[str, str, str], dict[str, Any]] = {}
    for grid in shown.grids:
        row = next(r for r in grid.rows if r.behaviour["id"] == behaviour_id)
        if all(index is None for index in row.cells):
            continue
        title = "on %s%s" % (grid.device, ", %s shapes" % grid.shapes if grid.say_shapes else "")
        if len(shown.builds) > 1:
            title += " (build %s)" % grid.build
        spec = specs.setdefault(
            (grid.device, grid.shapes, grid.build),
            {
                "exporter": None,
                "device": grid.device,
                "shapes": grid.shapes,
                "build": grid.build,
                "title": title,
                "columns": _columns(grid, shown, release_href),
                "groups": [["capture paths", []]],
            },
        )
        spec["groups"][0][1].append([grid.exporter, None, path_href(grid.exporter), [], [number(i) for i in row.cells]])
    return list(specs.values())


def cell_links(shown: View, indexes: Iterable[int], number: Number) -> tuple[list[list[str]], dict[str, list[int]]]:
    """The upstream links the page names, and by page cell, the links about it."""
    concerned = {b for link in shown.links for b in link.behaviours}
    links: list[list[str]] = []
    position: dict[str, int] = {}
    by_cell: dict[str, list[int]] = {}
    for index in indexes:
        if shown.matrix["observations"][index]["behaviour"] not in concerned:
            continue
        found = shown.cell_links(index)
        for link in found:
            if link.ref not in position:
                position[link.ref] = len(links)
                links.append([link.ref, link.url, link.status, link.says])
        if found:
            by_cell[str(number(index))] = [position[link.ref] for link in found]
    return links, by_cell


def _compact_cells(cells: list[Any]) -> Any:
    """A row's cells as the page carries them: a run of indexes with one step
    as {"s": first, "d": step, "n": count}; a summary row's lists of
    consecutive indexes as {"c": [[first, count], ...]}; otherwise as they are."""
    if len(cells) > 2 and all(isinstance(c, int) for c in cells):
        step = cells[1] - cells[0]
        if all(b - a == step for a, b in zip(cells, cells[1:])):
            return {"s": cells[0], "d": step, "n": len(cells)}
    if cells and all(isinstance(c, list) and c for c in cells):
        if all(c == list(range(c[0], c[0] + len(c))) for c in cells):
            return {"c": [[c[0], len(c)] for c in cells]}
    return cells


def compact_grids(grids: list[dict[str, Any]], behaviours: set[str]) -> list[dict[str, Any]]:
    """The grids as the page carries them: a behaviour row's description and
    tags left to data.behaviours (null), its cells compacted (_compact_cells);
    templates/grid.js expands them back."""
    return [
        {
            **spec,
            "groups": [
                [
                    title,
                    [
                        [ident, None, href, None, _compact_cells(cells)]
                        if ident in behaviours
                        else [ident, description, href, tags, _compact_cells(cells)]
                        for ident, description, href, tags, cells in rows
                    ],
                ]
                for title, rows in spec["groups"]
            ],
        }
        for spec in grids
    ]


def page_data(
    matrix: Matrix,
    shown: View,
    grids: list[dict[str, Any]],
    indexes: list[int] | None = None,
    shorts: dict[int, str] | None = None,
    behaviour_href: Callable[[str], str] | None = None,
    anchors: bool = False,
) -> dict[str, Any]:
    """What a page's script needs, named and decoded: its cells (`indexes`
    of the matrix's observations, default all) as `cells`, a list per field:
    its Cell (a place in `names`: name, fields, `repro` command), its
    environment (a place in `environments`), outcome, evidence (a place in
    `evidence`), reproducer (a place in `reproducers`: a header template
    and blocks, places in `texts`), and on a few cells' page (`indexes`
    given) its duration; `anchors`: each cell's anchor on its behaviour page
    (its permalink, the id of its cell there). Its grids, whose cells are
    already numbered among the page's cells; the links about each cell and
    the short reproducers it embeds (by matrix index); `behaviour_href`:
    where a behaviour's page is (the site's)."""
    chosen = list(range(len(matrix["observations"]))) if indexes is None else indexes
    local = {index: n for n, index in enumerate(chosen)}
    part = matrix if indexes is None else subset(matrix, [matrix["observations"][i] for i in chosen])
    environments = [e["id"] for e in matrix["environments"]]
    place = {identifier: n for n, identifier in enumerate(environments)}
    names: list[dict[str, Any]] = []
    named: dict[Cell, int] = {}
    evidences: list[dict[str, Any]] = []
    kept: dict[str, int] = {}
    fields = ["cell", "environment", "outcome", "evidence", "reproducer"]
    # the whole matrix's page leaves out each cell's duration (a sixth of its cells' bytes); a few cells' page keeps it
    fields += ["duration"] if indexes is not None else []
    fields += ["anchor"] if anchors else []
    cells: dict[str, list[Any]] = {name: [] for name in fields}
    for observation, index in zip(part["observations"], chosen):
        cell = Cell.of(observation)
        if cell not in named:
            named[cell] = len(names)
            names.append(
                {
                    "name": cell.name,
                    "behaviour": cell.behaviour,
                    "exporter": cell.path,
                    "device": cell.device,
                    "shapes": cell.shapes,
                    "repro": cell.repro(MATRIX_FILE, ENVIRONMENT, short=True),
                }
            )
        found = {k: v for k, v in observation["evidence"].items() if k not in ("reproducer", "duration_s")}
        key = json.dumps(found, sort_keys=True)
        if key not in kept:  # a few thousand distinct evidences among a matrix's cells
            kept[key] = len(evidences)
            evidences.append(found)
        cells["cell"].append(named[cell])
        cells["environment"].append(place[observation["environment"]])
        cells["outcome"].append(observation["outcome"])
        cells["evidence"].append(kept[key])
        cells["reproducer"].append(observation["evidence"].get("reproducer"))
        if "duration" in cells:
            cells["duration"].append(observation["evidence"].get("duration_s"))
        if "anchor" in cells:
            cells["anchor"].append(cell_anchor(shown, index))
    links, by_cell = cell_links(shown, chosen, local.get)  # type: ignore[arg-type]
    behaviours = {o["behaviour"] for o in part["observations"]}
    return {
        "environments": [
            {
                "id": e["id"],
                "torch": e.get("torch"),
                "python": e.get("python"),
                "build": e.get("build"),
                "label": shown.labels[e["id"]],
            }
            for e in matrix["environments"]
        ],
        "behaviours": [
            {
                "id": b["id"],
                "description": b["description"],
                "tags": b["tags"],
                "href": behaviour_href(b["id"]) if behaviour_href else None,
            }
            for b in shown.behaviours
            if b["id"] in behaviours
        ],
        "names": names,
        "cells": cells,
        "evidence": evidences,
        "texts": part["texts"],
        "reproducers": part["reproducers"],
        "separator": SEPARATOR,
        "environmentSlot": ENVIRONMENT,
        "grids": compact_grids(grids, {b["id"] for b in shown.behaviours}),
        "links": links,
        "cellLinks": by_cell,
        "shorts": {str(local[i]): text for i, text in (shorts or {}).items() if i in local},
        "symbols": dict(SYMBOLS),
        "worstFirst": [o.value for o in WORST_FIRST],
        "notObserved": NOT_OBSERVED,
    }
