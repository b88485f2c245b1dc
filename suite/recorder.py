"""Streams one JSON line per event to the results file, flushed as it goes,
so a crash loses nothing already observed.

The line format is the contract with the host; it is written down once, as
the JSON Schema src/exportmatrix/schemas/line.schema.json, and validated on read.
"""

from __future__ import annotations

import json
from typing import IO, Any, Dict, Optional

LINE_FORMAT = "exportmatrix-line/1"


class Recorder:
    def __init__(self, path: Optional[str]):
        self._file: Optional[IO[str]] = open(path, "w", encoding="utf-8") if path else None
        self.observations = 0

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
