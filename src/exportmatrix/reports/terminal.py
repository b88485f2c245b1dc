"""The terminal summary printed after `nox -s matrix` (and by `exportmatrix summary`).

Short by default, at most MAX_LINES lines whatever the matrix: the environments
and their status, the cells per outcome of each capture path, the changes
between releases that matter most, and where the full reports are. `full=True`
gives every grid, the upstream verdicts and every change."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from exportmatrix.base import NOT_OBSERVED, SYMBOLS, Cell, Matrix, Outcome, Status, distinct, release_key, shapes_of
from exportmatrix.reports.view import Grid, ReleaseNote, Story, View, view

MAX_LINES = 60
# the most lines of each part of the short summary; with the heading, the blank
# lines and the two lines of where the reports are, they add up to at most 56
# (the 2 lines `nox -s matrix` prints after it still fit in MAX_LINES); where a
# line on builds is shown, one change line fewer
OK_LINES, NOT_OK_LINES, MISMATCH_LINES, CASE_ERROR_LINES = 3, 4, 2, 2
COUNT_ROWS = 20  # rows of the table of outcomes, the "... and N more" among them
STORY_LINES = 8  # lines of stories shown (two a story), worst first; then "... and N more"
PAIR_LINES = 4  # release pairs shown in the release notes, those with the worst changes
WIDTH = 100  # the most characters of a reason, an error or a list of releases on one line


def _table(header: list[str], rows: list[list[str]], right: int = 0) -> list[str]:
    """Aligned columns; those from `right` on (when not 0) aligned right, as numbers."""
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]

    def cell(i: int, text: str) -> str:
        return text.rjust(widths[i]) if right and i >= right else text.ljust(widths[i])

    return ["  ".join(cell(i, text) for i, text in enumerate(row)).rstrip() for row in [header] + rows]


def _capped(lines: list[str], most: int, what: str) -> list[str]:
    """At most `most` lines: the last of them says how many more there are."""
    if len(lines) <= most:
        return lines
    return lines[: most - 1] + ["  ... and %d more %s" % (len(lines) - most + 1, what)]


def _short(text: str, width: int = WIDTH) -> str:
    """The first line of a reason or an error, at most `width` characters."""
    first = (text or "").strip().split("\n", 1)[0]
    return first if len(first) <= width else first[: width - 1] + "…"


def _reason(environment: dict) -> str:
    """An environment's reason in a line; a failed check's (the behaviour and
    the first line of why) gets two widths: the why is what a reader acts on."""
    wide = environment["status"] == Status.CHECKS_FAILED
    return _short(environment.get("reason", ""), 2 * WIDTH if wide else WIDTH)


# ---- the short form


def _heading(shown: View) -> list[str]:
    matrix = shown.matrix
    axes = ["%d behaviours" % len(shown.behaviours), "%d capture paths" % len(shown.exporters)]
    if len(shown.shapes) > 1:
        axes.append("%s shapes" % "/".join(shown.shapes))
    return [
        "exportmatrix: %d environments, %d cells (%s, on %s)"
        % (
            len(matrix["environments"]),
            len(matrix["observations"]),
            " × ".join(axes),
            ", ".join(distinct(matrix, "device")) or "no device",
        )
    ]


def _environments(shown: View) -> list[str]:
    environments = sorted(shown.matrix["environments"], key=release_key)
    statuses = Counter(e["status"] for e in environments)
    ordered = sorted(statuses, key=lambda status: status != Status.OK)  # ok first, the others as they come
    lines = ["environments: " + (", ".join("%d %s" % (statuses[status], status) for status in ordered) or "none")]
    ok: dict[str, list[dict]] = {}
    for environment in environments:
        if environment["status"] == Status.OK:
            ok.setdefault(environment["build"], []).append(environment)
    releases = []
    for build, ran in ok.items():
        names = [shown.labels[e["id"]] for e in ran]
        names = names if len(set(names)) == len(names) else [e["id"] for e in ran]  # several per release
        releases += textwrap.wrap(
            " ".join(names), WIDTH, initial_indent="  ok (build %s): " % build, subsequent_indent="    "
        )
    lines += _capped(releases, OK_LINES, "lines of ok releases")
    not_ok = ["  %s: %s — %s" % (e["status"], e["id"], _reason(e)) for e in shown.incomplete]
    lines += _capped(not_ok, NOT_OK_LINES, "environments not ok")
    mismatched = [
        "  not the build asked for: %s — %s" % (e["id"], _short(e["build_mismatch"])) for e in shown.mismatched
    ]
    lines += _capped(mismatched, MISMATCH_LINES, "environments not the build asked for")
    # a broken case file is reported by every environment: once, with how many
    reported: dict[str, list[str]] = {}
    for environment in environments:
        for problem in environment.get("case_file_errors", []):
            reported.setdefault(problem["error"], []).append(environment["id"])
    broken = [
        "  case file not loaded, in %s%s: %s"
        % ("%d environments, e.g. " % len(ids) if len(ids) > 1 else "", ids[0], _short(error))
        for error, ids in reported.items()
    ]
    return lines + _capped(broken, CASE_ERROR_LINES, "case files not loaded")


def _counts(shown: View, together: str = "all environments together") -> list[str]:
    """Cells per outcome of each capture path (and device and shapes, where
    the matrix has several), all environments together."""
    observations = shown.matrix["observations"]
    if not observations:
        return ["no cells observed"]
    devices = distinct(shown.matrix, "device")
    axes = {"capture path": shown.exporters, "device": devices, "shapes": shown.shapes}
    names = [name for name, values in axes.items() if name == "capture path" or len(values) > 1]
    rows, note = _count_rows(observations, names, axes), ""
    if len(rows) > COUNT_ROWS:  # too many to show apart: the capture paths only
        names, note = ["capture path"], " (devices and shapes summed; each apart in matrix.md)"
        rows = _count_rows(observations, names, axes)
    outcomes = [o.value for o in Outcome] + sorted({o["outcome"] for o in observations} - set(SYMBOLS))
    outcomes = [outcome for outcome in outcomes if any(counts[outcome] for counts in rows.values())]
    table = [list(key) + [str(rows[key][outcome]) for outcome in outcomes] for key in rows]
    if len(table) > 1:
        total = Counter(o["outcome"] for o in observations)
        table.append(["all"] + [""] * (len(names) - 1) + [str(total[outcome]) for outcome in outcomes])
    lines = ["  " + line for line in _table(names + outcomes, table, right=len(names))]
    if len(table) > COUNT_ROWS + 1:  # capture paths beyond COUNT_ROWS: the total stays
        lines = lines[:COUNT_ROWS] + ["  ... and %d more capture paths" % (len(table) - COUNT_ROWS)] + lines[-1:]
    return ["cells per outcome, %s%s:" % (together, note)] + lines


def _count_rows(observations: list[dict], names: list[str], axes: dict[str, list[str]]) -> dict[tuple, Counter]:
    """Outcome counts per combination of the named axes' values, in their order."""
    counts: dict[tuple, Counter] = {}
    for observation in observations:
        values = {"capture path": observation["exporter"], "device": observation["device"]}
        values["shapes"] = shapes_of(observation)
        counts.setdefault(tuple(values[name] for name in names), Counter())[observation["outcome"]] += 1
    keys: list[tuple] = [()]
    for name in names:
        keys = [key + (value,) for key in keys for value in axes[name]]
    return {key: counts[key] for key in keys if key in counts}


