"""The outcome vocabulary and how each outcome is shown."""

from __future__ import annotations

import re
from typing import Any

# control characters and bidirectional overrides: they would garble a report line
UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

SYMBOLS = {
    "holds": "✓",
    "diverges": "≠",
    "export-error": "E",
    "run-error": "R",
    "unsupported": "-",
    "crash": "C",
    "timeout": "T",
}
NOT_OBSERVED = "?"
OUTCOMES = tuple(SYMBOLS)


MAX_LABEL = 300


def _clean(text: str) -> str:
    text = UNPRINTABLE.sub("", text)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def label(observation: dict[str, Any]) -> str:
    """An outcome with the one fact that explains it, e.g.
    `export-error (AssertionError: Mutating module attribute a during export.)`."""
    outcome = observation["outcome"]
    evidence = observation.get("evidence", {})
    if "error" in evidence:
        error = evidence["error"]
        return _clean("%s (%s: %s)" % (outcome, error.get("type"), error.get("message")))
    if outcome == "diverges":
        # sorted: the same differences read the same whatever order they were found in
        whats = sorted({difference["what"] for difference in evidence.get("differences", [])})
        return _clean("diverges (%s)" % ", ".join(whats[:3]))
    return outcome  # unsupported: its reason is evidence, not a different outcome
