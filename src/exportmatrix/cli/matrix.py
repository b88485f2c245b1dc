"""`nox -s matrix` and `nox -s aggregate`: run the environments (or take the
streams as they are), merge them into results/matrix.json, write the reports
and print the summary."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from exportmatrix.base import incomplete, read_matrix, write_matrix
from exportmatrix.cli.options import add_options
from exportmatrix.config import ConfigError, Environment, Locks, MatrixConfig, default_matrix, plan
from exportmatrix.merge import aggregate, onto
from exportmatrix.reports import terminal, write_reports
from exportmatrix.run import (
    IN_BATCH,
    Batch,
    Locked,
    ResultsLock,
    SessionOptions,
    options_from,
    report_problems,
    reused_cells,
    run_batch,
)
from exportmatrix.streams import envs_dir


def recorded_sessions(results: Path) -> set[str]:
    """The sessions results/matrix.json holds (none where there is none yet)."""
    path = results / "matrix.json"
    try:
        with open(path, encoding="utf-8") as handle:
            environments = json.load(handle).get("environments", [])
        return {e["session"] for e in environments if e.get("session")}
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        return set()


def merge_and_report(
    results: Path,
    sessions: set[str] | None = None,
    streams: Path | None = None,
    expect: Sequence[str] | None = None,
    focus: str | None = None,
    onto_matrix: Path | None = None,
) -> int:
    """Write results/matrix.json (and its reports) from the named sessions'
    streams (default: all) found under `streams` (default: results/envs),
    print the summary (with `focus`, a session: that environment's own,
    against its neighbouring releases); non-zero if anything could not be
    merged, an environment did not complete, or a session of `expect` has no
    stream (what is there is written all the same). With `onto_matrix`, the
    streams' environments are merged onto that matrix file's others."""
    source = streams or envs_dir(results)
    merged = aggregate(source, sessions)
    if onto_matrix is not None:
        merged.matrix = onto(read_matrix(onto_matrix), merged.matrix)
    write_matrix(results / "matrix.json", merged.matrix)
    written = write_reports(merged.matrix, results)
    focused = [e["id"] for e in merged.matrix["environments"] if focus and e.get("session") == focus]
    if not focused:
        print(terminal.render(merged.matrix, written=[results / "matrix.json", *written]))
    for error in merged.errors:
        print("exportmatrix: could not merge %s" % error, file=sys.stderr)
    merged_sessions = {e.get("session") for e in merged.matrix["environments"]}
    absent = [session for session in expect or () if session not in merged_sessions]
    for session in absent:
        print(
            "exportmatrix: %s: no results (no stream of it under %s; in CI: its artifact env-%s is missing)"
            % (session, source, session),
            file=sys.stderr,
        )
    print(
        "\nexportmatrix: wrote %s (%d environments, %d cells)"
        % (results / "matrix.json", len(merged.matrix["environments"]), len(merged.matrix["observations"]))
    )
    print("exportmatrix: wrote %s" % ", ".join(str(path) for path in written))
    if focused:  # a run of one environment ends with its own summary
        print("\n" + terminal.one_environment(merged.matrix, focused[0]))
    if absent:
        print(
            "exportmatrix: %d of %d expected sessions have no results: %s"
            % (len(absent), len(expect or ()), ", ".join(absent)),
            file=sys.stderr,
        )
    return 1 if merged.errors or incomplete(merged.matrix) or absent else 0


def matrix_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        add_help=add_help,
        prog="nox -s matrix --",
        description="Run the environments of the default build (or the named releases and builds), "
        "then merge their results into results/matrix.json and print a summary.",
    )
    add_options(parser, "releases", "builds", "jobs", "install-jobs", "fresh", "download-python", "cell-timeout")
    add_options(parser, "cases", "selection", "locked")
    return parser


def chosen_environments(
    config: MatrixConfig, arguments: argparse.Namespace, locks: Locks | None = None
) -> list[Environment]:
    """The default build's environments, or the named releases and builds;
    with --locked, the recorded matrix's (of those, where named)."""
    releases = arguments.releases or None
    builds = [name for given in arguments.builds or () for name in given.split(",") if name.strip()] or None
    if locks is None:
        return plan(config, releases, builds) if builds else default_matrix(config, releases)
    declared = {e.session_name: e for e in plan(config, releases, builds)}
    unknown = [s for s in locks.sessions if s not in declared and not (releases or builds)]
    if unknown:
        raise ConfigError(
            "%s: %s: no such session in %s (its sessions: %s)"
            % (locks.source, ", ".join(unknown), config.path, ", ".join(declared))
        )
    return [declared[s] for s in locks.sessions if s in declared]