def _paths(paths: list[str], every: list[str]) -> str:
    if len(paths) == len(every) > 1:
        return "every capture path"
    others = [exporter for exporter in every if exporter not in paths]
    if len(paths) <= 3:
        return ", ".join(paths)
    if len(others) <= 2:
        return "every path but " + ", ".join(others)
    return "%d paths (%s, …)" % (len(paths), ", ".join(paths[:2]))


def story_lines(story: Story, every_path: list[str], matrix_path: str | None = None) -> list[str]:
    """A story in two lines: its class, releases, cells, representative and
    links; then its transition. With `matrix_path`, a third: the command that
    prints its representative's short reproducer."""
    change = story.representative
    links = ", ".join("%s (%s)" % (link.ref, link.status) for link in story.links) or "unexplained"
    behaviours = story.behaviours
    what = behaviours[0] if len(behaviours) == 1 else "%d behaviours" % len(behaviours)
    head = "  %s, %s → %s: %d cell%s, %s on %s%s, e.g. %s / %s — %s" % (
        story.kind,
        story.last_before,
        story.first_after,
        len(story.changes),
        "" if len(story.changes) == 1 else "s",
        what,
        _paths(story.paths, every_path),
        change.where,
        change.behaviour,
        change.exporter,
        links,
    )
    lines = [head, "    %s → %s" % (_short(story.before), _short(story.after))]
    return lines + (["    %s --short" % change.repro_command(matrix_path)] if matrix_path else [])


