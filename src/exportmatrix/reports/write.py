"""Write every report of a matrix next to it: matrix.md and matrix.html."""

from __future__ import annotations

from pathlib import Path

from exportmatrix.base import Matrix, write_atomically
from exportmatrix.reports import html, markdown

RENDERERS = (("matrix.md", markdown.render), ("matrix.html", html.render))


def write_reports(matrix: Matrix, results: Path) -> list[Path]:
    written = []
    for name, renderer in RENDERERS:
        path = results / name
        write_atomically(path, renderer(matrix))
        written.append(path)
    return written
