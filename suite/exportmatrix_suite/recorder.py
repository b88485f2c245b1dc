"""Streams one JSON line per event to the results file, flushed as it goes,
so a crash loses nothing already observed.

Around every test the plugin writes `started` (with the time, and the cell)
and `finished`: if the process dies, the host reads which test was running,
records it as crash or timeout, and reruns the suite with --exportmatrix-resume,
which appends to the same stream and skips every test already finished.

The line format is the contract with the host; it is written down once, as
the JSON Schema src/exportmatrix/schemas/line.schema.json, and validated on
read. LINE_FORMAT is its version, the schema's `format` const.
"""

from __future__ import annotations

import json
import os
from typing import IO, Any, Dict, List, Optional, Set, Tuple

LINE_FORMAT = "exportmatrix-line/1"


def _lines(path: str):
    """The JSON lines of a stream, skipping any that a crash cut short."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for text in handle:
            try:
                yield json.loads(text)
            except ValueError:
                continue


def earlier_segments(path: str) -> Tuple[Set[str], int, int]:
    """What the earlier processes of a resumed stream did: the node ids of
    the tests they finished, and how many cells they observed and reused."""
    done: Set[str] = set()
    observations = reused = 0
    for line in _lines(path):
        if line.get("kind") == "finished":
            done.add(line["finished"]["test"])
            reused += bool(line["finished"].get("reused"))
        elif line.get("kind") == "observation":
            observations += 1
    return done, observations, reused


def previous_lines(path: Optional[str]) -> Dict[str, List[Dict[str, Any]]]:
    """The reusable lines of an earlier stream (those carrying a key), by key."""
    found: Dict[str, List[Dict[str, Any]]] = {}
    if not path or not os.path.exists(path):
        return found
    for line in _lines(path):
        payload = line.get(line.get("kind"), {})
        if isinstance(payload, dict) and payload.get("key"):
            found.setdefault(payload["key"], []).append(payload)
    return found


class Recorder:
    """The stream of one suite process; write() is the only way a line gets out."""

    def __init__(self, path: Optional[str], resume: bool = False):
        self.resumed = bool(path and resume and os.path.exists(path))
        self.already_finished: Set[str] = set()
        self.observations = 0
        self.reused = 0  # cells copied from an earlier stream (counted in observations too)
        if path and self.resumed:
            self.already_finished, self.observations, self.reused = earlier_segments(path)
        mode = "a" if self.resumed else "w"
        self._file: Optional[IO[str]] = open(path, mode, encoding="utf-8") if path else None

    def write(self, kind: str, payload: Dict[str, Any]) -> None:
        """Dump one line, write it, flush it."""
        if kind == "observation":
            self.observations += 1
        if self._file is None:
            return
        line = json.dumps({"format": LINE_FORMAT, "kind": kind, kind: payload}, ensure_ascii=True, default=str)
        self._file.write(line + "\n")
        self._file.flush()

    def copy(self, kind: str, payloads: List[Dict[str, Any]]) -> None:
        """Write lines of an earlier run again, counting the cells among them as reused."""
        for payload in payloads:
            self.write(kind, payload)
        self.reused += len(payloads) if kind == "observation" else 0

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
