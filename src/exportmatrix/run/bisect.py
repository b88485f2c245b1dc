"""Bisecting one cell: the releases between two ends that the build's index
offers (looked up, never guessed), each observed through the matrix's own nox
sessions, and the first release from which the outcome is the later end's.

A release the matrix declares runs in its own session and virtualenv ("2.9"
where it is the newest 2.9.x), any other in a session of its own
("torch-2.9.0", declared through EXPORTMATRIX_EXTRA_RELEASES), and only the
one cell is observed (--only-behaviour, --paths, --shapes), into
RESULTS/bisect. A cell the matrix already holds for an environment of exactly
that torch version is not run again ("from the matrix").
`exportmatrix bisect` (cli/bisect.py) reads the arguments and prints the verdict.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from packaging.version import InvalidVersion, Version

from exportmatrix import base
from exportmatrix.base import NOXFILE, cell_index, exact_version, label, read_matrix
from exportmatrix.config import (
    EXTRA_RELEASES,
    Environment,
    MatrixConfig,
    Selection,
    check_case_files,
    path_sets,
    plan,
    release_matches,
)
from exportmatrix.config.cases import builtin_declarations, declarations
from exportmatrix.run.batch import run_batch
from exportmatrix.run.lock import ResultsLock
from exportmatrix.run.session import SessionOptions, resolve_cases
from exportmatrix.streams import StreamError, read_stream, stream_of

__all__ = [
    "Bisect",
    "Cell",
    "Observe",
    "Plan",
    "Step",
    "UsageError",
    "first_change",
    "plan_bisect",
    "releases_between",
]


@dataclass(frozen=True)
class Cell(base.Cell):
    """The bisected cell: a base.Cell, that the verdict names by its name."""

    def describe(self) -> str:
        return self.name

    def matches(self, observation: dict[str, Any]) -> bool:
        if not all(name in observation for name in ("behaviour", "exporter", "device")):
            return False
        return base.Cell.of(observation) == base.Cell(self.behaviour, self.path, self.device, self.shapes)


@dataclass
class Step:
    """One release of the bisect and what was seen there."""

    version: Version
    observation: dict[str, Any] | None = None
    source: str = ""  # "from the matrix (id)", "ran in torch-2.9.0", ...
    problem: str | None = None  # why the cell was not observed
    seconds: float = 0.0

    @property
    def outcome(self) -> str | None:
        return self.observation["outcome"] if self.observation else None

    def line(self) -> str:
        seen = label(self.observation) if self.observation else "not observed: %s" % self.problem
        return "%-8s %s  [%s, %.0f s]" % (self.version, seen, self.source, self.seconds)


class UsageError(Exception):
    """A bisect that cannot start as asked; the message says why (exit 2)."""


def _release(text: str) -> Version:
    try:
        version = Version(text)
    except InvalidVersion:
        raise UsageError('--between %s: not a release (expected e.g. "2.9" or "2.9.1")' % text) from None
    if len(version.release) not in (2, 3) or version.is_prerelease or version.local:
        raise UsageError('--between %s: expected a minor ("2.9") or a patch release ("2.9.1")' % text)
    return version


def _bound(text: str, version: Version, low: bool) -> Callable[[Version], bool]:
    """Whether a release falls on the right side of one end: a minor
    ("2.9") takes all of its patch releases, a patch release itself."""
    if len(version.release) == 2:
        return (lambda v: v.release[:2] >= version.release) if low else (lambda v: v.release[:2] <= version.release)
    return (lambda v: v >= version) if low else (lambda v: v <= version)


def releases_between(offered: list[Version], low: str, high: str) -> list[Version]:
    """The offered releases from `low` to `high` (minors or patch releases),
    oldest first; a usage error when either end's minor has none."""
    first, last = _release(low), _release(high)
    if last <= first:
        raise UsageError("--between %s %s: the second release must be later than the first" % (low, high))
    after, before = _bound(low, first, True), _bound(high, last, False)
    chosen = sorted(v for v in offered if after(v) and before(v))
    for text, end in ((low, first), (high, last)):
        minor = end.release[:2]
        if not any(v.release[:2] == minor and (len(end.release) == 2 or v == end) for v in chosen):
            shown = ", ".join(str(v) for v in offered if v.release[:2] == minor) or "none of %s.x" % text
            raise UsageError("--between: the index offers no release %s (of that minor it offers: %s)" % (text, shown))
    return chosen


