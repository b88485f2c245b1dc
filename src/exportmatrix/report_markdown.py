"""results/matrix.md: GitHub-flavoured Markdown, fit for a CI job summary."""

from __future__ import annotations

from typing import Any

from exportmatrix.changes import behaviours, cell_index, distinct, outcome_changes, series
from exportmatrix.outcomes import NOT_OBSERVED, SYMBOLS


def escape(text: Any) -> str:
    """Safe inside a table cell: no pipes, newlines or HTML."""
    value = " ".join(str(text).split())
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "'")):
        value = value.replace(raw, safe)
    return value


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def render(matrix: dict[str, Any]) -> str:
    cells = cell_index(matrix)
    behaviour_ids = [b["id"] for b in behaviours(matrix)]
    exporters = distinct(matrix, "exporter")
    devices = distinct(matrix, "device")
    out = ["# exportmatrix: torch.export mutation behaviours by release", ""]
    out.append(
        "%d environments, %d behaviours, %d cells. Legend: %s, %s not observed."
        % (
            len(matrix["environments"]),
            len(behaviour_ids),
            len(matrix["observations"]),
            ", ".join("%s %s" % (symbol, name) for name, symbol in SYMBOLS.items()),
            NOT_OBSERVED,
        )
    )
    for build, environments in series(matrix).items():
        releases = [escape(e["release"]) for e in environments]
        for exporter in exporters:
            for device in devices:
                rows = []
                for behaviour in behaviour_ids:
                    keys = [(e["id"], behaviour, exporter, device) for e in environments]
                    marks = [
                        SYMBOLS.get(cells[k]["outcome"], NOT_OBSERVED) if k in cells else NOT_OBSERVED for k in keys
                    ]
                    rows.append(["`%s`" % escape(behaviour)] + marks)
                out += ["", "## %s on %s (build %s)" % (escape(exporter), escape(device), escape(build)), ""]
                out += _table(["behaviour"] + releases, rows)
        verdicts = {(u["environment"], u["test"]): u for u in matrix["upstream"]}
        tests = list(dict.fromkeys(u["test"] for u in matrix["upstream"]))
        if tests:
            out += ["", "## Upstream seed tests, as written (build %s)" % escape(build), ""]
            out.append("Whether each test of PyTorch's `test/dynamo/test_export_mutations.py` passes unchanged.")
            out.append("")
            rows = [
                ["`%s`" % escape(test)]
                + [
                    ("pass" if verdicts[(e["id"], test)]["passes"] else "FAIL")
                    if (e["id"], test) in verdicts
                    else NOT_OBSERVED
                    for e in environments
                ]
                for test in tests
            ]
            out += _table(["test"] + releases, rows)
    out += ["", "## What changed", ""]
    changes = outcome_changes(matrix)
    out += ["- " + escape(change) for change in changes] or ["No outcome changes between consecutive releases."]
    failed = [e for e in matrix["environments"] if e["status"] != "ok"]
    if failed:
        out += ["", "## Environments that did not complete", ""]
        out += ["- `%s`: %s — %s" % (escape(e["id"]), escape(e["status"]), escape(e.get("reason", ""))) for e in failed]
    return "\n".join(out) + "\n"
