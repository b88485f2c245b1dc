"""`exportmatrix diff` as text: the cells whose outcome differs between two
matrices or environments (merge/diff.py finds them), and their package sets."""

from __future__ import annotations

from typing import Any


def render_table(rows: list[dict[str, Any]], a_name: str, b_name: str) -> str:
    if not rows:
        return "no cell differs between %s and %s" % (a_name, b_name)
    header = ["cell", a_name, b_name]
    body = [[" / ".join(row["cell"]), row["a_detail"], row["b_detail"]] for row in rows]
    widths = [min(70, max(len(line[i]) for line in [header] + body)) for i in range(3)]
    lines = [
        "  ".join(text[:70].ljust(width) for text, width in zip(line, widths)).rstrip() for line in [header] + body
    ]
    return "\n".join(lines) + "\n\n%d cells differ" % len(rows)


def render_packages(a: dict[str, Any], b: dict[str, Any], rows: list[dict[str, Any]] | None) -> str:
    if rows is None:
        return "packages: not recorded in %s" % " and ".join(e["id"] for e in (a, b) if not e.get("packages"))
    if not rows:
        return "packages: the same in %s and %s" % (a["id"], b["id"])
    lines = ["packages of %s → %s: %d differ" % (a["id"], b["id"], len(rows))]
    for row in rows:
        lines.append("  %-28s %s → %s" % (row["package"], row["a"] or "absent", row["b"] or "absent"))
    return "\n".join(lines)
