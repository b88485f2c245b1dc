"""Read one environment's results stream (results/envs/<id>.jsonl), validating
every line against the line format (schemas/line.schema.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exportmatrix.schemas import problems

LINE_FORMAT = "exportmatrix-line/1"
COLLECTIONS = {"behaviour": "behaviours", "observation": "observations", "upstream": "upstream"}


class StreamError(Exception):
    """A results file that cannot be read; the message names file and line."""


@dataclass
class Stream:
    path: Path
    environment: dict[str, Any]
    behaviours: list[dict[str, Any]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)
    upstream: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = False


def read_stream(path: Path) -> Stream:
    stream: Stream | None = None
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            where = "%s:%d" % (path, number)
            try:
                line = json.loads(text)
            except json.JSONDecodeError as error:
                raise StreamError("%s: not JSON (%s)" % (where, error.msg)) from None
            found = problems("line", line)
            if found:
                raise StreamError("%s: not an %s line: %s" % (where, LINE_FORMAT, found[0]))
            kind = line["kind"]
            if stream is None:
                if kind != "environment":
                    raise StreamError("%s: the first line must describe the environment, found %r" % (where, kind))
                stream = Stream(path, line["environment"])
            elif kind == "environment":
                raise StreamError("%s: a second environment line" % where)
            elif kind == "end":
                stream.complete = True
            elif kind in COLLECTIONS:
                getattr(stream, COLLECTIONS[kind]).append(line[kind])
    if stream is None:
        raise StreamError("%s: empty (no environment line)" % path)
    return stream


@dataclass
class Progress:
    """How far a stream got: complete, or which test was running when it stopped."""

    complete: bool = False
    running: dict[str, Any] | None = None  # the `started` payload of an unfinished test


def read_progress(path: Path) -> Progress:
    """Tolerant of a last line cut short: this reads a stream mid-crash."""
    progress = Progress()
    with open(path, encoding="utf-8", errors="replace") as handle:
        for text in handle:
            try:
                line = json.loads(text)
            except ValueError:
                continue
            kind = line.get("kind")
            if kind == "started":
                progress.running = line["started"]
            elif kind == "finished":
                progress.running = None
            elif kind == "end":
                progress.complete = True
    return progress


def write_line(handle: Any, kind: str, payload: dict[str, Any]) -> None:
    """Write one line of the format (the host's side: failed environments)."""
    handle.write(json.dumps({"format": LINE_FORMAT, "kind": kind, kind: payload}) + "\n")
    handle.flush()
