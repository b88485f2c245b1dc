"""The outcome vocabulary: what a cell did, its symbol, and its one-line label.

The JSON Schemas (line and matrix) list the same names; a test keeps them equal.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any


class Outcome(str, Enum):
    """Exactly one per cell; DESIGN.md (Outcomes) says what each means."""

    HOLDS = "holds"
    DIVERGES = "diverges"
    EXPORT_ERROR = "export-error"
    RUN_ERROR = "run-error"
    UNSUPPORTED = "unsupported"
    CRASH = "crash"
    TIMEOUT = "timeout"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_SYMBOLS = {
    Outcome.HOLDS: "✓",
    Outcome.DIVERGES: "≠",
    Outcome.EXPORT_ERROR: "E",
    Outcome.RUN_ERROR: "R",
    Outcome.UNSUPPORTED: "-",
    Outcome.CRASH: "C",
    Outcome.TIMEOUT: "T",
}
SYMBOLS = {outcome.value: outcome.symbol for outcome in Outcome}  # by name, for templates and grids
NOT_OBSERVED = "?"


def symbol(outcome: str) -> str:
    """The grid symbol of an outcome name; NOT_OBSERVED for a name outside the vocabulary."""
    return SYMBOLS.get(outcome, NOT_OBSERVED)


# control characters and bidirectional overrides: they would garble a report line
UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
MAX_LABEL = 300


def _clean(text: str) -> str:
    text = UNPRINTABLE.sub("", text)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _what(group: dict[str, Any]) -> str:
    """A group of differences as a label names it: its one name, or "buffer
    *.num_batches_tracked (20)" for many of one kind."""
    names = group.get("names") or [""]
    if len(names) == 1:
        return str(names[0])
    return "%s *.%s (%d)" % (group.get("kind"), group.get("name"), len(names))


def label(observation: dict[str, Any]) -> str:
    """An outcome with the one fact that explains it, e.g.
    `export-error (AssertionError: Mutating module attribute a during export.)`."""
    outcome = observation["outcome"]
    evidence = observation.get("evidence", {})
    if "error" in evidence:
        error = evidence["error"]
        return _clean("%s (%s: %s)" % (outcome, error.get("type"), error.get("message")))
    if outcome == Outcome.DIVERGES:
        # sorted: the same differences read the same whatever order they were found in
        whats = sorted({_what(group) for group in evidence.get("difference_groups", [])}) or sorted(
            {difference["what"] for difference in evidence.get("differences", [])}
        )
        return _clean("diverges (%s)" % ", ".join(whats[:3]))
    return str(outcome)  # unsupported: its reason is evidence, not a different outcome