def first_change(steps: list[Step]) -> tuple[Step, Step] | None:
    """(the last observed release before it, the first release from which
    every observed release has the later end's outcome); None when the
    outcome never differs from the later end's."""
    observed = [step for step in steps if step.observation is not None]
    if not observed:
        return None
    final = observed[-1].outcome
    start = len(observed) - 1
    while start > 0 and observed[start - 1].outcome == final:
        start -= 1
    return None if start == 0 else (observed[start - 1], observed[start])


def matrix_cell(matrix: dict[str, Any] | None, build: str, version: Version, cell: Cell) -> tuple[str, dict] | None:
    """(environment id, observation) of the cell in an ok environment of the
    build holding exactly this torch release, where the matrix has one."""
    if not matrix:
        return None
    index = cell_index(matrix)
    for environment in matrix["environments"]:
        if environment.get("build") != build or environment.get("status") != "ok":
            continue
        if exact_version(environment) != str(version):
            continue
        observation = index.get(cell.key(environment["id"]))
        if observation is not None:
            return environment["id"], observation
    return None


def release_for(config: MatrixConfig, build: str, version: Version, newest: bool) -> str:
    """The release a session installs this version as: the one matrix.toml
    declares for it exactly ("2.9.0"), else its minor ("2.9") where this is
    the newest patch release of that minor (the matrix's own virtualenv),
    else the version itself (a session of its own)."""
    declared = [r for r in config.releases if release_matches(r, config.builds[build].releases)]
    if str(version) in declared:
        return str(version)
    minor = "%d.%d" % version.release[:2]
    return minor if newest and minor in declared else str(version)


def known_behaviours(config: MatrixConfig) -> list[str]:
    usable, _ = check_case_files(config.case_files)
    found = [d.id for d in builtin_declarations()]
    return found + [d.id for path in usable for d in declarations(path)[0]]


def check_cell(config: MatrixConfig, cell: Cell) -> None:
    """Unknown names stop before anything is looked up, with the choices."""
    behaviours = known_behaviours(config)
    if cell.behaviour not in behaviours:
        raise UsageError("unknown behaviour %r (choices: %s)" % (cell.behaviour, ", ".join(behaviours)))
    known = path_sets()
    if cell.path not in known.exporters:
        raise UsageError("unknown exporter %r (choices: %s)" % (cell.path, ", ".join(known.exporters)))
    if cell.shapes not in known.shapes:
        raise UsageError("--shapes %s: unknown (choices: %s)" % (cell.shapes, ", ".join(known.shapes)))


@dataclass(frozen=True)
class Plan:
    """What a bisect observes: the releases of the build's index between the two ends."""

    build: str
    index: str
    python: str
    versions: list[Version]
    seconds: float  # how long the index took to look up


def plan_bisect(
    config: MatrixConfig,
    build: str | None,
    cell: Cell,
    between: tuple[str, str],
    lookup: Callable[[str, str], list[Version]],
) -> Plan:
    """The releases to observe `cell` in, in `build` (None: the default),
    from `lookup(index, python)`. Unknown names raise UsageError before the
    index is asked; an index that cannot be read, run.IndexUnreachable."""
    build = build or config.default_build
    if build not in config.builds:
        raise UsageError("--build %s: unknown (%s declares: %s)" % (build, config.path, ", ".join(config.builds)))
    check_cell(config, cell)
    low, high = between
    python = config.python_for(str(_release(high)))
    index = config.builds[build].index
    started = time.monotonic()
    offered = [v for v in lookup(index, python) if release_matches(str(v), config.builds[build].releases)]
    versions = releases_between(offered, low, high)
    return Plan(build, index, python, versions, time.monotonic() - started)


