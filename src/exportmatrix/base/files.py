"""Atomic writes: every file exportmatrix writes whole (matrix, reports,
baseline, a failed environment's stream, an install record) goes through
here, so a crash or a reader never sees it half-written."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(".%s.%d.tmp" % (path.name, os.getpid()))
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        publish(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def publish(temporary: Path, path: Path) -> None:
    """Put a file written elsewhere (a stream the suite wrote line by line)
    in place in one rename."""
    os.replace(temporary, path)


def write_json_atomically(path: Path, document: Any, indent: int | None = 1) -> None:
    """`indent=None`: one line, no spaces (a large file read by machines)."""
    separators = (",", ":") if indent is None else None
    write_atomically(path, json.dumps(document, indent=indent, separators=separators, ensure_ascii=False) + "\n")
