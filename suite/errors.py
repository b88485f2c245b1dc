"""Normalise exception messages so the same failure reads the same everywhere."""

from __future__ import annotations

import re

MAX_MESSAGE = 300

_PATTERNS = [
    (re.compile(r"0x[0-9a-fA-F]+"), "0x…"),
    (re.compile(r"\.py:\d+"), ".py:N"),
    (re.compile(r"(/tmp|/var/folders|/private/var)/[^\s'\":,)]+"), "<tmp>"),
    (re.compile(r"File \"[^\"]+\""), 'File "<file>"'),
    (re.compile(r"\bline \d+"), "line N"),
    # control characters and bidirectional overrides would garble a report
    (re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]"), ""),
]


def first_line(message: str) -> str:
    for line in str(message).splitlines():
        if line.strip():
            return line.strip()
    return ""


def normalise_message(message: str) -> str:
    text = first_line(message)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def describe_error(error: BaseException) -> dict:
    kind = type(error)
    return {"type": kind.__name__, "module": kind.__module__, "message": normalise_message(str(error))}
