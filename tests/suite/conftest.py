"""Tests of the suite's torch-free parts (the classification rule, the
declarations, the line format, reproducers): the suite folder is put on the
path so that `import exportmatrix_suite` works, as pytest's rootdir conftest
does inside an environment."""

import sys
from pathlib import Path

SUITE = Path(__file__).resolve().parents[2] / "suite"
if str(SUITE) not in sys.path:
    sys.path.insert(0, str(SUITE))
