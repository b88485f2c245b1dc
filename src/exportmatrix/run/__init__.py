"""Running: install an environment, run the suite in it (resuming after a
crash or timeout), overlap many environments' installs and suites, and hold
one results folder for one run at a time."""

from exportmatrix.run.batch import IN_BATCH, Batch, nox_command, reused_cells, run_batch
from exportmatrix.run.bisect import (
    Bisect,
    Cell,
    Observe,
    Plan,
    Step,
    UsageError,
    first_change,
    plan_bisect,
    releases_between,
)
from exportmatrix.run.incremental import environment_fingerprint, still_valid, suite_fingerprint
from exportmatrix.run.index import IndexUnreachable, offered_releases, releases_in
from exportmatrix.run.install import InstallResult, install
from exportmatrix.run.installed import NoTorch, run_installed
from exportmatrix.run.lock import Locked, ResultsLock
from exportmatrix.run.pipeline import INSTALL_ONLY, SessionRun, run_sessions
from exportmatrix.run.session import (
    NoxSession,
    SessionOptions,
    add_case_options,
    add_locked_option,
    add_selection_options,
    options_from,
    report_problems,
    resolve_cases,
    run_environment,
    session_options,
)
from exportmatrix.run.suite_runner import bytecode_cache_variables, run_suite, suite_variables

__all__ = [
    "INSTALL_ONLY",
    "IN_BATCH",
    "Batch",
    "Bisect",
    "Cell",
    "IndexUnreachable",
    "InstallResult",
    "Locked",
    "NoTorch",
    "NoxSession",
    "Observe",
    "Plan",
    "ResultsLock",
    "SessionOptions",
    "SessionRun",
    "Step",
    "UsageError",
    "add_case_options",
    "add_locked_option",
    "add_selection_options",
    "bytecode_cache_variables",
    "environment_fingerprint",
    "first_change",
    "install",
    "nox_command",
    "offered_releases",
    "options_from",
    "plan_bisect",
    "releases_between",
    "releases_in",
    "report_problems",
    "resolve_cases",
    "reused_cells",
    "run_batch",
    "run_environment",
    "run_installed",
    "run_sessions",
    "run_suite",
    "session_options",
    "still_valid",
    "suite_fingerprint",
    "suite_variables",
]
