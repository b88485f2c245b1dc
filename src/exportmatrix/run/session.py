"""What one torch session does, given a nox session: install the
environment's torch build, run the suite in it, stream its results.

Kept out of noxfile.py so tests can drive it with a stand-in session.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any, Literal, NoReturn, Protocol

from exportmatrix.base import SUITE_DIR, write_atomically
from exportmatrix.config import (
    Cases,
    ConfigError,
    Environment,
    Locks,
    Selection,
    check_case_files,
    path_sets,
    read_locks,
)
from exportmatrix.run.incremental import environment_fingerprint
from exportmatrix.run.install import find_uv, install
from exportmatrix.run.packages import (
    attribute,
    differences,
    direct_sources,
    installed_packages,
    make_exact,
    step_index,
)
from exportmatrix.run.pipeline import INSTALL_ONLY
from exportmatrix.run.suite_runner import run_suite, suite_variables
from exportmatrix.streams import remove_stale, stream_path, write_failed_environment

# torch.__version__ with its local tag (2.4.1+cu121), read from torch/version.py
# without importing torch (seconds saved per environment).
PROBE = (
    "import importlib.metadata as m, platform; d = {}; "
    "exec(m.distribution('torch').locate_file('torch/version.py').read_text(), d); "
    "print(d['__version__'], platform.python_version())"
)
INSTALL_RECORD = "exportmatrix-install.json"  # in the environment: what was installed into it
LOCKED_DEFAULT = "RESULTS/matrix.json"  # what a bare --locked replays: the results folder's matrix


class NoxSession(Protocol):
    """The part of `nox.Session` a torch session uses."""

    @property
    def bin(self) -> str: ...

    def run(self, *args: str, silent: Literal[True]) -> str | None: ...

    def log(self, *args: Any) -> None: ...

    def error(self, *args: Any) -> NoReturn: ...


@dataclasses.dataclass(frozen=True)
class SessionOptions:
    """What `nox -s torch-2.4 -- ...` asks of one session (`nox -s matrix` passes the same)."""

    cases: Cases = Cases()
    requirements: tuple[str, ...] = ()  # --with: installed beside torch
    install_only: bool = False
    problems: tuple[str, ...] = ()  # case files left out, and why
    selection: Selection = dataclasses.field(default_factory=Selection)  # --paths, --shapes
    locks: Locks | None = None  # --locked: the recorded package sets to rebuild

    def arguments(self) -> list[str]:
        """These options as a session's posargs (the selection always, so that
        what the command line chose overrides the session's matrix.toml)."""
        found = [argument for path in self.cases.files for argument in ("--behaviours", str(path))]
        found += ["--only-cases"] if self.cases.only else []
        found += [argument for requirement in self.requirements for argument in ("--with", requirement)]
        found += ["--locked", str(self.locks.source)] if self.locks else []
        return found + self.selection.options()

    def suite_arguments(self) -> list[str]:
        """The suite's own options for the case files and the selection."""
        return self.cases.suite_arguments() + self.selection.suite_arguments()

    def environment(self, environment: Environment) -> Environment:
        extra = tuple(r for r in self.requirements if r not in environment.requirements)
        environment = dataclasses.replace(environment, requirements=environment.requirements + extra)
        if self.locks is None:
            return environment
        return dataclasses.replace(environment, locked=self.locks.sets.get(environment.session_name))

    def lock_problem(self, environment: Environment) -> str | None:
        """Why a --locked run cannot rebuild this environment, or None."""
        return self.locks.problem(environment.session_name) if self.locks else None

    def describe(self) -> dict[str, Any]:
        """What the environment's record says of these options."""
        described: dict[str, Any] = {
            **self.selection.describe(),
            **(self.cases.describe() if self.cases.active else {}),
        }
        return {**described, "locked_from": str(self.locks.source)} if self.locks else described


def options_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Install one environment and run the suite in it.")
    add_case_options(parser)
    add_selection_options(parser)
    add_locked_option(parser)
    parser.add_argument(INSTALL_ONLY, dest="install_only", action="store_true", help="install, run nothing")
    return parser


def add_locked_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--locked",
        nargs="?",
        const=LOCKED_DEFAULT,
        default=None,
        metavar="MATRIX",
        help="rebuild each environment with exactly the package set recorded in MATRIX (default: the results "
        "folder's matrix.json): every package at its recorded version from its recorded index, nothing else",
    )


