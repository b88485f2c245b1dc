"""results/matrix.md: GitHub-flavoured Markdown, fit for a CI job summary."""

from __future__ import annotations

from typing import Any

from exportmatrix.base import NOT_OBSERVED, SYMBOLS, Matrix
from exportmatrix.reports.changes import SUPPORT_CHANGED
from exportmatrix.reports.stories import Story
from exportmatrix.reports.view import BuildSection, View, axis_of, view
from exportmatrix.repro.short import short_reproducer

SEED_FILE = "test/dynamo/test_export_mutations.py"


def escape(text: Any) -> str:
    """Safe inside a table cell: no pipes, newlines or HTML."""
    value = " ".join(str(text).split())
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "'")):
        value = value.replace(raw, safe)
    return value


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _heading(shown: View) -> list[str]:
    matrix = shown.matrix
    legend = ", ".join("%s %s" % (symbol, name) for name, symbol in SYMBOLS.items())
    return [
        "# exportmatrix: torch.export mutation behaviours by release",
        "",
        "%d environments, %d behaviours, %d cells. Legend: %s, %s not observed."
        % (len(matrix["environments"]), len(shown.behaviours), len(matrix["observations"]), legend, NOT_OBSERVED),
    ]


def _section(shown: View, section: BuildSection) -> list[str]:
    out: list[str] = []
    releases = [escape(shown.labels[e["id"]]) for e in section.environments]
    for grid in section.grids:
        rows = [["`%s`" % escape(row.behaviour["id"])] + [shown.symbol(i) for i in row.cells] for row in grid.rows]
        out += ["", "## %s (build %s)" % (escape(grid.title), escape(grid.build)), ""]
        out += _table(["behaviour"] + releases, rows)
    if section.upstream:
        out += ["", "## Upstream seed tests, as written (build %s)" % escape(section.build), ""]
        out += ["Whether each test of PyTorch's `%s` passes unchanged." % SEED_FILE, ""]
        out += _table(["test"] + releases, [["`%s`" % escape(r.test)] + r.verdicts for r in section.upstream])
    return out


def _by_state(shown: View) -> list[str]:
    """The behaviours grouped by where their state lives (their state= tag), with how it changes and is reached."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for behaviour in shown.behaviours:
        for state in _values(behaviour, "state") or ["(no state= tag)"]:
            groups.setdefault(state, []).append(behaviour)
    out = ["", "## Behaviours by where the state lives", ""]
    for state, members in groups.items():
        rows = [
            [
                "`%s`" % escape(b["id"]),
                escape(", ".join(_values(b, "change"))),
                escape(", ".join(_values(b, "reach"))),
                escape(b["description"]),
            ]
            for b in members
        ]
        out += ["### %s" % escape(state), ""] + _table(["behaviour", "change", "reach", "description"], rows) + [""]
    return out[:-1]


def _values(behaviour: dict[str, Any], axis: str) -> list[str]:
    return [tag.partition("=")[2] for tag in behaviour["tags"] if axis_of(tag) == axis]


def _cells(story: Story) -> str:
    """Its cells, by behaviour: `b` on p1, p2."""
    paths: dict[str, list[str]] = {}
    for change in story.changes:
        paths.setdefault(change.behaviour, []).append(change.exporter + change.where)
    return "; ".join("`%s` on %s" % (escape(b), escape(", ".join(dict.fromkeys(p)))) for b, p in paths.items())


def _stories(shown: View) -> list[str]:
    """The stories, worst first: each with its releases, cells, links (or
    unexplained), its transition and its representative's short reproducer."""
    out = ["", "## Stories, worst first", ""]
    if not shown.stories:
        return out + ["No outcome changes between consecutive releases."]
    out.append(
        "%d outcome changes between consecutive releases make %d stories: changes of one class between the same "
        "releases whose two sides read the same. A story no upstream link explains is marked **unexplained**: "
        "that is where a new bug may be." % (len(shown.changes), len(shown.stories))
    )
    for story in shown.stories:
        change = story.representative
        links = "; ".join("[%s](%s) (%s): %s" % (k.ref, k.url, k.status, escape(k.says)) for k in story.links)
        out += ["", "### %s" % escape(story.title), ""]
        out.append("- %s → %s" % (escape(story.before), escape(story.after)))
        out.append("- cells: %s" % _cells(story))
        out.append("- upstream: %s" % (links or "**unexplained**"))
        text = short_reproducer(shown.matrix, shown.observation(change, 1))
        command = escape(change.cell.repro("matrix.json", change.environments[1], short=True))
        where = "`%s` / `%s`%s" % (escape(change.behaviour), escape(change.exporter), escape(change.where))
        out.append("- representative: %s, in %s: `%s`" % (where, escape(change.environments[1]), command))
        if text:
            out += ["", "<details><summary>its short reproducer</summary>", "", "```python", text.rstrip("\n")]
            out += ["```", "", "</details>"]
    return out


