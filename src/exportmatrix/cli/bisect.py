"""`exportmatrix bisect BEHAVIOUR EXPORTER --between 2.9 2.10`: the first
patch release where one cell's outcome became what it is in the later one.

The releases are looked up on the build's index (every patch release of the
minors from the first to the last named, with a wheel for this platform and
the environment's Python), never guessed, and each is observed through the
matrix's nox sessions into RESULTS/bisect (run/bisect.py); a cell the matrix
already holds for exactly that torch version is not run again.

Exit codes: 0 the release is found; 1 the outcome is the same at both ends;
2 a usage error (an unknown behaviour, capture path or build, a minor the
index has no release of); 3 the index could not be read, or the later end
could not be observed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

from packaging.version import Version

from exportmatrix.base import label
from exportmatrix.cli.front import config_path
from exportmatrix.config import ConfigError, load
from exportmatrix.run import IndexUnreachable, Locked, offered_releases
from exportmatrix.run.bisect import Bisect, Cell, Observe, Step, UsageError, first_change, plan_bisect

FOUND, UNCHANGED, USAGE, UNOBSERVED = 0, 1, 2, 3


def report(steps: list[Step], cell: Cell, seconds: float) -> int:
    """The verdict, both evidences, and the time each step took."""
    timings = "; ".join("%s %.0f s" % (step.version, step.seconds) for step in steps)
    last = steps[-1]
    if last.observation is None:
        print("exportmatrix: the later end, %s, could not be observed: %s" % (last.version, last.problem))
        return UNOBSERVED
    unobserved = [s for s in steps if s.observation is None]
    if len(unobserved) == len(steps) - 1:
        print("exportmatrix: no release before %s could be observed: nothing to compare with" % last.version)
        return UNOBSERVED
    change = first_change(steps)
    if change is None:
        print(
            "exportmatrix: %s: the outcome is %s from %s to %s: it does not change (%s; %.0f s in all)"
            % (cell.describe(), last.outcome, steps[0].version, last.version, timings, seconds)
        )
        if unobserved:
            print("  (not observed: %s)" % ", ".join("%s: %s" % (s.version, s.problem) for s in unobserved))
        return UNCHANGED
    before, after = change
    print(
        "exportmatrix: %s became %s in %s (first release with it; before it, %s)"
        % (cell.describe(), after.outcome, after.version, before.version)
    )
    for step in (before, after):
        assert step.observation is not None
        print("  %-8s %s" % (step.version, label(step.observation)))
    skipped = [s for s in steps if s.observation is None and before.version < s.version < after.version]
    if skipped:
        print("  (between them, not observed: %s)" % ", ".join("%s: %s" % (s.version, s.problem) for s in skipped))
    print("exportmatrix: %d releases in %.0f s (%s)" % (len(steps), seconds, timings))
    return FOUND


def bisect(
    arguments: argparse.Namespace,
    lookup: Callable[[str, str], list[Version]] = offered_releases,
    observe: Observe | None = None,
) -> int:
    """`lookup(index, python)`: the releases an index offers; `observe`: how
    one environment is run (default: its nox session); both replaced in tests."""
    started = time.monotonic()
    cell = Cell(arguments.behaviour, arguments.exporter, arguments.device, arguments.shapes)
    try:
        config = load(config_path(arguments.config))
        low, high = arguments.between
        chosen = plan_bisect(config, arguments.build, cell, (low, high), lookup)
    except (UsageError, ConfigError) as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return USAGE
    except IndexUnreachable as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return UNOBSERVED
    print(
        "exportmatrix: bisect %s in build %s: %s offers %s (Python %s; looked up in %.1f s)"
        % (
            cell.describe(),
            chosen.build,
            chosen.index,
            ", ".join(map(str, chosen.versions)),
            chosen.python,
            chosen.seconds,
        ),
        flush=True,
    )
    runner = Bisect(config, chosen.build, cell, Path(arguments.results).resolve())
    try:
        steps = runner.steps(chosen.versions, observe)
    except Locked as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return USAGE
    return report(steps, cell, time.monotonic() - started)
