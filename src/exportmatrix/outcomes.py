"""The outcome vocabulary and how each outcome is shown."""

from __future__ import annotations

from typing import Any

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


def label(observation: dict[str, Any]) -> str:
    """An outcome with the one fact that explains it, e.g.
    `export-error (AssertionError: Mutating module attribute a during export.)`."""
    outcome = observation["outcome"]
    evidence = observation.get("evidence", {})
    if "error" in evidence:
        error = evidence["error"]
        return "%s (%s: %s)" % (outcome, error.get("type"), error.get("message"))
    if outcome == "diverges":
        whats = []
        for difference in evidence.get("differences", []):
            if difference["what"] not in whats:
                whats.append(difference["what"])
        return "diverges (%s)" % ", ".join(whats[:3])
    return outcome  # unsupported: its reason is evidence, not a different outcome
