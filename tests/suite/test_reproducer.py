"""A reproducer carries the classification rule verbatim and judges its cell
with it. Run here against a stand-in `torch` package of a few lines, so the
whole reproducer runs without a release; tests/e2e runs real ones."""

import ast
import importlib.util
import subprocess
import sys
import textwrap
from dataclasses import dataclass

import pytest
from exportmatrix_suite.declare import REGISTRY
from exportmatrix_suite.reproducer import classify_source, render

CASE_FILE = """
from exportmatrix_suite import behaviour

CALLS = 0  # the same name as classify's own CALLS: they must not meet


def _reset():
    global CALLS
    CALLS = 0


@behaviour(
    id="stub.counter",
    description="counts its calls in an attribute and in a global",
    tags=("test",),
    inputs=lambda: ([1.0],),
    mutates=("attribute n", "global CALLS"),
    extra_reset=_reset,
    extra_state=lambda module: {"global CALLS": CALLS},
)
class Counter:
    def __init__(self):
        self.n = 0

    def to(self, device):
        return self

    def __call__(self, items):
        global CALLS
        CALLS += 1
        self.n += 1
        return items[0] + self.n
"""

STUB_TORCH = {
    "torch/__init__.py": "class Tensor:\n    pass\n\n\ndef manual_seed(seed):\n    pass\n",
    "torch/_dynamo/__init__.py": "def reset():\n    pass\n",
}


@dataclass
class StubExporter:
    name: str
    code: str
    lazy: bool = False
    state_hidden: bool = False

    def snippet(self, args, dims):
        return self.code


@pytest.fixture
def counter(tmp_path):
    before = list(REGISTRY)
    path = tmp_path / "stub_case.py"
    path.write_text(CASE_FILE)
    spec = importlib.util.spec_from_file_location("stub_case", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["stub_case"] = module
    spec.loader.exec_module(module)
    yield REGISTRY[-1]
    REGISTRY[:] = before
    del sys.modules["stub_case"]


def run(tmp_path, text):
    for name, content in STUB_TORCH.items():
        (tmp_path / "stub" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "stub" / name).write_text(content)
    script = tmp_path / "repro.py"
    script.write_text(text)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(tmp_path / "stub"), "PATH": "/usr/bin:/bin"},
    )
    return [line for line in done.stdout.splitlines() if line.startswith("OUTCOME: ")], done


def test_a_reproducer_carries_the_rule_verbatim(counter):
    text = render(counter, StubExporter("stub", "artifact = mod"), "cpu", "static", "holds", "2.4.1")
    assert classify_source() in text
    (literal,) = [
        node.value.value
        for node in ast.parse(text).body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "CLASSIFY"
    ]
    assert literal.lstrip("\n") == classify_source()
    assert text.startswith('"""exportmatrix reproducer: stub.counter under stub on cpu, static shapes.')
    assert "def _reset():" in text and "@behaviour" not in text
    assert "        self.n += 1" in text


@pytest.mark.parametrize(
    "code, lazy, outcome, evidence",
    [
        ("artifact = mod", False, "holds", None),
        (
            "artifact = lambda items: 2.0",
            False,
            "diverges",
            "  output of call 2 (arose at call 2): eager 3.0, exported 2.0",
        ),
        ("raise RuntimeError('cannot capture at 0x1234')", False, "export-error", "capture raised RuntimeError"),
        ("def artifact(items):\n    raise ValueError('first call')", True, "export-error", "call 1 (capture"),
        ("def artifact(items):\n    raise ValueError('first call')", False, "run-error", "call 1 raised ValueError"),
    ],
)
def test_a_reproducer_prints_the_verdict_of_the_rule(counter, tmp_path, code, lazy, outcome, evidence):
    text = render(counter, StubExporter("stub", code, lazy), "cpu", "static", outcome, "2.4.1")
    printed, done = run(tmp_path, text)
    assert printed == ["OUTCOME: " + outcome], done.stdout + done.stderr
    if evidence:
        assert evidence in done.stdout, done.stdout


