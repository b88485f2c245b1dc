"""Reading one environment's stream (results/envs/<id>.jsonl): validated
line by line for merging, or tolerantly for how far a run got. Each cell's
reproducer is read back in full from the blocks its stream wrote once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exportmatrix.schemas import problems
from exportmatrix.streams.format import COLLECTIONS, EARLIER_FORMATS, LINE_FORMAT, SEPARATOR


class StreamError(Exception):
    """A results file that cannot be read; the message names file and line."""


@dataclass
class Stream:
    path: Path
    environment: dict[str, Any]
    behaviours: list[dict[str, Any]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)
    upstream: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)  # the `failure` lines: tests of the suite that failed
    complete: bool = False
    blocks: dict[int, str | list[str]] = field(default_factory=dict, repr=False)  # the `block` lines, by id


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        line = json.loads(text)
    except json.JSONDecodeError as error:
        raise StreamError("%s: not JSON (%s)" % (where, error.msg)) from None
    if isinstance(line, dict) and line.get("format") in EARLIER_FORMATS:
        line = {**line, "format": LINE_FORMAT}  # an earlier format's line is a line of this one
    found = problems("line", line)
    if found:
        raise StreamError("%s: not an %s line: %s" % (where, LINE_FORMAT, found[0]))
    return line


def _add(stream: Stream | None, line: dict[str, Any], where: str, path: Path) -> Stream:
    kind = line["kind"]
    if stream is None:
        if kind != "environment":
            raise StreamError("%s: the first line must describe the environment, found %r" % (where, kind))
        return Stream(path, line["environment"])
    if kind == "environment":
        raise StreamError("%s: a second environment line" % where)
    if kind == "end":
        stream.complete = True
    elif kind == "block":
        block = line["block"]
        if stream.blocks.setdefault(block["id"], block["text"]) != block["text"]:
            raise StreamError("%s: block %d written again, with another text" % (where, block["id"]))
    elif kind == "observation":
        stream.observations.append(_with_reproducer(line["observation"], stream.blocks, where))
    elif kind in COLLECTIONS:
        getattr(stream, COLLECTIONS[kind]).append(line[kind])
    return stream


def _with_reproducer(observation: dict[str, Any], blocks: dict[int, Any], where: str) -> dict[str, Any]:
    """The cell with its reproducer's text in full in its evidence. A cell
    the host recorded for a dead process carries the reproducer its
    `started` line named beside its evidence: it moves into the evidence."""
    evidence = observation["evidence"]
    if "reproducer" not in observation and not isinstance(evidence.get("reproducer"), list):
        return observation  # line/1's text in full, or no reproducer
    observation, evidence = dict(observation), dict(evidence)
    beside = observation.pop("reproducer", None)
    ids = evidence.get("reproducer", beside)
    if isinstance(ids, list):
        missing = [i for i in ids if i not in blocks]
        if missing:
            raise StreamError(
                "%s: the cell's reproducer names block %d, which no line before it writes" % (where, missing[0])
            )
        outcome = observation["outcome"]
        texts = [blocks[i] if isinstance(blocks[i], str) else outcome.join(blocks[i]) for i in ids]
        evidence["reproducer"] = SEPARATOR.join(texts)
    return {**observation, "evidence": evidence}


def read_stream(path: Path) -> Stream:
    """Every line validated against the line format; the first problem raises."""
    stream: Stream | None = None
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            if text.strip():
                where = "%s:%d" % (path, number)
                stream = _add(stream, _parse(text, where), where, path)
    if stream is None:
        raise StreamError("%s: empty (no environment line)" % path)
    return stream


@dataclass
class StreamProgress:
    """How far a stream got: complete, or which test was running when it stopped."""

    complete: bool = False
    running: dict[str, Any] | None = None  # the `started` payload of an unfinished test


def read_progress(path: Path) -> StreamProgress:
    """Tolerant of a last line cut short: this reads a stream mid-crash."""
    progress = StreamProgress()
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


@dataclass
class StreamSummary:
    environment: dict[str, Any]
    end: dict[str, Any] | None  # the end line's payload; None when the run did not finish
    cells: int


def stream_summary(path: Path) -> StreamSummary | None:
    """The environment line, the end line and the number of cells of a
    stream; None when it cannot be read."""
    environment, end, cells = None, None, 0
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for text in handle:
                try:
                    line = json.loads(text)
                except ValueError:
                    return None
                if line.get("kind") == "environment":
                    environment = line["environment"]
                elif line.get("kind") == "end":
                    end = line["end"]
                elif line.get("kind") == "observation":
                    cells += 1
    except OSError:
        return None
    return StreamSummary(environment, end, cells) if environment is not None else None
