"""Tests of the suite's torch-free parts (the classification rule, the
declarations, the line format, reproducers): the suite folder is put on the
path so that `import exportmatrix_suite` works, as pytest's rootdir conftest
does inside an environment."""

import sys
import types
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parents[2] / "suite"
if str(SUITE) not in sys.path:
    sys.path.insert(0, str(SUITE))


@pytest.fixture
def empty_registry(monkeypatch):
    """The suite's REGISTRY, restored afterwards with the modules and caches a
    loaded case file leaves; the real catalogue (which needs torch) is not
    imported."""
    from exportmatrix_suite import keys, reproducer
    from exportmatrix_suite.declare import REGISTRY

    monkeypatch.setitem(sys.modules, "exportmatrix_suite.behaviours", types.ModuleType("exportmatrix_suite.behaviours"))
    before, modules = list(REGISTRY), set(sys.modules)
    yield REGISTRY
    REGISTRY[:] = before
    for name in set(sys.modules) - modules:
        del sys.modules[name]
    reproducer._file_tree.cache_clear()
    keys._BEHAVIOUR_KEYS.clear()
