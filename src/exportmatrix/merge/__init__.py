"""Merging: the environments' streams into one matrix, and comparing
matrices (diff between two, drift from a baseline)."""

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
