"""results/matrix.html: one self-contained page (no CDN, works from disk).

The grid is rendered by Jinja with autoescaping; the evidence of each cell
travels as JSON (Jinja's tojson escapes <, > and &, so a hostile message
cannot close the script) and the page shows it with textContent only.
"""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from exportmatrix.base import NOT_OBSERVED, SEPARATOR, SYMBOLS, Matrix, shapes_of, upgrade
from exportmatrix.reports.view import view


class _Table:
    """Values kept once, by first appearance; a cell names each by index."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[str, int] = {}

    def add(self, value: Any) -> int:
        key = json.dumps(value, sort_keys=True)
        if key not in self._index:
            self._index[key] = len(self.values)
            self.values.append(value)
        return self._index[key]


def page_data(matrix: Matrix) -> dict[str, Any]:
    """What the page's script needs, each repeated value once: a cell is
    [environment, behaviour, exporter, device, shapes, outcome, evidence,
    reproducer (-1: none), duration], the first seven indexes of tables;
    reproducers are the matrix's own (texts and sequences, stored once)."""
    environments = [{"id": e["id"], "torch": e.get("torch"), "python": e.get("python")} for e in matrix["environments"]]
    behaviours = [{"id": b["id"], "description": b["description"]} for b in matrix["behaviours"]]
    tables = {name: _Table() for name in ("exporters", "devices", "shapes", "outcomes", "evidence")}
    env_index = {e["id"]: i for i, e in enumerate(environments)}
    behaviour_index = {b["id"]: i for i, b in enumerate(behaviours)}
    cells = []
    for observation in matrix["observations"]:
        evidence = dict(observation["evidence"])
        reproducer = evidence.pop("reproducer", None)
        duration = evidence.pop("duration_s", None)
        if observation["behaviour"] not in behaviour_index:  # a cell without its declaration
            behaviour_index[observation["behaviour"]] = len(behaviours)
            behaviours.append({"id": observation["behaviour"], "description": ""})
        cells.append(
            [
                env_index[observation["environment"]],
                behaviour_index[observation["behaviour"]],
                tables["exporters"].add(observation["exporter"]),
                tables["devices"].add(observation["device"]),
                tables["shapes"].add(shapes_of(observation)),
                tables["outcomes"].add(observation["outcome"]),
                tables["evidence"].add(evidence),
                -1 if reproducer is None else reproducer,
                duration,
            ]
        )
    return {
        "environments": environments,
        "behaviours": behaviours,
        **{name: table.values for name, table in tables.items()},
        "cells": cells,
        "texts": matrix["texts"],
        "reproducers": matrix["reproducers"],
        "separator": SEPARATOR,
    }


def render(matrix: Matrix) -> str:
    templates = Environment(
        loader=PackageLoader("exportmatrix.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    matrix = upgrade(matrix)
    shown = view(matrix)
    data = page_data(matrix)
    # the pair filter: each release note's changed cells, both sides
    data["pairs"] = [sorted({i for cell in note.cells for i in (cell.before, cell.after)}) for note in shown.notes]
    return templates.get_template("matrix.html.j2").render(
        matrix=matrix,
        grids=shown.grids,
        data=data,
        notes=shown.notes,
        labels=shown.labels,
        tags=shown.tags,
        exporters=shown.exporters,
        shapes=shown.shapes,
        outcomes=list(SYMBOLS),
        symbols=SYMBOLS,
        not_observed=NOT_OBSERVED,
        changes=["%s: %s" % (c.kind, c) for c in shown.changes],
        failed=shown.incomplete,
    )
