"""results/matrix.html: one self-contained page (no CDN, works from disk).

The grid is rendered by Jinja with autoescaping; the evidence of each cell
travels as JSON (Jinja's tojson escapes <, > and &, so a hostile message
cannot close the script) and the page shows it with textContent only.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from exportmatrix.base import NOT_OBSERVED, SYMBOLS, Matrix, shapes_of
from exportmatrix.reports.view import view

BLOCK_SEPARATOR = "\n\n\n"


class TextBlocks:
    """Reproducers repeat the same support code and checker: store each
    distinct block of text once, and a reproducer as a list of indexes."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self._index: dict[str, int] = {}

    def encode(self, text: str) -> list[int]:
        encoded = []
        for block in text.split(BLOCK_SEPARATOR):
            if block not in self._index:
                self._index[block] = len(self.blocks)
                self.blocks.append(block)
            encoded.append(self._index[block])
        return encoded


def page_data(matrix: dict[str, Any]) -> dict[str, Any]:
    blocks = TextBlocks()
    cells = []
    for observation in matrix["observations"]:
        evidence = dict(observation["evidence"])
        reproducer = evidence.pop("reproducer", None)
        cells.append(
            {
                "environment": observation["environment"],
                "behaviour": observation["behaviour"],
                "exporter": observation["exporter"],
                "device": observation["device"],
                "shapes": shapes_of(observation),
                "outcome": observation["outcome"],
                "evidence": evidence,
                "reproducer": blocks.encode(reproducer) if isinstance(reproducer, str) else None,
            }
        )
    return {"cells": cells, "blocks": blocks.blocks, "separator": BLOCK_SEPARATOR}


def render(matrix: Matrix) -> str:
    templates = Environment(
        loader=PackageLoader("exportmatrix.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    shown = view(matrix)
    return templates.get_template("matrix.html.j2").render(
        matrix=matrix,
        grids=shown.grids,
        data=page_data(matrix),
        tags=shown.tags,
        exporters=shown.exporters,
        shapes=shown.shapes,
        outcomes=list(SYMBOLS),
        symbols=SYMBOLS,
        not_observed=NOT_OBSERVED,
        changes=[str(c) for c in shown.changes],
        failed=shown.incomplete,
    )
