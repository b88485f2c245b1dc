"""`exportmatrix --help`: each command, what it runs and which options it
takes (declared in cli/options.py)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Callable

from exportmatrix import __version__
from exportmatrix.cli import bisect, commands, replay
from exportmatrix.cli.options import add_options
from exportmatrix.reports.changes import CHANGE_CLASSES


def _fronts(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Listed here for --help; main() hands their arguments on (cli/front.py)."""
    add("matrix", add_help=False, help="run the matrix from this directory (see `exportmatrix matrix --help`)")
    add("nox", add_help=False, help="run nox with the tool's sessions from this directory (`exportmatrix nox --list`)")


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[argparse.Namespace], int]
    options: tuple[str | tuple[str, ...], ...]  # names in cli/options.py
    text: str  # as a docstring reads: its help (the first line), then its description

    def add_to(self, add: Callable[..., argparse.ArgumentParser]) -> None:
        help, _, description = self.text.partition("\n\n")
        sub = add(self.name, help=help, description=description or None)  # argparse folds the white space
        add_options(sub, *self.options)
        sub.set_defaults(run=self.run)


COMMANDS = (
    Command(
        "environments",
        commands.environments,
        ("config", "only-releases", "only-builds", "json"),
        "list the environments matrix.toml declares",
    ),
    Command(
        "aggregate",
        commands.aggregate,
        ("results", "streams", "onto", "expect"),
        "merge results/envs/*.jsonl into results/matrix.json",
    ),
    Command(
        "run",
        commands.run,
        (
            "python",
            "results",
            "installed-build",
            "installed-cell-timeout",
            "fresh",
            "installed-cases",
            "installed-selection",
        ),
        """run the suite against a torch that is already installed for an interpreter

        Run the suite with PYTHON's own torch (no install) and write results/envs/<id>.jsonl, which merges into any
        matrix.""",
    ),
    Command(
        "report",
        commands.report,
        ("results",),
        "render results/matrix.md and matrix.html from results/matrix.json",
    ),
    Command(
        "site",
        commands.site,
        ("matrix", "site-out"),
        """write the matrix as a static site: index.html (the grid), a page per behaviour, release and capture path

        Plain files, nothing loaded from the network: they work from file:// and any static host.""",
    ),
    Command(
        "diff",
        commands.diff,
        ("a", "b", "diff-builds", "devices", "diff-release", "diff-matrix", "json"),
        """cells whose outcome differs between two matrix files, two environments, or two builds

        A and B are two matrix files, or two environments (id, session or release) of --matrix; or, with --builds,
        the cells of --matrix whose outcome differs between two builds of the same release; or, with --devices,
        between two devices of the same environment.""",
    ),
    Command(
        "check",
        commands.check,
        ("matrix-or-default", "baseline", "update", "allow-missing", "strict-new"),
        """exit non-zero when a cell moved from the baseline or baseline data was not observed (a CI gate)

        Compare MATRIX with BASELINE cell for cell and list what moved, what is missing (whole environments by
        session, a few cells) and what is new. Exit codes: 0 passed; 1 a cell's outcome moved; 2 a usage error or an
        unreadable file; 3 baseline data was not observed (a cell of the baseline, an environment missing from
        MATRIX, or one there whose status is not ok: install-failed, import-failed, incomplete, checks-failed); 4 cells
        not in the baseline, with --strict-new. Where several apply, 3 wins over 1, and 1 over 4.""",
    ),
    Command(
        "replay",
        replay.replay,
        ("matrix", "releases", "replay-results", "config", "jobs"),
        """rebuild a recorded matrix's environments with exactly their package sets and run them again

        Rebuild each environment of MATRIX with exactly the package set it recorded (every distribution at its
        recorded version, from the index it came from) and run the suite again, through the same nox sessions as
        `nox -s matrix -- --locked MATRIX`. An environment whose set cannot be had any more (a package gone from its
        index) is install-failed, naming it; the others run.""",
    ),
    Command(
        "repro",
        commands.repro,
        ("matrix", "environment", "behaviour", "exporter", "device", "cell-shapes", ("short", "full")),
        """print one cell's standalone reproducer

        Print a standalone reproducer of one cell of MATRIX: a Python file that rebuilds the behaviour, captures it
        exactly as the suite did in that release and prints OUTCOME: <outcome>. The full one, the record, by
        default: it carries the classification rule verbatim and prints exactly the recorded verdict. The short
        one with --short.""",
    ),
    Command(
        "convert",
        commands.convert,
        ("matrix", "out-file", "schema"),
        """write a matrix file (exportmatrix/1, /2 or /3) as /3, the compact table, or /2, each cell an object

        Migrate an older matrix file, or write the cells one object each (exportmatrix/2) for tools that read them
        one by one (jq, pandas); every exportmatrix command reads all three.""",
    ),
    Command(
        "summary",
        commands.summary,
        ("matrix-or-default", "full-summary"),
        "print the terminal summary of a matrix file (at most 60 lines)",
    ),
    Command(
        "changes",
        commands.changes,
        ("matrix-or-default", "since", "until", "classes", "cells", "changes-json"),
        """the outcome changes between consecutive releases, as stories (release notes)

        The cells whose outcome changes between consecutive releases of one build, grouped into stories: changes of
        one class between the same releases whose two sides read the same (the error's kind and first line, or the
        kind of state that differs and when), each with its cells, one representative, the command that prints its
        short reproducer, and the upstream links that explain it (unexplained where none does). The classes, worst
        first: %s."""
        % ", ".join(CHANGE_CLASSES),
    ),
    Command(
        "advise",
        commands.advise,
        ("matrix-or-default", "advise-behaviours", "advise-json"),
        """per capture path, the releases where your cases hold and the torch floor to pin

        Read MATRIX (nothing runs) and, for your cases (the behaviours of the case files it ran, or those --behaviours
        names by id or pattern), print per capture path the releases where each case holds, as ranges (2.4–2.5,
        2.8–2.15), and the floor: the oldest release from which every case holds through the newest release the path
        was observed in (export_nonstrict: torch>=2.6), or no release, naming the case that does not hold in the
        newest and its outcome there. Environments whose status is not ok are skipped and named. Where the matrix
        has several builds, devices or shapes, each has its own paths. Exit codes: 0 advised (whether or not a path
        has a floor); 2 a usage error, an unknown behaviour, or a matrix file missing or unreadable.""",
    ),
    Command(
        "releases",
        commands.releases,
        ("newest", "index", "missing-from", "github-output"),
        """the torch releases PyPI has (--newest: the newest), from its JSON API

        The final torch releases on PyPI, oldest first, read from its JSON API (or the one EXPORTMATRIX_PYPI_JSON or
        --index names); a clear error, within 30 s, when it cannot be read.""",
    ),
    Command(
        "bisect",
        bisect.bisect,
        ("behaviour", "exporter", "between", "device", "bisect-shapes", "bisect-build", "results", "config"),
        """the first patch release where one cell's outcome became what it is in a later release

        Look up every patch release the build's index offers from the first minor to the last (e.g. 2.9.0, 2.9.1,
        2.10.0), observe the one cell in each through the matrix's nox sessions, into RESULTS/bisect (a cell
        RESULTS/matrix.json already holds for exactly that torch is not run again), and print the first release
        where the outcome became what it is in the later release, with both evidences. Exit codes: 0 found; 1 the
        outcome does not change; 2 a usage error; 3 the index could not be read or the later end could not be
        observed.""",
    ),
)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="exportmatrix",
        description="Which torch.export mutation behaviours hold in which torch release and device build. "
        "Environments are run by nox (`nox -s matrix`, `nox -s torch-2.4`); this command plans them, "
        "merges their results and prints summaries.",
    )
    top.add_argument("--version", action="version", version="exportmatrix " + __version__)
    add = top.add_subparsers(dest="command", required=True, metavar="COMMAND").add_parser
    _fronts(add)
    for command in COMMANDS:
        command.add_to(add)
    return top
