"""results/matrix.html: one self-contained page (no CDN, works from disk).

The grid is rendered by Jinja with autoescaping; the evidence of each cell
travels as JSON (Jinja's tojson escapes <, > and &, so a hostile message
cannot close the script) and the page shows it with textContent only.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from exportmatrix.changes import behaviours, distinct, outcome_changes, series
from exportmatrix.outcomes import NOT_OBSERVED, SYMBOLS

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
                "outcome": observation["outcome"],
                "evidence": evidence,
                "reproducer": blocks.encode(reproducer) if isinstance(reproducer, str) else None,
            }
        )
    return {"cells": cells, "blocks": blocks.blocks, "separator": BLOCK_SEPARATOR}


def grids(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    """One grid per build, capture path and device: rows of (behaviour, [cell index or None])."""
    index = {
        (o["environment"], o["behaviour"], o["exporter"], o["device"]): i for i, o in enumerate(matrix["observations"])
    }
    exporters = distinct(matrix, "exporter")
    devices = distinct(matrix, "device")
    found = []
    for build, environments in series(matrix).items():
        for exporter in exporters:
            for device in devices:
                rows = [
                    (b, [index.get((e["id"], b["id"], exporter, device)) for e in environments])
                    for b in behaviours(matrix)
                ]
                found.append(
                    {"build": build, "exporter": exporter, "device": device, "environments": environments, "rows": rows}
                )
    return found


def render(matrix: dict[str, Any]) -> str:
    templates = Environment(
        loader=PackageLoader("exportmatrix", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    tags = sorted({tag for b in matrix["behaviours"] for tag in b["tags"]})
    return templates.get_template("matrix.html.j2").render(
        matrix=matrix,
        grids=grids(matrix),
        data=page_data(matrix),
        tags=tags,
        exporters=distinct(matrix, "exporter"),
        outcomes=list(SYMBOLS),
        symbols=SYMBOLS,
        not_observed=NOT_OBSERVED,
        changes=[str(c) for c in outcome_changes(matrix)],
        failed=[e for e in matrix["environments"] if e["status"] != "ok"],
    )
