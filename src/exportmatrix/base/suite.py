"""Where the suite, the sessions and the default matrix live: beside src/
in a checkout, or in the installed package's bundled/ (the wheel ships them
there), so that the tool runs from any directory."""

import ast
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
_CHECKOUT = _PACKAGE.parents[1]  # src/exportmatrix → the repository
_BUNDLED = _PACKAGE / "bundled"
# a checkout wins: an editable install runs the suite being edited
ROOT = _CHECKOUT if (_CHECKOUT / "noxfile.py").is_file() and (_CHECKOUT / "suite").is_dir() else _BUNDLED
SUITE_DIR = ROOT / "suite"
NOXFILE = ROOT / "noxfile.py"  # the sessions `exportmatrix matrix`, `nox` and replay run
DEFAULT_CONFIG = ROOT / "matrix.toml"  # the default matrix, where the current directory has no matrix.toml
CATALOGUE_DIR = SUITE_DIR / "exportmatrix_suite" / "behaviours"  # the built-in behaviours
PATH_SETS_FILE = SUITE_DIR / "exportmatrix_suite" / "paths.py"  # the capture-path sets and shapes, by name
AXES_FILE = SUITE_DIR / "exportmatrix_suite" / "axes.py"  # the catalogue's axes (AXIS_ORDER)


@lru_cache(maxsize=None)
def catalogue_axes(file: Path = AXES_FILE) -> tuple[str, ...]:
    """The catalogue's axes in the suite's order: axes.py's AXIS_ORDER, read as
    a literal (the host never imports the suite, which belongs to the torch
    environments)."""
    for node in ast.parse(file.read_bytes(), filename=str(file)).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["AXIS_ORDER"]:
            axes = ast.literal_eval(node.value)
            if isinstance(axes, tuple) and axes and all(isinstance(axis, str) for axis in axes):
                return axes
            raise ValueError("%s:%d: AXIS_ORDER is not a tuple of axis names" % (file, node.lineno))
    raise ValueError("%s: assigns no AXIS_ORDER" % file)
