"""`exportmatrix --help`: one small function per command's options."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Callable

from exportmatrix import __version__
from exportmatrix.base import SCHEMA, SCHEMA_2
from exportmatrix.cli import bisect, commands, replay
from exportmatrix.reports.changes import CHANGE_CLASSES
from exportmatrix.run import add_case_options, add_selection_options

AddParser = Callable[..., argparse.ArgumentParser]  # a subcommand's add_parser
RESULTS_HELP = "the results folder (default: results)"


def _fronts(add: AddParser) -> None:
    """Listed here for --help; main() hands their arguments on (cli/front.py)."""
    add("matrix", add_help=False, help="run the matrix from this directory (see `exportmatrix matrix --help`)")
    add("nox", add_help=False, help="run nox with the tool's sessions from this directory (`exportmatrix nox --list`)")


def _environments(add: AddParser) -> None:
    sub = add("environments", help="list the environments matrix.toml declares")
    sub.add_argument(
        "--config", default=None, help="the matrix file (default: ./matrix.toml, else the one shipped with the tool)"
    )
    sub.add_argument("--release", dest="releases", action="append", help="only this release (repeatable)")
    sub.add_argument("--build", dest="builds", action="append", help="only this build (repeatable)")
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub.set_defaults(run=commands.environments)


def _aggregate(add: AddParser) -> None:
    sub = add("aggregate", help="merge results/envs/*.jsonl into results/matrix.json")
    sub.add_argument("--results", default="results", help=RESULTS_HELP)
    sub.add_argument(
        "--from",
        dest="streams",
        default=None,
        help="read the streams from this folder and its sub-folders (e.g. downloaded CI artifacts) "
        "instead of RESULTS/envs",
    )
    sub.add_argument(
        "--onto",
        default=None,
        metavar="MATRIX",
        help="merge the streams' environments onto this matrix file's others (each stream's environment replaces "
        "the one of the same id): a new release added to a committed matrix",
    )
    sub.add_argument(
        "--expect",
        default=None,
        metavar="SESSIONS",
        help='the sessions that must have results, as a JSON list (\'["torch-2.4","torch-2.10"]\', what the CI\'s '
        "list job prints) or separated by commas; exit 1 naming each that has no stream (e.g. its CI artifact is "
        "missing), after writing the matrix and reports of what is there",
    )
    sub.set_defaults(run=commands.aggregate)


def _run(add: AddParser) -> None:
    sub = add(
        "run",
        help="run the suite against a torch that is already installed for an interpreter",
        description="Run the suite with PYTHON's own torch (no install) and write results/envs/<id>.jsonl, "
        "which merges into any matrix.",
    )
    sub.add_argument("--python", required=True, help="the interpreter whose torch to observe")
    sub.add_argument("--results", default="results", help=RESULTS_HELP)
    sub.add_argument(
        "--build",
        default="installed",
        help="what to call this build (default: installed); a name such as cu121 is checked "
        "against the installed torch's local tag",
    )
    sub.add_argument("--cell-timeout", type=float, default=120, help="seconds one cell may run (default: 120)")
    sub.add_argument("--fresh", action="store_true", help="rerun every cell, reuse nothing")
    add_case_options(sub, installs=False)
    add_selection_options(sub, configured=False)
    sub.set_defaults(run=commands.run)


def _report(add: AddParser) -> None:
    sub = add("report", help="render results/matrix.md and matrix.html from results/matrix.json")
    sub.add_argument("--results", default="results", help=RESULTS_HELP)
    sub.set_defaults(run=commands.report)


def _site(add: AddParser) -> None:
    sub = add(
        "site",
        help="write the matrix as a static site: index.html (the grid), a page per behaviour, release and capture path",
        description="Plain files, nothing loaded from the network: they work from file:// and any static host.",
    )
    sub.add_argument("matrix", help="the matrix file to read (results/matrix.json)")
    sub.add_argument("--out", required=True, help="the site's folder (replaced whole)")
    sub.set_defaults(run=commands.site)


def _convert(add: AddParser) -> None:
    sub = add(
        "convert",
        help="write a matrix file (exportmatrix/1, /2 or /3) as /3, the compact table, or /2, each cell an object",
        description="Migrate an older matrix file, or write the cells one object each (exportmatrix/2) for tools "
        "that read them one by one (jq, pandas); every exportmatrix command reads all three.",
    )
    sub.add_argument("matrix", help="the matrix file to read")
    sub.add_argument("out", help="the file to write")
    sub.add_argument("--schema", choices=(SCHEMA, SCHEMA_2), default=SCHEMA, help="default: %s" % SCHEMA)
    sub.set_defaults(run=commands.convert)


def _diff(add: AddParser) -> None:
    sub = add(
        "diff",
        help="cells whose outcome differs between two matrix files, two environments, or two builds",
        description="A and B are two matrix files, or two environments (id, session or release) of --matrix; "
        "or, with --builds, the cells of --matrix whose outcome differs between two builds of the same release; "
        "or, with --devices, between two devices of the same environment.",
    )
    sub.add_argument("a", nargs="?")
    sub.add_argument("b", nargs="?")
    sub.add_argument(
        "--builds", nargs=2, metavar=("BUILD_A", "BUILD_B"), help="compare two builds of each release they share"
    )
    sub.add_argument(
        "--devices",
        nargs=2,
        metavar=("DEVICE_A", "DEVICE_B"),
        help="the cells of --matrix whose outcome differs between two devices (cpu cuda) of one environment, "
        "with both evidences",
    )
    sub.add_argument("--release", default=None, help="with --builds: only this release (e.g. 2.4)")
    sub.add_argument("--matrix", default="results/matrix.json", help="the matrix holding environments A and B")
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub.set_defaults(run=commands.diff)


def _check(add: AddParser) -> None:
    sub = add(
        "check",
        help="exit non-zero when a cell moved from the baseline or baseline data was not observed (a CI gate)",
        description="Compare MATRIX with BASELINE cell for cell and list what moved, what is missing (whole "
        "environments by session, a few cells) and what is new. Exit codes: 0 passed; 1 a cell's outcome moved; "
        "2 a usage error or an unreadable file; 3 baseline data was not observed (a cell of the baseline, an "
        "environment missing from MATRIX, or one there whose status is not ok: install-failed, import-failed, "
        "incomplete); 4 cells not in the baseline, with --strict-new. Where several apply, 3 wins over 1, "
        "and 1 over 4.",
    )
    sub.add_argument("matrix", nargs="?", default="results/matrix.json")
    sub.add_argument(
        "--baseline",
        required=True,
        help="the baseline file (e.g. baseline.json), or another matrix.json to compare with cell for cell",
    )
    sub.add_argument("--update", action="store_true", help="write MATRIX's outcomes as the new baseline")
    sub.add_argument(
        "--allow-missing",
        action="store_true",
        help="accept baseline cells and environments that were not observed or are not ok (said in the output); "
        "moved cells still fail",
    )
    sub.add_argument(
        "--strict-new",
        action="store_true",
        help="fail (exit 4) on cells and environments not in the baseline (default: report them, pass)",
    )
    sub.set_defaults(run=commands.check)


def _replay(add: AddParser) -> None:
    sub = add(
        "replay",
        help="rebuild a recorded matrix's environments with exactly their package sets and run them again",
        description="Rebuild each environment of MATRIX with exactly the package set it recorded (every "
        "distribution at its recorded version, from the index it came from) and run the suite again, through "
        "the same nox sessions as `nox -s matrix -- --locked MATRIX`. An environment whose set cannot be had "
        "any more (a package gone from its index) is install-failed, naming it; the others run.",
    )
    sub.add_argument("matrix", help="the recorded matrix, e.g. results/matrix.json")
    sub.add_argument("releases", nargs="*", help="only these releases of it (default: all)")
    sub.add_argument("--results", default=None, help="where the replay's results go (default: MATRIX's folder/replay)")
    sub.add_argument(
        "--config",
        default=None,
        help="the matrix.toml whose sessions rebuild the environments (default: $EXPORTMATRIX_CONFIG, "
        "./matrix.toml, else the one shipped with the tool)",
    )
    sub.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="suites run at once (default: one per CPU)")
    sub.set_defaults(run=replay.replay)


def _repro(add: AddParser) -> None:
    sub = add(
        "repro",
        help="print one cell's standalone reproducer",
        description="Print a standalone reproducer of one cell of MATRIX: a Python file that rebuilds the "
        "behaviour, captures it exactly as the suite did in that release and prints OUTCOME: <outcome>. "
        "The full one by default (--full), the short one with --short.",
    )
    sub.add_argument("matrix", help="the matrix, e.g. results/matrix.json")
    sub.add_argument("environment", help="the environment: its id, session (torch-2.4) or release (2.4)")
    sub.add_argument("behaviour", help="the behaviour's id, e.g. attr.tensor_reassign")
    sub.add_argument("exporter", help="the capture path, e.g. export_strict")
    sub.add_argument("--device", default="cpu", help="default: cpu")
    sub.add_argument("--shapes", default="static", choices=("static", "dynamic"), help="default: static")
    form = sub.add_mutually_exclusive_group()
    form.add_argument(
        "--short",
        dest="full",
        action="store_false",
        help="the short reproducer: at most 40 lines importing only torch, the capture call of that "
        "release, two calls of eager and artifact, what differs, OUTCOME: <outcome> from plain comparison",
    )
    form.add_argument(
        "--full",
        dest="full",
        action="store_true",
        help="the full reproducer, the record (the default, as before --short existed): it carries the "
        "classification rule verbatim and prints exactly the recorded verdict",
    )
    sub.set_defaults(run=commands.repro, full=True)


def _summary(add: AddParser) -> None:
    sub = add("summary", help="print the terminal summary of a matrix file (at most 60 lines)")
    sub.add_argument("matrix", nargs="?", default="results/matrix.json", help="default: results/matrix.json")
    sub.add_argument(
        "--full", action="store_true", help="every grid, upstream verdict and change instead (one line per behaviour)"
    )
    sub.set_defaults(run=commands.summary)


def _releases(add: AddParser) -> None:
    sub = add(
        "releases",
        help="the torch releases PyPI has (--newest: the newest), from its JSON API",
        description="The final torch releases on PyPI, oldest first, read from its JSON API (or the one "
        "EXPORTMATRIX_PYPI_JSON or --index names); a clear error, within 30 s, when it cannot be read.",
    )
    sub.add_argument("--newest", action="store_true", help="only the newest release")
    sub.add_argument("--index", default=None, help="a JSON API other than https://pypi.org/pypi")
    sub.add_argument(
        "--missing-from",
        type=Path,
        default=None,
        metavar="MATRIX",
        help="with --newest: also say whether this matrix file lacks it (missing=true|false)",
    )
    sub.add_argument(
        "--github-output",
        type=Path,
        default=None,
        metavar="FILE",
        help="with --newest: append release=... (and missing=...) to this file ($GITHUB_OUTPUT)",
    )
    sub.set_defaults(run=commands.releases)


def _changes(add: AddParser) -> None:
    sub = add(
        "changes",
        help="the outcome changes between consecutive releases, as stories (release notes)",
        description="The cells whose outcome changes between consecutive releases of one build, grouped into "
        "stories: changes of one class between the same releases whose two sides read the same (the error's kind "
        "and first line, or the kind of state that differs and when), each with its cells, one representative, "
        "the command that prints its short reproducer, and the upstream links that explain it (unexplained where "
        "none does). The classes, worst first: " + ", ".join(CHANGE_CLASSES) + ".",
    )
    sub.add_argument("matrix", nargs="?", type=Path, default=Path("results/matrix.json"), help="a matrix.json")
    sub.add_argument("--from", dest="since", metavar="RELEASE", help="only changes from this release (e.g. 2.9)")
    sub.add_argument("--to", dest="until", metavar="RELEASE", help="only changes to this release (e.g. 2.10)")
    sub.add_argument(
        "--class",
        dest="classes",
        action="append",
        metavar="CLASS",
        help="only this class (repeatable): " + ", ".join(c.replace(" ", "-") for c in CHANGE_CLASSES),
    )
    sub.add_argument("--cells", action="store_true", help="every changed cell on a line of its own, not stories")
    sub.add_argument(
        "--json", action="store_true", help='{"stories": [...], "changes": [...]}, each change with its evidence'
    )
    sub.set_defaults(run=commands.changes)


def _bisect(add: AddParser) -> None:
    sub = add(
        "bisect",
        help="the first patch release where one cell's outcome became what it is in a later release",
        description="Look up every patch release the build's index offers from the first minor to the last "
        "(e.g. 2.9.0, 2.9.1, 2.10.0), observe the one cell in each through the matrix's nox sessions (a cell "
        "RESULTS/matrix.json already holds for exactly that torch is not run again), and print the first release "
        "where the outcome became what it is in the later release, with both evidences. Exit codes: 0 found; "
        "1 the outcome does not change; 2 a usage error; 3 the index could not be read or the later end could "
        "not be observed.",
    )
    sub.add_argument("behaviour", help="the behaviour's id, e.g. attr.tensor_reassign")
    sub.add_argument("exporter", help="the capture path, e.g. dynamo_export")
    sub.add_argument(
        "--between",
        nargs=2,
        required=True,
        metavar=("EARLIER", "LATER"),
        help='two releases: minors ("2.9 2.10": all their patch releases) or patch releases ("2.9.1 2.10.0")',
    )
    sub.add_argument("--device", default="cpu", help="default: cpu")
    sub.add_argument("--shapes", default="static", help="default: static")
    sub.add_argument(
        "--build", default=None, help="the build whose index and releases to use (default: the default build)"
    )
    sub.add_argument("--results", default="results", help=RESULTS_HELP + "; the bisect runs into RESULTS/bisect")
    sub.add_argument(
        "--config",
        default=None,
        help="the matrix file whose sessions install the releases (default: $EXPORTMATRIX_CONFIG, ./matrix.toml, "
        "else the one shipped with the tool)",
    )
    sub.set_defaults(run=bisect.bisect)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="exportmatrix",
        description="Which torch.export mutation behaviours hold in which torch release and device build. "
        "Environments are run by nox (`nox -s matrix`, `nox -s torch-2.4`); this command plans them, "
        "merges their results and prints summaries.",
    )
    top.add_argument("--version", action="version", version="exportmatrix " + __version__)
    commands_ = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (
        _fronts,
        _environments,
        _aggregate,
        _run,
        _report,
        _site,
        _diff,
        _check,
        _replay,
        _repro,
        _convert,
        _summary,
        _changes,
        _releases,
        _bisect,
    ):
        command(commands_.add_parser)
    return top
