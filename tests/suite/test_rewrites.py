"""A behaviour's rewrites: the option is validated when declared, left out of
the behaviour's key, carried in its declaration record; the eager
equivalence check (rewrites.py) accepts a rewrite that computes the same
thing and catches one that does not, naming both behaviours, in a failure
line the host reads (stand-in modules of plain Python, no torch needed)."""

import dataclasses
import json
import os
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import streams_factory as factory
from exportmatrix_suite import rewrites
from exportmatrix_suite.declare import REGISTRY, REWRITES_CHECKED, Behaviour, Instance, Rewrite, Source, behaviour
from exportmatrix_suite.keys import NOT_KEYED
from exportmatrix_suite.plugin import MatrixPlugin
from exportmatrix_suite.recorder import Recorder

from exportmatrix.schemas import problems
from exportmatrix.streams import LINE_FORMAT, read_stream


@dataclasses.dataclass(frozen=True)
class Plain(Behaviour):
    """A behaviour of plain Python: instantiated without torch, calls not seeded."""

    def instantiate(self, device):
        return Instance(self.module_class(), self.make_inputs())

    def seed_call(self, call):
        return None


class Counter:
    """The original: a Python counter it adds to its input."""

    def __init__(self):
        self.n = 0

    def __call__(self, x):
        self.n += 1
        return x + self.n


class RenamedCounter:
    """Equivalent, its state under another name: rewrites={id: {"attribute n": "attribute calls"}}."""

    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        self.calls = self.calls + 1
        return x + self.calls


class CountsByTwo:
    """Planted: the same outputs over two calls, but its state holds twice the count."""

    def __init__(self):
        self.n = 0

    def __call__(self, x):
        self.n += 2
        return x + self.n // 2


class AddsTwo:
    """Planted: its outputs differ from the second call on."""

    def __init__(self):
        self.n = 0

    def __call__(self, x):
        self.n = 1
        return x + self.n


def _inputs():
    return (10,)


def plain(id, module, **options):
    return Plain(id, "d", ("test",), module, _inputs, mutates=("attribute n",), **options)


RENAMED = Plain("test.renamed", "d", ("test",), RenamedCounter, _inputs, mutates=("attribute calls",))
KNOWN = [
    RENAMED,
    plain("test.by_two", CountsByTwo),
    plain("test.adds_two", AddsTwo),
]


def test_an_equivalent_rewrite_is_accepted_its_state_paired_by_name():
    original = plain("test.counter", Counter, rewrites={"test.renamed": {"attribute n": "attribute calls"}})
    (checked,) = rewrites.check_all([original], KNOWN)
    assert (checked.verdict, checked.why, checked.failed) == (rewrites.EQUIVALENT, None, False)
    assert REWRITES_CHECKED["test.counter"] == {"test.renamed": "equivalent"}


def test_a_planted_rewrite_whose_state_differs_is_caught_naming_both_behaviours():
    original = plain("test.counter", Counter, rewrites=("test.by_two",))
    (checked,) = rewrites.check_all([original], KNOWN)
    assert checked.failed and checked.verdict == rewrites.NOT_EQUIVALENT
    assert checked.message() == (
        "rewrite test.by_two of behaviour test.counter: not equivalent: after call 1, attribute n (original) "
        "and attribute n (rewrite) differ: original 1, rewrite 2"
    )
    assert "test.counter" in checked.message() and "test.by_two" in checked.message()


def test_a_planted_rewrite_whose_outputs_differ_is_caught():
    original = plain("test.counter", Counter, rewrites=("test.adds_two",))
    (checked,) = rewrites.check_all([original], KNOWN)
    assert checked.failed
    assert checked.why == "output of call 2 differs: original 12, rewrite 11"


def test_names_that_differ_and_are_not_paired_are_not_equivalent_and_the_message_says_how_to_pair_them():
    original = plain("test.counter", Counter, rewrites=("test.renamed",))
    (checked,) = rewrites.check_all([original], KNOWN)
    assert checked.failed
    assert "attribute n (original) and attribute n (rewrite) differ" in checked.why
    assert "pair them: rewrites={'test.renamed': {'attribute n': ...}}" in checked.why


def test_an_unknown_rewrite_fails_and_an_unavailable_one_is_said_not_checked():
    original = plain("test.counter", Counter, rewrites=("test.nowhere", "test.later"))
    later = Plain("test.later", "d", ("test",), Counter, _inputs, unavailable=lambda: "arrives in 9.9")
    unknown, unavailable = rewrites.check_all([original], KNOWN + [later])
    assert (unknown.verdict, unknown.failed) == (rewrites.UNKNOWN, True)
    assert (unavailable.verdict, unavailable.failed) == (rewrites.UNAVAILABLE, False)
    assert unavailable.why == "test.later: arrives in 9.9"


def test_values_of_one_form_compare_strictly_and_a_number_matches_a_tensor_by_its_elements():
    tensor = ("tensor", "torch.int64", (1,), "cpu", [2])
    assert rewrites.state_difference(2, tensor) is None
    assert rewrites.state_difference(2.0, ("tensor", "torch.float32", (), "cpu", [2.0])) is None
    assert rewrites.state_difference(("list", (1, 2)), ("tensor", "torch.float32", (2,), "cpu", [1.0, 2.0])) is None
    assert rewrites.state_difference(3, tensor) == "value 0: original 3, rewrite 2"
    assert rewrites.state_difference(tensor, ("tensor", "torch.float32", (1,), "cpu", [2.0])) is not None  # dtype
    assert rewrites.state_difference(("missing",), tensor) is not None
    assert rewrites.state_difference(("missing",), ("missing",)) is None