def add_case_options(parser: argparse.ArgumentParser, installs: bool = True) -> None:
    """--behaviours and --only-cases; --with where the command installs."""
    parser.add_argument(
        "--behaviours",
        action="append",
        default=[],
        metavar="FILE",
        help="a case file of your own behaviours; it joins the suite (repeatable)",
    )
    parser.add_argument("--only-cases", action="store_true", help="run only the case files' behaviours")
    if not installs:
        return
    parser.add_argument(
        "--with",
        dest="requirements",
        action="append",
        default=[],
        metavar="PKG",
        help="a package the case files need, installed beside torch (repeatable)",
    )


def add_selection_options(parser: argparse.ArgumentParser, configured: bool = True) -> None:
    """--paths and --shapes: which capture paths and shapes the suite observes;
    `configured`: whether the command reads matrix.toml's defaults."""
    toml = "capture-paths of matrix.toml, else " if configured else ""
    try:
        sets = " (%s)" % path_sets().describe_sets()
    except ConfigError:  # paths.py unreadable: --paths says so when used
        sets = ""
    parser.add_argument(
        "--paths",
        default=None,
        metavar="NAMES",
        help="capture paths to observe, comma-separated: set names%s or single paths, e.g. default,aoti "
        "(default: %sdefault)" % (sets, toml),
    )
    parser.add_argument(
        "--shapes",
        default=None,
        metavar="LIST",
        help="shapes to observe each cell with, comma-separated: static (the declared inputs), dynamic (one "
        "dimension of each tensor input dynamic at capture, then called at other sizes) "
        "(default: %sstatic)" % ("shapes of matrix.toml, else " if configured else ""),
    )
    parser.add_argument(
        "--only-behaviour",
        dest="only_behaviour",
        default=None,
        metavar="IDS",
        help="observe only these behaviours' cells, comma-separated ids, e.g. attr.tensor_reassign (no seed file; "
        "default: every behaviour)",
    )


def resolve_cases(files: list[str], configured: tuple[Path, ...], only: bool, invoked_from: Path) -> SessionOptions:
    """Case files named on the command line (relative to where nox was
    invoked) after those of matrix.toml; the broken ones are left out, each
    with a line saying why."""
    named = tuple(dict.fromkeys([*configured, *((invoked_from / f).resolve() for f in files)]))
    usable, problems = check_case_files(named)
    if only and not usable:
        raise ConfigError("--only-cases: no usable case file (%s)" % ("; ".join(problems) or "none given"))
    return SessionOptions(Cases(usable, only), problems=tuple(problems))


def options_from(
    parsed: argparse.Namespace,
    configured: tuple[Path, ...],
    invoked_from: Path,
    selection: Selection | None = None,
    results: Path | None = None,
) -> SessionOptions:
    """Options parsed by a parser with add_case_options and add_selection_options
    (and --with, --only-install, --locked, where it has them). `configured`:
    matrix.toml's case files; `selection`: its capture paths and shapes, which
    --paths and --shapes override; `results`: where a bare --locked looks."""
    chosen = Selection.parse(parsed.paths, parsed.shapes, selection, getattr(parsed, "only_behaviour", None))
    resolved = resolve_cases(parsed.behaviours, configured, parsed.only_cases, invoked_from)
    locked = getattr(parsed, "locked", None)
    if locked == LOCKED_DEFAULT:
        locked = (results or invoked_from / "results") / "matrix.json"
    return dataclasses.replace(
        resolved,
        requirements=tuple(getattr(parsed, "requirements", ())),
        install_only=getattr(parsed, "install_only", False),
        selection=chosen,
        locks=read_locks((invoked_from / locked).resolve()) if locked else None,
    )


def session_options(
    posargs: list[str],
    configured: tuple[Path, ...],
    invoked_from: Path,
    selection: Selection | None = None,
    results: Path | None = None,
) -> SessionOptions:
    parsed = options_parser("nox -s torch-X.Y --").parse_args(posargs)
    return options_from(parsed, configured, invoked_from, selection, results)


def report_problems(problems: tuple[str, ...]) -> None:
    for problem in problems:
        print("exportmatrix: case file left out: %s" % problem, file=sys.stderr, flush=True)


def install_request(environment: Environment) -> dict:
    return {"python": environment.python, "steps": environment.install_steps()}


