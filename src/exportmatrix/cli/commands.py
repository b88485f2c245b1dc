"""What each `exportmatrix` command does, given its parsed arguments; each
returns the exit code."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from exportmatrix.base import (
    SCHEMA_2,
    Cell,
    CellKey,
    cell_index,
    distinct,
    evidence,
    find_environment,
    read_matrix,
    release_key,
    reproducer,
    write_json_atomically,
    write_matrix,
)
from exportmatrix.cli.front import config_path
from exportmatrix.cli.matrix import merge_and_report
from exportmatrix.config import load, plan
from exportmatrix.config.newest import newest_release, observed_in, project_json, stable_releases
from exportmatrix.config.upstream_links import load_links
from exportmatrix.merge import (
    cells_by_key,
    differences,
    expected_sessions,
    package_differences,
    paired_environments,
    read_baseline,
    session_of,
    verdict,
    write_baseline,
)
from exportmatrix.reports import (
    CHANGE_CLASSES,
    Change,
    Story,
    build_differences,
    device_differences,
    outcome_changes,
    release_labels,
    release_pairs,
    render_packages,
    render_table,
    select,
    stories,
    story_lines,
    terminal,
    write_reports,
)
from exportmatrix.reports import advise as advice
from exportmatrix.repro import short_reproducer
from exportmatrix.run import Locked, NoTorch, ResultsLock, options_from, report_problems, run_installed


def environments(arguments: argparse.Namespace) -> int:
    planned = plan(load(config_path(arguments.config)), arguments.releases or None, arguments.builds or None)
    if arguments.json:
        described = [{**e.describe(), "python": e.python, "install": e.install_steps()} for e in planned]
        print(json.dumps(described, indent=1))
        return 0
    for environment in planned:
        steps = " && ".join(" ".join(step) for step in environment.install_steps())
        print("%-22s python %-5s %s" % (environment.session_name, environment.python, steps))
    return 0


def aggregate(arguments: argparse.Namespace) -> int:
    expect = expected_sessions(arguments.expect) if arguments.expect is not None else None
    streams = Path(arguments.streams) if arguments.streams else None
    older = Path(arguments.onto) if arguments.onto else None
    if older is not None and not older.is_file():
        raise ValueError("--onto %s: no such matrix file" % older)
    return merge_and_report(Path(arguments.results), streams=streams, expect=expect, onto_matrix=older)


def report(arguments: argparse.Namespace) -> int:
    results = Path(arguments.results)
    for path in write_reports(read_matrix(results / "matrix.json"), results):
        print("exportmatrix: wrote %s" % path)
    return 0


def site(arguments: argparse.Namespace) -> int:
    from exportmatrix.reports.site import write_site

    out = Path(arguments.out)
    files = write_site(read_matrix(arguments.matrix), out)
    print("exportmatrix: wrote %s (%d files): open %s" % (out, len(files), out / "index.html"))
    return 0


def convert(arguments: argparse.Namespace) -> int:
    """Any matrix file (exportmatrix/1, /2 or /3) written as /3 (the compact
    table) or /2 (each cell an object of its own, for tools that read cells
    one by one: jq, pandas)."""
    matrix = read_matrix(arguments.matrix)
    out = Path(arguments.out)
    if arguments.schema == SCHEMA_2:
        write_json_atomically(out, {**matrix, "schema": SCHEMA_2}, indent=None)
    else:
        write_matrix(out, matrix)
    print("exportmatrix: wrote %s (%s, %d cells)" % (out, arguments.schema, len(matrix["observations"])))
    return 0


def diff(arguments: argparse.Namespace) -> int:
    """Cells whose outcome differs, then how the package sets differ: of each
    environment the two files share, or of the two environments named; or
    the cells that differ between two builds of a release."""
    if arguments.builds:
        return diff_builds(arguments)
    if arguments.devices:
        return diff_devices(arguments)
    if arguments.a is None or arguments.b is None:
        raise ValueError("diff: name A and B (two matrix files or two environments), or --builds BUILD_A BUILD_B")
    if Path(arguments.a).is_file() and Path(arguments.b).is_file():
        first, second = read_matrix(arguments.a), read_matrix(arguments.b)
        rows = differences(cells_by_key(first), cells_by_key(second))
        pairs = paired_environments(first, second)
    else:
        matrix = read_matrix(arguments.matrix)
        a, b = find_environment(matrix, arguments.a), find_environment(matrix, arguments.b)
        rows = differences(cells_by_key(matrix, a), cells_by_key(matrix, b))
        by_id = {e["id"]: e for e in matrix["environments"]}
        pairs = [(by_id[a], by_id[b])]
    packages = [(x, y, package_differences(x, y)) for x, y in pairs]
    if arguments.json:
        found = [{"a": x["id"], "b": y["id"], "differences": d} for x, y, d in packages]
        print(json.dumps({"cells": rows, "packages": found}, indent=1))
        return 0
    print(render_table(rows, arguments.a, arguments.b))
    for x, y, found_rows in packages:
        print(render_packages(x, y, found_rows))
    return 0


def _require_held(option: str, named: list[str], held: set[str], what: str, matrix: str) -> None:
    """A ValueError for the first of `named` (the values of `option`) that the matrix does not hold."""
    for name in named:
        if name not in held:
            raise ValueError("%s %s: no %s in %s (it has: %s)" % (option, name, what, matrix, ", ".join(sorted(held))))


def diff_devices(arguments: argparse.Namespace) -> int:
    """The cells whose outcome differs between two devices of one environment, with both evidences."""
    matrix = read_matrix(arguments.matrix)
    held = {o["device"] for o in matrix["observations"]}
    _require_held("--devices", arguments.devices, held, "cell on that device", arguments.matrix)
    found = device_differences(matrix, tuple(arguments.devices))
    if arguments.json:
        rows = [
            {
                "environment": d.environment,
                "cell": [d.behaviour, d.exporter, d.shapes],
                "sides": {
                    device: {"outcome": outcome, "evidence": _without_reproducer(matrix, i)}
                    for device, outcome, i in d.sides
                },
            }
            for d in found
        ]
        print(json.dumps(rows, indent=1))
        return 0
    a, b = arguments.devices
    print("| environment | cell | %s | %s |\n|---|---|---|---|" % (a, b))
    for d in found:
        (_, first, _), (_, second, _) = d.sides
        cell = Cell(d.behaviour, d.exporter, shapes=d.shapes).name  # the device is the column
        print("| %s | %s | %s | %s |" % (d.environment, cell, first.replace("|", "\\|"), second.replace("|", "\\|")))
    print("\n%d cells differ between %s and %s" % (len(found), a, b))
    return 0


def _without_reproducer(matrix: dict[str, Any], cell: int | dict[str, Any]) -> dict[str, Any]:
    """A cell's (an observation, or its index) evidence in full, less its
    reproducer: `repro` prints it, and assembling it here is wasted."""
    observation = matrix["observations"][cell] if isinstance(cell, int) else cell
    kept = {name: value for name, value in observation["evidence"].items() if name != "reproducer"}
    return evidence(matrix, {**observation, "evidence": kept})


def diff_builds(arguments: argparse.Namespace) -> int:
    matrix = read_matrix(arguments.matrix)
    held = {e["build"] for e in matrix["environments"]}
    _require_held("--builds", arguments.builds, held, "environment of that build", arguments.matrix)
    releases = {e["release"] for e in matrix["environments"] if e["build"] in arguments.builds}
    if arguments.release is not None and arguments.release not in releases:
        raise ValueError(
            "--release %s: not in %s for builds %s (it has: %s)"
            % (arguments.release, arguments.matrix, " and ".join(arguments.builds), ", ".join(sorted(releases)))
        )
    found = build_differences(matrix, tuple(arguments.builds), arguments.release)
    if arguments.json:
        rows = [
            {
                "release": d.release,
                "cell": [d.behaviour, d.exporter, d.device, d.shapes],
                "outcomes": {b: outcome for b, outcome, _ in d.sides},
            }
            for d in found
        ]
        print(json.dumps(rows, indent=1))
        return 0
    for difference in found:
        print(difference)
    both = " and ".join(arguments.builds)
    print(
        "%d cells differ between builds %s%s"
        % (len(found), both, " of " + arguments.release if arguments.release else "")
    )
    return 0


def check(arguments: argparse.Namespace) -> int:
    matrix = read_baseline(Path(arguments.matrix))  # its cells and environments' statuses
    baseline_path = Path(arguments.baseline)
    if arguments.update:
        write_baseline(baseline_path, matrix)
        print("exportmatrix: wrote %s (%d cells)" % (baseline_path, len(matrix.cells)))
        return 0
    baseline = read_baseline(baseline_path)
    gate = verdict(baseline, matrix, arguments.allow_missing, arguments.strict_new)
    drift, shown = gate.drift, 10  # cells listed of each kind; environments are all named

    def some(label: str, lines: list[str]) -> None:
        for text in lines[:shown]:
            print("%s: %s" % (label, text))
        if len(lines) > shown:
            print("%s: ... and %d more cells" % (label, len(lines) - shown))

    for cell, before, now in drift.moved:
        print("moved: %s: %s → %s" % (cell, before, now))
    in_baseline = Counter(session_of(cell) for cell in baseline.cells)
    for session in drift.missing_environments:
        print("missing environment: %s (%d cells in the baseline)" % (session, in_baseline[session]))
    for session, status in drift.not_ok:
        print("environment not ok: %s: %s (%s in the baseline)" % (session, status, baseline.environments[session]))
    for session, status in drift.still_not_ok:
        print("environment not ok, as in the baseline: %s: %s" % (session, status))
    gone = set(drift.missing_environments)  # named above, their cells not listed
    cells = [c for c in drift.missing if session_of(c) not in gone]
    some("missing", ["%s (%s in the baseline)" % (c, baseline.cells[c]) for c in cells])
    for session in drift.new_environments:
        print("new environment: %s" % session)
    some("new", drift.new)
    print("exportmatrix: %s" % gate.counts())
    print("exportmatrix: %s" % gate.outcome())
    return gate.exit_code


def run(arguments: argparse.Namespace) -> int:
    results = Path(arguments.results)
    try:
        options = options_from(arguments, (), Path.cwd())
        report_problems(options.problems)
        with ResultsLock(results):
            returncode, path = run_installed(
                arguments.python,
                results,
                arguments.build,
                arguments.cell_timeout,
                arguments.fresh,
                options.cases,
                options.selection,
            )
    except (NoTorch, Locked) as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2
    print("exportmatrix: wrote %s; merge it with `exportmatrix aggregate --results %s`" % (path, arguments.results))
    return returncode or (1 if options.problems else 0)


def summary(arguments: argparse.Namespace) -> int:
    """The short summary, naming the reports written next to the matrix file; or with --full the long one."""
    path = Path(arguments.matrix)
    reports = [report for report in (path.with_name("matrix.md"), path.with_name("matrix.html")) if report.is_file()]
    print(terminal.render(read_matrix(path), arguments.full, [path, *reports]))
    return 0


def repro(arguments: argparse.Namespace) -> int:
    """One cell's standalone reproducer, assembled from the matrix: the short
    one (--short) or the full one, the record (--full, the default)."""
    matrix = read_matrix(arguments.matrix)
    environment = find_environment(matrix, arguments.environment)
    key = Cell(arguments.behaviour, arguments.exporter, arguments.device, arguments.shapes).key(environment)
    observation = cell_index(matrix).get(key)
    if observation is None:
        raise ValueError("no cell %s in %s" % (" / ".join(key), arguments.matrix))
    text = reproducer(matrix, observation) if arguments.full else short_reproducer(matrix, observation)
    if text is None:
        raise ValueError(
            "%s: this cell has no reproducer (%s: nothing was captured)" % (" / ".join(key), observation["outcome"])
        )
    print(text, end="" if text.endswith("\n") else "\n")
    return 0


def releases(arguments: argparse.Namespace) -> int:
    """The torch releases on PyPI, or the newest, and whether a matrix lacks it."""
    if not arguments.newest:
        if arguments.missing_from or arguments.github_output:
            raise ValueError("--missing-from and --github-output go with --newest")
        for version in stable_releases(project_json("torch", arguments.index)):
            print(version)
        return 0
    version = newest_release(arguments.index)
    lines = ["release=%s" % version]
    if arguments.missing_from is not None:
        missing = not observed_in(version, read_matrix(arguments.missing_from))
        lines.append("missing=%s" % str(missing).lower())
    print("\n".join(lines))
    if arguments.github_output is not None:
        with open(arguments.github_output, "a", encoding="utf-8") as output:
            output.write("\n".join(lines) + "\n")
    return 0


def changes(arguments: argparse.Namespace) -> int:
    """The classified outcome changes (release notes), as text or JSON."""
    matrix = read_matrix(arguments.matrix)
    releases = list(
        dict.fromkeys(release_labels(matrix)[e["id"]] for e in sorted(matrix["environments"], key=release_key))
    )
    for option, value in (("--from", arguments.since), ("--to", arguments.until)):
        if value is not None and value not in releases:
            raise ValueError(
                "%s %s: no such release in %s (it has %s)" % (option, value, arguments.matrix, ", ".join(releases))
            )
    classes = [name.replace("-", " ") for name in arguments.classes or []]
    for name in classes:
        if name not in CHANGE_CLASSES:
            choices = ", ".join(c.replace(" ", "-") for c in CHANGE_CLASSES)
            raise ValueError("--class %s: no such class (the classes: %s)" % (name.replace(" ", "-"), choices))
    chosen = select(outcome_changes(matrix), arguments.since, arguments.until, classes)
    found = stories(matrix, chosen, load_links())
    if arguments.json:
        cells = cell_index(matrix)  # once: looked up twice per change
        records = [_change_record(matrix, cells, arguments.matrix, change) for change in chosen]
        number = {change: n for n, change in enumerate(chosen)}
        print(json.dumps({"stories": [_story_record(s, number) for s in found], "changes": records}, indent=1))
        return 0
    if not chosen:
        print("no outcome changes between consecutive releases match")
        return 0
    every_path = distinct(matrix, "exporter")
    for (build, before, after), pair in release_pairs(chosen).items():
        counted = Counter(change.kind for change in pair)
        print(
            "%s → %s (build %s): %s"
            % (
                before,
                after,
                build,
                ", ".join("%d %s" % (counted[kind], kind) for kind in CHANGE_CLASSES if counted[kind]),
            )
        )
        if arguments.cells:
            for change in pair:
                print("  %s: %s" % (change.kind, change))
                print("    reproducer: %s" % change.repro_command(str(arguments.matrix)))
            continue
        for story in [s for s in found if s.representative.pair == (build, before, after)]:
            print("\n".join(story_lines(story, every_path, str(arguments.matrix))))
            for link in story.links:
                print("    %s: %s" % (link.ref, link.says))
    return 0


def advise(arguments: argparse.Namespace) -> int:
    """Per capture path, where the user's cases hold and the floor to pin; read from the matrix alone."""
    path = Path(arguments.matrix)
    if not path.is_file():
        raise ValueError("%s: no such matrix file (write one with `nox -s matrix`, or name it: advise MATRIX)" % path)
    matrix = read_matrix(path)
    if arguments.behaviours:
        cases = advice.choose_cases(matrix, arguments.behaviours)
        chosen = "--behaviours " + " ".join(arguments.behaviours)
    else:
        cases = advice.default_cases(matrix)
        chosen = "the behaviours of " + ", ".join(Path(f).name for f in advice.case_files(matrix))
    advised = advice.advise(matrix, cases, chosen)
    if arguments.json:
        print(json.dumps(advice.as_json(advised), indent=1, ensure_ascii=False))
        return 0
    print(advice.render(advised))
    return 0


