"""The results folder's streams: where each environment's stream lives,
which session wrote it, and the one-line stream the host writes for an
environment the suite never ran in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from exportmatrix.base import write_atomically
from exportmatrix.streams.format import format_line


def envs_dir(results: Path) -> Path:
    return results / "envs"


def stream_path(results: Path, environment_id: str) -> Path:
    return envs_dir(results) / (environment_id + ".jsonl")


def session_of(path: Path) -> str | None:
    """The nox session that wrote a stream, from its first line."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            first = json.loads(handle.readline())
        return first["environment"]["session"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stream_of(results: Path, session: str) -> Path | None:
    """The stream a session wrote, whatever its environment id."""
    for path in envs_dir(results).glob("*.jsonl"):
        if session_of(path) == session:
            return path
    return None


def remove_stale(results: Path, session: str, keep: Path) -> None:
    """A session's earlier stream under another id (say, from a failed
    install) would otherwise stand in the matrix beside the new one."""
    for path in envs_dir(results).glob("*.jsonl"):
        if path != keep and session_of(path) == session:
            path.unlink()
    for path in envs_dir(results).glob("*.jsonl.partial"):  # a killed run's, of another torch or Python
        if path.name != keep.name + ".partial" and session_of(path) == session:
            print("exportmatrix: %s: left by a killed run of another environment of %s; removed" % (path, session))
            path.unlink()


def remove_leftover_partials(results: Path, session: str) -> list[Path]:
    """The `.partial` streams of a session reused whole from its last
    complete run: a stopped run's, which nothing will resume; removed, said."""
    removed = []
    for path in sorted(envs_dir(results).glob("*.jsonl.partial")):
        if session_of(path) == session:
            print("exportmatrix: %s: left by a stopped run; %s's complete stream stands; removed" % (path, session))
            path.unlink()
            removed.append(path)
    return removed


def write_failed_environment(results: Path, environment: dict[str, Any]) -> Path:
    """A stream of one line for an environment that could not be built."""
    path = stream_path(results, environment["id"])
    write_atomically(path, format_line("environment", environment))
    remove_stale(results, environment["session"], path)
    return path
