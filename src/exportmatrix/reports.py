"""Write every report of a matrix next to it: matrix.md and matrix.html."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from exportmatrix import report_html, report_markdown


def write_text_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(".%s.%d.tmp" % (path.name, os.getpid()))
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_reports(matrix: dict[str, Any], results: Path) -> list[Path]:
    written = []
    for name, renderer in (("matrix.md", report_markdown.render), ("matrix.html", report_html.render)):
        path = results / name
        write_text_atomically(path, renderer(matrix))
        written.append(path)
    return written
