"""Case files: a user's Python files of behaviours, loaded after the suite's
own catalogue (--exportmatrix-behaviours FILE, repeatable).

A case file is loaded whole or not at all: one that cannot be read or
imported (a syntax error, an exception at import, a declaration refused as
invalid, an id that is already declared, no behaviour at all) adds none of
its behaviours, and the problem is returned as {"file", "error"}, its error
naming the file and line ("my_cases.py:12: SyntaxError: invalid syntax"), so
that the run goes on with everything else and the host can show it.

torch-free itself: a case file imports torch when it is loaded.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import traceback
from typing import Dict, List, Optional, Sequence

from exportmatrix_suite.declare import REGISTRY, loading_case_file

__all__ = ["case_module_name", "load_case_file", "load_case_files"]


def case_module_name(path: str) -> str:
    """The module name a case file is imported under: its stem, and a number
    when another file of that stem is already loaded."""
    stem = "extra_behaviours_" + re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    name, number = stem, 1
    while name in sys.modules and os.path.abspath(getattr(sys.modules[name], "__file__", "") or "") != os.path.abspath(
        path
    ):
        number += 1
        name = "%s_%d" % (stem, number)
    return name


def load_case_files(paths: Sequence[str]) -> List[Dict[str, str]]:
    """Load each case file in turn, after the suite's own catalogue; the
    problems of those that could not be loaded, in order."""
    problems: List[Dict[str, str]] = []
    if not paths:
        return problems
    import exportmatrix_suite.behaviours  # noqa: F401  (the suite's own come first: an id clash names the case file)

    for path in dict.fromkeys(paths):  # a file named twice is loaded once
        error = load_case_file(path)
        if error is not None:
            problems.append({"file": path, "error": error})
    return problems


def load_case_file(path: str) -> Optional[str]:
    """Import the case file `path` (as given, relative to the working folder);
    its behaviours join REGISTRY. Returns None, or why it was not loaded."""
    before = len(REGISTRY)
    name = case_module_name(path)
    try:
        with open(path, "rb") as handle:
            text = handle.read()
    except OSError as error:
        return "%s: cannot be read: %s" % (path, error.strerror or error)
    try:
        code = compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as error:  # IndentationError and TabError are SyntaxErrors too
        return "%s:%s: %s: %s" % (path, error.lineno or "?", type(error).__name__, error.msg)
    except ValueError as error:  # null bytes
        return "%s: %s: %s" % (path, type(error).__name__, error)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with loading_case_file(path):
            exec(code, module.__dict__)
    except BaseException as error:  # SystemExit or KeyboardInterrupt in a user's file is its problem too
        if isinstance(error, KeyboardInterrupt):
            raise
        del REGISTRY[before:]
        sys.modules.pop(name, None)
        return "%s:%s: %s: %s" % (path, _line_in(path, error), type(error).__name__, _first_line(error))
    if len(REGISTRY) == before:
        sys.modules.pop(name, None)
        return "%s: declares no behaviour (decorate an nn.Module class with @behaviour(...))" % path
    return None


def _line_in(path: str, error: BaseException) -> str:
    """The line of the case file where `error` was raised (its innermost frame there)."""
    line = "?"
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == path or os.path.abspath(frame.filename) == os.path.abspath(path):
            line = str(frame.lineno)
    return line


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "(no message)"