def report_batch(batch: Batch, results: Path) -> None:
    for run in batch.runs:
        print("exportmatrix: %-20s %s" % (run.name, run.describe()))
    _, whole_cells = reused_cells(results, batch.unchanged)
    ran = [run.name for run in batch.runs]
    reused, total = reused_cells(results, ran)
    print(
        "exportmatrix: reused %d environments whole (%d cells); in the %d that ran, %d of %d cells were reused"
        % (len(batch.unchanged), whole_cells, len(ran), reused, total)
    )
    if batch.runs:
        cpus = os.cpu_count() or 1
        cpu, first, bound = batch.bound(cpus)
        print(
            "exportmatrix: the sessions took %.0f s; their suites used %.0f CPU-seconds: on %d CPUs the bound is "
            "%.0f s (suite CPU-seconds / CPUs + the first install, %.0f s)" % (batch.seconds, cpu, cpus, bound, first)
        )


def matrix_session_options(
    config: MatrixConfig, arguments: argparse.Namespace, invoked_from: Path, results: Path | None = None
) -> SessionOptions:
    """What the matrix hands every session (each reads it back from its posargs
    with run/session.py's session_options): the case files (matrix.toml's, then
    the command line's, checked before anything is installed), packages,
    capture paths and shapes (the command line's, else matrix.toml's)."""
    options = options_from(arguments, config.case_files, invoked_from, config.selection, results)
    report_problems(options.problems)
    return options


def matrix_main(
    posargs: Sequence[str], config: MatrixConfig, results: Path, noxfile: Path, invoked_from: Path | None = None
) -> int:
    arguments = matrix_parser().parse_args(list(posargs))
    try:
        options = matrix_session_options(config, arguments, invoked_from or Path.cwd(), results)
        environments = chosen_environments(config, arguments, options.locks)
    except ConfigError as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2
    if not environments:
        print("exportmatrix: no build offers the releases asked for", file=sys.stderr)
        return 2
    if arguments.cell_timeout:
        os.environ["EXPORTMATRIX_CELL_TIMEOUT"] = str(arguments.cell_timeout)  # read by the sessions
    if arguments.download_python:
        os.environ["NOX_DOWNLOAD_PYTHON"] = arguments.download_python  # read by nox in every session
    try:
        with ResultsLock(results):
            batch = run_batch(
                environments, results, noxfile, arguments.jobs, arguments.install_jobs, arguments.fresh, options
            )
            report_batch(batch, results)  # before the summary, so that the summary ends the output
            # into what results/matrix.json already holds: a run of one release adds it, replaces nothing else
            ran = {e.session_name for e in environments}
            focus = next(iter(ran)) if len(ran) == 1 else None
            merged = merge_and_report(results, ran | recorded_sessions(results), focus=focus)
    except Locked as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2
    return 1 if merged or batch.failed or options.problems else 0


def merge_session(results: Path, session: str) -> int:
    """After a session run alone (`nox -s torch-2.4`): merge it into
    results/matrix.json and print its summary; a session of a batch leaves
    that to the batch."""
    if os.environ.get(IN_BATCH):
        return 0
    return merge_and_report(results, {session} | recorded_sessions(results), focus=session)
