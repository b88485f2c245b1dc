"""The line format between the suite and the host: one JSON object a line,
`{"format": LINE_FORMAT, "kind": KIND, KIND: payload}`. Written down as the
JSON Schema schemas/line.schema.json; this is the host's writing side."""

from __future__ import annotations

import json
from typing import IO, Any

LINE_FORMAT = "exportmatrix-line/1"  # the schema's `format` const (a test keeps them equal)
COLLECTIONS = {"behaviour": "behaviours", "observation": "observations", "upstream": "upstream"}


def format_line(kind: str, payload: dict[str, Any]) -> str:
    return json.dumps({"format": LINE_FORMAT, "kind": kind, kind: payload}) + "\n"


def write_line(handle: IO[str], kind: str, payload: dict[str, Any]) -> None:
    """Append one line and flush it (the host's lines: a dead test's outcome)."""
    handle.write(format_line(kind, payload))
    handle.flush()
