"""Merging: the environments' streams into one matrix, and comparing
matrices (diff between two, drift from a baseline)."""

import importlib
from typing import Any

from exportmatrix.merge.aggregate import Aggregated, aggregate, build_mismatch, expected_sessions, merge
from exportmatrix.merge.baseline import (
    Baseline,
    Drift,
    Verdict,
    compare,
    make_baseline,
    read_baseline,
    session_of,
    verdict,
    write_baseline,
)
from exportmatrix.merge.diff import (
    cells_by_key,
    differences,
    package_differences,
    paired_environments,
)
from exportmatrix.merge.onto import onto

__all__ = [
    "onto",
    "Aggregated",
    "Baseline",
    "Drift",
    "Verdict",
    "aggregate",
    "build_mismatch",
    "cells_by_key",
    "compare",
    "differences",
    "expected_sessions",
    "make_baseline",
    "merge",
    "package_differences",
    "paired_environments",
    "read_baseline",
    "session_of",
    "verdict",
    "write_baseline",
]


def __getattr__(name: str) -> Any:
    # transitional: cli/commands.py still imports the diff's renderers from here;
    # they are reports/diff.py's now (merge computes, reports render). Loaded by
    # name so merge does not import reports; goes when that import moves.
    if name in ("render_table", "render_packages"):
        return getattr(importlib.import_module("exportmatrix.reports.diff"), name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