Observe = Callable[[Environment, Version], Step]


class Bisect:
    """One bisect: where it reads the matrix, where it runs, how it observes."""

    def __init__(self, config: MatrixConfig, build: str, cell: Cell, results: Path):
        self.config, self.build, self.cell = config, build, cell
        self.results = results  # the matrix's results folder
        self.folder = results / "bisect"  # the bisect's own streams and logs
        self.matrix = self._matrix()

    def _matrix(self) -> dict[str, Any] | None:
        path = self.results / "matrix.json"
        try:
            return read_matrix(path)
        except (OSError, ValueError):
            return None

    def environments(self, versions: list[Version]) -> dict[Version, Environment]:
        """The environment each release to be run is observed in."""
        newest: dict[tuple, Version] = {}
        for version in versions:
            newest[version.release[:2]] = version
        releases = {v: release_for(self.config, self.build, v, newest[v.release[:2]] == v) for v in versions}
        config = self.config.with_releases(r for r in releases.values() if r not in self.config.releases)
        return {v: plan(config, [release], [self.build])[0] for v, release in releases.items()}

    def options(self) -> SessionOptions:
        """The cell alone (with matrix.toml's case files, where it is one of theirs)."""
        options = resolve_cases([], self.config.case_files, False, Path.cwd())
        selection = Selection((self.cell.path,), (self.cell.shapes,), (self.cell.behaviour,))
        return replace(options, selection=selection)

    def run(self, environment: Environment, version: Version) -> Step:
        """Install the environment through its nox session (reusing its
        virtualenv) and observe the cell, into RESULTS/bisect."""
        extra = [r for r in [environment.release] if r not in self.config.releases]
        os.environ["EXPORTMATRIX_CONFIG"] = str(self.config.path.resolve())
        os.environ["EXPORTMATRIX_RESULTS"] = str(self.folder)
        os.environ[EXTRA_RELEASES] = ",".join(extra)
        batch = run_batch([environment], self.folder, NOXFILE, jobs=1, options=self.options())
        session = environment.session_name
        source = "earlier bisect run, session %s" % session if batch.unchanged else "ran in session %s" % session
        return self.read(session, version, source)

    def read(self, session: str, version: Version, source: str) -> Step:
        path = stream_of(self.folder, session)
        log = self.folder / "logs" / (session + ".log")
        if path is None:
            return Step(version, source=source, problem="%s wrote no results (see %s)" % (session, log))
        try:
            stream = read_stream(path)
        except StreamError as error:
            return Step(version, source=source, problem=str(error))
        environment = stream.environment
        if environment.get("status") != "ok":
            reason = "%s: %s" % (environment.get("status"), environment.get("reason", ""))
            return Step(version, source=source, problem=reason)
        if exact_version(environment) != str(version):
            problem = "%s holds torch %s, not %s" % (session, environment.get("torch"), version)
            return Step(version, source=source, problem=problem)
        found = [o for o in stream.observations if self.cell.matches(o)]
        if not found:
            return Step(version, source=source, problem="no such cell in %s (see %s)" % (path, log))
        return Step(version, observation=found[-1], source=source)

    def step(self, version: Version, environment: Environment, observe: Observe) -> Step:
        started = time.monotonic()
        reused = matrix_cell(self.matrix, self.build, version, self.cell)
        if reused:
            step = Step(version, observation=reused[1], source="from the matrix, %s" % reused[0])
        else:
            print("exportmatrix: %s: observing in session %s ..." % (version, environment.session_name), flush=True)
            step = observe(environment, version)
        step.seconds = time.monotonic() - started
        print("exportmatrix: %s" % step.line(), flush=True)
        return step

    def steps(self, versions: list[Version], observe: Observe | None = None) -> list[Step]:
        """Each release observed in turn, oldest first, holding RESULTS/bisect's
        lock (run.Locked where another run holds it); `observe`: how one
        environment is run (default: its nox session)."""
        environments = self.environments(versions)
        with ResultsLock(self.folder):
            return [self.step(v, environments[v], observe or self.run) for v in versions]
