"""The `exportmatrix` command: see `exportmatrix --help`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from exportmatrix import __version__
from exportmatrix.baseline import compare, load_baseline, make_baseline
from exportmatrix.config import ConfigError, load
from exportmatrix.diff import cells_by_key, differences, find_environment, render_table
from exportmatrix.environments import plan
from exportmatrix.installed import NoTorch, run_installed
from exportmatrix.lock import Locked, ResultsLock
from exportmatrix.orchestrate import merge_and_report
from exportmatrix.reports import write_reports
from exportmatrix.summary import render


def _environments(arguments: argparse.Namespace) -> int:
    config = load(arguments.config)
    environments = plan(config, arguments.releases or None, arguments.builds or None)
    if arguments.json:
        print(
            json.dumps(
                [{**e.describe(), "python": e.python, "install": e.install_steps()} for e in environments], indent=1
            )
        )
    else:
        for environment in environments:
            print(
                "%-22s python %-5s %s"
                % (
                    environment.session_name,
                    environment.python,
                    " && ".join(" ".join(step) for step in environment.install_steps()),
                )
            )
    return 0


def _aggregate(arguments: argparse.Namespace) -> int:
    return merge_and_report(Path(arguments.results), streams=Path(arguments.streams) if arguments.streams else None)


def _load(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as error:
        raise ValueError("%s: not JSON (%s)" % (path, error)) from None


def _report(arguments: argparse.Namespace) -> int:
    results = Path(arguments.results)
    for path in write_reports(_load(str(results / "matrix.json")), results):
        print("exportmatrix: wrote %s" % path)
    return 0


def _diff(arguments: argparse.Namespace) -> int:
    if Path(arguments.a).is_file() and Path(arguments.b).is_file():
        rows = differences(cells_by_key(_load(arguments.a)), cells_by_key(_load(arguments.b)))
    else:
        matrix = _load(arguments.matrix)
        a, b = find_environment(matrix, arguments.a), find_environment(matrix, arguments.b)
        rows = differences(cells_by_key(matrix, a), cells_by_key(matrix, b))
    print(json.dumps(rows, indent=1) if arguments.json else render_table(rows, arguments.a, arguments.b))
    return 0


def _check(arguments: argparse.Namespace) -> int:
    matrix = _load(arguments.matrix)
    baseline_path = Path(arguments.baseline)
    if arguments.update:
        baseline_path.write_text(json.dumps(make_baseline(matrix), indent=1) + "\n", encoding="utf-8")
        print("exportmatrix: wrote %s (%d cells)" % (baseline_path, len(matrix["observations"])))
        return 0
    drift = compare(load_baseline(baseline_path), matrix)
    for cell, before, now in drift.moved:
        print("moved: %s: %s → %s" % (cell, before, now))
    print(
        "exportmatrix: %d cells moved, %d new, %d in the baseline but not observed"
        % (len(drift.moved), len(drift.new), len(drift.missing))
    )
    return 1 if drift.moved else 0


def _run(arguments: argparse.Namespace) -> int:
    try:
        with ResultsLock(Path(arguments.results)):
            returncode, path = run_installed(
                arguments.python, Path(arguments.results), arguments.build, arguments.cell_timeout, arguments.fresh
            )
    except (NoTorch, Locked) as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2
    print("exportmatrix: wrote %s; merge it with `exportmatrix aggregate --results %s`" % (path, arguments.results))
    return returncode


def _summary(arguments: argparse.Namespace) -> int:
    with open(arguments.matrix, encoding="utf-8") as handle:
        print(render(json.load(handle)))
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="exportmatrix",
        description="Which torch.export mutation behaviours hold in which torch release and device build. "
        "Environments are run by nox (`nox -s matrix`, `nox -s torch-2.4`); this command plans them, "
        "merges their results and prints summaries.",
    )
    top.add_argument("--version", action="version", version="exportmatrix " + __version__)
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    environments = commands.add_parser("environments", help="list the environments matrix.toml declares")
    environments.add_argument("--config", default="matrix.toml", help="the matrix file (default: matrix.toml)")
    environments.add_argument("--release", dest="releases", action="append", help="only this release (repeatable)")
    environments.add_argument("--build", dest="builds", action="append", help="only this build (repeatable)")
    environments.add_argument("--json", action="store_true", help="print JSON instead of a table")
    environments.set_defaults(run=_environments)

    merge = commands.add_parser("aggregate", help="merge results/envs/*.jsonl into results/matrix.json")
    merge.add_argument("--results", default="results", help="the results folder (default: results)")
    merge.add_argument(
        "--from",
        dest="streams",
        default=None,
        help="read the streams from this folder and its sub-folders (e.g. downloaded CI artifacts) "
        "instead of RESULTS/envs",
    )
    merge.set_defaults(run=_aggregate)

    run = commands.add_parser(
        "run",
        help="run the suite against a torch that is already installed for an interpreter",
        description="Run the suite with PYTHON's own torch (no install) and write results/envs/<id>.jsonl, "
        "which merges into any matrix.",
    )
    run.add_argument("--python", required=True, help="the interpreter whose torch to observe")
    run.add_argument("--results", default="results", help="the results folder (default: results)")
    run.add_argument(
        "--build",
        default="installed",
        help="what to call this build (default: installed); a name such as cu121 is checked "
        "against the installed torch's local tag",
    )
    run.add_argument("--cell-timeout", type=float, default=120, help="seconds one cell may run (default: 120)")
    run.add_argument("--fresh", action="store_true", help="rerun every cell, reuse nothing")
    run.set_defaults(run=_run)

    report = commands.add_parser("report", help="render results/matrix.md and matrix.html from results/matrix.json")
    report.add_argument("--results", default="results", help="the results folder (default: results)")
    report.set_defaults(run=_report)

    diff = commands.add_parser(
        "diff",
        help="cells whose outcome differs between two matrix files, or two environments of one matrix",
        description="A and B are two matrix files, or two environments (id, session or release) of --matrix.",
    )
    diff.add_argument("a")
    diff.add_argument("b")
    diff.add_argument("--matrix", default="results/matrix.json", help="the matrix holding environments A and B")
    diff.add_argument("--json", action="store_true", help="print JSON instead of a table")
    diff.set_defaults(run=_diff)

    check = commands.add_parser(
        "check",
        help="exit non-zero when a cell's outcome moved from the baseline (a CI gate)",
        description="Compare MATRIX with BASELINE; list every cell whose outcome moved and exit 1 if any did.",
    )
    check.add_argument("matrix", nargs="?", default="results/matrix.json")
    check.add_argument("--baseline", required=True, help="the baseline file, e.g. baseline.json")
    check.add_argument("--update", action="store_true", help="write MATRIX's outcomes as the new baseline")
    check.set_defaults(run=_check)

    summary = commands.add_parser("summary", help="print the terminal summary of a matrix file")
    summary.add_argument("matrix", nargs="?", default="results/matrix.json", help="default: results/matrix.json")
    summary.set_defaults(run=_summary)
    return top


def main(argv: list[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    try:
        return int(arguments.run(arguments))
    except ConfigError as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2
    except (OSError, ValueError) as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
