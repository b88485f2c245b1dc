"""What produced a cell, as a key: the installed torch build, the Python, the
behaviour's own declaration and the suite's shared code. A rerun reuses a
recorded cell whose key is unchanged (see --exportmatrix-previous)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from functools import lru_cache
from typing import Any

SUITE_DIR = os.path.dirname(os.path.abspath(__file__))
# Everything but the behaviour declarations: editing any of it reruns every cell.
SHARED = sorted(
    [name for name in os.listdir(SUITE_DIR) if name.endswith(".py")]
    + [
        os.path.join("upstream", name)
        for name in os.listdir(os.path.join(SUITE_DIR, "upstream"))
        if name.endswith(".py")
    ]
    + [os.path.join("behaviours", "registry.py")]
)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=None)
def shared_code() -> str:
    contents = []
    for name in SHARED:
        with open(os.path.join(SUITE_DIR, name), encoding="utf-8") as handle:
            contents.append(name + "\n" + handle.read())
    return _digest(*contents)


_BEHAVIOUR_KEYS: dict = {}  # by behaviour id: a behaviour's file is parsed once a process


def behaviour_key(behaviour: Any) -> str:
    from reproducer import behaviour_source  # the same code a reproducer quotes

    if behaviour.id not in _BEHAVIOUR_KEYS:
        _BEHAVIOUR_KEYS[behaviour.id] = _digest(
            json.dumps(behaviour.declaration(), sort_keys=True),
            json.dumps(behaviour_source(behaviour), sort_keys=True),
            str(behaviour.warmup_calls),
        )
    return _BEHAVIOUR_KEYS[behaviour.id]


def environment_key(torch_version: str) -> str:
    return _digest(shared_code(), torch_version, "%d.%d.%d" % sys.version_info[:3])


def cell_key(torch_version: str, behaviour: Any, exporter_name: str, device: str) -> str:
    return _digest(environment_key(torch_version), behaviour_key(behaviour), exporter_name, device)


def check_key(torch_version: str, behaviour: Any, check: str) -> str:
    return _digest(environment_key(torch_version), behaviour_key(behaviour), "check", check)


def previous_lines(path: str | None) -> dict:
    """Reusable lines of an earlier complete stream, by key."""
    found: dict = {}
    if not path or not os.path.exists(path):
        return found
    with open(path, encoding="utf-8", errors="replace") as handle:
        for text in handle:
            try:
                line = json.loads(text)
            except ValueError:
                continue
            payload = line.get(line.get("kind"), {})
            if isinstance(payload, dict) and payload.get("key"):
                found.setdefault(payload["key"], []).append(payload)
    return found