def _worst(note: ReleaseNote) -> tuple[int, int]:
    """How bad a release pair's changes are: its worst class, then the most changes of that class."""
    worst = min(cell.change.severity for cell in note.cells)
    return worst, -sum(cell.change.severity == worst for cell in note.cells)


def _counted(note: ReleaseNote) -> str:
    return ", ".join("%d %s" % (n, kind) for kind, n in note.counts)


def _changes(shown: View, full_form: str, matrix_path: str, most: int = STORY_LINES) -> list[str]:
    """Release notes: per release pair, the changes per class; then the
    stories, worst first (class, then the most cells), two lines each."""
    if not shown.changes:
        return ["no outcome changes between releases"]
    several_builds = len({change.build for change in shown.changes}) > 1
    lines = [
        "release notes: %d outcome changes in %d stor%s between consecutive releases"
        % (len(shown.changes), len(shown.stories), "y" if len(shown.stories) == 1 else "ies")
    ]
    # the pairs with the worst changes, in release order; the others counted
    worst = sorted(shown.notes, key=_worst)[:PAIR_LINES]
    for note in [note for note in shown.notes if note in worst]:
        where = " (build %s)" % note.build if several_builds else ""
        lines.append("  %s → %s%s: %s" % (note.before, note.after, where, _counted(note)))
    if len(shown.notes) > len(worst):
        lines.append(
            "  ... and %d more release pairs (every pair: exportmatrix changes)" % (len(shown.notes) - len(worst))
        )
    lines.append("the worst stories first (each with its short reproducer: exportmatrix changes %s):" % matrix_path)
    for story in shown.stories[: most // 2]:
        lines += story_lines(story, shown.exporters)
    left = shown.stories[most // 2 :]
    if left:
        lines.append(
            "  ... and %d more stories of %d changes (every cell: %s)"
            % (len(left), sum(len(story.changes) for story in left), full_form)
        )
    return lines


def _builds(shown: View) -> list[str]:
    """Where releases were observed in several builds: how many cells differ between them."""
    builds_of: dict[str, set[str]] = {}
    for section in shown.sections:
        for environment in section.environments:
            builds_of.setdefault(environment["release"], set()).add(environment["build"])
    shared = [release for release, builds in builds_of.items() if len(builds) > 1]
    if not shared:
        return []
    return [
        "builds %s: %d cells differ between builds of %s (exportmatrix diff --builds %s)"
        % (", ".join(shown.builds), len(shown.build_differences), ", ".join(shared), " ".join(shown.builds[:2]))
    ]


def _where(written: Sequence[Path]) -> tuple[list[str], str]:
    """Where the full reports are, and the command that prints the long form."""
    full_form = "exportmatrix summary --full" + (" %s" % written[0] if written else "")
    lines = ["full reports: " + ", ".join(str(path) for path in written)] if written else []
    return lines + ["every grid, upstream verdict and change: " + full_form], full_form


def _short_form(shown: View, written: Sequence[Path]) -> list[str]:
    where, full_form = _where(written)
    builds = _builds(shown)
    matrix_path = str(written[0]) if written else "MATRIX"
    changes = _changes(shown, full_form, matrix_path, STORY_LINES - len(builds))
    parts = [_heading(shown), changes, _environments(shown) + builds, _counts(shown), where]
    lines = parts[0]
    for part in parts[1:]:
        lines += [""] + part
    return lines


# ---- the full form: every grid, the upstream verdicts, every change


def _grid(shown: View, grid: Grid) -> list[str]:
    rows = [[row.behaviour["id"]] + [shown.symbol(index) for index in row.cells] for row in grid.rows]
    releases = [shown.labels[e["id"]] for e in grid.environments]
    return ["", "%s (build %s)" % (grid.title, grid.build)] + _table(["behaviour"] + releases, rows)


def _tail(shown: View) -> list[str]:
    lines = ["", "legend: " + "  ".join("%s %s" % (symbol, name) for name, symbol in SYMBOLS.items())]
    lines[-1] += "  %s not observed" % NOT_OBSERVED
    lines.append("")
    lines.append("where the outcome changes:" if shown.changes else "no outcome changes between releases")
    lines += ["  %s: %s" % (change.kind, change) for change in shown.changes]
    if shown.mismatched:
        lines += ["", "environments whose torch is not the build asked for:"]
        lines += ["  %s: %s" % (e["id"], e["build_mismatch"]) for e in shown.mismatched]
    if shown.case_errors:
        lines += ["", "case files that could not be loaded (their behaviours are missing):"]
        lines += ["  " + error for error in shown.case_errors]
    if shown.incomplete:
        lines += ["", "environments not ok:"]
        for environment in shown.incomplete:
            lines.append("  %s: %s — %s" % (environment["id"], environment["status"], environment.get("reason", "")))
            lines += ["    failed: %s — %s" % _failed(failure) for failure in environment.get("failures", [])]
    return lines


def _failed(failure: dict) -> tuple[str, str]:
    """A failed test of the suite: its behaviour (else the test), and the first line of why."""
    return failure.get("behaviour") or failure["test"], _short(failure["why"], 2 * WIDTH)


def _full_form(shown: View) -> list[str]:
    lines: list[str] = []
    for section in shown.sections:
        for grid in section.grids:
            lines += _grid(shown, grid)
        if section.upstream:
            releases = [shown.labels[e["id"]] for e in section.environments]
            rows = [[r.test.replace("test_module_attribute_mutation_", "")] + r.verdicts for r in section.upstream]
            lines += ["", "upstream seed tests, as written (build %s)" % section.build]
            lines += _table(["test"] + releases, rows)
    return lines + _tail(shown)


def one_environment(matrix: Matrix, env_id: str) -> str:
    """After a run of one environment: its status, its cells per outcome of
    each capture path, and what differs from the neighbouring releases of its
    build that the matrix already holds."""
    (environment,) = [e for e in matrix["environments"] if e["id"] == env_id]
    status = environment["status"] + (" — %s" % _reason(environment) if environment.get("reason") else "")
    own = {**matrix, "environments": [environment]}
    own["observations"] = [o for o in matrix["observations"] if o["environment"] == env_id]
    lines = ["%s (build %s): %s" % (env_id, environment.get("build"), status)]
    if environment.get("build_mismatch"):
        lines.append("not the build asked for: %s" % environment["build_mismatch"])
    lines.append("")
    lines += _counts(view(own), "in " + env_id)
    shown = view(matrix)
    around = _around(shown, env_id)
    common = {e["id"]: _in_common(matrix, env_id, e["id"]) for e in around}
    compared = [e for e in around if common[e["id"]]]
    changes = [c for c in shown.changes if env_id in c.environments and set(c.environments) <= {env_id, *common}]
    lines.append("")
    if not around:
        lines.append("no other release of build %s in the results to compare with" % environment.get("build"))
    lines += ["no cell in common with %s" % shown.labels[e["id"]] for e in around if not common[e["id"]]]
    named = ", ".join("%s on the %d cells both have" % (shown.labels[e["id"]], common[e["id"]]) for e in compared)
    if compared and not changes:
        lines.append("the same outcomes as its neighbouring releases in the results (%s)" % named)
    elif compared:
        lines.append("what differs from its neighbouring releases in the results (%s):" % named)
        for note in shown.notes_of(changes):
            lines.append("  %s → %s: %s" % (note.before, note.after, _counted(note)))
        mine = [story for story in shown.stories if story.representative in set(changes)]
        for story in mine[: STORY_LINES // 2]:
            lines += story_lines(story, shown.exporters)
        left = mine[STORY_LINES // 2 :]
        if left:
            lines.append("  ... and %d more stories (all of them: exportmatrix changes)" % len(left))
    return "\n".join(lines)


def _around(shown: View, env_id: str) -> list[dict]:
    """The environments of the releases just before and after an environment's, of its build."""
    (environment,) = [e for e in shown.matrix["environments"] if e["id"] == env_id]
    same = [e for e in shown.matrix["environments"] if e.get("build") == environment.get("build")]
    ordered = sorted(same, key=release_key)
    at = [e["id"] for e in ordered].index(env_id)
    return ordered[max(at - 1, 0) : at] + ordered[at + 1 : at + 2]


def _in_common(matrix: Matrix, a: str, b: str) -> int:
    """How many cells (behaviour, path, device, shapes) two environments both observed."""
    keys = {e: {Cell.of(o) for o in matrix["observations"] if o["environment"] == e} for e in (a, b)}
    return len(keys[a] & keys[b])


def render(matrix: Matrix, full: bool = False, written: Sequence[Path] = ()) -> str:
    """The short summary (at most MAX_LINES lines), or with `full` every grid and
    change. `written`: the matrix file and its reports where the caller wrote
    them (the matrix file first), for the short summary to say where they are."""
    shown = view(matrix)
    lines = _full_form(shown) if full else _short_form(shown, written)
    return "\n".join(lines).lstrip("\n")
