"""Reports: one view model of a matrix (grids, upstream verdicts, changes),
rendered for the terminal, as Markdown, as one HTML page and as a site; and
what a model author can pin for their own cases (advise)."""

from exportmatrix.reports import advise, html, markdown, terminal
from exportmatrix.reports.changes import (
    CHANGE_CLASSES,
    Change,
    build_differences,
    device_differences,
    outcome_changes,
    release_labels,
    release_pairs,
    select,
    series,
)
from exportmatrix.reports.diff import render_packages, render_table
from exportmatrix.reports.site import write_site
from exportmatrix.reports.stories import Story, stories
from exportmatrix.reports.terminal import story_lines
from exportmatrix.reports.view import View, view
from exportmatrix.reports.write import write_reports

__all__ = [
    "CHANGE_CLASSES",
    "Change",
    "Story",
    "View",
    "advise",
    "build_differences",
    "device_differences",
    "html",
    "markdown",
    "outcome_changes",
    "release_labels",
    "release_pairs",
    "render_packages",
    "render_table",
    "select",
    "series",
    "stories",
    "story_lines",
    "terminal",
    "view",
    "write_reports",
    "write_site",
]