def _release_notes(shown: View) -> list[str]:
    """Per release pair: the changes per class, then every changed cell, the
    worst classes (became silent, broke) with the evidence on both sides and
    the command that prints the reproducer."""
    out = ["", "## Release notes", ""]
    if not shown.notes:
        return out + ["No outcome changes between consecutive releases."]
    out += ['What changed between consecutive releases, by class (DESIGN.md, "Changes between releases").']
    for note in shown.notes:
        out += ["", "### %s" % escape(note.title), "", ", ".join("%d %s" % (n, kind) for kind, n in note.counts), ""]
        for cell in note.worst:
            change = cell.change
            out.append(
                "- **%s** `%s` / `%s`%s: %s in %s → %s in %s. Reproducer: `%s`"
                % (
                    change.kind,
                    escape(change.behaviour),
                    escape(change.exporter),
                    escape(change.where),
                    escape(change.before),
                    escape(change.environments[0]),
                    escape(change.after),
                    escape(change.environments[1]),
                    escape(change.repro_command("matrix.json")),
                )
            )
        rest = [cell.change for cell in note.rest]
        out += ["- %s: %s" % (change.kind, escape(change)) for change in rest if change.kind != SUPPORT_CHANGED]
        paths = sorted({change.exporter for change in rest if change.kind == SUPPORT_CHANGED})
        if paths:  # a capture path that appeared (or went) changes every cell of it: named once
            count = sum(change.kind == SUPPORT_CHANGED for change in rest)
            out.append("- %s: %d cells, of %s" % (SUPPORT_CHANGED, count, escape(", ".join(paths))))
    return out


def _where_builds_differ(shown: View) -> list[str]:
    """Every cell whose outcome differs between builds of the same release
    (where the matrix holds several builds)."""
    if len(shown.builds) < 2:
        return []
    out = ["", "## Where builds differ", ""]
    out.append(
        "Cells whose outcome differs between builds (%s) of the same release; "
        "`exportmatrix diff --builds A B [--release R]` prints them." % escape(", ".join(shown.builds))
    )
    out.append("")
    if not shown.build_differences:
        return out + ["No cell differs between builds of one release."]
    return out + ["- %s" % escape(difference) for difference in shown.build_differences]


def _tail(shown: View) -> list[str]:
    out: list[str] = []
    if shown.case_errors:
        out += ["", "## Case files that could not be loaded", ""]
        out += ["- " + escape(error) for error in shown.case_errors]
    if shown.incomplete:
        out += ["", "## Environments not ok", ""]
        out += [
            "- `%s`: %s — %s" % (escape(e["id"]), escape(e["status"]), escape(e.get("reason", "")))
            for e in shown.incomplete
        ]
    return out


def render(matrix: Matrix) -> str:
    shown = view(matrix)
    out = _heading(shown) + _stories(shown) + _release_notes(shown) + _where_builds_differ(shown)
    for section in shown.sections:
        out += _section(shown, section)
    return "\n".join(out + _by_state(shown) + _tail(shown)) + "\n"
