"""Streams one JSON line per event to the results file, flushed as it goes,
so a crash loses nothing already observed.

Around every test the plugin writes `started` (with the time, and the cell)
and `finished`: if the process dies, the host reads which test was running,
records it as crash or timeout, and reruns the suite with --exportmatrix-resume,
which appends to the same stream and skips every test already finished.

The line format is the contract with the host; it is written down once, as
the JSON Schema src/exportmatrix/schemas/line.schema.json, and validated on
read. LINE_FORMAT is its version, the schema's `format` const.

What repeats is written once (exportmatrix-line/2): a reproducer is its
blocks (the text between two blank lines), and each distinct block is a
`block` line, written the first time a cell needs it and always before that
cell's line; the cell names its blocks by id (`"reproducer": [0, 1, 7]`).
A reproducer rendered before its cell runs (the `started` line's, which the
host gives a cell whose process died) says OUTCOME_SLOT where the outcome
goes: such a block is stored as the list of its parts around it, and a
reader joins them with the cell's outcome. Lines of exportmatrix-line/1
(each reproducer in full) are still read.
"""

from __future__ import annotations

import json
import os
from typing import IO, Any, Dict, List, Optional, Set, Tuple, Union

LINE_FORMAT = "exportmatrix-line/2"
SEPARATOR = "\n\n\n"  # between the blocks of a reproducer (two blank lines)
OUTCOME_SLOT = "\x00outcome\x00"  # the outcome of a reproducer rendered before its cell ran

Block = Union[str, List[str]]  # a text, or the parts of one around its outcome


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


def assemble(ids: List[int], blocks: Dict[int, Block], outcome: str) -> str:
    """A reproducer from the ids of its blocks (KeyError: an id not written)."""
    texts = [blocks[i] for i in ids]
    return SEPARATOR.join(text if isinstance(text, str) else outcome.join(text) for text in texts)


def resolved(payload: Dict[str, Any], blocks: Dict[int, Block]) -> Dict[str, Any]:
    """An observation as line/1 wrote it: its reproducer's text in full. A
    cell the host recorded for a dead process carries its `started` line's
    reproducer beside its evidence: it moves into the evidence."""
    evidence = payload.get("evidence")
    reference = payload.get("reproducer")
    if not isinstance(evidence, dict) or not (isinstance(reference, list) or "reproducer" in evidence):
        return payload
    payload, evidence = dict(payload), dict(evidence)
    reference = payload.pop("reproducer", None)
    if "reproducer" not in evidence and isinstance(reference, list):
        evidence["reproducer"] = reference
    if isinstance(evidence.get("reproducer"), list):
        evidence["reproducer"] = assemble(evidence["reproducer"], blocks, str(payload.get("outcome")))
    payload["evidence"] = evidence
    return payload


def previous_lines(path: Optional[str]) -> Dict[str, List[Dict[str, Any]]]:
    """The reusable lines of an earlier stream (those carrying a key), by
    key; each observation's reproducer in full (the new stream's blocks are
    its own)."""
    found: Dict[str, List[Dict[str, Any]]] = {}
    if not path or not os.path.exists(path):
        return found
    blocks: Dict[int, Block] = {}
    for line in _lines(path):
        kind = line.get("kind")
        payload = line.get(kind, {})
        if kind == "block" and isinstance(payload, dict):
            blocks[payload["id"]] = payload["text"]
        elif isinstance(payload, dict) and payload.get("key"):
            try:
                payload = resolved(payload, blocks) if kind == "observation" else payload
            except KeyError:
                continue  # a cell whose blocks are missing: observed again rather than copied
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
        self._blocks: Dict[Tuple[str, ...], int] = {}  # the id of each block written, by _block_key
        self._slots: List[Tuple[List[str], int]] = []  # the blocks with an outcome slot of the last `started` line
        if path and self.resumed:
            for line in _lines(path):
                if line.get("kind") == "block":
                    self._blocks[_block_key(line["block"]["text"])] = line["block"]["id"]
        self._next_block = max(self._blocks.values(), default=-1) + 1
        mode = "a" if self.resumed else "w"
        self._file: Optional[IO[str]] = open(path, mode, encoding="utf-8") if path else None

    def write(self, kind: str, payload: Dict[str, Any]) -> None:
        """Dump one line, write it, flush it; a reproducer in it as the ids
        of its blocks, each new block's line written first."""
        if kind == "observation":
            self.observations += 1
            evidence = payload.get("evidence")
            if isinstance(evidence, dict) and isinstance(evidence.get("reproducer"), str):
                ids = self.reference(evidence["reproducer"], str(payload.get("outcome")))
                payload = dict(payload, evidence=dict(evidence, reproducer=ids))
        elif kind == "started" and isinstance(payload.get("cell"), dict):
            cell = payload["cell"]
            self._slots = []
            if isinstance(cell.get("reproducer"), str):
                payload = dict(payload, cell=dict(cell, reproducer=self.reference(cell["reproducer"])))
        self._write(kind, payload)

    def reference(self, text: str, outcome: Optional[str] = None) -> List[int]:
        """The ids of a reproducer's blocks, writing those not yet written.
        With `outcome`: a block that is a slot block of the last `started`
        line with that outcome is named by it. Without: a block holding
        OUTCOME_SLOT is written as its parts around it."""
        ids = []
        for text_block in text.split(SEPARATOR):
            found = [i for parts, i in self._slots if outcome is not None and outcome.join(parts) == text_block]
            if found:
                ids.append(found[0])
                continue
            block: Block = text_block
            if outcome is None and OUTCOME_SLOT in text_block:
                block = text_block.split(OUTCOME_SLOT)
            key = _block_key(block)
            if key not in self._blocks:
                self._blocks[key], self._next_block = self._next_block, self._next_block + 1
                self._write("block", {"id": self._blocks[key], "text": block})
            if isinstance(block, list):
                self._slots.append((block, self._blocks[key]))
            ids.append(self._blocks[key])
        return ids

    def _write(self, kind: str, payload: Dict[str, Any]) -> None:
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


def _block_key(block: Block) -> Tuple[str, ...]:
    """A text as ("", text); a slot block as ("slot", *parts): never equal."""
    return ("", block) if isinstance(block, str) else ("slot", *block)
