"""results/matrix.html: one self-contained page (no CDN, works from disk),
and the same page as the site's index (reports/site.py).

The page opens on the grid: one capture path at a time (tabs; "all paths"
summarises them), behaviours grouped by state, releases as columns. Stories,
release notes, changes and environments are its other views, rendered by
Jinja with autoescaping. The cells travel as JSON in the matrix file's own
compact table (Jinja's tojson escapes <, > and &, so a hostile message
cannot close the script); the grid's script (templates/grid.js, reports/
grid.py) draws the grid shown and shows text with textContent only.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from exportmatrix.base import NOT_OBSERVED, SYMBOLS, Matrix, distinct, upgrade
from exportmatrix.reports.changes import COUNTED
from exportmatrix.reports.grid import matrix_grids, page_data
from exportmatrix.reports.view import View, view
from exportmatrix.repro.short import short_reproducer

# the worst stories' representatives carry their short reproducer in the page;
# the others' is a command away (each is some 2 KB: all of them would double the page)
SHORTS_ON_PAGE = 32
CHANGES_ON_PAGE = 300  # beyond, the flat list of changes is matrix.md's and `exportmatrix changes --cells`'s
ASSETS = ("grid.css", "grid.js", "search.js")  # the site's shared files (templates/), matrix.html inlines the first two


def asset(name: str) -> str:
    return resources.files("exportmatrix.reports").joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def templates() -> Environment:
    found = Environment(
        loader=PackageLoader("exportmatrix.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    found.policies["json.dumps_kwargs"] = {"separators": (",", ":")}  # the page's data without spaces
    return found


def shorts(matrix: Matrix, indexes: list[int]) -> dict[int, str]:
    """The short reproducers of these cells; a cell whose short form cannot
    be made (a reproducer not of the suite's template) shows its full one."""
    found = {}
    for index in dict.fromkeys(indexes):
        try:
            text = short_reproducer(matrix, matrix["observations"][index])
        except Exception:  # noqa: BLE001  the page still shows the full one
            text = None
        if text:
            found[index] = text
    return found


def render(matrix: Matrix, shown: View | None = None, site: Any = None) -> str:
    """The page; `site`: the site's pages (reports/site.py Pages), for its index."""
    matrix = upgrade(matrix)
    shown = view(matrix) if shown is None else shown
    representatives = [shown.index[story.representative.key(1)] for story in shown.stories]
    grids = matrix_grids(shown, site.behaviour if site else None, site.release if site else None)
    data = page_data(
        matrix,
        shown,
        grids,
        shorts=shorts(matrix, representatives[:SHORTS_ON_PAGE]),
        behaviour_href=site.behaviour if site else None,
    )
    # the pair filter: each release note's changed cells, both sides
    data["pairs"] = [sorted({i for cell in note.cells for i in (cell.before, cell.after)}) for note in shown.notes]
    return (
        templates()
        .get_template("matrix.html.j2")
        .render(
            matrix=matrix,
            site=site,
            style=asset("grid.css"),
            script=asset("grid.js"),
            data=data,
            notes=shown.notes,
            stories=shown.stories,
            representatives=representatives,
            shorts_on_page=SHORTS_ON_PAGE,
            changes_on_page=CHANGES_ON_PAGE,
            notes_cells=len(shown.changes) <= CHANGES_ON_PAGE,  # past that, the stories list the worst cells
            changes_total=len(shown.changes),
            builds=shown.builds,
            build_differences=shown.build_differences,
            behaviours=shown.behaviours,
            environments=matrix["environments"],
            tags=shown.tags,
            exporters=shown.exporters,
            devices=distinct(matrix, "device"),
            shapes=shown.shapes,
            outcomes=list(SYMBOLS),
            symbols=SYMBOLS,
            not_observed=NOT_OBSERVED,
            changes=["%s: %s" % (c.kind, c) for c in shown.changes if c.kind not in COUNTED],
            counted=[(kind, n) for kind in COUNTED if (n := sum(c.kind == kind for c in shown.changes))],
            failed=shown.incomplete,
        )
    )
