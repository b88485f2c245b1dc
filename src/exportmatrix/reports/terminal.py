"""The terminal summary printed after `nox -s matrix` (and by `exportmatrix summary`)."""

from __future__ import annotations

from exportmatrix.base import NOT_OBSERVED, SYMBOLS, Matrix
from exportmatrix.reports.view import Grid, View, view


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header] + rows]


def _grid(shown: View, grid: Grid) -> list[str]:
    rows = [[row.behaviour["id"]] + [shown.symbol(index) for index in row.cells] for row in grid.rows]
    releases = [e["release"] for e in grid.environments]
    return ["", "%s (build %s)" % (grid.title, grid.build)] + _table(["behaviour"] + releases, rows)


def _tail(shown: View) -> list[str]:
    lines = ["", "legend: " + "  ".join("%s %s" % (symbol, name) for name, symbol in SYMBOLS.items())]
    lines[-1] += "  %s not observed" % NOT_OBSERVED
    lines.append("")
    lines.append("where the outcome changes:" if shown.changes else "no outcome changes between releases")
    lines += ["  " + str(change) for change in shown.changes]
    if shown.mismatched:
        lines += ["", "environments whose torch is not the build asked for:"]
        lines += ["  %s: %s" % (e["id"], e["build_mismatch"]) for e in shown.mismatched]
    if shown.case_errors:
        lines += ["", "case files that could not be loaded (their behaviours are missing):"]
        lines += ["  " + error for error in shown.case_errors]
    if shown.incomplete:
        lines += ["", "environments that did not complete:"]
        lines += ["  %s: %s — %s" % (e["id"], e["status"], e.get("reason", "")) for e in shown.incomplete]
    return lines


def render(matrix: Matrix) -> str:
    shown = view(matrix)
    lines: list[str] = []
    for section in shown.sections:
        for grid in section.grids:
            lines += _grid(shown, grid)
        if section.upstream:
            releases = [e["release"] for e in section.environments]
            rows = [[r.test.replace("test_module_attribute_mutation_", "")] + r.verdicts for r in section.upstream]
            lines += ["", "upstream seed tests, as written (build %s)" % section.build]
            lines += _table(["test"] + releases, rows)
    return "\n".join(lines + _tail(shown)).lstrip("\n")
