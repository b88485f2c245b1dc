"""results/matrix.html: one self-contained page (no CDN, works from disk).

Release notes, changes and environments are rendered by Jinja with
autoescaping. The cells travel as JSON in the matrix file's own compact
table (Jinja's tojson escapes <, > and &, so a hostile message cannot close
the script); the page's script builds the grids from it and shows text with
textContent only: 11,008 cells as markup would be most of the page.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from exportmatrix.base import NOT_OBSERVED, SEPARATOR, SYMBOLS, Matrix, encode, upgrade
from exportmatrix.reports.changes import COUNTED
from exportmatrix.reports.view import View, view


def page_data(matrix: Matrix, shown: View) -> dict[str, Any]:
    """What the page's script needs: the cells as the matrix file stores
    them (base.compact.encode: a table of rows whose repeated values are
    stored once), less what the page never shows (each cell's key), and
    each grid as rows of cell indexes, which the script renders."""
    encoded = encode(matrix)
    table = encoded["observations"]
    dropped = table["columns"].index("key")
    behaviours = [{"id": b["id"], "description": b["description"], "tags": b["tags"]} for b in shown.behaviours]
    row_of = {b["id"]: i for i, b in enumerate(behaviours)}
    grids = [
        {
            "exporter": grid.exporter,
            "device": grid.device,
            "shapes": grid.shapes,
            "title": grid.title,
            "build": grid.build,
            "environments": [[e["id"], shown.labels[e["id"]]] for e in grid.environments],
            "rows": [[row_of[row.behaviour["id"]], row.cells] for row in grid.rows],
        }
        for grid in shown.grids
    ]
    return {
        "environments": {e["id"]: {"torch": e.get("torch"), "python": e.get("python")} for e in matrix["environments"]},
        "behaviours": behaviours,
        "columns": [c for i, c in enumerate(table["columns"]) if i != dropped],
        "values": table["values"],
        "cells": [row[:dropped] + row[dropped + 1 :] for row in table["rows"]],
        "evidence": encoded["evidence"],
        "differences": encoded["differences"],
        "texts": encoded["texts"],
        "reproducers": encoded["reproducers"],
        "separator": SEPARATOR,
        "grids": grids,
        "symbols": dict(SYMBOLS),
        "not_observed": NOT_OBSERVED,
    }


def render(matrix: Matrix) -> str:
    templates = Environment(
        loader=PackageLoader("exportmatrix.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.policies["json.dumps_kwargs"] = {"separators": (",", ":")}  # the page's data without spaces
    matrix = upgrade(matrix)
    shown = view(matrix)
    data = page_data(matrix, shown)
    # the pair filter: each release note's changed cells, both sides
    data["pairs"] = [sorted({i for cell in note.cells for i in (cell.before, cell.after)}) for note in shown.notes]
    return templates.get_template("matrix.html.j2").render(
        matrix=matrix,
        grids=shown.grids,
        data=data,
        notes=shown.notes,
        builds=shown.builds,
        build_differences=shown.build_differences,
        labels=shown.labels,
        tags=shown.tags,
        exporters=shown.exporters,
        shapes=shown.shapes,
        outcomes=list(SYMBOLS),
        symbols=SYMBOLS,
        not_observed=NOT_OBSERVED,
        changes=["%s: %s" % (c.kind, c) for c in shown.changes if c.kind not in COUNTED],
        counted=[(kind, n) for kind in COUNTED if (n := sum(c.kind == kind for c in shown.changes))],
        failed=shown.incomplete,
    )
