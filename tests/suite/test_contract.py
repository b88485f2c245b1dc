"""What the suite shares with the host and with every reproducer: the line
format, the outcome names, and a package that imports without torch."""

import ast
import json
import subprocess
import sys
from pathlib import Path

from exportmatrix_suite import classify, keys
from exportmatrix_suite.recorder import LINE_FORMAT

ROOT = Path(__file__).resolve().parents[2]
LINE_SCHEMA = ROOT / "src" / "exportmatrix" / "schemas" / "line.schema.json"
PACKAGE = ROOT / "suite" / "exportmatrix_suite"


def test_the_line_format_is_the_schemas():
    schema = json.loads(LINE_SCHEMA.read_text(encoding="utf-8"))
    assert LINE_FORMAT == schema["properties"]["format"]["const"]


def test_the_classifier_only_produces_outcomes_the_schema_knows():
    schema = json.loads(LINE_SCHEMA.read_text(encoding="utf-8"))
    assert set(classify.OUTCOMES) <= set(schema["$defs"]["observation"]["properties"]["outcome"]["enum"])
    assert len(set(classify.OUTCOMES)) == len(classify.OUTCOMES) == 5


def test_the_classification_rule_imports_the_standard_library_only():
    tree = ast.parse((PACKAGE / "classify.py").read_text(encoding="utf-8"))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_the_package_imports_without_torch():
    """The host imports exportmatrix_suite.classify where torch is not installed."""
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ImportError('torch is blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import exportmatrix_suite, exportmatrix_suite.classify, exportmatrix_suite.declare\n"
        "import exportmatrix_suite.keys, exportmatrix_suite.recorder, exportmatrix_suite.reproducer\n"
        "import exportmatrix_suite.cases, exportmatrix_suite.probe\n"
        "from exportmatrix_suite import behaviour\n"
        "assert 'torch' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocker], cwd=ROOT / "suite", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_shared_code_is_everything_but_the_catalogue():
    shared = keys.shared_files()
    assert {
        "conftest.py",
        "test_cells.py",
        "exportmatrix_suite/classify.py",
        "exportmatrix_suite/declare.py",
        "exportmatrix_suite/plugin.py",
        "exportmatrix_suite/upstream/seed_export_mutations.py",
    } <= set(shared)
    assert not [name for name in shared if name.startswith("exportmatrix_suite/behaviours/")]
    assert not [name for name in shared if "__pycache__" in name or not name.endswith(".py")]
