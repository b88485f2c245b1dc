"""Streams one JSON line per event to the results file, flushed as it goes,
so a crash loses nothing already observed.

Around every test it writes `started` (with the time, and the cell) and
`finished`: if the process dies, the host reads which test was running,
records it as crash or timeout, and reruns the suite with --exportmatrix-resume,
which appends to the same stream and skips every test already finished.

The line format is the contract with the host; it is written down once, as
the JSON Schema src/exportmatrix/schemas/line.schema.json, and validated on read.
"""

from __future__ import annotations

import json
import os
from typing import IO, Any, Dict, List, Optional, Set, Tuple

LINE_FORMAT = "exportmatrix-line/1"


def earlier_segments(path: str) -> Tuple[Set[str], int, int]:
    """What the earlier processes of a resumed stream did: the node ids of
    the tests they finished, and how many cells they observed and reused."""
    done: Set[str] = set()
    observations = reused = 0
    with open(path, encoding="utf-8", errors="replace") as handle:
        for text in handle:
            try:
                line = json.loads(text)
            except ValueError:
                continue  # a line cut short by the crash
            if line.get("kind") == "finished":
                done.add(line["finished"]["test"])
                reused += bool(line["finished"].get("reused"))
            elif line.get("kind") == "observation":
                observations += 1
    return done, observations, reused


class Recorder:
    def __init__(self, path: Optional[str], resume: bool = False):
        self.resumed = bool(path and resume and os.path.exists(path))
        self.already_finished: Set[str] = set()
        self.observations = 0
        self.reused = 0  # cells copied from an earlier stream (counted in observations too)
        if path and self.resumed:
            self.already_finished, self.observations, self.reused = earlier_segments(path)
        mode = "a" if self.resumed else "w"
        self._file: Optional[IO[str]] = open(path, mode, encoding="utf-8") if path else None
        self.previous: Dict[str, List[Dict[str, Any]]] = {}  # reusable lines of an earlier run, by key

    def reuse(self, kind: str, key: str) -> bool:
        """Write the earlier run's lines for `key` again, if there are any."""
        lines = self.previous.get(key)
        if not lines:
            return False
        for payload in lines:
            self.write(kind, payload)
        self.reused += len(lines) if kind == "observation" else 0
        return True

    def write(self, kind: str, payload: Dict[str, Any]) -> None:
        if kind == "observation":
            self.observations += 1
        if self._file is None:
            return
        line = json.dumps({"format": LINE_FORMAT, "kind": kind, kind: payload}, ensure_ascii=True, default=str)
        self._file.write(line + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
