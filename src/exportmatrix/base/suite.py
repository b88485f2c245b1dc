"""Where the suite lives: suite/ beside src/ in a checkout."""

from pathlib import Path

SUITE_DIR = Path(__file__).resolve().parents[3] / "suite"
NOXFILE = SUITE_DIR.parent / "noxfile.py"  # the sessions a replay runs
CATALOGUE_DIR = SUITE_DIR / "exportmatrix_suite" / "behaviours"  # the built-in behaviours
PATH_SETS_FILE = SUITE_DIR / "exportmatrix_suite" / "paths.py"  # the capture-path sets and shapes, by name
