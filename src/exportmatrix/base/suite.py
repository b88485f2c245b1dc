"""Where the suite, the sessions and the default matrix live: beside src/
in a checkout, or in the installed package's bundled/ (the wheel ships them
there), so that the tool runs from any directory."""

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