def read_install_record(venv: Path) -> dict:
    try:
        record = json.loads((venv / INSTALL_RECORD).read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def installed_as_requested(venv: Path, environment: Environment) -> bool:
    """Whether the environment holds a complete install of this request
    (the suite's own session checks the install again before it runs)."""
    record = read_install_record(venv)
    return {key: record.get(key) for key in ("python", "steps")} == install_request(environment)


def venv_of(session: NoxSession) -> Path:
    return Path(session.bin).parent


def venv_python(session: NoxSession) -> Path:
    return Path(session.bin) / ("python.exe" if os.name == "nt" else "python")


def install_failed(
    session: NoxSession, environment: Environment, results: Path, described: dict, reason: str
) -> NoReturn:
    """Record the environment as install-failed with the reason, and stop the session."""
    failed = {**described, "id": environment.planned_id, "status": "install-failed", "reason": reason}
    path = write_failed_environment(results, failed)
    session.error("%s: install failed: %s (recorded in %s)" % (environment.session_name, reason, path))


def install_environment(session: NoxSession, environment: Environment, results: Path, described: dict) -> dict:
    """Install every step, or record the environment as install-failed and
    stop the session. Returns the index each installed package came from:
    what a step added or changed came from that step's index (kept in the
    environment, since a later run's steps change nothing)."""

    python, uses_uv = venv_python(session), find_uv() is not None
    sources: dict[str, str] = read_install_record(venv_of(session)).get("sources") or {}
    before = installed_packages(python)
    for step in environment.install_steps():
        outcome = install(python, step)
        if not outcome.ok:
            replaying = "the recorded package set of %s: " % described["locked_from"] if environment.locked else ""
            install_failed(session, environment, results, described, replaying + outcome.reason)
        after = installed_packages(python)
        sources, before = attribute(sources, before, after, step_index(step, uses_uv)), after
        sources.update(direct_sources(step, after))  # a wheel installed by its path came from that path
    if environment.locked is not None:
        before = make_exact(python, environment.locked, before)
        differs = differences(environment.locked, before)
        if differs:
            reason = "the environment does not hold the recorded package set: %s" % "; ".join(differs)
            install_failed(session, environment, results, described, reason)
    sources = {name: index for name, index in sources.items() if name in before}
    record = {**install_request(environment), "sources": sources}
    write_atomically(venv_of(session) / INSTALL_RECORD, json.dumps(record))
    return sources


def environment_id(session: NoxSession, environment: Environment) -> str:
    """The id of what was really installed (torch with its local tag, Python)."""
    torch_version, python_version = (session.run("python", "-c", PROBE, silent=True) or "").split()
    return environment.environment_id(torch_version, python_version)


def run_environment(
    session: NoxSession,
    environment: Environment,
    results: Path,
    cell_timeout: float = 120,
    suite_dir: Path = SUITE_DIR,
    install_only: bool = False,
    options: SessionOptions | None = None,
) -> Path | None:
    """Install, run the suite, and return the stream it wrote. Cells whose
    key is unchanged are reused unless EXPORTMATRIX_FRESH is set."""
    options = options or SessionOptions()
    environment = options.environment(environment)
    described = {
        **environment.describe(),
        "fingerprint": environment_fingerprint(environment, suite_dir, options.cases, options.selection),
        "venv": str(venv_of(session)),
        **options.describe(),
    }
    problem = options.lock_problem(environment) or environment.source_problem()  # before installing anything
    if problem:
        install_failed(session, environment, results, described, problem)
    if options.problems:
        report_problems(options.problems)
        described["case_file_errors"] = [{"file": p.split(":")[0], "error": p} for p in options.problems]
    described["package_index"] = install_environment(session, environment, results, described)
    if install_only or options.install_only:
        return None
    described["id"] = environment_id(session, environment)
    path = stream_path(results, described["id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(results, environment.session_name, path)
    session.log("exportmatrix: %s → %s" % (described["id"], path))
    returncode = run_suite(
        venv_python(session),
        suite_dir,
        path,
        described,
        cell_timeout,
        reuse=not os.environ.get("EXPORTMATRIX_FRESH"),
        variables=suite_variables(venv_of(session)),
        extra=options.suite_arguments(),
    )
    if options.problems:
        session.error("%s: case files left out: %s" % (described["id"], "; ".join(options.problems)))
    if returncode != 0:
        session.error("%s: the suite exited with %d; its stream is in %s" % (described["id"], returncode, path))
    return path
