"""Every command-line option, declared once (as nox's `_option_set.py` does):
its flags, default and help. A parser takes the ones it needs by name
(`add_options`); a session that forwards one writes it with `given`."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
from pathlib import Path
from typing import Any, Callable

from exportmatrix.base import SCHEMA, SCHEMA_2
from exportmatrix.reports.changes import CHANGE_CLASSES
from exportmatrix.run import add_case_options, add_locked_option, add_selection_options


@dataclasses.dataclass(frozen=True)
class Option:
    """One option: the flags (or a positional's name) and what argparse is told of it."""

    flags: tuple[str, ...]
    help: str | None = None
    default: Any = None
    action: str | None = None
    dest: str | None = None
    type: Callable[[str], Any] | None = None
    nargs: int | str | None = None
    metavar: str | tuple[str, ...] | None = None
    choices: tuple[str, ...] | None = None
    required: bool = False

    def add_to(self, parser: argparse._ActionsContainer) -> None:
        # only what is set: argparse's own defaults differ by action (store_true's is False), and a
        # positional refuses `required` and `dest`
        settings = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "flags"}
        settings["required"] = self.required or None
        parser.add_argument(*self.flags, **{key: value for key, value in settings.items() if value is not None})


def _flag(flag: str, help: str, **settings: Any) -> Option:
    return Option((flag,), help, **settings)


CONFIG_DEFAULT = "$EXPORTMATRIX_CONFIG, ./matrix.toml, else the one shipped with the tool"
MATRIX_JSON = "results/matrix.json"

