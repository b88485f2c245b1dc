"""Per-environment and per-exporter timings of the suite, from a results
folder that `nox -s matrix` wrote (the suite's own target: under a minute
per environment on a 2-core machine).

    .venv/bin/python bench/suite_timing.py [results]

Per environment: the session's whole time and pytest's own time (from
results/logs), and the sum of the cells' capture-and-call durations; per
exporter: the sum over all environments. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path


def nox_duration(text: str) -> int | None:
    """nox's 'was successful in 43 seconds' / 'in a minute' / 'in 2 minutes' (nox rounds)."""
    found = re.search(r"was successful in (.+?)\.?$", text, flags=re.M)
    if not found:
        return None
    words = found.group(1).replace("a minute", "1 minute").replace(" and ", " ")
    minutes = re.search(r"(\d+) minutes?", words)
    seconds = re.search(r"(\d+) seconds?", words)
    return (int(minutes.group(1)) * 60 if minutes else 0) + (int(seconds.group(1)) if seconds else 0)


def session_seconds(log: Path) -> tuple[int | None, float]:
    text = log.read_text(errors="replace") if log.exists() else ""
    # pytest's own closing lines ("363 passed in 41.2s"), not uv's ("Installed 30 packages in 2.1s")
    pytest_seconds = sum(float(s) for s in re.findall(r"\d+ passed.* in ([\d.]+)s", text))
    return nox_duration(text), pytest_seconds


def main() -> None:
    results = Path(sys.argv[1] if len(sys.argv) > 1 else "results")
    by_exporter: dict[str, float] = defaultdict(float)
    rows = []
    for path in sorted(results.glob("envs/*.jsonl")):
        lines = [json.loads(text) for text in path.read_text().splitlines() if text.strip()]
        environment = lines[0]["environment"]
        cells = [line["observation"] for line in lines if line["kind"] == "observation"]
        cell_seconds = 0.0
        for cell in cells:
            seconds = float(cell["evidence"].get("duration_s", 0.0))
            cell_seconds += seconds
            by_exporter[cell["exporter"]] += seconds
        session, pytest_seconds = session_seconds(results / "logs" / (environment.get("session", "") + ".log"))
        rows.append(
            (
                environment.get("torch") or environment["id"],
                environment.get("python"),
                len(cells),
                session,
                pytest_seconds,
                cell_seconds,
            )
        )
    rows.sort(key=lambda row: [int(part) for part in re.findall(r"\d+", row[0].split("+")[0])])
    print("%-22s %-8s %6s %10s %10s %12s" % ("torch", "python", "cells", "session s", "pytest s", "captures s"))
    for torch, python, cells, session, pytest_seconds, cell_seconds in rows:
        print(
            "%-22s %-8s %6d %10s %10.1f %12.1f"
            % (torch, python, cells, session if session is not None else "-", pytest_seconds, cell_seconds)
        )
    print("\n%-30s %12s" % ("exporter", "captures s"))
    for exporter, seconds in sorted(by_exporter.items(), key=lambda item: -item[1]):
        print("%-30s %12.1f" % (exporter, seconds))


if __name__ == "__main__":
    main()
