"""What produced a cell, as a key: the installed torch build, the Python, the
behaviour's own declaration and source, and the suite's shared code. A rerun
reuses a recorded cell whose key is unchanged (see --exportmatrix-previous).

Shared code is every .py file of the suite (the folder holding
exportmatrix_suite: its tests, conftest, this package, the upstream seed file)
except the catalogue's behaviour modules, exportmatrix_suite/behaviours/*.py:
editing any of it reruns every cell, while editing one behaviour reruns only
that behaviour's cells. A behaviour's key holds its declaration without its
source (the whole file's hash) and its own code as its reproducer quotes it
(its class, the helpers it uses, its file's imports): editing another class
of the same case file leaves it unchanged. Its rewrites (the `rewrites`
option, and what their eager check found) are not part of it: naming a
rewrite changes no cell of the behaviour.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from functools import lru_cache
from typing import Any, Dict, List

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
SUITE_DIR = os.path.dirname(PACKAGE_DIR)
CATALOGUE_DIR = os.path.join(PACKAGE_DIR, "behaviours")


def shared_files(suite_dir: str = SUITE_DIR) -> List[str]:
    """The shared code, as paths relative to the suite folder, sorted."""
    found = []
    for folder, subfolders, files in os.walk(suite_dir):
        subfolders[:] = [name for name in subfolders if name != "__pycache__" and not name.startswith(".")]
        if os.path.abspath(folder) == os.path.join(os.path.abspath(suite_dir), "exportmatrix_suite", "behaviours"):
            continue  # the catalogue: each behaviour has its own key
        found += [os.path.relpath(os.path.join(folder, name), suite_dir) for name in files if name.endswith(".py")]
    return sorted(found)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=None)
def shared_code() -> str:
    contents = []
    for name in shared_files():
        with open(os.path.join(SUITE_DIR, name), encoding="utf-8") as handle:
            contents.append(name + "\n" + handle.read())
    return _digest(*contents)


NOT_KEYED = ("source", "rewrites", "rewrites_checked")  # fields of a declaration its key leaves out
_BEHAVIOUR_KEYS: Dict[str, str] = {}  # by behaviour id: a behaviour's file is parsed once a process


def behaviour_key(behaviour: Any) -> str:
    from exportmatrix_suite.reproducer import behaviour_source  # the same code a reproducer quotes

    if behaviour.id not in _BEHAVIOUR_KEYS:
        declaration = {name: value for name, value in behaviour.declaration().items() if name not in NOT_KEYED}
        _BEHAVIOUR_KEYS[behaviour.id] = _digest(
            json.dumps(declaration, sort_keys=True),
            json.dumps(behaviour_source(behaviour), sort_keys=True),
            str(behaviour.warmup_calls),
        )
    return _BEHAVIOUR_KEYS[behaviour.id]


def environment_key(torch_version: str) -> str:
    return _digest(shared_code(), torch_version, "%d.%d.%d" % sys.version_info[:3])


def cell_key(torch_version: str, behaviour: Any, exporter_name: str, device: str, shapes: str) -> str:
    return _digest(environment_key(torch_version), behaviour_key(behaviour), exporter_name, device, shapes)


def check_key(torch_version: str, behaviour: Any, check: str) -> str:
    return _digest(environment_key(torch_version), behaviour_key(behaviour), "check", check)
