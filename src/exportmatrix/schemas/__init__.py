"""JSON Schemas of the line format and of results/matrix.json."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    text = resources.files(__name__).joinpath(name + ".schema.json").read_text(encoding="utf-8")
    return Draft202012Validator(json.loads(text))


def problems(name: str, document: Any) -> list[str]:
    """Schema violations of `document`, each as 'path: message'."""
    found = []
    for error in sorted(validator(name).iter_errors(document), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(part) for part in error.absolute_path) or "(top)"
        found.append("%s: %s" % (where, error.message))
    return found
