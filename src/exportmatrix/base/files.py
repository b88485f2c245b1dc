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


def write_folder_atomically(path: Path, files: dict[str, str]) -> None:
    """Write a folder of files (relative path -> text) into a temporary
    folder beside `path`, then put it in place of `path` in one rename; a
    folder already there is renamed aside first and removed after."""
    import shutil

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(".%s.%d.tmp" % (path.name, os.getpid()))
    aside = path.with_name(".%s.%d.old" % (path.name, os.getpid()))
    for stale in (temporary, aside):
        shutil.rmtree(stale, ignore_errors=True)
    try:
        for name, text in files.items():
            target = temporary / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        if path.exists():
            os.replace(path, aside)
        os.replace(temporary, path)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
        shutil.rmtree(aside, ignore_errors=True)
