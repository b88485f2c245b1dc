"""The short terminal summary printed after `nox -s matrix`."""

from __future__ import annotations

from typing import Any

from exportmatrix.changes import behaviours, cell_index, distinct, outcome_changes, series
from exportmatrix.outcomes import NOT_OBSERVED, SYMBOLS


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header] + rows]


def render(matrix: dict[str, Any]) -> str:
    lines: list[str] = []
    cells = cell_index(matrix)
    behaviour_ids = [b["id"] for b in behaviours(matrix)]
    exporters = distinct(matrix, "exporter")
    devices = distinct(matrix, "device")
    for build, environments in series(matrix).items():
        header_releases = [e["release"] for e in environments]
        for exporter in exporters:
            for device in devices:
                rows = []
                for behaviour in behaviour_ids:
                    marks = [
                        SYMBOLS.get(cells[key]["outcome"], "?") if key in cells else NOT_OBSERVED
                        for key in ((e["id"], behaviour, exporter, device) for e in environments)
                    ]
                    rows.append([behaviour] + marks)
                lines.append("")
                lines.append("%s on %s (build %s)" % (exporter, device, build))
                lines += _table(["behaviour"] + header_releases, rows)
        tests = list(dict.fromkeys(u["test"] for u in matrix["upstream"]))
        if tests:
            verdicts = {(u["environment"], u["test"]): "pass" if u["passes"] else "FAIL" for u in matrix["upstream"]}
            rows = [
                [test.replace("test_module_attribute_mutation_", "")]
                + [verdicts.get((e["id"], test), NOT_OBSERVED) for e in environments]
                for test in tests
            ]
            lines.append("")
            lines.append("upstream seed tests, as written (build %s)" % build)
            lines += _table(["test"] + header_releases, rows)
    lines.append("")
    lines.append(
        "legend: "
        + "  ".join("%s %s" % (symbol, name) for name, symbol in SYMBOLS.items())
        + "  %s not observed" % NOT_OBSERVED
    )
    changes = outcome_changes(matrix)
    lines.append("")
    lines.append("where the outcome changes:" if changes else "no outcome changes between releases")
    lines += ["  " + str(change) for change in changes]
    mismatched = [e for e in matrix["environments"] if e.get("build_mismatch")]
    if mismatched:
        lines.append("")
        lines.append("environments whose torch is not the build asked for:")
        lines += ["  %s: %s" % (e["id"], e["build_mismatch"]) for e in mismatched]
    failed = [e for e in matrix["environments"] if e["status"] != "ok"]
    if failed:
        lines.append("")
        lines.append("environments that did not complete:")
        lines += ["  %s: %s — %s" % (e["id"], e["status"], e.get("reason", "")) for e in failed]
    return "\n".join(lines).lstrip("\n")