OPTIONS: dict[str, Option] = {
    # where things are
    "config": _flag("--config", "the matrix file (default: %s)" % CONFIG_DEFAULT),
    "results": _flag("--results", "the results folder (default: results)", default="results"),
    "replay-results": _flag("--results", "where the replay's results go (default: MATRIX's folder/replay)"),
    "envdir": _flag("--envdir", "where nox keeps the torch environments (default: ./.nox)", default=".nox"),
    "matrix": Option(("matrix",), "the matrix file, e.g. %s" % MATRIX_JSON),
    "matrix-or-default": Option(
        ("matrix",), "the matrix file (default: %s)" % MATRIX_JSON, default=Path(MATRIX_JSON), nargs="?", type=Path
    ),
    "diff-matrix": _flag("--matrix", "the matrix holding environments A and B", default=MATRIX_JSON),
    # what runs, and how
    "releases": Option(("releases",), "the releases to run (default: all)", nargs="*"),
    "builds": _flag(
        "--build",
        "builds to run, e.g. pypi,cpu (repeatable; default: default-builds of matrix.toml, else default-build)",
        action="append",
        dest="builds",
    ),
    "jobs": _flag("--jobs", "suites run at once (default: one per CPU)", default=os.cpu_count() or 2, type=int),
    "install-jobs": _flag(
        "--install-jobs",
        "environments installed at once, overlapping the suites (default: 1; raise it where downloads, not the "
        "disk, are the bottleneck)",
        default=1,
        type=int,
    ),
    "fresh": _flag("--fresh", "ignore earlier results: rerun every cell, reuse nothing", action="store_true"),
    "cell-timeout": _flag(
        "--cell-timeout", "seconds one cell may run (default: cell-timeout of matrix.toml)", type=float
    ),
    "download-python": _flag(
        "--download-python",
        "whether nox may download a Python that PATH, uv and pyenv do not have (nox's own option; "
        "default: $NOX_DOWNLOAD_PYTHON, else auto)",
        choices=("auto", "never", "always"),
    ),
    # `exportmatrix run`: a torch already installed
    "python": _flag("--python", "the interpreter whose torch to observe", required=True),
    "installed-build": _flag(
        "--build",
        "what to call this build (default: installed); a name such as cu121 is checked against the installed "
        "torch's local tag",
        default="installed",
    ),
    "installed-cell-timeout": _flag(
        "--cell-timeout", "seconds one cell may run (default: 120)", default=120, type=float
    ),
    # `environments`
    "only-releases": _flag("--release", "only this release (repeatable)", action="append", dest="releases"),
    "only-builds": _flag("--build", "only this build (repeatable)", action="append", dest="builds"),
    "json": _flag("--json", "print JSON instead of a table", action="store_true"),
    # `aggregate`
    # --from names a release (`changes --from 2.9 --to 2.10`); a folder has its own flag, the old spelling kept
    "streams": Option(
        ("--streams", "--from"),
        "read the streams from this folder and its sub-folders (e.g. downloaded CI artifacts) instead of "
        "RESULTS/envs (--from: deprecated spelling of --streams)",
        dest="streams",
        metavar="FOLDER",
    ),
    "onto": _flag(
        "--onto",
        "merge the streams' environments onto this matrix file's others (each stream's environment replaces "
        "the one of the same id): a new release added to a committed matrix",
        metavar="MATRIX",
    ),
    "expect": _flag(
        "--expect",
        'the sessions that must have results, as a JSON list (\'["torch-2.4","torch-2.10"]\', what the CI\'s '
        "list job prints) or separated by commas; exit 1 naming each that has no stream (e.g. its CI artifact is "
        "missing), after writing the matrix and reports of what is there",
        metavar="SESSIONS",
    ),
    # `site` and `convert`
    "site-out": _flag("--out", "the site's folder (replaced whole)", required=True),
    "out-file": Option(("out",), "the file to write"),
    "schema": _flag("--schema", "default: %s" % SCHEMA, default=SCHEMA, choices=(SCHEMA, SCHEMA_2)),
    # `diff`
    "a": Option(("a",), nargs="?"),
    "b": Option(("b",), nargs="?"),
    "diff-builds": _flag(
        "--builds", "compare two builds of each release they share", nargs=2, metavar=("BUILD_A", "BUILD_B")
    ),
    "devices": _flag(
        "--devices",
        "the cells of --matrix whose outcome differs between two devices (cpu cuda) of one environment, with "
        "both evidences",
        nargs=2,
        metavar=("DEVICE_A", "DEVICE_B"),
    ),
    "diff-release": _flag("--release", "with --builds: only this release (e.g. 2.4)"),
    # `check`
    "baseline": _flag(
        "--baseline",
        "the baseline file (e.g. baseline.json), or another matrix.json to compare with cell for cell",
        required=True,
    ),
    "update": _flag("--update", "write MATRIX's outcomes as the new baseline", action="store_true"),
    "allow-missing": _flag(
        "--allow-missing",
        "accept baseline cells and environments that were not observed or are not ok (said in the output); "
        "moved cells still fail",
        action="store_true",
    ),
    "strict-new": _flag(
        "--strict-new",
        "fail (exit 4) on cells and environments not in the baseline (default: report them, pass)",
        action="store_true",
    ),
    # one cell: `repro` and `bisect`
    "environment": Option(("environment",), "the environment: its id, session (torch-2.4) or release (2.4)"),
    "behaviour": Option(("behaviour",), "the behaviour's id, e.g. attr.tensor_reassign"),
    "exporter": Option(("exporter",), "the capture path, e.g. export_strict"),
    "device": _flag("--device", "default: cpu", default="cpu"),
    "cell-shapes": _flag("--shapes", "default: static", default="static", choices=("static", "dynamic")),
    # no choices: bisect names the matrix's own shapes when one is unknown
    "bisect-shapes": _flag("--shapes", "default: static", default="static"),
    "short": _flag(
        "--short",
        "the short reproducer: at most 40 lines importing only torch, the capture call of that release, two "
        "calls of eager and artifact, what differs, OUTCOME: <outcome> from plain comparison",
        default=True,
        action="store_false",
        dest="full",
    ),
    # --full means summary's long form; in repro it only ever asked for the default, so it does nothing there
    "full": _flag(
        "--full",
        "deprecated, does nothing: the full reproducer is the default",
        default=True,
        action="store_true",
        dest="full",
    ),
    "between": _flag(
        "--between",
        'two releases: minors ("2.9 2.10": all their patch releases) or patch releases ("2.9.1 2.10.0")',
        nargs=2,
        metavar=("EARLIER", "LATER"),
        required=True,
    ),
    "bisect-build": _flag("--build", "the build whose index and releases to use (default: the default build)"),
    # `summary`
    "full-summary": _flag(
        "--full", "every grid, upstream verdict and change instead (one line per behaviour)", action="store_true"
    ),
    # `releases`
    "newest": _flag("--newest", "only the newest release", action="store_true"),
    "index": _flag("--index", "a JSON API other than https://pypi.org/pypi"),
    "missing-from": _flag(
        "--missing-from",
        "with --newest: also say whether this matrix file lacks it (missing=true|false)",
        type=Path,
        metavar="MATRIX",
    ),
    "github-output": _flag(
        "--github-output",
        "with --newest: append release=... (and missing=...) to this file ($GITHUB_OUTPUT)",
        type=Path,
        metavar="FILE",
    ),
    # `changes`
    "since": _flag("--from", "only changes from this release (e.g. 2.9)", dest="since", metavar="RELEASE"),
    "until": _flag("--to", "only changes to this release (e.g. 2.10)", dest="until", metavar="RELEASE"),
    "classes": _flag(
        "--class",
        "only this class (repeatable): " + ", ".join(c.replace(" ", "-") for c in CHANGE_CLASSES),
        action="append",
        dest="classes",
        metavar="CLASS",
    ),
    "cells": _flag("--cells", "every changed cell on a line of its own, not stories", action="store_true"),
    # `advise`
    "advise-behaviours": _flag(
        "--behaviours",
        "the cases: behaviour ids or fnmatch patterns (attr.tensor_reassign 'kv_cache.*'; repeatable; default: the "
        "behaviours of the case files the matrix ran)",
        action="extend",
        nargs="+",
        dest="behaviours",
        metavar="ID|PATTERN",
    ),
    "advise-json": _flag(
        "--json",
        '{"cases": [...], "skipped": [...], "series": [{"build", "device", "shapes", "paths": [{"path", "floor", '
        '"cases": [...]}]}]}',
        action="store_true",
    ),
    "changes-json": _flag(
        "--json", '{"stories": [...], "changes": [...]}, each change with its evidence', action="store_true"
    ),
}

# What a session parses from its posargs (below cli/, in run/session.py, where
# they are declared); taken by name like the others.
SESSION_OPTIONS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "cases": add_case_options,
    "installed-cases": functools.partial(add_case_options, installs=False),
    "selection": add_selection_options,
    "installed-selection": functools.partial(add_selection_options, configured=False),
    "locked": add_locked_option,
}


def add_options(parser: argparse.ArgumentParser, *names: str | tuple[str, ...]) -> None:
    """Add the named options; a tuple of names: options that exclude each other."""
    for name in names:
        if isinstance(name, tuple):
            group = parser.add_mutually_exclusive_group()
            for each in name:
                OPTIONS[each].add_to(group)
        elif name in SESSION_OPTIONS:
            SESSION_OPTIONS[name](parser)
        else:
            OPTIONS[name].add_to(parser)


def given(name: str, value: object) -> list[str]:
    """The option `name` set to `value`, as a command line writes it."""
    return [OPTIONS[name].flags[0], str(value)]
