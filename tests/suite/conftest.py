"""Tests of the suite's torch-free parts (classifier, values, errors): the
suite folder is put on the path the way its own conftest does inside an
environment."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "suite"))
