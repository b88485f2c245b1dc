"""The shape of the host package: each step imports only the steps before
it, each rule is defined once and agrees with the schemas, nothing is
written half, and nox selects exactly the session a user names."""

import ast
import importlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from exportmatrix.base import (
    SCHEMA,
    Outcome,
    Status,
    catalogue_axes,
    publish,
    write_atomically,
    write_json_atomically,
)
from exportmatrix.streams import LINE_FORMAT

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "exportmatrix"
SUITE = PACKAGE.parents[1] / "suite"
# what each step may import (besides itself): the data flow, one direction
ALLOWED = {
    "base": {"schemas"},
    "schemas": set(),
    "config": {"base"},
    "streams": {"base", "schemas"},
    "run": {"base", "config", "streams"},
    "merge": {"base", "schemas", "streams"},
    "repro": {"base"},  # a cell's short reproducer, from the matrix alone
    # the view reads the upstream links the suite declares (config/upstream_links.py) and shows short reproducers
    "reports": {"base", "config", "repro"},
    "cli": {"base", "config", "streams", "run", "merge", "repro", "reports", "__init__"},
    "__main__": {"cli"},
    "__init__": set(),
}
STEPS = ["base", "config", "streams", "run", "merge", "repro", "reports", "cli"]


def step_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported_steps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
            if node.module == "exportmatrix":  # `from exportmatrix import reports` names a step
                names = [node.module + "." + a.name for a in node.names if (PACKAGE / a.name).is_dir()] or names
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "exportmatrix":
                found.add(parts[1] if len(parts) > 1 else "__init__")
            if parts[0] == "torch":
                found.add("torch")
    return found


def test_each_step_imports_only_the_steps_before_it():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        step = step_of(path)
        for imported in imported_steps(path) - {step}:
            if imported not in ALLOWED[step]:
                wrong.append("%s imports %s" % (path.relative_to(PACKAGE), imported))
    assert wrong == []


def test_the_checker_of_the_layers_sees_a_backward_import(tmp_path):
    backward = tmp_path / "x.py"
    backward.write_text("from exportmatrix.reports.view import view\nimport torch\n")
    assert imported_steps(backward) == {"reports", "torch"}


def test_the_suite_never_imports_the_host():
    """The suite runs inside the torch environments, where the host is not installed."""
    wrong = []
    for path in sorted(SUITE.rglob("*.py")):
        found = imported_steps(path) - {"torch"}
        if found:
            wrong.append("%s imports exportmatrix (%s)" % (path.relative_to(SUITE), ", ".join(sorted(found))))
    assert wrong == []


def test_the_checker_of_the_suite_sees_an_import_of_the_host(tmp_path):
    module = tmp_path / "x.py"
    module.write_text("import torch\nfrom exportmatrix import base\n")
    assert imported_steps(module) - {"torch"} == {"base"}


def foreign_names(path: Path, text: str | None = None) -> list[str]:
    """Each name a module of the package (its text: `text`, else the file's)
    imports from another step that is private (`_x`) or, where that step's
    package declares `__all__`, outside it."""
    step, wrong = step_of(path), []
    for node in ast.walk(ast.parse(path.read_text() if text is None else text)):
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        parts = node.module.split(".")
        if parts[0] != "exportmatrix" or len(parts) < 2 or parts[1] == step or not (PACKAGE / parts[1]).is_dir():
            continue
        public = getattr(importlib.import_module("exportmatrix." + parts[1]), "__all__", None)
        for alias in node.names:
            if alias.name.startswith("_") or (public is not None and alias.name not in public):
                wrong.append("%s imports %s from %s" % (path.relative_to(PACKAGE), alias.name, node.module))
    return wrong


def test_no_step_imports_another_steps_internals():
    found = {name for path in sorted(PACKAGE.rglob("*.py")) for name in foreign_names(path)}
    assert sorted(found) == []


def test_the_checker_of_internals_sees_a_private_name_and_one_outside_all():
    text = "from exportmatrix.base.outcomes import _private, MAX_LABEL\nfrom exportmatrix.reports.view import axis_of\n"
    text += "from exportmatrix.cli.front import _own_step\n"
    assert foreign_names(PACKAGE / "cli" / "x.py", text) == [
        "cli/x.py imports _private from exportmatrix.base.outcomes",
        "cli/x.py imports axis_of from exportmatrix.reports.view",
    ]


def test_the_reports_order_tags_by_the_axes_the_suite_declares(monkeypatch):
    spec = importlib.util.spec_from_file_location("declared_axes", SUITE / "exportmatrix_suite" / "axes.py")
    assert spec and spec.loader
    axes = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, axes)  # its dataclasses look their module up
    spec.loader.exec_module(axes)
    assert catalogue_axes() == axes.AXIS_ORDER == tuple(axes.AXES)


@pytest.mark.parametrize("step", STEPS)
def test_each_step_states_its_public_surface(step):
    module = importlib.import_module("exportmatrix." + step)
    assert module.__all__, step
    for name in module.__all__:
        assert hasattr(module, name), "%s.__all__ names %s, which it lacks" % (step, name)


def schema(name):
    return json.loads((PACKAGE / "schemas" / (name + ".schema.json")).read_text())


def test_the_outcome_vocabulary_is_the_one_both_schemas_list():
    line_outcomes = schema("line")["$defs"]["observation"]["properties"]["outcome"]["enum"]
    matrix = schema("matrix")
    matrix_outcomes = matrix["properties"]["observations"]["properties"]["values"]["properties"]["outcome"]["items"][
        "enum"
    ]
    assert [o.value for o in Outcome] == line_outcomes == matrix_outcomes
    assert len({o.symbol for o in Outcome}) == len(Outcome)  # a grid tells every outcome apart


def test_the_status_vocabulary_is_the_one_the_matrix_schema_lists():
    environment = schema("matrix")["properties"]["environments"]["items"]["properties"]
    assert [s.value for s in Status] == environment["status"]["enum"]
    # a stream says ok, install-failed or import-failed; the host decides incomplete and checks-failed from it
    assert set(schema("line")["$defs"]["environment"]["properties"]["status"]["enum"]) < {s.value for s in Status}


def test_the_format_versions_are_the_schemas_consts():
    assert schema("line")["properties"]["format"]["const"] == LINE_FORMAT
    assert schema("matrix")["properties"]["schema"]["const"] == SCHEMA


def test_only_the_atomic_writer_renames_or_writes_whole_files():
    writers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        if path.name != "files.py" and ("os.replace(" in text or ".write_text(" in text or "json.dump(" in text):
            writers.append(str(path.relative_to(PACKAGE)))
    assert writers == []


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "matrix.json"
    write_json_atomically(path, {"old": True})

    def refuse(*arguments):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, "new")
    assert json.loads(path.read_text()) == {"old": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["matrix.json"]


def test_publish_moves_a_streamed_file_into_place(tmp_path):
    partial, final = tmp_path / "a.jsonl.partial", tmp_path / "a.jsonl"
    partial.write_text("line\n")
    publish(partial, final)
    assert final.read_text() == "line\n" and not partial.exists()


@pytest.mark.parametrize("name", ["torch-2.1", "torch-2.10", "torch-2.4"])
def test_nox_selects_exactly_the_torch_session_named(root, name):
    """nox also compares `-s NAME` as a parsed Python expression, where
    torch-2.1 and torch-2.10 are equal; the noxfile must not let that match."""
    done = subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(root / "noxfile.py"), "--list", "--json", "-s", name],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [s["name"] for s in json.loads(done.stdout)] == [name]
