"""A baseline: the outcome of every cell as a CI gate remembers it, keyed by
session (e.g. torch-2.4) rather than exact version, so a gate says when a
cell's outcome moves, including when a new patch release moves it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exportmatrix.base import STATIC, shapes_of, write_json_atomically

SCHEMA = "exportmatrix-baseline/1"


def _key(environment: dict[str, Any], observation: dict[str, Any]) -> str:
    """`torch-2.4 / buffer.add_ / export_strict / cpu`, and ` / dynamic` after
    a dynamic cell: static cells keep the names they had before the shape axis."""
    session = environment.get("session") or environment["id"]
    name = [session, observation["behaviour"], observation["exporter"], observation["device"]]
    shapes = shapes_of(observation)
    return " / ".join(name if shapes == STATIC else name + [shapes])


def outcomes(matrix: dict[str, Any]) -> dict[str, str]:
    environments = {e["id"]: e for e in matrix["environments"]}
    return {_key(environments[o["environment"]], o): o["outcome"] for o in matrix["observations"]}


def make_baseline(matrix: dict[str, Any]) -> dict[str, Any]:
    return {"schema": SCHEMA, "cells": dict(sorted(outcomes(matrix).items()))}


def write_baseline(path: Path, matrix: dict[str, Any]) -> None:
    write_json_atomically(path, make_baseline(matrix))


def load_baseline(path: Path) -> dict[str, str]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if (
        not isinstance(document, dict)
        or document.get("schema") != SCHEMA
        or not isinstance(document.get("cells"), dict)
    ):
        raise ValueError("%s: not an %s file" % (path, SCHEMA))
    return document["cells"]


@dataclass
class Drift:
    moved: list[tuple[str, str, str]]  # (cell, baseline outcome, now)
    new: list[str]
    missing: list[str]


def compare(baseline: dict[str, str], matrix: dict[str, Any]) -> Drift:
    now = outcomes(matrix)
    moved = [(key, baseline[key], now[key]) for key in sorted(baseline) if key in now and now[key] != baseline[key]]
    return Drift(moved, sorted(set(now) - set(baseline)), sorted(set(baseline) - set(now)))
