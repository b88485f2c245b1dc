"""The case file of the README's "Check your own model" runs as written: it is
copied out of README.md here (the first ```python block of that section), and
`exportmatrix run` observes it with a real torch."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from exportmatrix.streams import read_stream

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Check your own model"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def readme_case_file() -> str:
    text = (ROOT / "README.md").read_text()
    assert SECTION in text, "README.md has no %r section" % SECTION
    found = PYTHON_BLOCK.search(text.split(SECTION, 1)[1])
    assert found, "README.md's %r section has no ```python block" % SECTION
    return found.group(1)


def declared_ids(source: str) -> list[str]:
    """The ids of the @behaviour(...) declarations, read without torch."""
    ids = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "behaviour":
            ids += [k.value.value for k in node.keywords if k.arg == "id" and isinstance(k.value, ast.Constant)]
    return ids


def test_the_readme_has_a_case_file_with_behaviours():
    assert declared_ids(readme_case_file())


@pytest.mark.e2e
def test_the_readme_case_file_runs_as_written(torch_python, tmp_path):
    source = readme_case_file()
    case_file = tmp_path / "my_cases.py"
    case_file.write_text(source)
    results = tmp_path / "results"
    command = [sys.executable, "-m", "exportmatrix", "run", "--python", str(torch_python)]
    command += ["--behaviours", str(case_file), "--only-cases", "--paths", "default", "--results", str(results)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = (results / "envs").glob("*.jsonl")
    stream = read_stream(path)
    assert stream.complete
    observed = {(o["behaviour"], o["exporter"]): o["outcome"] for o in stream.observations}
    ids = declared_ids(source)
    assert {behaviour for behaviour, _ in observed} == set(ids)
    # every case cell has an outcome: each capture path of the default set, for each behaviour
    exporters = {exporter for _, exporter in observed}
    assert len(exporters) == 8, exporters
    assert len(observed) == len(ids) * len(exporters)
    outcomes = {"holds", "diverges", "export-error", "run-error", "unsupported", "crash", "timeout"}
    assert set(observed.values()) <= outcomes
    # the eager run changed exactly what `mutates` names (the suite checks it in every environment)
    checks = {}
    for text in path.read_text().splitlines():
        line = json.loads(text)
        test = line["finished"].get("test", "") if line["kind"] == "finished" else ""
        if "test_the_eager_run_performs_the_mutation_it_names[" in test:
            checks[test.split("[", 1)[1].rstrip("]")] = line["finished"]["passed"]
    assert checks == dict.fromkeys(ids, True)
