"""Reports: one view model of a matrix (grids, upstream verdicts, changes),
rendered for the terminal, as Markdown and as one HTML page."""

from exportmatrix.reports import html, markdown, terminal
from exportmatrix.reports.changes import Change, outcome_changes, series
from exportmatrix.reports.view import View, view
from exportmatrix.reports.write import write_reports

__all__ = ["Change", "View", "html", "markdown", "outcome_changes", "series", "terminal", "view", "write_reports"]