def _story_record(story: Story, number: dict[Change, int]) -> dict[str, Any]:
    """One story for scripts: its class, releases, transition, links, and its
    cells as indexes into "changes" (the representative first)."""
    return {
        "class": story.kind,
        "build": story.build,
        "from": story.last_before,
        "to": story.first_after,
        "before": story.before,
        "after": story.after,
        "cells": len(story.changes),
        "behaviours": story.behaviours,
        "paths": story.paths,
        "representative": number[story.representative],
        "changes": [number[change] for change in story.changes],
        "links": [{"ref": link.ref, "url": link.url, "status": link.status, "says": link.says} for link in story.links],
        "unexplained": story.unexplained,
    }


def _change_record(
    matrix: dict[str, Any], cells: dict[CellKey, dict[str, Any]], matrix_path: str | Path, change: Change
) -> dict[str, Any]:
    """One change for scripts: its class, where, and each side's outcome,
    label and evidence in full; `cells`: the matrix's cell_index."""
    sides = {}
    for side, environment in zip(("before", "after"), change.environments):
        observation = cells[change.cell.key(environment)]
        found = _without_reproducer(matrix, observation)
        sides[side] = {"environment": environment, "outcome": observation["outcome"], "evidence": found}
    return {
        "class": change.kind,
        "build": change.build,
        "from": change.last_before,
        "to": change.first_after,
        "behaviour": change.behaviour,
        "exporter": change.exporter,
        "device": change.device,
        "shapes": change.shapes,
        "before": dict(sides["before"], label=change.before),
        "after": dict(sides["after"], label=change.after),
        "reproducer": change.repro_command(str(matrix_path)),
    }