@pytest.fixture
def registry():
    before = list(REGISTRY)
    yield REGISTRY
    REGISTRY[:] = before


def declare(**options):
    return behaviour(id="test.declared", description="d", tags=("test",), inputs=_inputs, **options)(Counter)


def test_the_option_is_validated_when_declared(registry):
    problems_of = {
        "'test.declared'": "a behaviour cannot be its own rewrite",
        "'Not An Id'": "rewrite 'Not An Id' is not a behaviour id",
        "['buffer.add_']": "rewrites must be a tuple of behaviour ids",
        "{'buffer.add_': {'attribute n': 'buffer *'}}": "a rewrite's state names name one state each",
        "{'buffer.add_': {'attribute n': 'nothing n'}}": "whose kind is none of",
    }
    for text, expected in problems_of.items():
        given = eval(text) if text.startswith(("[", "{")) else (eval(text),)
        with pytest.raises(ValueError, match=expected.replace("*", "\\*").replace("(", "\\(")):
            declare(rewrites=given)
    with pytest.raises(ValueError, match="rewrite 'buffer.add_' is named twice"):
        declare(rewrites=("buffer.add_", "buffer.add_"))


def test_the_declaration_record_carries_the_rewrites_and_the_key_leaves_them_out(registry):
    declare(rewrites={"buffer.add_": {"attribute n": "buffer buf"}, "buffer.no_grad": {}})
    (declared,) = [b for b in registry if b.id == "test.declared"]
    assert declared.rewrites == (Rewrite("buffer.add_", (("attribute n", "buffer buf"),)), Rewrite("buffer.no_grad"))
    assert declared.declaration()["rewrites"] == ["buffer.add_", "buffer.no_grad"]
    assert "rewrites_checked" not in declared.declaration()
    REWRITES_CHECKED["test.declared"] = {"buffer.add_": "equivalent"}
    try:
        record = declared.declaration()
        assert record["rewrites_checked"] == {"buffer.add_": "equivalent"}
        assert problems("line", {"format": LINE_FORMAT, "kind": "behaviour", "behaviour": record}) == []
        assert {"rewrites", "rewrites_checked"} <= set(NOT_KEYED)
    finally:
        del REWRITES_CHECKED["test.declared"]


def test_the_plugin_writes_the_check_as_a_test_with_a_failure_line_the_host_reads(tmp_path, registry):
    path = tmp_path / "torch-2.4.1-py3.11.jsonl"
    recorder = Recorder(str(path))
    recorder.write("environment", factory.environment("torch-2.4.1-py3.11", "2.4", "2.4.1"))
    source = Source("cases.py", None, True)
    original = Plain("mine.counter", "d", ("user",), Counter, _inputs, mutates=("attribute n",), source=source,
                     rewrites={"test.by_two": {}, "test.renamed": {"attribute n": "attribute calls"}})  # fmt: skip
    registry[:] = [original]
    plugin = MatrixPlugin(SimpleNamespace(getoption=lambda name: 0), recorder, {}, declared=[original] + KNOWN)
    plugin.pytest_sessionstart(None)
    recorder.write("end", {"observations": 0})
    recorder.close()
    stream = read_stream(path)
    (line,) = stream.failures
    assert line["test"] == "exportmatrix_suite/rewrites.py::eager_equivalence[mine.counter->test.by_two]"
    assert (line["behaviour"], line["case_file"]) == ("mine.counter", "cases.py")
    assert line["why"].startswith("rewrite test.by_two of behaviour mine.counter: not equivalent: after call 1")
    assert plugin.rewrite_failures == [line["why"]]
    assert original.declaration()["rewrites_checked"] == {"test.by_two": "not equivalent", "test.renamed": "equivalent"}
    kinds = [json.loads(text)["kind"] for text in path.read_text().splitlines()]
    assert kinds == ["environment", "started", "failure", "finished", "end"]
    del REWRITES_CHECKED["mine.counter"]


ROOT = Path(__file__).resolve().parents[2]


def _release(python: Path) -> list:
    return [int(n) for n in re.findall(r"\d+", python.parts[-3])]


def real_torch():
    """A Python with torch: the one named, else the newest environment nox
    built here, looked up when the test runs (in CI the end-to-end tests,
    which run first, have built them by then)."""
    named = os.environ.get("EXPORTMATRIX_TORCH_PYTHON")
    if named:
        return Path(named)
    built = sorted(ROOT.glob(".nox/torch-*/bin/python"), key=_release)
    return next((p for p in reversed(built) if list(p.parents[1].glob("lib/*/site-packages/torch"))), None)


def test_every_rewrite_of_the_catalogue_is_equivalent_in_a_real_torch():
    """Where a Python with torch is at hand (EXPORTMATRIX_TORCH_PYTHON, or an
    environment nox built), every rewrite the catalogue declares is checked."""
    python = real_torch()
    if python is None:
        pytest.skip("no Python with torch here (set EXPORTMATRIX_TORCH_PYTHON, or run the end-to-end tests first)")
    script = (
        "import exportmatrix_suite.behaviours as c\n"
        "from exportmatrix_suite.rewrites import check_all\n"
        "found = check_all([b for b in c.BEHAVIOURS if b.rewrites])\n"
        "print(len(found))\n"
        "[print(f.message()) for f in found if f.verdict != 'equivalent']\n"
    )
    done = subprocess.run([str(python), "-c", script], cwd=ROOT / "suite", capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    count, *wrong = done.stdout.splitlines()
    assert int(count) >= 20 and wrong == []
