"""The line format between the suite and the host: one JSON object a line,
`{"format": LINE_FORMAT, "kind": KIND, KIND: payload}`. Written down as the
JSON Schema schemas/line.schema.json; this is the host's writing side.

exportmatrix-line/2 writes what repeats once: each distinct block of a
reproducer (the text between two blank lines) is a `block` line, `{"id": N,
"text": TEXT}`, written before the first line that names it; a cell's
reproducer is the list of its blocks' ids. A block whose text is a list is
its parts around the cell's outcome (a reproducer rendered before the cell
ran, which the `started` line names and the host gives a cell whose process
died). A line of an earlier format (EARLIER_FORMATS: /1 wrote every
reproducer in full) is still read: each is a line of this one."""

from __future__ import annotations

import json
from typing import IO, Any

LINE_FORMAT = "exportmatrix-line/2"  # the schema's `format` const (a test keeps them equal)
EARLIER_FORMATS = ("exportmatrix-line/1",)  # still read, as lines of LINE_FORMAT
SEPARATOR = "\n\n\n"  # between the blocks of a reproducer (two blank lines)
COLLECTIONS = {"behaviour": "behaviours", "observation": "observations", "upstream": "upstream", "failure": "failures"}


def format_line(kind: str, payload: dict[str, Any]) -> str:
    return json.dumps({"format": LINE_FORMAT, "kind": kind, kind: payload}) + "\n"


def write_line(handle: IO[str], kind: str, payload: dict[str, Any]) -> None:
    """Append one line and flush it (the host's lines: a dead test's outcome)."""
    handle.write(format_line(kind, payload))
    handle.flush()
