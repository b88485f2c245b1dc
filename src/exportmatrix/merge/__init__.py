"""Merging: the environments' streams into one matrix, and comparing
matrices (diff between two, drift from a baseline)."""

from exportmatrix.merge.aggregate import Aggregated, aggregate, build_mismatch, merge
from exportmatrix.merge.baseline import Drift, compare, load_baseline, make_baseline, write_baseline
from exportmatrix.merge.diff import cells_by_key, differences, render_table

__all__ = [
    "Aggregated",
    "Drift",
    "aggregate",
    "build_mismatch",
    "cells_by_key",
    "compare",
    "differences",
    "load_baseline",
    "make_baseline",
    "merge",
    "render_table",
    "write_baseline",
]