def test_a_side_effect_the_artifact_loses_is_printed(counter, tmp_path):
    snippet = textwrap.dedent(
        """\
        import copy
        private = copy.deepcopy(mod)  # runs on a copy: the module the user holds never changes
        artifact = lambda items: private(items)"""
    )
    printed, done = run(tmp_path, render(counter, StubExporter("stub", snippet), "cpu", "static", "diverges", "2.4.1"))
    assert printed == ["OUTCOME: diverges"], done.stdout + done.stderr
    assert "  attribute n after call 1 (arose at call 1): eager 1, exported 0" in done.stdout


HELPED_CASE = """from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from exportmatrix_suite import behaviour

SCALE = math.sqrt(4.0)
UNUSED = math.pi


@dataclass
class Config:
    step: float = SCALE


class Helper:
    def __init__(self) -> None:
        self.config = Config()

    def bump(self, n: float) -> float:
        return n + self.config.step


@behaviour(
    id="stub.helped",
    description="uses a helper class, a dataclass, a constant and an imported module",
    tags=("test",),
    inputs=lambda: ([1.0],),
    mutates=("attribute n",),
)
class Helped:
    def __init__(self) -> None:
        self.n = 0.0
        self.helper = Helper()

    def to(self, device: str) -> Helped:
        return self

    def __call__(self, items):
        self.n = self.helper.bump(self.n)
        return F.identity(items[0]) + self.n


@behaviour(id="stub.other", description="uses nothing of the above", tags=("test",), inputs=lambda: ([UNUSED],))
class Other:
    def to(self, device):
        return self

    def __call__(self, items):
        return items[0]
"""

STUB_NN = {
    "torch/nn/__init__.py": "",
    "torch/nn/functional.py": "def identity(x):\n    return x\n",
}


@pytest.fixture
def helped(tmp_path, monkeypatch):
    """stub.helped, loaded as a case file against the stand-in torch."""
    from exportmatrix_suite.cases import load_case_file

    for name, content in {**STUB_TORCH, **STUB_NN}.items():
        (tmp_path / "stub" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "stub" / name).write_text(content)
    monkeypatch.syspath_prepend(str(tmp_path / "stub"))
    before, modules = list(REGISTRY), set(sys.modules)
    path = tmp_path / "helped_cases.py"
    path.write_text(HELPED_CASE)
    assert load_case_file(str(path)) is None
    (declared,) = [b for b in REGISTRY if b.id == "stub.helped"]
    yield declared
    REGISTRY[:] = before
    for name in set(sys.modules) - modules:  # the stand-in torch too
        del sys.modules[name]


def test_a_case_reproducer_carries_the_files_imports_and_the_helpers_its_class_uses(helped, tmp_path):
    text = render(helped, StubExporter("stub", "artifact = mod"), "cpu", "static", "holds", "2.4.1")
    ast.parse(text)
    head, _, _ = text.partition("# -- the capture")
    assert "\nfrom __future__ import annotations\nimport io\n" in text  # right after the docstring
    assert "\nimport math\nfrom dataclasses import dataclass\nimport torch.nn.functional as F\n" in head
    assert head.count("\nimport torch\n") == 1 and "exportmatrix_suite" not in head
    assert "@dataclass\nclass Config:" in head and "SCALE = math.sqrt(4.0)" in head and "class Helper:" in head
    assert "@behaviour" not in head and "class Helped:" in head
    assert "UNUSED" not in head and "class Other" not in head
    printed, done = run(tmp_path, text)  # the stand-in torch.nn is in tmp_path/stub, beside run()'s torch
    assert printed == ["OUTCOME: holds"], done.stdout + done.stderr
    printed, done = run(
        tmp_path, render(helped, StubExporter("stub", "artifact = lambda items: 2.0"), "cpu", "static", "x", "?")
    )
    assert printed == ["OUTCOME: diverges"], done.stdout + done.stderr
