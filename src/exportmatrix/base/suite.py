"""Where the suite, the sessions and the default matrix live: beside src/
in a checkout, or in the installed package's bundled/ (the wheel ships them
there), so that the tool runs from any directory."""

import ast
import importlib.util
import sys
from functools import lru_cache
from pathlib import Path
from types import ModuleType

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
DECLARATIONS_FILE = SUITE_DIR / "exportmatrix_suite" / "declarations.py"  # the parser of @behaviour declarations


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


@lru_cache(maxsize=None)
def suite_declarations(file: Path = DECLARATIONS_FILE) -> ModuleType:
    """The suite's parser of behaviour declarations (declarations.py), so
    that the host finds exactly the declarations the suite does. It is the one
    suite module the host runs: it needs only the standard library (a test
    holds it to that), and it is loaded from its file under a name of its
    own, never as the suite package, which belongs to the torch environments."""
    name = "_exportmatrix_suite_declarations"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ImportError("%s: cannot be loaded" % file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # what its classes are defined in must be findable while it runs
    spec.loader.exec_module(module)
    return module
